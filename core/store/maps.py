"""The disagreement map: 2-D positions of a data set's texts, and per run and teacher the clusters of
disagreeing examples with their distinctive terms."""
from __future__ import annotations

import pandas as pd

from core.store.database import Database


class MapTables(Database):
    def has_projection(self, dataset_id: str, method: str) -> bool:
        return self.scalar("SELECT count(*) FROM projections WHERE dataset_id = ? AND method = ?", [dataset_id, method]) > 0

    def write_projection(self, dataset_id: str, method: str, points: pd.DataFrame) -> None:
        with self.transaction():
            self.execute("DELETE FROM projections WHERE dataset_id = ? AND method = ?", [dataset_id, method])
            # the map samples stored for the data set's runs hold the old positions
            self.execute("DELETE FROM page_frames WHERE starts_with(name, 'map/') AND run_id IN "
                         "(SELECT run_id FROM runs WHERE dataset_id = ?)", [dataset_id])
            self.insert_frame(points, "INSERT INTO projections SELECT ?, example_id, ?, x, y FROM frame", [dataset_id, method])

    def write_clusters(self, run_id: str, teacher_name: str, assignments: pd.DataFrame, terms: pd.DataFrame) -> None:
        with self.transaction():
            for table in ("clusters", "cluster_terms"):
                self.execute(f"DELETE FROM {table} WHERE run_id = ? AND teacher_name = ?", [run_id, teacher_name])
            self.insert_frame(assignments, "INSERT INTO clusters SELECT ?, ?, example_id, cluster FROM frame",
                              [run_id, teacher_name])
            self.insert_frame(terms, "INSERT INTO cluster_terms SELECT ?, ?, cluster, terms FROM frame", [run_id, teacher_name])

    def has_clusters(self, run_id: str) -> bool:
        return self.scalar("SELECT count(*) FROM clusters WHERE run_id = ?", [run_id]) > 0

    def cluster_terms(self, run_id: str, teacher_name: str) -> pd.DataFrame:
        return self.query("SELECT cluster, terms FROM cluster_terms WHERE run_id = ? AND teacher_name = ? ORDER BY cluster",
                          [run_id, teacher_name])
