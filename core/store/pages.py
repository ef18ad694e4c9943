"""Reads a page needs that no other aggregate answers: the buckets of a computed slice and the examples in some
of them (the spot-check queue's filter on computed slices), and the frames pages show first, stored once per
run as Parquet (`page_frames`)."""
from __future__ import annotations

import io

import pandas as pd

from core.fingerprints import code_version
from core.store.database import Database, now

# The columns of the stored page frames: raise it whenever a frame gains, loses or renames a column, so frames
# stored by older code are ignored (the page computes live) until the run's frames are stored again. Frames are
# also keyed on the code version that computed them (`code_version`): code that computes the same columns
# differently never shows numbers older code stored.
FRAME_SHAPE = 3
SLICE_FRAMES = "slices/"  # the slice tables' names start so; storing a data set's slices drops its runs' tables


class PageLookups(Database):
    def slice_buckets(self, dataset_id: str, slice_name: str) -> list[str]:
        return [r[0] for r in self.rows("SELECT DISTINCT bucket FROM slices WHERE dataset_id = ? AND slice = ? "
                                        "ORDER BY 1", [dataset_id, slice_name])]

    def slice_members(self, dataset_id: str, slice_name: str, buckets: list[str]) -> set[str]:
        return {r[0] for r in self.rows("SELECT example_id FROM slices WHERE dataset_id = ? AND slice = ? "
                                        "AND bucket IN (SELECT unnest(?))", [dataset_id, slice_name, list(buckets)])}

    def write_page_frames(self, run_id: str, frames: dict[str, pd.DataFrame], *, replace_prefix: str | None = None) -> None:
        """Stores `frames` by name for `run_id`; `replace_prefix` first drops the run's frames whose names start
        with it, so a part recomputed with fewer frames leaves none behind."""
        with self.transaction():
            if replace_prefix is not None:
                self.execute("DELETE FROM page_frames WHERE run_id = ? AND starts_with(name, ?)", [run_id, replace_prefix])
            for name, frame in frames.items():
                buffer = io.BytesIO()
                frame.to_parquet(buffer, index=False)
                self.execute("INSERT OR REPLACE INTO page_frames VALUES (?, ?, ?, ?, ?, ?)",
                             [run_id, name, buffer.getvalue(), now(), FRAME_SHAPE, code_version()])

    def page_frame(self, run_id: str, name: str) -> pd.DataFrame | None:
        stored = self.scalar("SELECT frame FROM page_frames WHERE run_id = ? AND name = ? AND shape = ? "
                             "AND code_version = ?", [run_id, name, FRAME_SHAPE, code_version()])
        return None if stored is None else pd.read_parquet(io.BytesIO(stored))

    def page_frame_names(self, run_id: str) -> list[str]:
        return [r[0] for r in self.rows("SELECT name FROM page_frames WHERE run_id = ? AND shape = ? "
                                        "AND code_version = ? ORDER BY 1", [run_id, FRAME_SHAPE, code_version()])]
