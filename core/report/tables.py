"""The frames behind the Overview and the report, from `run_report`'s dict and the store's teacher tables: what
the forest plot draws, the teachers at a glance, and the statistics folded under the answer."""
from __future__ import annotations

import pandas as pd

from core.report.words import LABEL_MODES, teacher_line, teacher_tags
from core.review.budget import half_gap_words


def headlines_for(report: dict, metric: str) -> list[dict]:
    """The report's headlines in `metric` (all of them when the report states one metric only)."""
    mine = [h for h in report["headlines"] if h.get("metric") == metric]
    return mine or list(report["headlines"])


def say_aloud(sentence: str) -> tuple[str, str]:
    """The report's sentence split into what a person says aloud (up to its first full stop) and the numbers that
    follow it, which the pages fold away."""
    lead, stop, numbers = sentence.partition(". ")
    return (lead + ".", numbers) if stop else (sentence, "")


def who(headline: dict) -> str:
    """A headline's teacher with what it is, and the label mode it taught with."""
    mode = headline["label_mode"]
    return f"{headline['teacher']} ({headline['teacher_tag']}) · {LABEL_MODES.get(mode, f'{mode} labels')}"


def teacher_lines(headlines: list[dict]) -> list[tuple[str, str]]:
    """One (line, tone) per teacher, hard and soft together in points (`words.teacher_line`), in the headlines'
    order; a teacher without a gap to the human-label student (no gold arm) has no line."""
    by_teacher: dict[str, list[dict]] = {}
    for h in headlines:
        if h.get("gap"):
            by_teacher.setdefault(h["teacher"], []).append(h)
    return [teacher_line(teacher, group[0]["teacher_tag"], {h["label_mode"]: h["gap"] for h in group},
                         max(h["size"] for h in group)) for teacher, group in by_teacher.items()]


def forest_rows(headlines: list[dict]) -> pd.DataFrame:
    """One row per headline with a gap to the human-label student: `who`, `value`, `lo`, `hi`, `size`."""
    return pd.DataFrame([{"who": f"{h['teacher']} ({h['teacher_tag']}) · {h['label_mode']}", "size": h["size"], **h["gap"]}
                         for h in headlines if h.get("gap")],
                        columns=["who", "value", "lo", "hi", "size"])


def _ci(e: dict | None, digits: int = 3) -> str:
    """"value [lo, hi]"; blank without an estimate (a run too small to have one), the value alone without bounds."""
    if not e or e.get("value") is None:
        return ""
    value = f"{e['value']:.{digits}f}"
    return value if e.get("lo") is None or e.get("hi") is None else f"{value} [{e['lo']:.{digits}f}, {e['hi']:.{digits}f}]"


def with_interval(frame: pd.DataFrame, column: str, digits: int = 3) -> list[str]:
    """`column` with its `column_lo` and `column_hi` as "value [lo, hi]", blank where there is no estimate."""
    return ["" if pd.isna(v) else f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"
            for v, lo, hi in zip(frame[column], frame[f"{column}_lo"], frame[f"{column}_hi"])]


def points_with_interval(frame: pd.DataFrame, column: str) -> list[str]:
    """A change in accuracy (`column`, `column_lo`, `column_hi`) in percentage points: "+0.4 [-1.2, +2.0]"."""
    def signed(x) -> str:
        return "?" if pd.isna(x) else f"{x * 100:+.1f}"
    return ["" if pd.isna(v) else f"{signed(v)} [{signed(lo)}, {signed(hi)}]"
            for v, lo, hi in zip(frame[column], frame[f"{column}_lo"], frame[f"{column}_hi"])]


def budget_table(curve: pd.DataFrame) -> pd.DataFrame:
    """A budget summary (`budget_curves`) as shown: one row per set of strategies with the same curve and budget,
    changes in points with their 95% intervals, and the n behind them."""
    rows = curve.drop_duplicates(["same_curve", "budget"])
    largest = int(curve["budget"].max())
    return pd.DataFrame({
        "strategies": rows["same_curve"], "checks": rows["budget"],
        "change (points) [95% CI]": points_with_interval(rows, "change"),
        "student accuracy [95% CI]": with_interval(rows, "accuracy"),
        "vs random (points) [95% CI]": points_with_interval(rows, "vs_random"),
        "precision [95% CI]": with_interval(rows, "precision", digits=2),
        "labels still wrong": rows["label_error"].round(3),
        "checks to half the gap": [half_gap_words(r, largest) for _, r in rows.iterrows()],
        "n (folds, rows)": [f"{int(f)} fold{'s' if f != 1 else ''}, {int(n)} rows"
                            for f, n in zip(rows["n_folds"], rows["n_rows"])]})


def statistics(headlines: list[dict]) -> pd.DataFrame:
    """The numbers behind each sentence, 95% intervals in brackets."""
    return pd.DataFrame([{
        "teacher": who(h), "training size": h["size"], "student on teacher labels": _ci(h["student"]),
        "student on human labels": _ci(h.get("gold_student")), "gap": _ci(h.get("gap")),
        "teacher itself (scored rows)": _ci(h["teacher_score"]),
        "gap on the same texts": f"{_ci(h.get('common_gap'))} at N = {h['common_size']}" if h.get("common_gap") else "",
        "teacher itself (all gold rows)": f"{_ci(h['teacher_all_gold'])} (n={h['n_all_gold']}, {h['n_invalid']} invalid, "
                                          f"{h['n_abstained']} abstained)",
        "training texts (teacher / human)": f"{h['n_teacher_arm']} / {h['n_gold_arm'] if h.get('n_gold_arm') is not None else '-'}",
        "learns different errors in": ", ".join(h.get("different_errors") or []) or "-"} for h in headlines])


def per_class(headlines: list[dict]) -> pd.DataFrame:
    """Recall per gold class of the teacher, the student on its labels and the student on human labels."""
    rows = []
    for h in headlines:
        for c in h.get("per_class") or []:
            rows.append({"teacher": who(h), "label": c["label"], "n": c["n"],
                         "teacher recall": _ci(c["teacher"].get("recall")),
                         "student recall": _ci((c.get("student") or {}).get("recall")),
                         "human-label student recall": _ci((c.get("gold_student") or {}).get("recall")),
                         "difference (student minus human-label student)": _ci(c.get("recall_difference")),
                         "p (Holm-adjusted over the classes)": "" if c.get("recall_difference_p_holm") is None
                         else f"{c['recall_difference_p_holm']:.2g}",
                         "differs beyond chance": "yes" if c["label"] in (h.get("different_errors") or []) else ""})
    return pd.DataFrame(rows)


def teachers_at_a_glance(scores: pd.DataFrame, costs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Each teacher's score on the scored gold rows, what it cost and how fast it answered, in a few readable columns."""
    t = scores.merge(costs, on="teacher_name")
    return pd.DataFrame({
        "teacher": t["teacher_name"], "what it is": t["teacher_name"].map(teacher_tags(t)),
        f"{metric} on test [95% CI]": with_interval(t, metric),
        "test answered": [f"{a} / {n}" for a, n in zip(t["n_answered"], t["n_test"])],
        "labels answered": [f"{a} / {n}" for a, n in zip(t["n_labels_answered"], t["n_labels"])],
        "tokens in / out": [f"{int(i):,} / {int(o):,}" for i, o in zip(t["input_tokens"], t["output_tokens"])],
        "cost (USD)": [f"${c:,.2f}" for c in t["cost_usd"]],
        "mean latency": ["-" if pd.isna(ms) else f"{ms:,.0f} ms" for ms in t["mean_latency_ms"]]})
