"""Computed slices: a score and a bucket per example and slice, and what each slicer last computed from which
inputs (its fingerprint), so unchanged inputs are never recomputed."""
from __future__ import annotations

import pandas as pd

from core.store.database import Database, now
from core.store.pages import SLICE_FRAMES


class SliceTables(Database):
    def slice_fingerprints(self, dataset_id: str) -> dict[str, str]:
        return dict(self.rows("SELECT slicer, fingerprint FROM slicers WHERE dataset_id = ?", [dataset_id]))

    def write_slices(self, dataset_id: str, slicer: str, fingerprint: str, rows: pd.DataFrame) -> None:
        """Replaces what `slicer` stored before with `rows` (example_id, slice, score, bucket), in one transaction."""
        names = sorted(rows["slice"].unique())
        with self.transaction() as con:
            con.execute("DELETE FROM slices WHERE dataset_id = ? AND slice IN (SELECT unnest(slices) FROM slicers "
                        "WHERE dataset_id = ? AND slicer = ?)", [dataset_id, dataset_id, slicer])
            con.execute("DELETE FROM slices WHERE dataset_id = ? AND slice IN (SELECT unnest(?))", [dataset_id, names])
            self.insert_frame(rows[["example_id", "slice", "score", "bucket"]],
                              "INSERT INTO slices SELECT ?, example_id, slice, score, bucket FROM frame", [dataset_id])
            con.execute("INSERT OR REPLACE INTO slicers VALUES (?, ?, ?, ?, ?)", [dataset_id, slicer, fingerprint, names, now()])
            # the slice tables stored for the data set's runs no longer list every slice (`store_slice_tables`)
            con.execute("DELETE FROM page_frames WHERE starts_with(name, ?) "
                        "AND run_id IN (SELECT run_id FROM runs WHERE dataset_id = ?)", [SLICE_FRAMES, dataset_id])

    def slices(self, dataset_id: str) -> pd.DataFrame:
        return self.query("SELECT example_id, slice, score, bucket FROM slices WHERE dataset_id = ? "
                          "ORDER BY slice, example_id", [dataset_id])

    def slice_names(self, dataset_id: str) -> pd.DataFrame:
        """Each stored slice with the slicer that wrote it."""
        return self.query("SELECT unnest(slices) AS slice, slicer FROM slicers WHERE dataset_id = ? ORDER BY slice",
                          [dataset_id])
