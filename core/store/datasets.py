"""Data sets: their examples, extra (slice) columns, text embeddings and proposed taxonomies."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from core.datasets.labelset import LabelSet
from core.errors import InputError, NotFound
from core.store.database import Database, now


@dataclass(frozen=True)
class DatasetInfo:
    dataset_id: str
    name: str
    source_path: str | None
    column_mapping: dict
    label_set: LabelSet
    n_examples: int
    created_at: datetime


class DatasetTables(Database):
    def add_dataset(self, *, dataset_id, name, source_path, column_mapping, label_set: LabelSet,
                    content_hash, examples: pd.DataFrame, extra_columns: pd.DataFrame) -> None:
        """A data set, its examples and its extra (slice) columns in long form."""
        with self.transaction() as con:
            if con.execute("SELECT 1 FROM datasets WHERE name = ?", [name]).fetchall():
                raise InputError(f"a data set named {name!r} already exists in {self.path}; choose another --name")
            con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [dataset_id, name, source_path, json.dumps(column_mapping), label_set.to_json(), content_hash,
                         len(examples), now()])
            self.insert_frame(examples, "INSERT INTO examples SELECT ?, example_id, source_row, text, gold, split "
                                        "FROM frame", [dataset_id])
            if len(extra_columns):
                self.insert_frame(extra_columns, "INSERT INTO example_columns SELECT ?, example_id, column_name, value "
                                                 "FROM frame", [dataset_id])

    def datasets(self) -> pd.DataFrame:
        return self.query("SELECT dataset_id, name, n_examples, source_path, created_at FROM datasets ORDER BY created_at")

    def dataset(self, name_or_id: str) -> DatasetInfo:
        rows = self.rows("SELECT dataset_id, name, source_path, column_mapping, label_set, n_examples, created_at "
                         "FROM datasets WHERE name = ? OR dataset_id = ?", [name_or_id, name_or_id])
        if not rows:
            known = ", ".join(self.datasets()["name"]) or "none"
            raise NotFound(f"no data set {name_or_id!r} in {self.path} (known: {known})")
        row = rows[0]
        return DatasetInfo(row[0], row[1], row[2], json.loads(row[3]), LabelSet.from_json(row[4]), row[5], row[6])

    def examples(self, dataset_id: str, with_text: bool = True) -> pd.DataFrame:
        columns = "example_id, text, gold, split" if with_text else "example_id, gold, split"
        return self.query(f"SELECT {columns} FROM examples WHERE dataset_id = ? ORDER BY source_row", [dataset_id])

    def example_columns(self, dataset_id: str) -> pd.DataFrame:
        """Extra columns, wide: one row per example, one column per user column (values as text)."""
        long = self.query("SELECT example_id, column_name, value FROM example_columns WHERE dataset_id = ?", [dataset_id])
        if long.empty:
            return pd.DataFrame(columns=["example_id"])
        return long.pivot(index="example_id", columns="column_name", values="value").reset_index().rename_axis(None, axis=1)

    def slice_columns(self, dataset_id: str) -> pd.DataFrame:
        """Each user column with its number of distinct values and whether all values are numbers."""
        return self.query(
            """SELECT column_name, count(DISTINCT value) AS n_values,
                      bool_and(TRY_CAST(value AS DOUBLE) IS NOT NULL) AS numeric
               FROM example_columns WHERE dataset_id = ? GROUP BY 1 ORDER BY 1""", [dataset_id])

    def column_values(self, dataset_id: str, column: str, limit: int = 500) -> list[str]:
        return [r[0] for r in self.rows("SELECT DISTINCT value FROM example_columns WHERE dataset_id = ? "
                                        "AND column_name = ? ORDER BY 1 LIMIT ?", [dataset_id, column, limit])]

    def quantile_edges(self, dataset_id: str, column: str, buckets: int = 4) -> list[float]:
        edges = self.scalar("SELECT quantile_cont(TRY_CAST(value AS DOUBLE), ?) FROM example_columns "
                            "WHERE dataset_id = ? AND column_name = ?",
                            [[i / buckets for i in range(1, buckets)], dataset_id, column])
        return sorted(set(edges or []))

    def gold_distribution(self, dataset_id: str) -> pd.DataFrame:
        return self.query("SELECT gold AS label, count(*) AS n FROM examples WHERE dataset_id = ? AND gold IS NOT NULL "
                          "GROUP BY 1 ORDER BY 1", [dataset_id])

    # -- embeddings of the texts -----------------------------------------------------------------

    def embeddings(self, dataset_id: str, model: str) -> pd.DataFrame:
        return self.query("SELECT example_id, vector FROM embeddings WHERE dataset_id = ? AND model = ?",
                          [dataset_id, model])

    def write_embeddings(self, dataset_id: str, model: str, example_ids, vectors) -> None:
        rows = pd.DataFrame({"example_id": list(example_ids), "vector": [v.tolist() for v in vectors]})
        self.insert_frame(rows, "INSERT INTO embeddings SELECT ?, example_id, ?, vector FROM frame ON CONFLICT DO NOTHING",
                          [dataset_id, model])

    # -- proposed label sets ---------------------------------------------------------------------

    def write_taxonomy(self, taxonomy_id: str, source: str, method: str, labels: list[dict], provenance: dict) -> None:
        self.execute("INSERT INTO taxonomies VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                     [taxonomy_id, source, method, json.dumps(labels), json.dumps(provenance, default=str), now()])

    def taxonomies(self) -> pd.DataFrame:
        frame = self.query("SELECT taxonomy_id, source, method, labels, provenance, created_at FROM taxonomies "
                           "ORDER BY created_at DESC")
        for column in ("labels", "provenance"):
            frame[column] = frame[column].map(json.loads)
        return frame
