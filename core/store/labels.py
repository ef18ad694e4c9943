"""Teachers, the labels they gave, and the LLM call cache with its pending Message Batches."""
from __future__ import annotations

import json

import pandas as pd

from core.errors import NotFound
from core.store.database import Database, now


class LabelTables(Database):
    def ensure_teacher(self, *, teacher_id, name, kind, simulated, config: dict) -> None:
        self.execute("INSERT INTO teachers VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (teacher_id) DO NOTHING",
                     [teacher_id, name, kind, simulated, json.dumps(config, sort_keys=True), now()])

    def recorded_teacher_id(self, dataset_id: str, name: str) -> str:
        rows = self.rows("""SELECT DISTINCT t.teacher_id FROM teachers t JOIN teacher_labels tl USING (teacher_id)
                            WHERE t.kind = 'recorded' AND t.name = ? AND tl.dataset_id = ?""", [name, dataset_id])
        if not rows:
            raise NotFound(f"no recorded teacher {name!r} was imported with this data set; "
                           f"import it with --llm-label {name}=COLUMN")
        return rows[0][0]

    def teachers(self) -> pd.DataFrame:
        return self.query("SELECT teacher_id, name, kind, simulated, config, created_at FROM teachers ORDER BY created_at")

    def dataset_teachers(self, dataset_id: str) -> pd.DataFrame:
        """The teachers that labeled a data set, with how many labels and whether any carries probabilities."""
        return self.query(
            """SELECT t.teacher_id, t.name, t.kind, t.simulated, count(*) AS n_labels, count(l.probs) AS n_probs
               FROM teacher_labels l JOIN teachers t USING (teacher_id) WHERE l.dataset_id = ?
               GROUP BY ALL ORDER BY t.name, t.teacher_id""", [dataset_id])

    def teachers_with_probabilities(self, dataset_id: str, name: str) -> int:
        """How many of a recorded teacher's labels on a data set carry probabilities."""
        return self.scalar("""SELECT count(l.probs) FROM teacher_labels l JOIN teachers t USING (teacher_id)
                              WHERE l.dataset_id = ? AND t.name = ? AND t.kind = 'recorded'""", [dataset_id, name])

    def labeled_example_ids(self, teacher_id: str, dataset_id: str) -> set[str]:
        return {r[0] for r in self.rows("SELECT example_id FROM teacher_labels WHERE teacher_id = ? AND dataset_id = ?",
                                        [teacher_id, dataset_id])}

    def write_teacher_labels(self, labels: pd.DataFrame) -> None:
        """Rows with the columns of teacher_labels but created_at. A label already stored is kept, never duplicated."""
        self.insert_frame(labels, "INSERT INTO teacher_labels SELECT teacher_id, dataset_id, example_id, label, "
                                  "abstain_reason, probs, confidence, raw_response, input_tokens, output_tokens, cost_usd, "
                                  "latency_ms, ? FROM frame ON CONFLICT DO NOTHING", [now()])

    def teacher_answers_by_example(self, teacher_id: str, dataset_id: str) -> pd.DataFrame:
        """A teacher's label and probabilities per example, indexed by example id: what slices read, without the
        raw responses and costs of `teacher_labels`."""
        return self.query("SELECT example_id, label, probs FROM teacher_labels WHERE teacher_id = ? AND dataset_id = ?",
                          [teacher_id, dataset_id]).set_index("example_id")

    def teacher_labels(self, teacher_id: str, dataset_id: str) -> pd.DataFrame:
        return self.query(
            "SELECT example_id, label, abstain_reason, probs, confidence, raw_response, input_tokens, output_tokens, "
            "cost_usd, latency_ms FROM teacher_labels WHERE teacher_id = ? AND dataset_id = ?", [teacher_id, dataset_id])

    # -- the LLM call cache ----------------------------------------------------------------------

    def cached_calls(self, keys: list[str]) -> dict[str, dict]:
        if not keys:
            return {}
        return {key: json.loads(record) for key, record in
                self.rows("SELECT cache_key, record FROM llm_calls WHERE cache_key IN (SELECT unnest(?))", [keys])}

    def write_calls(self, records: dict[str, dict]) -> None:
        rows = pd.DataFrame({"cache_key": list(records), "record": [json.dumps(r) for r in records.values()]})
        self.insert_frame(rows, "INSERT INTO llm_calls SELECT cache_key, record, ? FROM frame ON CONFLICT DO NOTHING",
                          [now()])

    def open_llm_batches(self, provider: str) -> list[tuple[str, list[str]]]:
        return [(batch_id, list(keys)) for batch_id, keys in self.rows(
            "SELECT batch_id, cache_keys FROM llm_batches WHERE provider = ? AND ended_at IS NULL ORDER BY submitted_at",
            [provider])]

    def add_llm_batch(self, provider: str, batch_id: str, keys: list[str]) -> None:
        self.execute("INSERT INTO llm_batches VALUES (?, ?, ?, ?, NULL)", [batch_id, provider, keys, now()])

    def end_llm_batch(self, batch_id: str) -> None:
        self.execute("UPDATE llm_batches SET ended_at = ? WHERE batch_id = ?", [now(), batch_id])
