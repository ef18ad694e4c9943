"""The headline answer of a run, in numbers and in words, from its summary tables."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.evaluation.metrics import Estimate

METRIC_NAMES = {"accuracy": "accuracy", "macro_f1": "macro-F1"}


@dataclass(frozen=True)
class Headline:
    teacher: str
    simulated: bool
    label_mode: str
    metric: str
    size: int
    n_test: int
    n_seeds: int
    student: Estimate
    gold_student: Estimate | None
    gap: Estimate | None  # student - gold-trained student, paired
    teacher_score: Estimate
    beats_teacher_from: int | None  # smallest size from which the student is above its teacher at every larger size

    def sentence(self) -> str:
        name = METRIC_NAMES[self.metric]
        who = f"{self.teacher} (SIMULATED)" if self.simulated else self.teacher
        parts = [f"Trained on {who} {self.label_mode} labels, the student reaches {name} {_fmt(self.student)}"]
        if self.gold_student is not None and self.gap is not None:
            parts.append(f" vs {_fmt(self.gold_student)} with human labels at N = {self.size}"
                         f" (gap {self.gap.value:+.3f}, 95% CI {self.gap.lo:+.3f} to {self.gap.hi:+.3f})")
        else:
            parts.append(f" at N = {self.size} (no human labels to compare with)")
        parts.append(f"; the teacher itself scores {_fmt(self.teacher_score)}")
        if self.beats_teacher_from is not None:
            parts.append(f"; the student beats its teacher from N = {self.beats_teacher_from} on")
        else:
            parts.append("; the student does not reliably beat its teacher at any size")
        parts.append(f". (n_test = {self.n_test}, {self.n_seeds} seeds)")
        return "".join(parts)


def _fmt(e: Estimate) -> str:
    return f"{e.value:.3f} [{e.lo:.3f}, {e.hi:.3f}]"


def beats_teacher_from(versus_teacher: pd.DataFrame) -> int | None:
    """Smallest size from which the student-minus-teacher CI lies above zero at that size and every larger one."""
    result = None
    for row in versus_teacher.sort_values("size", ascending=False).itertuples():
        if row.lo <= 0:
            break
        result = int(row.size)
    return result


def headlines_from(curve: pd.DataFrame, comparisons: pd.DataFrame, teacher_scores: pd.DataFrame,
                   simulated: pd.Series, metric: str = "accuracy") -> list[Headline]:
    """`teacher_scores` indexed by teacher name; `simulated`: whether each teacher is, by name."""
    out = []
    curve = curve[curve.metric == metric]
    for (teacher, mode), points in curve[curve.trained_on != "gold"].groupby(["trained_on", "label_mode"], sort=True):
        largest = points.loc[points["size"].idxmax()]
        size = int(largest["size"])
        gold = curve[(curve.trained_on == "gold") & (curve["size"] == size)]
        mine = comparisons[(comparisons.teacher_name == teacher) & (comparisons.label_mode == mode)
                           & (comparisons.metric == metric)]
        gap = mine[(mine.versus == "gold_student") & (mine["size"] == size)]
        score = teacher_scores.loc[teacher]
        out.append(Headline(
            teacher=teacher, simulated=bool(simulated.get(teacher, False)), label_mode=mode, metric=metric, size=size,
            n_test=int(largest["n_test"]), n_seeds=int(largest["n_seeds"]),
            student=Estimate(largest["mean"], largest["lo"], largest["hi"]),
            gold_student=Estimate(*gold.iloc[0][["mean", "lo", "hi"]]) if len(gold) else None,
            gap=Estimate(*gap.iloc[0][["diff", "lo", "hi"]]) if len(gap) else None,
            teacher_score=Estimate(score[metric], score[f"{metric}_lo"], score[f"{metric}_hi"]),
            beats_teacher_from=beats_teacher_from(mine[mine.versus == "teacher"]),
        ))
    return out
