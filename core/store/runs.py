"""Runs and what they produce: the teachers of a run, each student fit with its test predictions, the
aggregate summaries, and every example's held-out student prediction."""
from __future__ import annotations

import json

import pandas as pd

from core.errors import NotFound
from core.files import lock_is_held
from core.fingerprints import run_config_digest
from core.paths import run_lock_path
from core.store.database import Database, now

# a run's aggregate tables, each with the order its rows are read in
SUMMARY_TABLES = {"teacher_scores": "teacher_name", "curve_points": "trained_on, label_mode, metric, size",
                  "comparisons": "teacher_name, label_mode, metric, versus, size",
                  "class_scores": "teacher_name, label_mode, who, label, metric",
                  "class_differences": "teacher_name, label_mode, label"}


class RunTables(Database):
    def start_run(self, *, run_id, name, dataset_id, config: dict, code_version, teachers: dict[str, str]) -> str:
        """Creates the run, or reopens an unfinished one with the same id. Returns its status before this call."""
        with self.transaction() as con:
            rows = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchall()
            if not rows:
                con.execute("INSERT INTO runs (run_id, name, dataset_id, config, code_version, status, created_at) "
                            "VALUES (?, ?, ?, ?, ?, 'running', ?)",
                            [run_id, name, dataset_id, json.dumps(config, sort_keys=True), code_version, now()])
                for teacher_name, teacher_id in teachers.items():
                    con.execute("INSERT INTO run_teachers VALUES (?, ?, ?)", [run_id, teacher_name, teacher_id])
                return "new"
            # the same identity: only what does not change results (a teacher's price) can differ; keep the latest
            con.execute("UPDATE runs SET config = ? WHERE run_id = ?", [json.dumps(config, sort_keys=True), run_id])
            if rows[0][0] != "finished":
                con.execute("UPDATE runs SET status = 'running', error = NULL WHERE run_id = ?", [run_id])
            return rows[0][0]

    def finish_run(self, run_id: str, status: str, timings: dict | None = None, error: str | None = None,
                   warnings: list[str] | None = None, compute: dict | None = None) -> None:
        """`compute`: where the fits ran and how many tasks went there (`core.compute.Dispatch.record`)."""
        self.execute("UPDATE runs SET status = ?, error = ?, timings = ?, finished_at = ?, warnings = ?, compute = ? "
                     "WHERE run_id = ?", [status, error, json.dumps(timings or {}), now(), json.dumps(warnings or []),
                                          json.dumps(compute) if compute else None, run_id])

    def runs(self) -> pd.DataFrame:
        """Every run; one stored as 'running' whose process is gone (killed: its lock file is free) is
        'interrupted', as a run stopped any other way is, and resumes when its config runs again."""
        runs = self.query(
            """SELECT r.run_id, r.name, d.name AS dataset, r.dataset_id, r.status, r.created_at, r.finished_at, r.code_version,
                      r.config, r.timings, r.error, r.compute,
                      (SELECT string_agg(teacher_name, ', ' ORDER BY teacher_name) FROM run_teachers rt
                       WHERE rt.run_id = r.run_id) AS teachers
               FROM runs r JOIN datasets d USING (dataset_id) ORDER BY r.created_at""")
        gone = [status == "running" and not lock_is_held(run_lock_path(self.path, run_config_digest(json.loads(config))))
                for status, config in zip(runs["status"], runs["config"])]
        runs.loc[gone, "status"] = "interrupted"
        runs.loc[gone, "error"] = "its process ended before the run finished (killed?)"
        return runs

    def run(self, run_id: str) -> dict:
        frame = self.query("SELECT r.*, d.name AS dataset FROM runs r JOIN datasets d USING (dataset_id) WHERE run_id = ?",
                           [run_id])
        if frame.empty:
            raise NotFound(f"no run {run_id!r} in {self.path}")
        record = frame.iloc[0].to_dict()
        record["config"] = json.loads(record["config"])
        record["timings"] = json.loads(record["timings"]) if record["timings"] else {}
        record["warnings"] = json.loads(record["warnings"]) if record["warnings"] else []
        record["evaluation_plan"] = json.loads(record["evaluation_plan"]) if record["evaluation_plan"] else None
        record["compute"] = json.loads(record["compute"]) if record["compute"] else None
        return record

    def write_run_folds(self, run_id: str, plan: dict, assignments: pd.DataFrame) -> None:
        """The evaluation plan a run resolved (`run(run_id)["evaluation_plan"]`) and each row's (repeat, fold)
        (`run_folds`), together. Columns of `assignments`: example_id, repeat, fold, scored."""
        with self.transaction():
            self.execute("UPDATE runs SET evaluation_plan = ? WHERE run_id = ?", [json.dumps(plan, sort_keys=True), run_id])
            self.execute("DELETE FROM run_folds WHERE run_id = ?", [run_id])
            self.insert_frame(assignments, "INSERT INTO run_folds SELECT ?, example_id, repeat, fold, scored FROM frame",
                              [run_id])

    def run_folds(self, run_id: str) -> pd.DataFrame:
        """Each row a fold of the run leaves out of training: example_id, repeat, fold, scored (empty for a run
        stored before runs kept their folds)."""
        return self.query("SELECT example_id, repeat, fold, scored FROM run_folds WHERE run_id = ? "
                          "ORDER BY repeat, fold, example_id", [run_id])

    def find_run(self, name_or_id: str) -> str:
        """A run id, or the name in a run's config for its latest finished run."""
        runs = self.runs()
        if name_or_id in set(runs["run_id"]):
            return name_or_id
        finished = runs[runs["status"] == "finished"]
        named = finished[finished["name"] == name_or_id]
        if named.empty:
            raise NotFound(f"no run with id or name {name_or_id!r} in {self.path} "
                           f"(finished runs: {', '.join(finished['name'].unique()) or 'none'})")
        return str(named.sort_values("created_at")["run_id"].iloc[-1])

    def run_teachers(self, run_id: str) -> pd.DataFrame:
        return self.query("""SELECT rt.teacher_name, rt.teacher_id, t.kind, t.simulated, t.config
                             FROM run_teachers rt JOIN teachers t USING (teacher_id) WHERE rt.run_id = ? ORDER BY 1""",
                          [run_id])

    def run_teacher_id(self, run_id: str, teacher_name: str) -> str:
        """The id of the run's teacher named `teacher_name`; NotFound names the run's teachers."""
        teachers = self.run_teachers(run_id)
        match = teachers.loc[teachers["teacher_name"] == teacher_name, "teacher_id"]
        if match.empty:
            self.run(run_id)  # an unknown run is named as such
            raise NotFound(f"run {run_id} has no teacher {teacher_name!r} (its teachers: {list(teachers['teacher_name'])})")
        return str(match.iloc[0])

    # -- fits ------------------------------------------------------------------------------------

    def finished_fits(self, run_id: str) -> set[tuple]:
        """(trained_on, label_mode, size, seed, repeat, fold) of every stored fit."""
        return {tuple(r) for r in self.rows("SELECT trained_on, label_mode, size, seed, repeat, fold FROM fits "
                                            "WHERE run_id = ?", [run_id])}

    def write_fits(self, fits: list[dict], predictions: list[pd.DataFrame]) -> None:
        """Student fits and their held-out predictions (each frame carrying its fit's key columns), atomically, so a
        resumed run never sees half a fit."""
        with self.transaction():
            self.insert_frame(pd.DataFrame(fits),
                              "INSERT INTO fits SELECT run_id, trained_on, label_mode, size, seed, repeat, fold, n_train, "
                              "n_test, accuracy, macro_f1, n_iter, converged, seconds FROM frame")
            self.insert_frame(pd.concat(predictions, ignore_index=True),
                              "INSERT INTO predictions SELECT run_id, trained_on, label_mode, size, seed, example_id, "
                              "predicted, confidence, repeat, fold FROM frame")

    def fits(self, run_id: str) -> pd.DataFrame:
        return self.query("SELECT * EXCLUDE (run_id) FROM fits WHERE run_id = ? "
                          "ORDER BY trained_on, label_mode, size, seed, repeat, fold", [run_id])

    def predictions(self, run_id: str, trained_on: str | None = None, label_mode: str | None = None) -> pd.DataFrame:
        return self.query(
            """SELECT trained_on, label_mode, size, seed, repeat, fold, example_id, predicted, confidence
               FROM predictions
               WHERE run_id = ? AND (? IS NULL OR trained_on = ?) AND (? IS NULL OR label_mode = ?)
               ORDER BY trained_on, label_mode, size, seed, repeat, fold, example_id""",
            [run_id, trained_on, trained_on, label_mode, label_mode])

    def held_out_folds(self, run_id: str, trained_on: str) -> pd.Series:
        """The fold (of the first repeat) in which each scored gold row was held out, by example id: one fold
        under cross-fitting's partition, fold 0 for every test row of a split run."""
        return self.query("SELECT DISTINCT example_id, fold FROM predictions WHERE run_id = ? AND trained_on = ? "
                          "AND repeat = 0", [run_id, trained_on]).set_index("example_id")["fold"]

    # -- summaries -------------------------------------------------------------------------------

    def write_summary(self, run_id: str, tables: dict[str, pd.DataFrame]) -> None:
        """Replaces a run's aggregate tables (by table name, see SUMMARY_TABLES) in one transaction."""
        with self.transaction() as con:
            for table in SUMMARY_TABLES:
                frame = tables.get(table, pd.DataFrame())
                con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
                if len(frame):
                    columns = ", ".join(c[0] for c in con.execute(f"DESCRIBE {table}").fetchall())
                    self.insert_frame(frame.assign(run_id=run_id), f"INSERT INTO {table} SELECT {columns} FROM frame")

    def _summary(self, run_id: str, table: str) -> pd.DataFrame:
        return self.query(f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = ? ORDER BY {SUMMARY_TABLES[table]}",
                          [run_id])

    def teacher_scores(self, run_id: str) -> pd.DataFrame:
        return self._summary(run_id, "teacher_scores")

    def curve(self, run_id: str) -> pd.DataFrame:
        return self._summary(run_id, "curve_points")

    def comparisons(self, run_id: str) -> pd.DataFrame:
        return self._summary(run_id, "comparisons")

    def class_scores(self, run_id: str) -> pd.DataFrame:
        return self._summary(run_id, "class_scores")

    def class_differences(self, run_id: str) -> pd.DataFrame:
        return self._summary(run_id, "class_differences")

    # -- held-out predictions for every example ----------------------------------------------------

    def example_prediction_teachers(self, run_id: str) -> set[str]:
        return {r[0] for r in self.rows("SELECT DISTINCT teacher_name FROM example_predictions WHERE run_id = ?", [run_id])}

    def write_example_predictions(self, run_id: str, teacher_name: str, views: pd.DataFrame) -> None:
        self.insert_frame(views, "INSERT INTO example_predictions SELECT ?, ?, example_id, role, predicted, confidence, "
                                 "probs FROM frame", [run_id, teacher_name])
