"""The DuckDB store: owns the schema, its versions, and every SQL statement of the project.

Connections are short-lived (one per operation, or one per `transaction()`), because DuckDB locks the
whole file for a writer: a long run that held a connection open would lock the dashboard out. Between
two writes the file is free, and a reader that meets the lock retries briefly before giving up with
`StoreBusyError`.
"""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from .labelset import LabelSet

SCHEMA_VERSION = 2
DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "pseudolens.duckdb"

# Each entry upgrades a file from version i to i + 1; a new schema version appends one entry.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE datasets (
        dataset_id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL UNIQUE,
        source_path VARCHAR,
        column_mapping VARCHAR NOT NULL,
        label_set VARCHAR NOT NULL,
        content_hash VARCHAR NOT NULL,
        n_examples INTEGER NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE examples (
        dataset_id VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        source_row INTEGER NOT NULL,
        text VARCHAR NOT NULL,
        gold VARCHAR,
        split VARCHAR,
        PRIMARY KEY (dataset_id, example_id)
    );
    CREATE TABLE example_columns (
        dataset_id VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        column_name VARCHAR NOT NULL,
        value VARCHAR,
        PRIMARY KEY (dataset_id, example_id, column_name)
    );
    CREATE TABLE teachers (
        teacher_id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        simulated BOOLEAN NOT NULL,
        config VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE teacher_labels (
        teacher_id VARCHAR NOT NULL,
        dataset_id VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        label VARCHAR,
        abstain_reason VARCHAR,
        probs VARCHAR,
        confidence DOUBLE,
        raw_response VARCHAR,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cost_usd DOUBLE NOT NULL,
        latency_ms DOUBLE NOT NULL,
        created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (teacher_id, dataset_id, example_id)
    );
    CREATE TABLE embeddings (
        dataset_id VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        model VARCHAR NOT NULL,
        vector FLOAT[] NOT NULL,
        PRIMARY KEY (dataset_id, example_id, model)
    );
    CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        dataset_id VARCHAR NOT NULL,
        config VARCHAR NOT NULL,
        code_version VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        error VARCHAR,
        timings VARCHAR,
        created_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP
    );
    CREATE TABLE run_teachers (
        run_id VARCHAR NOT NULL,
        teacher_name VARCHAR NOT NULL,
        teacher_id VARCHAR NOT NULL,
        PRIMARY KEY (run_id, teacher_name)
    );
    CREATE TABLE fits (
        run_id VARCHAR NOT NULL,
        trained_on VARCHAR NOT NULL,
        label_mode VARCHAR NOT NULL,
        size INTEGER NOT NULL,
        seed INTEGER NOT NULL,
        n_train INTEGER NOT NULL,
        n_test INTEGER NOT NULL,
        accuracy DOUBLE NOT NULL,
        accuracy_lo DOUBLE NOT NULL,
        accuracy_hi DOUBLE NOT NULL,
        macro_f1 DOUBLE NOT NULL,
        macro_f1_lo DOUBLE NOT NULL,
        macro_f1_hi DOUBLE NOT NULL,
        seconds DOUBLE NOT NULL,
        PRIMARY KEY (run_id, trained_on, label_mode, size, seed)
    );
    CREATE TABLE predictions (
        run_id VARCHAR NOT NULL,
        trained_on VARCHAR NOT NULL,
        label_mode VARCHAR NOT NULL,
        size INTEGER NOT NULL,
        seed INTEGER NOT NULL,
        example_id VARCHAR NOT NULL,
        predicted VARCHAR NOT NULL,
        confidence DOUBLE NOT NULL
    );
    CREATE TABLE teacher_scores (
        run_id VARCHAR NOT NULL,
        teacher_name VARCHAR NOT NULL,
        n_test INTEGER NOT NULL,
        n_answered INTEGER NOT NULL,
        accuracy DOUBLE NOT NULL,
        accuracy_lo DOUBLE NOT NULL,
        accuracy_hi DOUBLE NOT NULL,
        macro_f1 DOUBLE NOT NULL,
        macro_f1_lo DOUBLE NOT NULL,
        macro_f1_hi DOUBLE NOT NULL,
        PRIMARY KEY (run_id, teacher_name)
    );
    CREATE TABLE curve_points (
        run_id VARCHAR NOT NULL,
        trained_on VARCHAR NOT NULL,
        label_mode VARCHAR NOT NULL,
        size INTEGER NOT NULL,
        metric VARCHAR NOT NULL,
        mean DOUBLE NOT NULL,
        lo DOUBLE NOT NULL,
        hi DOUBLE NOT NULL,
        n_seeds INTEGER NOT NULL,
        n_train INTEGER NOT NULL,
        n_test INTEGER NOT NULL,
        PRIMARY KEY (run_id, trained_on, label_mode, size, metric)
    );
    CREATE TABLE comparisons (
        run_id VARCHAR NOT NULL,
        teacher_name VARCHAR NOT NULL,
        label_mode VARCHAR NOT NULL,
        size INTEGER NOT NULL,
        metric VARCHAR NOT NULL,
        versus VARCHAR NOT NULL,
        diff DOUBLE NOT NULL,
        lo DOUBLE NOT NULL,
        hi DOUBLE NOT NULL,
        PRIMARY KEY (run_id, teacher_name, label_mode, size, metric, versus)
    );
    CREATE TABLE example_predictions (
        run_id VARCHAR NOT NULL,
        teacher_name VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        predicted VARCHAR NOT NULL,
        confidence DOUBLE NOT NULL,
        probs DOUBLE[] NOT NULL,
        PRIMARY KEY (run_id, teacher_name, example_id)
    );
    CREATE TABLE projections (
        dataset_id VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        method VARCHAR NOT NULL,
        x DOUBLE NOT NULL,
        y DOUBLE NOT NULL,
        PRIMARY KEY (dataset_id, example_id, method)
    );
    CREATE TABLE clusters (
        run_id VARCHAR NOT NULL,
        teacher_name VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        cluster INTEGER NOT NULL,
        PRIMARY KEY (run_id, teacher_name, example_id)
    );
    CREATE TABLE cluster_terms (
        run_id VARCHAR NOT NULL,
        teacher_name VARCHAR NOT NULL,
        cluster INTEGER NOT NULL,
        terms VARCHAR NOT NULL,
        PRIMARY KEY (run_id, teacher_name, cluster)
    );
    CREATE TABLE rankings (
        run_id VARCHAR NOT NULL,
        teacher_name VARCHAR NOT NULL,
        strategy VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        rank INTEGER NOT NULL,
        score DOUBLE NOT NULL,
        reason VARCHAR NOT NULL
    );  -- no key: only write_rankings writes it, replacing a teacher's rankings whole
    CREATE TABLE budget_curves (
        run_id VARCHAR NOT NULL,
        teacher_name VARCHAR NOT NULL,
        strategy VARCHAR NOT NULL,
        budget INTEGER NOT NULL,
        accuracy DOUBLE NOT NULL,
        lo DOUBLE NOT NULL,
        hi DOUBLE NOT NULL,
        label_error DOUBLE NOT NULL,
        precision DOUBLE,
        n_seeds INTEGER NOT NULL,
        n_test INTEGER NOT NULL,
        gold_accuracy DOUBLE NOT NULL,
        checks_to_half_gap INTEGER,
        PRIMARY KEY (run_id, teacher_name, strategy, budget)
    );
    CREATE TABLE llm_calls (
        cache_key VARCHAR PRIMARY KEY,
        record VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE slices (
        dataset_id VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        slicer VARCHAR NOT NULL,
        score DOUBLE,
        bucket VARCHAR,
        inputs_hash VARCHAR NOT NULL,
        PRIMARY KEY (dataset_id, example_id, slicer)
    );
    CREATE TABLE pinned (
        dataset_id VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (dataset_id, example_id)
    );
    CREATE TABLE verdicts (
        verdict_id VARCHAR PRIMARY KEY,
        dataset_id VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        reviewer VARCHAR NOT NULL,
        verdict VARCHAR NOT NULL,
        label VARCHAR,
        note VARCHAR,
        created_at TIMESTAMP NOT NULL
    );
    """,
]
MIGRATIONS.append("""
    CREATE TABLE llm_batches (
        batch_id VARCHAR PRIMARY KEY,
        provider VARCHAR NOT NULL,
        cache_keys VARCHAR[] NOT NULL,
        submitted_at TIMESTAMP NOT NULL,
        ended_at TIMESTAMP
    );
    DROP TABLE slices;  -- version 1 had the table but nothing wrote to it
    CREATE TABLE slices (
        dataset_id VARCHAR NOT NULL,
        example_id VARCHAR NOT NULL,
        slice VARCHAR NOT NULL,
        score DOUBLE,
        bucket VARCHAR,
        PRIMARY KEY (dataset_id, example_id, slice)
    );
    CREATE TABLE slicers (  -- what each slicer last computed, from which inputs
        dataset_id VARCHAR NOT NULL,
        slicer VARCHAR NOT NULL,
        fingerprint VARCHAR NOT NULL,
        slices VARCHAR[] NOT NULL,
        computed_at TIMESTAMP NOT NULL,
        PRIMARY KEY (dataset_id, slicer)
    );
    CREATE TABLE taxonomies (
        taxonomy_id VARCHAR PRIMARY KEY,
        source VARCHAR NOT NULL,
        method VARCHAR NOT NULL,
        labels JSON NOT NULL,
        provenance JSON NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
""")
assert len(MIGRATIONS) == SCHEMA_VERSION


class StoreError(Exception):
    """The database cannot be used: wrong file, newer schema, or busy."""


class StoreBusyError(StoreError):
    pass


@dataclass(frozen=True)
class DatasetInfo:
    dataset_id: str
    name: str
    source_path: str | None
    column_mapping: dict
    label_set: LabelSet
    n_examples: int
    created_at: datetime


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _one(con, sql: str, params=None):
    """The first row of a query, read to the end: DuckDB refuses new work on a connection with a half-read result."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


# One connection of a process at a time: opening a connection in one thread while another thread closes the
# last one tears DuckDB's database instance down under the opener (seen in CI as "pandas_scan does not exist"
# when the call cache's writer thread met the labeling thread). Operations are short, so threads just queue.
_CONNECTIONS = threading.RLock()


@contextmanager
def _registered(con, frame: pd.DataFrame):
    """`frame` readable as the table named `frame` for the duration."""
    con.register("frame", frame)
    try:
        yield con
    finally:
        con.unregister("frame")


def _insert(con, frame: pd.DataFrame, sql: str, params=None) -> None:
    """Runs `sql`, which reads `frame` as the table named `frame`."""
    with _registered(con, frame):
        con.execute(sql, params or [])


class Store:
    """A pseudolens DuckDB file. Opening creates it (read-write) or upgrades an older schema."""

    def __init__(self, path: str | Path = DEFAULT_DB, read_only: bool = False, lock_timeout: float = 10.0):
        self.path = Path(path)
        self.read_only = read_only
        self.lock_timeout = lock_timeout
        if read_only and not self.path.exists():
            raise StoreError(f"no database at {self.path}; build one with `python -m core demo` or import data")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._check_schema()

    # -- connections -------------------------------------------------------------------------

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=self.read_only)
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                # another process holds the write lock, or this process has the file open in the other mode
                # (a dashboard writing a verdict while another session reads): both pass in a moment
                message = str(exc).lower()
                if "lock" not in message and "different configuration" not in message:
                    raise StoreError(f"cannot open {self.path}: {exc}") from exc
                if time.monotonic() > deadline:
                    raise StoreBusyError(
                        f"{self.path} is in use by another process (a run in progress?); try again when it finishes"
                    ) from exc
                time.sleep(0.05)

    @contextmanager
    def connect(self):
        with _CONNECTIONS:
            con = self._open()
            try:
                yield con
            finally:
                con.close()

    @contextmanager
    def transaction(self):
        """All writes inside land together or not at all."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _query(self, sql: str, params=None) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    # -- schema ------------------------------------------------------------------------------

    def _check_schema(self) -> None:
        with self.connect() as con:
            tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            if "schema_info" in tables:
                version = _one(con, "SELECT version FROM schema_info")[0]
            elif tables:
                raise StoreError(f"{self.path} is a DuckDB file but not a pseudolens database (tables: {sorted(tables)})")
            else:
                version = 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this pseudolens ({SCHEMA_VERSION}); "
                    "upgrade pseudolens to open it"
                )
            if version == SCHEMA_VERSION:
                return
            if self.read_only:
                raise StoreError(
                    f"{self.path} has schema version {version}; open it once read-write (any CLI command) to upgrade it to {SCHEMA_VERSION}"
                )
            con.execute("BEGIN TRANSACTION")
            if "schema_info" not in tables:
                con.execute("CREATE TABLE schema_info (version INTEGER NOT NULL)")
                con.execute("INSERT INTO schema_info VALUES (0)")
            for step in MIGRATIONS[version:]:
                con.execute(step)
            con.execute("UPDATE schema_info SET version = ?", [SCHEMA_VERSION])
            con.execute("COMMIT")

    def schema_version(self) -> int:
        with self.connect() as con:
            return _one(con, "SELECT version FROM schema_info")[0]

    # -- data sets ---------------------------------------------------------------------------

    def add_dataset(self, con, *, dataset_id, name, source_path, column_mapping, label_set: LabelSet,
                    content_hash, examples: pd.DataFrame, extra_columns: pd.DataFrame) -> None:
        """Inside a transaction: a data set, its examples and its extra (slice) columns in long form."""
        existing = _one(con, "SELECT dataset_id FROM datasets WHERE name = ?", [name])
        if existing:
            raise StoreError(f"a data set named {name!r} already exists in {self.path}; choose another --name")
        con.execute(
            "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [dataset_id, name, source_path, json.dumps(column_mapping), label_set.to_json(), content_hash,
             len(examples), _now()],
        )
        _insert(con, examples, "INSERT INTO examples SELECT ?, example_id, source_row, text, gold, split FROM frame",
                [dataset_id])
        if len(extra_columns):
            _insert(con, extra_columns,
                    "INSERT INTO example_columns SELECT ?, example_id, column_name, value FROM frame", [dataset_id])

    def datasets(self) -> pd.DataFrame:
        return self._query("SELECT dataset_id, name, n_examples, source_path, created_at FROM datasets ORDER BY created_at")

    def dataset(self, name_or_id: str) -> DatasetInfo:
        with self.connect() as con:
            row = _one(con, "SELECT dataset_id, name, source_path, column_mapping, label_set, n_examples, created_at "
                            "FROM datasets WHERE name = ? OR dataset_id = ?", [name_or_id, name_or_id])
        if row is None:
            known = ", ".join(self.datasets()["name"]) or "none"
            raise KeyError(f"no data set {name_or_id!r} in {self.path} (known: {known})")
        return DatasetInfo(row[0], row[1], row[2], json.loads(row[3]), LabelSet.from_json(row[4]), row[5], row[6])

    def examples(self, dataset_id: str, with_text: bool = True) -> pd.DataFrame:
        columns = "example_id, text, gold, split" if with_text else "example_id, gold, split"
        return self._query(f"SELECT {columns} FROM examples WHERE dataset_id = ? ORDER BY source_row", [dataset_id])

    def example_columns(self, dataset_id: str) -> pd.DataFrame:
        """Extra columns, wide: one row per example, one column per user column (values as text)."""
        long = self._query(
            "SELECT example_id, column_name, value FROM example_columns WHERE dataset_id = ?", [dataset_id]
        )
        if long.empty:
            return pd.DataFrame(columns=["example_id"])
        return long.pivot(index="example_id", columns="column_name", values="value").reset_index().rename_axis(None, axis=1)

    # -- teachers and their labels -----------------------------------------------------------

    def register_teacher(self, con, *, teacher_id, name, kind, simulated, config: dict) -> None:
        con.execute(
            "INSERT INTO teachers VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (teacher_id) DO NOTHING",
            [teacher_id, name, kind, simulated, json.dumps(config, sort_keys=True), _now()],
        )

    def ensure_teacher(self, **teacher) -> None:
        with self.transaction() as con:
            self.register_teacher(con, **teacher)

    def recorded_teacher_id(self, dataset_id: str, name: str) -> str:
        with self.connect() as con:
            row = con.execute(
                """SELECT DISTINCT t.teacher_id FROM teachers t JOIN teacher_labels tl USING (teacher_id)
                   WHERE t.kind = 'recorded' AND t.name = ? AND tl.dataset_id = ?""",
                [name, dataset_id],
            ).fetchall()
        if not row:
            raise KeyError(f"no recorded teacher {name!r} was imported with this data set; import it with --llm-label {name}=COLUMN")
        return row[0][0]

    def teachers(self) -> pd.DataFrame:
        return self._query("SELECT teacher_id, name, kind, simulated, config, created_at FROM teachers ORDER BY created_at")

    def dataset_teachers(self, dataset_id: str) -> pd.DataFrame:
        """The teachers that labeled a data set, with how many labels and whether any carries probabilities."""
        return self._query(
            """SELECT t.teacher_id, t.name, t.kind, t.simulated, count(*) AS n_labels, count(l.probs) AS n_probs
               FROM teacher_labels l JOIN teachers t USING (teacher_id) WHERE l.dataset_id = ?
               GROUP BY ALL ORDER BY t.name, t.teacher_id""", [dataset_id])

    def labeled_example_ids(self, teacher_id: str, dataset_id: str) -> set[str]:
        with self.connect() as con:
            rows = con.execute(
                "SELECT example_id FROM teacher_labels WHERE teacher_id = ? AND dataset_id = ?", [teacher_id, dataset_id]
            ).fetchall()
        return {r[0] for r in rows}

    def write_teacher_labels(self, labels: pd.DataFrame, con=None) -> None:
        """Rows with the columns of teacher_labels but created_at. A label already stored is kept, never duplicated."""
        sql = (
            "INSERT INTO teacher_labels SELECT teacher_id, dataset_id, example_id, label, abstain_reason, probs, "
            "confidence, raw_response, input_tokens, output_tokens, cost_usd, latency_ms, ? FROM frame "
            "ON CONFLICT DO NOTHING"
        )
        if con is not None:
            _insert(con, labels, sql, [_now()])
        else:
            with self.transaction() as own:
                _insert(own, labels, sql, [_now()])

    def teacher_label_count(self, teacher_id: str, dataset_id: str) -> int:
        with self.connect() as con:
            return _one(con, "SELECT count(*) FROM teacher_labels WHERE teacher_id = ? AND dataset_id = ?",
                        [teacher_id, dataset_id])[0]

    def teacher_answers_by_example(self, teacher_id: str, dataset_id: str) -> pd.DataFrame:
        """A teacher's label and probabilities per example, indexed by example id: what slices read, without the
        raw responses and costs of `teacher_labels`."""
        return self._query("SELECT example_id, label, probs FROM teacher_labels WHERE teacher_id = ? AND dataset_id = ?",
                           [teacher_id, dataset_id]).set_index("example_id")

    def teacher_labels(self, teacher_id: str, dataset_id: str) -> pd.DataFrame:
        return self._query(
            "SELECT example_id, label, abstain_reason, probs, confidence, raw_response, input_tokens, output_tokens, "
            "cost_usd, latency_ms FROM teacher_labels WHERE teacher_id = ? AND dataset_id = ?",
            [teacher_id, dataset_id],
        )

    def teacher_answers(self, run_id: str, teacher_name: str, example_ids) -> pd.DataFrame:
        """Label, confidence and probabilities of a run's teacher on the given examples (in that order)."""
        frame = pd.DataFrame({"example_id": list(example_ids), "position": range(len(example_ids))})
        with self.connect() as con, _registered(con, frame):
            return con.execute(
                """SELECT f.example_id, tl.label, tl.confidence, tl.probs
                   FROM frame f JOIN runs r ON r.run_id = $run
                   JOIN run_teachers rt ON rt.run_id = r.run_id AND rt.teacher_name = $teacher
                   LEFT JOIN teacher_labels tl ON tl.teacher_id = rt.teacher_id AND tl.dataset_id = r.dataset_id
                        AND tl.example_id = f.example_id
                   ORDER BY f.position""", {"run": run_id, "teacher": teacher_name}).df()

    def teacher_costs(self, run_id: str) -> pd.DataFrame:
        return self._query(
            """SELECT rt.teacher_name, t.kind, t.simulated, count(tl.example_id) AS n_labels,
                      count(tl.label) AS n_labels_answered, coalesce(sum(tl.input_tokens), 0) AS input_tokens,
                      coalesce(sum(tl.output_tokens), 0) AS output_tokens, coalesce(sum(tl.cost_usd), 0) AS cost_usd,
                      avg(tl.latency_ms) AS mean_latency_ms
               FROM run_teachers rt JOIN runs r USING (run_id) JOIN teachers t USING (teacher_id)
               LEFT JOIN teacher_labels tl ON tl.teacher_id = rt.teacher_id AND tl.dataset_id = r.dataset_id
               WHERE rt.run_id = ? GROUP BY ALL ORDER BY rt.teacher_name""",
            [run_id],
        )

    def teacher_label_distribution(self, run_id: str) -> pd.DataFrame:
        return self._query(
            """SELECT rt.teacher_name, coalesce(tl.label, '(no label)') AS label, count(*) AS n
               FROM run_teachers rt JOIN runs r USING (run_id)
               JOIN teacher_labels tl ON tl.teacher_id = rt.teacher_id AND tl.dataset_id = r.dataset_id
               WHERE rt.run_id = ? GROUP BY ALL ORDER BY 1, 2""",
            [run_id],
        )

    def gold_distribution(self, dataset_id: str) -> pd.DataFrame:
        return self._query(
            "SELECT gold AS label, count(*) AS n FROM examples WHERE dataset_id = ? AND gold IS NOT NULL GROUP BY 1 ORDER BY 1",
            [dataset_id],
        )

    # -- the LLM call cache ----------------------------------------------------------------------

    def cached_calls(self, keys: list[str]) -> dict[str, dict]:
        if not keys:
            return {}
        with self.connect() as con:
            rows = con.execute("SELECT cache_key, record FROM llm_calls WHERE cache_key IN (SELECT unnest(?))",
                               [keys]).fetchall()
        return {key: json.loads(record) for key, record in rows}

    def write_calls(self, records: dict[str, dict]) -> None:
        rows = pd.DataFrame({"cache_key": list(records), "record": [json.dumps(r) for r in records.values()]})
        with self.transaction() as con:
            _insert(con, rows, "INSERT INTO llm_calls SELECT cache_key, record, ? FROM frame ON CONFLICT DO NOTHING",
                    [_now()])

    def open_llm_batches(self, provider: str) -> list[tuple[str, list[str]]]:
        with self.connect() as con:
            return [(batch_id, list(keys)) for batch_id, keys in con.execute(
                "SELECT batch_id, cache_keys FROM llm_batches WHERE provider = ? AND ended_at IS NULL "
                "ORDER BY submitted_at", [provider]).fetchall()]

    def add_llm_batch(self, provider: str, batch_id: str, keys: list[str]) -> None:
        with self.transaction() as con:
            con.execute("INSERT INTO llm_batches VALUES (?, ?, ?, ?, NULL)", [batch_id, provider, keys, _now()])

    def end_llm_batch(self, batch_id: str) -> None:
        with self.transaction() as con:
            con.execute("UPDATE llm_batches SET ended_at = ? WHERE batch_id = ?", [_now(), batch_id])

    # -- slices ---------------------------------------------------------------------------------

    def slice_fingerprints(self, dataset_id: str) -> dict[str, str]:
        with self.connect() as con:
            return dict(con.execute("SELECT slicer, fingerprint FROM slicers WHERE dataset_id = ?", [dataset_id]).fetchall())

    def write_slices(self, dataset_id: str, slicer: str, fingerprint: str, rows: pd.DataFrame) -> None:
        """Replaces what `slicer` stored before with `rows` (example_id, slice, score, bucket), in one transaction."""
        with self.transaction() as con:
            con.execute("DELETE FROM slices WHERE dataset_id = ? AND slice IN (SELECT unnest(slices) FROM slicers "
                        "WHERE dataset_id = ? AND slicer = ?)", [dataset_id, dataset_id, slicer])
            con.execute("DELETE FROM slices WHERE dataset_id = ? AND slice IN (SELECT unnest(?))",
                        [dataset_id, sorted(rows["slice"].unique())])
            _insert(con, rows[["example_id", "slice", "score", "bucket"]],
                    "INSERT INTO slices SELECT ?, example_id, slice, score, bucket FROM frame", [dataset_id])
            con.execute("INSERT OR REPLACE INTO slicers VALUES (?, ?, ?, ?, ?)",
                        [dataset_id, slicer, fingerprint, sorted(rows["slice"].unique()), _now()])

    def slices(self, dataset_id: str) -> pd.DataFrame:
        return self._query("SELECT example_id, slice, score, bucket FROM slices WHERE dataset_id = ? ORDER BY slice, example_id",
                           [dataset_id])

    def slice_names(self, dataset_id: str) -> pd.DataFrame:
        """Each stored slice with the slicer that wrote it."""
        return self._query("SELECT unnest(slices) AS slice, slicer FROM slicers WHERE dataset_id = ? ORDER BY slice",
                           [dataset_id])

    # -- taxonomies -----------------------------------------------------------------------------

    def write_taxonomy(self, taxonomy_id: str, source: str, method: str, labels: list[dict], provenance: dict) -> None:
        with self.transaction() as con:
            con.execute("INSERT INTO taxonomies VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [taxonomy_id, source, method, json.dumps(labels), json.dumps(provenance, default=str), _now()])

    def taxonomies(self) -> pd.DataFrame:
        frame = self._query("SELECT taxonomy_id, source, method, labels, provenance, created_at FROM taxonomies "
                            "ORDER BY created_at DESC")
        for column in ("labels", "provenance"):
            frame[column] = frame[column].map(json.loads)
        return frame

    # -- embeddings --------------------------------------------------------------------------

    def embeddings(self, dataset_id: str, model: str) -> pd.DataFrame:
        return self._query(
            "SELECT example_id, vector FROM embeddings WHERE dataset_id = ? AND model = ?", [dataset_id, model]
        )

    def write_embeddings(self, dataset_id: str, model: str, example_ids, vectors) -> None:
        rows = pd.DataFrame({"example_id": list(example_ids), "vector": [v.tolist() for v in vectors]})
        with self.transaction() as con:
            _insert(con, rows, "INSERT INTO embeddings SELECT ?, example_id, ?, vector FROM frame ON CONFLICT DO NOTHING",
                    [dataset_id, model])

    # -- runs --------------------------------------------------------------------------------

    def start_run(self, *, run_id, name, dataset_id, config: dict, code_version, teachers: dict[str, str]) -> str:
        """Creates the run, or reopens an unfinished one with the same id. Returns its status before this call."""
        with self.transaction() as con:
            row = _one(con, "SELECT status FROM runs WHERE run_id = ?", [run_id])
            if row is None:
                con.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, 'running', NULL, NULL, ?, NULL)",
                    [run_id, name, dataset_id, json.dumps(config, sort_keys=True), code_version, _now()],
                )
                for teacher_name, teacher_id in teachers.items():
                    con.execute("INSERT INTO run_teachers VALUES (?, ?, ?)", [run_id, teacher_name, teacher_id])
                return "new"
            if row[0] != "finished":
                con.execute("UPDATE runs SET status = 'running', error = NULL WHERE run_id = ?", [run_id])
            return row[0]

    def finish_run(self, run_id: str, status: str, timings: dict | None = None, error: str | None = None) -> None:
        with self.transaction() as con:
            con.execute(
                "UPDATE runs SET status = ?, error = ?, timings = ?, finished_at = ? WHERE run_id = ?",
                [status, error, json.dumps(timings or {}), _now(), run_id],
            )

    def runs(self) -> pd.DataFrame:
        return self._query(
            """SELECT r.run_id, r.name, d.name AS dataset, r.status, r.created_at, r.finished_at, r.code_version,
                      r.config, r.timings, r.error,
                      (SELECT string_agg(teacher_name, ', ' ORDER BY teacher_name) FROM run_teachers rt
                       WHERE rt.run_id = r.run_id) AS teachers
               FROM runs r JOIN datasets d USING (dataset_id) ORDER BY r.created_at"""
        )

    def run(self, run_id: str) -> dict:
        frame = self._query(
            "SELECT r.*, d.name AS dataset FROM runs r JOIN datasets d USING (dataset_id) WHERE run_id = ?", [run_id]
        )
        if frame.empty:
            raise KeyError(f"no run {run_id!r} in {self.path}")
        record = frame.iloc[0].to_dict()
        record["config"] = json.loads(record["config"])
        record["timings"] = json.loads(record["timings"]) if record["timings"] else {}
        return record

    def run_teachers(self, run_id: str) -> pd.DataFrame:
        return self._query(
            """SELECT rt.teacher_name, rt.teacher_id, t.kind, t.simulated, t.config
               FROM run_teachers rt JOIN teachers t USING (teacher_id) WHERE rt.run_id = ? ORDER BY 1""",
            [run_id],
        )

    # -- fits and summaries ------------------------------------------------------------------

    def finished_fits(self, run_id: str) -> set[tuple[str, str, int, int]]:
        with self.connect() as con:
            rows = con.execute(
                "SELECT trained_on, label_mode, size, seed FROM fits WHERE run_id = ?", [run_id]
            ).fetchall()
        return {tuple(r) for r in rows}

    def write_fit(self, fit: dict, predictions: pd.DataFrame) -> None:
        """One student fit and its test predictions, atomically, so a resumed run never sees half a fit."""
        key = [fit["run_id"], fit["trained_on"], fit["label_mode"], fit["size"], fit["seed"]]
        with self.transaction() as con:
            _insert(con, pd.DataFrame([fit]),
                    "INSERT INTO fits SELECT run_id, trained_on, label_mode, size, seed, n_train, n_test, accuracy, "
                    "accuracy_lo, accuracy_hi, macro_f1, macro_f1_lo, macro_f1_hi, seconds FROM frame")
            _insert(con, predictions,
                    "INSERT INTO predictions SELECT ?, ?, ?, ?, ?, example_id, predicted, confidence FROM frame", key)

    def fits(self, run_id: str) -> pd.DataFrame:
        return self._query(
            "SELECT * EXCLUDE (run_id) FROM fits WHERE run_id = ? ORDER BY trained_on, label_mode, size, seed", [run_id]
        )

    def predictions(self, run_id: str, trained_on: str | None = None, label_mode: str | None = None) -> pd.DataFrame:
        return self._query(
            """SELECT trained_on, label_mode, size, seed, example_id, predicted, confidence FROM predictions
               WHERE run_id = ? AND (? IS NULL OR trained_on = ?) AND (? IS NULL OR label_mode = ?)
               ORDER BY trained_on, label_mode, size, seed, example_id""",
            [run_id, trained_on, trained_on, label_mode, label_mode],
        )

    def write_summary(self, run_id: str, teacher_scores: pd.DataFrame, curve: pd.DataFrame,
                      comparisons: pd.DataFrame) -> None:
        """Replaces a run's aggregate tables in one transaction."""
        with self.transaction() as con:
            for table, frame in (("teacher_scores", teacher_scores), ("curve_points", curve), ("comparisons", comparisons)):
                con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
                if len(frame):
                    columns = ", ".join(c[0] for c in con.execute(f"DESCRIBE {table}").fetchall())
                    _insert(con, frame.assign(run_id=run_id), f"INSERT INTO {table} SELECT {columns} FROM frame")

    def teacher_scores(self, run_id: str) -> pd.DataFrame:
        return self._query("SELECT * EXCLUDE (run_id) FROM teacher_scores WHERE run_id = ? ORDER BY teacher_name", [run_id])

    def curve(self, run_id: str) -> pd.DataFrame:
        return self._query(
            "SELECT * EXCLUDE (run_id) FROM curve_points WHERE run_id = ? ORDER BY trained_on, label_mode, metric, size",
            [run_id],
        )

    def comparisons(self, run_id: str) -> pd.DataFrame:
        return self._query(
            "SELECT * EXCLUDE (run_id) FROM comparisons WHERE run_id = ? ORDER BY teacher_name, label_mode, metric, versus, size",
            [run_id],
        )

    # -- per-example views: student predictions everywhere, the map, clusters ------------------

    def example_prediction_teachers(self, run_id: str) -> set[str]:
        with self.connect() as con:
            rows = con.execute("SELECT DISTINCT teacher_name FROM example_predictions WHERE run_id = ?", [run_id]).fetchall()
        return {r[0] for r in rows}

    def write_example_predictions(self, run_id: str, teacher_name: str, views: pd.DataFrame) -> None:
        with self.transaction() as con:
            _insert(con, views, "INSERT INTO example_predictions SELECT ?, ?, example_id, role, predicted, confidence, "
                    "probs FROM frame", [run_id, teacher_name])

    def has_projection(self, dataset_id: str, method: str) -> bool:
        with self.connect() as con:
            return _one(con, "SELECT count(*) FROM projections WHERE dataset_id = ? AND method = ?",
                        [dataset_id, method])[0] > 0

    def write_projection(self, dataset_id: str, method: str, points: pd.DataFrame) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM projections WHERE dataset_id = ? AND method = ?", [dataset_id, method])
            _insert(con, points, "INSERT INTO projections SELECT ?, example_id, ?, x, y FROM frame", [dataset_id, method])

    def write_clusters(self, run_id: str, teacher_name: str, assignments: pd.DataFrame, terms: pd.DataFrame) -> None:
        with self.transaction() as con:
            for table in ("clusters", "cluster_terms"):
                con.execute(f"DELETE FROM {table} WHERE run_id = ? AND teacher_name = ?", [run_id, teacher_name])
            _insert(con, assignments, "INSERT INTO clusters SELECT ?, ?, example_id, cluster FROM frame",
                    [run_id, teacher_name])
            _insert(con, terms, "INSERT INTO cluster_terms SELECT ?, ?, cluster, terms FROM frame", [run_id, teacher_name])

    def example_view(self, run_id: str, teacher_name: str, method: str | None = None, *, sample: int | None = None,
                     queue: str | None = None, role: str | None = None, clusters: list[int] | None = None,
                     slice_column: str | None = None, slice_values: list[str] | None = None,
                     include_reviewed: bool = True, limit: int | None = None) -> pd.DataFrame:
        """One row per example: text, gold, teacher answer, the student's held-out prediction, map position,
        cluster, verdict count and whether it was picked by hand; `total` counts all matching rows.
        `sample` draws that many rows at random (the map); `queue` names a stored ranking strategy and orders
        by it (examples picked by hand first) with its `reason`; the other arguments filter."""
        filters, params = ["TRUE"], {"run": run_id, "teacher": teacher_name, "method": method, "strategy": queue}
        if queue:
            filters.append("queue_rank IS NOT NULL")
        if role:
            filters.append("role = $role")
            params["role"] = role
        if clusters:
            filters.append("cluster IN (SELECT unnest($clusters))")
            params["clusters"] = [int(c) for c in clusters]
        if slice_column and slice_values:
            filters.append("example_id IN (SELECT example_id FROM example_columns WHERE dataset_id = "
                           "(SELECT dataset_id FROM runs WHERE run_id = $run) AND column_name = $column "
                           "AND value IN (SELECT unnest($values)))")
            params.update(column=slice_column, values=[str(v) for v in slice_values])
        if not include_reviewed:
            filters.append("n_verdicts = 0")
        order = "ORDER BY (pinned_from IS NULL), queue_rank, example_id" if queue else ""
        tail = f"USING SAMPLE {int(sample)} ROWS (reservoir, 0)" if sample else ""
        if limit:
            tail += f" LIMIT {int(limit)}"
        return self._query(
            f"""WITH run AS (SELECT dataset_id FROM runs WHERE run_id = $run),
                reviewed AS (SELECT example_id, count(*) AS n FROM verdicts WHERE dataset_id = (SELECT dataset_id FROM run)
                             GROUP BY 1),
                view AS (
                SELECT ep.example_id, e.text, e.gold, ep.role, tl.label AS teacher_label,
                       tl.confidence AS teacher_confidence, tl.abstain_reason, ep.predicted AS student_label,
                       ep.confidence AS student_confidence, ep.probs AS student_probs, tl.probs AS teacher_probs,
                       pr.x, pr.y, cl.cluster, coalesce(reviewed.n, 0) AS n_verdicts, pin.source AS pinned_from,
                       rk.rank AS queue_rank, rk.reason AS queue_reason
                FROM example_predictions ep
                JOIN run_teachers rt ON rt.run_id = ep.run_id AND rt.teacher_name = ep.teacher_name
                JOIN examples e ON e.dataset_id = (SELECT dataset_id FROM run) AND e.example_id = ep.example_id
                LEFT JOIN teacher_labels tl ON tl.teacher_id = rt.teacher_id AND tl.dataset_id = e.dataset_id
                     AND tl.example_id = ep.example_id
                LEFT JOIN projections pr ON pr.dataset_id = e.dataset_id AND pr.example_id = ep.example_id AND pr.method = $method
                LEFT JOIN clusters cl ON cl.run_id = ep.run_id AND cl.teacher_name = ep.teacher_name AND cl.example_id = ep.example_id
                LEFT JOIN pinned pin ON pin.dataset_id = e.dataset_id AND pin.example_id = ep.example_id
                LEFT JOIN reviewed ON reviewed.example_id = ep.example_id
                LEFT JOIN rankings rk ON rk.run_id = ep.run_id AND rk.teacher_name = ep.teacher_name
                     AND rk.example_id = ep.example_id AND rk.strategy = $strategy
                WHERE ep.run_id = $run AND ep.teacher_name = $teacher)
               SELECT *, count(*) OVER () AS total FROM view WHERE {" AND ".join(filters)} {order} {tail}""",
            params,
        )

    def write_rankings(self, run_id: str, teacher_name: str, rankings: dict[str, pd.DataFrame]) -> None:
        """Replaces a teacher's rankings, one frame (best first) per strategy, in one transaction."""
        rows = pd.concat([ranked.assign(strategy=name, rank=range(1, len(ranked) + 1)) for name, ranked in rankings.items()],
                         ignore_index=True)
        with self.transaction() as con:
            con.execute("DELETE FROM rankings WHERE run_id = ? AND teacher_name = ?", [run_id, teacher_name])
            _insert(con, rows, "INSERT INTO rankings SELECT ?, ?, strategy, example_id, rank, score, reason FROM frame",
                    [run_id, teacher_name])

    def ranking_strategies(self, run_id: str, teacher_name: str) -> list[str]:
        with self.connect() as con:
            rows = con.execute("SELECT DISTINCT strategy FROM rankings WHERE run_id = ? AND teacher_name = ? ORDER BY 1",
                               [run_id, teacher_name]).fetchall()
        return [r[0] for r in rows]

    def write_budget_curve(self, run_id: str, teacher_name: str, summary: pd.DataFrame) -> None:
        rows = summary.astype({"checks_to_half_gap": "Int64"})
        with self.transaction() as con:
            con.execute("DELETE FROM budget_curves WHERE run_id = ? AND teacher_name = ?", [run_id, teacher_name])
            _insert(con, rows, """INSERT INTO budget_curves SELECT ?, ?, strategy, budget, accuracy, lo, hi, label_error,
                           precision, n_seeds, n_test, gold_accuracy, checks_to_half_gap FROM frame""",
                        [run_id, teacher_name])

    def budget_curve(self, run_id: str, teacher_name: str) -> pd.DataFrame:
        return self._query("SELECT * EXCLUDE (run_id, teacher_name) FROM budget_curves WHERE run_id = ? AND teacher_name = ? "
                           "ORDER BY strategy, budget", [run_id, teacher_name])

    def has_clusters(self, run_id: str) -> bool:
        with self.connect() as con:
            return _one(con, "SELECT count(*) FROM clusters WHERE run_id = ?", [run_id])[0] > 0

    def cluster_terms(self, run_id: str, teacher_name: str) -> pd.DataFrame:
        return self._query("SELECT cluster, terms FROM cluster_terms WHERE run_id = ? AND teacher_name = ? ORDER BY cluster",
                           [run_id, teacher_name])

    # -- slices --------------------------------------------------------------------------------

    def slice_columns(self, dataset_id: str) -> pd.DataFrame:
        """Each user column with its number of distinct values and whether all values are numbers."""
        return self._query(
            """SELECT column_name, count(DISTINCT value) AS n_values,
                      bool_and(TRY_CAST(value AS DOUBLE) IS NOT NULL) AS numeric
               FROM example_columns WHERE dataset_id = ? GROUP BY 1 ORDER BY 1""",
            [dataset_id],
        )

    def column_values(self, dataset_id: str, column: str, limit: int = 500) -> list[str]:
        with self.connect() as con:
            rows = con.execute("SELECT DISTINCT value FROM example_columns WHERE dataset_id = ? AND column_name = ? "
                               "ORDER BY 1 LIMIT ?", [dataset_id, column, limit]).fetchall()
        return [r[0] for r in rows]

    def quantile_edges(self, dataset_id: str, column: str, buckets: int = 4) -> list[float]:
        with self.connect() as con:
            edges = _one(con, "SELECT quantile_cont(TRY_CAST(value AS DOUBLE), ?) FROM example_columns "
                              "WHERE dataset_id = ? AND column_name = ?",
                         [[i / buckets for i in range(1, buckets)], dataset_id, column])[0]
        return sorted(set(edges or []))

    def slice_errors(self, run_id: str, teacher_name: str, label_mode: str, slice_by: str,
                     column: str | None = None, edges: list[float] | None = None) -> pd.DataFrame:
        """Per bucket of test examples: n, teacher error, errors of the students (teacher-trained, gold-trained)
        at their largest training size averaged over seeds, and the inheritance conditionals.
        `slice_by`: 'column' (a user column's values), 'quantile' (a numeric user column cut at `edges`),
        'stored' (a computed slice's buckets), 'gold' (the human label) or 'teacher_label'."""
        if slice_by == "quantile":
            cases = " ".join(f"WHEN TRY_CAST(c.value AS DOUBLE) <= {float(edge)!r} THEN '{i + 1}: <= {float(edge):g}'"
                             for i, edge in enumerate(edges))
            bucket_sql = f"CASE WHEN c.value IS NULL THEN '(missing)' {cases} ELSE '{len(edges) + 1}: > {float(edges[-1]):g}' END"
        else:
            bucket_sql = {"column": "coalesce(nullif(c.value, ''), '(empty)')", "gold": "e.gold",
                          "teacher_label": "coalesce(t.label, '(no label)')",
                          "stored": "coalesce(sl.bucket, '(not computed)')"}[slice_by]
        return self._query(
            f"""WITH run AS (SELECT dataset_id FROM runs WHERE run_id = $run),
                largest AS (SELECT trained_on, label_mode, max(size) AS size FROM fits WHERE run_id = $run GROUP BY ALL),
                errors AS (  -- per example, how often each of the two students is wrong over seeds
                    SELECT p.trained_on, p.example_id, avg((p.predicted <> e.gold)::DOUBLE) AS wrong
                    FROM predictions p JOIN largest l USING (trained_on, label_mode, size)
                    JOIN examples e ON e.dataset_id = (SELECT dataset_id FROM run) AND e.example_id = p.example_id
                    WHERE p.run_id = $run AND ((p.trained_on = $teacher AND p.label_mode = $mode) OR p.trained_on = 'gold')
                    GROUP BY 1, 2),
                student AS (SELECT example_id, wrong FROM errors WHERE trained_on = $teacher),
                gold_student AS (SELECT example_id, wrong FROM errors WHERE trained_on = 'gold'),
                rows AS (
                    SELECT {bucket_sql} AS bucket, (t.label IS DISTINCT FROM e.gold)::DOUBLE AS teacher_wrong,
                           s.wrong AS student_wrong, g.wrong AS gold_student_wrong
                    FROM student s
                    JOIN examples e ON e.dataset_id = (SELECT dataset_id FROM run) AND e.example_id = s.example_id
                    JOIN run_teachers rt ON rt.run_id = $run AND rt.teacher_name = $teacher
                    LEFT JOIN teacher_labels t ON t.teacher_id = rt.teacher_id AND t.dataset_id = e.dataset_id
                         AND t.example_id = s.example_id
                    LEFT JOIN example_columns c ON c.dataset_id = e.dataset_id AND c.example_id = s.example_id
                         AND c.column_name = $column
                    LEFT JOIN slices sl ON sl.dataset_id = e.dataset_id AND sl.example_id = s.example_id
                         AND sl.slice = $column
                    LEFT JOIN gold_student g ON g.example_id = s.example_id)
               SELECT bucket, count(*) AS n, avg(teacher_wrong) AS teacher_error, avg(student_wrong) AS student_error,
                      avg(gold_student_wrong) AS gold_student_error,
                      sum(teacher_wrong)::INTEGER AS n_teacher_wrong,
                      avg(student_wrong) FILTER (WHERE teacher_wrong = 1) AS student_wrong_if_teacher_wrong,
                      avg(student_wrong) FILTER (WHERE teacher_wrong = 0) AS student_wrong_if_teacher_right
               FROM rows GROUP BY bucket ORDER BY bucket""",
            {"run": run_id, "teacher": teacher_name, "mode": label_mode, "column": column},
        )

    # -- human verdicts ----------------------------------------------------------------------

    def add_verdicts(self, dataset_id: str, verdicts: pd.DataFrame) -> int:
        """Adds verdicts (verdict_id, example_id, reviewer, verdict, label, note) in one transaction, skipping
        ids already stored; returns how many were new."""
        with self.transaction() as con:
            before = _one(con, "SELECT count(*) FROM verdicts WHERE dataset_id = ?", [dataset_id])[0]
            _insert(con, verdicts.astype(object), "INSERT INTO verdicts SELECT verdict_id, ?, example_id, reviewer, "
                    "verdict, label, note, ? FROM frame ON CONFLICT DO NOTHING", [dataset_id, _now()])
            return _one(con, "SELECT count(*) FROM verdicts WHERE dataset_id = ?", [dataset_id])[0] - before

    def pin(self, dataset_id: str, example_ids, source: str) -> None:
        rows = pd.DataFrame({"example_id": list(example_ids)})
        with self.transaction() as con:
            _insert(con, rows, "INSERT INTO pinned SELECT ?, example_id, ?, ? FROM frame ON CONFLICT DO NOTHING",
                        [dataset_id, source, _now()])

    def verdicts(self, dataset_id: str) -> pd.DataFrame:
        return self._query(
            """SELECT v.verdict_id, v.example_id, e.text, v.reviewer, v.verdict, v.label, v.note, v.created_at
               FROM verdicts v JOIN examples e USING (dataset_id, example_id)
               WHERE v.dataset_id = ? ORDER BY v.created_at""",
            [dataset_id],
        )
