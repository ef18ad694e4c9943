"""Human review: verdicts, examples picked by hand for the queue, stored rankings and budget curves (per fold and summarized)."""
from __future__ import annotations

import pandas as pd

from core.store.database import Database, now

# a budget curve's per-fold scores, as `budget_fold_scores` returns them
BUDGET_FOLD_COLUMNS = ["strategy", "budget", "repeat", "fold", "n_checks", "n_pool", "n_test", "accuracy",
                       "gold_accuracy"]


class ReviewTables(Database):
    def add_verdicts(self, dataset_id: str, verdicts: pd.DataFrame) -> int:
        """Adds verdicts (verdict_id, example_id, reviewer, verdict, label, note) in one transaction, skipping
        ids already stored; returns how many were new."""
        count = "SELECT count(*) FROM verdicts WHERE dataset_id = ?"
        with self.transaction():
            before = self.scalar(count, [dataset_id])
            self.insert_frame(verdicts.astype(object), "INSERT INTO verdicts SELECT verdict_id, ?, example_id, reviewer, "
                              "verdict, label, note, ? FROM frame ON CONFLICT DO NOTHING", [dataset_id, now()])
            return self.scalar(count, [dataset_id]) - before

    def verdicts(self, dataset_id: str) -> pd.DataFrame:
        return self.query("""SELECT v.verdict_id, v.example_id, e.text, v.reviewer, v.verdict, v.label, v.note, v.created_at
                             FROM verdicts v JOIN examples e USING (dataset_id, example_id)
                             WHERE v.dataset_id = ? ORDER BY v.created_at""", [dataset_id])

    def pin(self, dataset_id: str, example_ids, source: str) -> None:
        self.insert_frame(pd.DataFrame({"example_id": list(example_ids)}),
                          "INSERT INTO pinned SELECT ?, example_id, ?, ? FROM frame ON CONFLICT DO NOTHING",
                          [dataset_id, source, now()])

    def review_marks(self, dataset_id: str) -> tuple[dict[str, int], dict[str, str]]:
        """Verdicts per example and the examples picked by hand (example -> where): what changes a stored queue
        after it was computed."""
        counts = dict(self.rows("SELECT example_id, count(*) FROM verdicts WHERE dataset_id = ? GROUP BY 1", [dataset_id]))
        picked = dict(self.rows("SELECT example_id, min(source) FROM pinned WHERE dataset_id = ? GROUP BY 1", [dataset_id]))
        return counts, picked

    def reviewed_in_ranking(self, run_id: str, teacher_name: str, strategy: str) -> int:
        return self.scalar("""SELECT count(DISTINCT v.example_id) FROM verdicts v JOIN runs r USING (dataset_id)
                              JOIN rankings rk ON rk.run_id = r.run_id AND rk.example_id = v.example_id
                              WHERE r.run_id = ? AND rk.teacher_name = ? AND rk.strategy = ?""",
                           [run_id, teacher_name, strategy])

    def write_rankings(self, run_id: str, teacher_name: str, rankings: dict[str, pd.DataFrame]) -> None:
        """Replaces a teacher's rankings, one frame (best first) per strategy, in one transaction."""
        rows = pd.concat([ranked.assign(strategy=name, rank=range(1, len(ranked) + 1)) for name, ranked in rankings.items()],
                         ignore_index=True)
        with self.transaction():
            self.execute("DELETE FROM rankings WHERE run_id = ? AND teacher_name = ?", [run_id, teacher_name])
            self.insert_frame(rows, "INSERT INTO rankings SELECT ?, ?, strategy, example_id, rank, score, reason FROM frame",
                              [run_id, teacher_name])

    def ranking_strategies(self, run_id: str, teacher_name: str) -> list[str]:
        return [r[0] for r in self.rows("SELECT DISTINCT strategy FROM rankings WHERE run_id = ? AND teacher_name = ? "
                                        "ORDER BY 1", [run_id, teacher_name])]

    def write_budget_folds(self, run_id: str, teacher_name: str, frame: pd.DataFrame,
                           left_out: dict[str, str] | None = None) -> None:
        """Replaces a teacher's per-fold budget scores (`BUDGET_FOLD_COLUMNS`) and the strategies left out of
        them with why, in one transaction."""
        reasons = pd.DataFrame({"strategy": list(left_out or {}), "reason": list((left_out or {}).values())})
        with self.transaction():
            for table in ("budget_fold_scores", "budget_left_out"):
                self.execute(f"DELETE FROM {table} WHERE run_id = ? AND teacher_name = ?", [run_id, teacher_name])
            self.insert_frame(frame[BUDGET_FOLD_COLUMNS], "INSERT INTO budget_fold_scores SELECT ?, ?, * FROM frame",
                              [run_id, teacher_name])
            if len(reasons):
                self.insert_frame(reasons, "INSERT INTO budget_left_out SELECT ?, ?, strategy, reason FROM frame",
                                  [run_id, teacher_name])

    def budget_fold_scores(self, run_id: str, teacher_name: str) -> pd.DataFrame:
        """Per strategy, budget, repeat and fold: checks made, training and test rows, the student's accuracy
        (mean over seeds) and the gold-trained student's; empty (with those columns) when none are stored."""
        return self.query(f"SELECT {', '.join(BUDGET_FOLD_COLUMNS)} FROM budget_fold_scores WHERE run_id = ? "
                          "AND teacher_name = ? ORDER BY strategy, budget, repeat, fold", [run_id, teacher_name])

    def budget_left_out(self, run_id: str, teacher_name: str) -> dict[str, str]:
        """The strategies a budget curve could not measure, and why."""
        return dict(self.rows("SELECT strategy, reason FROM budget_left_out WHERE run_id = ? AND teacher_name = ? "
                              "ORDER BY 1", [run_id, teacher_name]))

    def write_budget_curve(self, run_id: str, teacher_name: str, summary: pd.DataFrame) -> None:
        """Replaces a teacher's budget summary (`summarize_budget`'s columns, matched by name)."""
        with self.transaction():
            self.execute("DELETE FROM budget_curves WHERE run_id = ? AND teacher_name = ?", [run_id, teacher_name])
            self.insert_frame(summary, "INSERT INTO budget_curves BY NAME SELECT ? AS run_id, ? AS teacher_name, * "
                              "FROM frame", [run_id, teacher_name])

    def budget_curve(self, run_id: str, teacher_name: str) -> pd.DataFrame:
        return self.query("SELECT * EXCLUDE (run_id, teacher_name) FROM budget_curves WHERE run_id = ? "
                          "AND teacher_name = ? ORDER BY strategy, budget", [run_id, teacher_name])
