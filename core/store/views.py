"""The per-example and per-teacher reads the pages and the review stage need, each one query."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.store.database import Database


@dataclass(frozen=True)
class ExampleFilter:
    """Which examples of a run's view to keep: a role (train or test), map clusters, the values of a user
    column, particular examples, and whether examples that already have a verdict stay."""

    role: str | None = None
    example_ids: tuple[str, ...] = ()
    clusters: tuple[int, ...] = ()
    slice_column: str | None = None
    slice_values: tuple[str, ...] = ()
    include_reviewed: bool = True


def _bucket_sql(slice_by: str, edges: list[float] | None) -> str:
    if slice_by == "quantile":
        edges = edges or []
        cases = " ".join(f"WHEN TRY_CAST(c.value AS DOUBLE) <= {float(edge)!r} THEN '{i + 1}: <= {float(edge):g}'"
                         for i, edge in enumerate(edges))
        return f"CASE WHEN c.value IS NULL THEN '(missing)' {cases} ELSE '{len(edges) + 1}: > {float(edges[-1]):g}' END"
    return {"column": "coalesce(nullif(c.value, ''), '(empty)')", "gold": "e.gold",
            "teacher_label": "coalesce(t.label, '(no label)')", "stored": "coalesce(sl.bucket, '(not computed)')"}[slice_by]


class PageQueries(Database):
    def example_view(self, run_id: str, teacher_name: str, method: str | None = None, *,
                     where: ExampleFilter = ExampleFilter(), queue: str | None = None, sample: int | None = None,
                     limit: int | None = None) -> pd.DataFrame:
        """One row per example: text, gold, teacher answer, the student's held-out prediction, map position
        (`method`), cluster, verdict count and whether it was picked by hand; `total` counts all matching rows.
        `queue` names a stored ranking strategy and orders by it (examples picked by hand first) with its
        `reason`; `sample` draws that many rows at random (the map)."""
        filters = ["TRUE"]
        params: dict[str, object] = {"run": run_id, "teacher": teacher_name, "method": method, "strategy": queue}
        if queue:
            filters.append("queue_rank IS NOT NULL")
        if where.role:
            filters.append("role = $role")
            params["role"] = where.role
        if where.example_ids:
            filters.append("example_id IN (SELECT unnest($ids))")
            params["ids"] = list(where.example_ids)
        if where.clusters:
            filters.append("cluster IN (SELECT unnest($clusters))")
            params["clusters"] = [int(c) for c in where.clusters]
        if where.slice_column and where.slice_values:
            filters.append("example_id IN (SELECT example_id FROM example_columns WHERE dataset_id = "
                           "(SELECT dataset_id FROM runs WHERE run_id = $run) AND column_name = $column "
                           "AND value IN (SELECT unnest($values)))")
            params.update(column=where.slice_column, values=[str(v) for v in where.slice_values])
        if not where.include_reviewed:
            filters.append("n_verdicts = 0")
        order = "ORDER BY (pinned_from IS NULL), queue_rank, example_id" if queue else ""
        tail = f"USING SAMPLE {int(sample)} ROWS (reservoir, 0)" if sample else ""
        if limit:
            tail += f" LIMIT {int(limit)}"
        return self.query(
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
            params)

    def slice_rows(self, run_id: str, teacher_name: str, label_mode: str, reference: str, slice_by: str,
                   column: str | None = None, edges: list[float] | None = None) -> pd.DataFrame:
        """Per test example: its bucket, whether the teacher is wrong, and how often (over seeds, at the largest
        training size) the student trained on the teacher's labels and the one trained on `reference` labels
        are wrong. `slice_by`: 'column' (a user column's values), 'quantile' (a numeric user column cut at
        `edges`), 'stored' (a computed slice's buckets), 'gold' (the human label) or 'teacher_label'."""
        return self.query(
            f"""WITH run AS (SELECT dataset_id FROM runs WHERE run_id = $run),
                largest AS (SELECT trained_on, label_mode, max(size) AS size FROM fits WHERE run_id = $run GROUP BY ALL),
                errors AS (
                    SELECT p.trained_on, p.example_id, avg((p.predicted <> e.gold)::DOUBLE) AS wrong
                    FROM predictions p JOIN largest l USING (trained_on, label_mode, size)
                    JOIN examples e ON e.dataset_id = (SELECT dataset_id FROM run) AND e.example_id = p.example_id
                    WHERE p.run_id = $run AND ((p.trained_on = $teacher AND p.label_mode = $mode) OR p.trained_on = $reference)
                    GROUP BY 1, 2)
               SELECT s.example_id, {_bucket_sql(slice_by, edges)} AS bucket,
                      (t.label IS DISTINCT FROM e.gold)::DOUBLE AS teacher_wrong,
                      s.wrong AS student_wrong, g.wrong AS reference_wrong
               FROM errors s
               JOIN examples e ON e.dataset_id = (SELECT dataset_id FROM run) AND e.example_id = s.example_id
               JOIN run_teachers rt ON rt.run_id = $run AND rt.teacher_name = $teacher
               LEFT JOIN teacher_labels t ON t.teacher_id = rt.teacher_id AND t.dataset_id = e.dataset_id
                    AND t.example_id = s.example_id
               LEFT JOIN example_columns c ON c.dataset_id = e.dataset_id AND c.example_id = s.example_id
                    AND c.column_name = $column
               LEFT JOIN slices sl ON sl.dataset_id = e.dataset_id AND sl.example_id = s.example_id AND sl.slice = $column
               LEFT JOIN errors g ON g.trained_on = $reference AND g.example_id = s.example_id
               WHERE s.trained_on = $teacher AND e.gold IS NOT NULL""",
            {"run": run_id, "teacher": teacher_name, "mode": label_mode, "column": column, "reference": reference})

    def teacher_answers(self, run_id: str, teacher_name: str, example_ids) -> pd.DataFrame:
        """Label, confidence and probabilities of a run's teacher on the given examples (in that order)."""
        frame = pd.DataFrame({"example_id": list(example_ids), "position": range(len(example_ids))})
        with self.connect() as con:
            con.register("frame", frame)
            try:
                return con.execute(
                    """SELECT f.example_id, tl.label, tl.confidence, tl.probs
                       FROM frame f JOIN runs r ON r.run_id = $run
                       JOIN run_teachers rt ON rt.run_id = r.run_id AND rt.teacher_name = $teacher
                       LEFT JOIN teacher_labels tl ON tl.teacher_id = rt.teacher_id AND tl.dataset_id = r.dataset_id
                            AND tl.example_id = f.example_id
                       ORDER BY f.position""", {"run": run_id, "teacher": teacher_name}).df()
            finally:
                con.unregister("frame")

    def teacher_costs(self, run_id: str) -> pd.DataFrame:
        return self.query(
            """SELECT rt.teacher_name, t.kind, t.simulated, count(tl.example_id) AS n_labels,
                      count(tl.label) AS n_labels_answered, coalesce(sum(tl.input_tokens), 0) AS input_tokens,
                      coalesce(sum(tl.output_tokens), 0) AS output_tokens, coalesce(sum(tl.cost_usd), 0) AS cost_usd,
                      avg(tl.latency_ms) AS mean_latency_ms
               FROM run_teachers rt JOIN runs r USING (run_id) JOIN teachers t USING (teacher_id)
               LEFT JOIN teacher_labels tl ON tl.teacher_id = rt.teacher_id AND tl.dataset_id = r.dataset_id
               WHERE rt.run_id = ? GROUP BY ALL ORDER BY rt.teacher_name""", [run_id])

    def teacher_label_distribution(self, run_id: str) -> pd.DataFrame:
        return self.query(
            """SELECT rt.teacher_name, coalesce(tl.label, '(no label)') AS label, count(*) AS n
               FROM run_teachers rt JOIN runs r USING (run_id)
               JOIN teacher_labels tl ON tl.teacher_id = rt.teacher_id AND tl.dataset_id = r.dataset_id
               WHERE rt.run_id = ? GROUP BY ALL ORDER BY 1, 2""", [run_id])
