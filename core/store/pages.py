"""Reads a page needs that no other aggregate answers: the buckets of a computed slice and the examples in some
of them (the spot-check queue's filter on computed slices)."""
from __future__ import annotations

from core.store.database import Database


class PageLookups(Database):
    def slice_buckets(self, dataset_id: str, slice_name: str) -> list[str]:
        return [r[0] for r in self.rows("SELECT DISTINCT bucket FROM slices WHERE dataset_id = ? AND slice = ? "
                                        "ORDER BY 1", [dataset_id, slice_name])]

    def slice_members(self, dataset_id: str, slice_name: str, buckets: list[str]) -> set[str]:
        return {r[0] for r in self.rows("SELECT example_id FROM slices WHERE dataset_id = ? AND slice = ? "
                                        "AND bucket IN (SELECT unnest(?))", [dataset_id, slice_name, list(buckets)])}
