"""Plain words for what a page or a report shows: what kind of teacher a name is, which slices to offer, and
the structured-error test said so a person can repeat it."""
from __future__ import annotations

import html
import math

import pandas as pd

from core.datasets.demo_corpus import ANSWER_KEY_COLUMNS
from core.evaluation.slice_errors import structure_findings
from core.teachers.registry import teacher_tag

# what a student learned from, said where a label mode is first shown (a headline, a picker)
LABEL_MODES = {"hard": "hard labels (the teacher's one label per text)",
               "soft": "soft labels (the teacher's probabilities over the labels)"}


def teacher_tags(teachers: pd.DataFrame) -> dict[str, str]:
    """Name -> what the teacher is (`teacher_tag`), for a frame with `teacher_name`, `kind` and `simulated`."""
    return {n: teacher_tag(k, bool(s)) for n, k, s in zip(teachers["teacher_name"], teachers["kind"],
                                                          teachers["simulated"])}


def teacher_titles(teachers: pd.DataFrame) -> dict[str, str]:
    """Name -> "name (what it is)", the way a teacher is offered in pickers and named in legends."""
    return {n: f"{n} ({tag})" for n, tag in teacher_tags(teachers).items()}


def gap_tone(gap: dict | None) -> str:
    """Whether a paired gap's 95% interval says teacher labels hurt, help, or make no shown difference."""
    if not gap:
        return "same"
    return "hurts" if gap["hi"] < 0 else "helps" if gap["lo"] > 0 else "same"


def chart_text(text: str) -> str:
    """A user-given name inside a chart: plotly renders a subset of HTML in titles and labels (links included),
    so names are escaped to show as typed."""
    return html.escape(str(text), quote=False)


def visible_slices(options: list) -> list:
    """Slice options with each name once (a computed slice wins over an imported column of the same name) and
    without the demo generator's answer key (`ANSWER_KEY_COLUMNS`: which label a simulated teacher errs to),
    which is how the demo's noise was made, not a property of the texts."""
    computed = {o.column for o in options if o.slice_by == "stored"}
    return [o for o in options if o.column not in ANSWER_KEY_COLUMNS
            and not (o.slice_by != "stored" and o.column in computed)]


def structure_words(table: pd.DataFrame, slice_title: str, teacher: str) -> str:
    """The structured-error test of a slice table (`core.evaluation.slice_errors.slice_table_from`) as a sentence
    without statistics; the numbers behind it are `structure_sentence`'s."""
    n, wrong, p, excess = structure_findings(table)
    if math.isnan(p):
        return f"{teacher} makes too few mistakes on these {n} test examples to say where they sit."
    overall = wrong / n
    if p >= 0.05:
        return (f"{teacher} is wrong on {overall:.0%} of test examples, and about as often in every group of "
                f"{slice_title}: its mistakes are not concentrated by this slice.")
    excess = excess.sort_values("teacher_error", ascending=False)
    if excess.empty:
        return (f"{teacher}'s error rate differs between groups of {slice_title}, but no single group with enough "
                f"examples stands out from the rest (overall {overall:.0%} wrong).")
    where = "; ".join(f"in {b} it is wrong {r:.0%} of the time ({l:.1f} times its usual rate)"
                      for b, r, l in zip(excess["bucket"], excess["teacher_error"], excess["teacher_error_lift"]))
    return f"{teacher}'s mistakes are concentrated by {slice_title}: {where}. Overall it is wrong {overall:.0%} of the time."
