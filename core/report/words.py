"""Plain words for what a page or a report shows: what kind of teacher a name is, which slices to offer, and
the structured-error test said so a person can repeat it."""
from __future__ import annotations

import math

import pandas as pd

from core.datasets.demo_corpus import ANSWER_KEY_COLUMNS
from core.decision.decision import Decision
from core.evaluation.metrics import crossfit_interval_words
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


def signed_points(value: float) -> str:
    """A change in a score (a fraction) in percentage points, signed, with a true minus: "−1.2", "+0.4"."""
    return f"{value * 100:+.1f}".replace("-", "\u2212")


def teacher_line(teacher: str, tag: str, gaps: dict[str, dict], size: int | None) -> tuple[str, str]:
    """One compact line per teacher, every label mode together, in points: its line and its tone ("hurts" when
    some mode's gap is below 0 beyond chance, "helps" when one is above and none below, else "same").
    `gaps`: label mode -> paired gap {value, lo, hi} of the student on its labels minus the human-label one."""
    parts, tones = [], []
    for mode, gap in gaps.items():
        tones.append(gap_tone(gap))
        verdict = {"hurts": "worse", "helps": "better", "same": "no difference shown"}[tones[-1]]
        parts.append(f"{mode} labels {signed_points(gap['value'])} points "
                     f"({signed_points(gap['lo'])} to {signed_points(gap['hi'])}), {verdict}")
    tone = "hurts" if "hurts" in tones else "helps" if "helps" in tones else "same"
    at = f" at {size:,} texts" if size else ""
    return f"{teacher} ({tag}), student on its labels minus on human labels{at}: {'; '.join(parts)}.", tone


def budget_scoring_words(scheme: str) -> str:
    """Which rows a budget curve's students are scored on and how its intervals were computed
    (`core.review.budget`): every fold and repeat of a cross-fitted run, or a fixed test split."""
    if scheme == "crossfit":
        return ("score it on that fold's held-out gold rows, in every fold and repeat of the run's cross-fitting; "
                f"changes are paired per fold; 95% intervals: {crossfit_interval_words()}")
    return ("score it on the gold test split; 95% intervals: a two-level bootstrap over seeds and test rows, the same "
            "resamples for every strategy and budget, so changes are paired")


def visible_slices(options: list) -> list:
    """Slice options with each name once (a computed slice wins over an imported column of the same name) and
    without the demo generator's answer key (`ANSWER_KEY_COLUMNS`: which label a simulated teacher errs to),
    which is how the demo's noise was made, not a property of the texts."""
    computed = {o.column for o in options if o.slice_by == "stored"}
    return [o for o in options if o.column not in ANSWER_KEY_COLUMNS
            and not (o.slice_by != "stored" and o.column in computed)]


def structure_words(table: pd.DataFrame, slice_title: str, teacher: str) -> str:
    """The structured-error test of a slice table (`core.evaluation.slice_errors.slice_table_from`) as a sentence
    a person can repeat; the test's details are `structure_sentence`'s. A test that finds nothing says there is
    no evidence, with its p, never that the rates are the same."""
    found = structure_findings(table)
    n, wrong = found.n, found.wrong
    if math.isnan(found.p):
        return f"{teacher} makes too few mistakes on these {n} scored gold rows to say where they sit."
    overall = wrong / n
    if not found.structured:
        return (f"No evidence that {teacher}'s mistakes concentrate in some groups of {slice_title} "
                f"({found.p_words()}): it is wrong on {overall:.0%} of the {n} scored gold rows.")
    excess = found.excess.sort_values("teacher_error", ascending=False)
    if excess.empty:
        return (f"{teacher}'s error rate differs between groups of {slice_title} ({found.p_words()}), but no single "
                f"group with enough examples stands out from the rest (overall {overall:.0%} wrong).")
    where = "; ".join(f"in {b} it is wrong {r:.0%} of the time ({l:.1f} times its usual rate)"
                      for b, r, l in zip(excess["bucket"], excess["teacher_error"], excess["teacher_error_lift"]))
    return (f"{teacher}'s mistakes are concentrated by {slice_title}: {where}. Overall it is wrong {overall:.0%} of "
            f"the {n} scored gold rows ({found.p_words()}).")


def structure_found(table: pd.DataFrame) -> bool:
    """Whether a slice table's structured-error test finds the teacher's mistakes concentrated, adjusted over the
    teacher's slices where the table carries that."""
    found = structure_findings(table)
    return not math.isnan(found.p) and found.structured


def decision_basis(decision: Decision) -> str:
    """What a decision rests on, under its sentence: the target and where it comes from, every price and its
    source, how the intervals were computed, and what the decision could not price."""
    target = "as set" if decision.target_set else "default: the student on human labels at the largest size, minus one point"
    prices = "; ".join(f"{name}: {price.note}" for name, price in decision.prices.items())
    return " ".join([
        f"Target {decision.target:.1%} accuracy ({target}); an option reaches it when its 95% interval's lower bound is "
        "above it.", f"Prices: a human label ${decision.costs.human_label_usd:.2f}, a human check "
        f"${decision.costs.human_check_usd:.2f} ({decision.check_timing.note}); {prices}.",
        f"Intervals: {decision.scheme}.", *(f"{note[0].upper()}{note[1:]}." for note in decision.notes)])
