"""The headline answer of a run, in numbers and in plain words, from its summary tables: per teacher and label
mode, the student trained on its labels against the student trained on human labels (each arm at all its
usable rows, and at the largest size both reach, on the same texts), the teacher itself on the scored rows
and on every gold row, and the classes where the two students err differently."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from core.evaluation.fitting import GOLD
from core.evaluation.metrics import METRIC_NAMES, Estimate
from core.teachers.registry import teacher_tag


@dataclass(frozen=True)
class ClassErrors:
    label: str
    n: int
    teacher: dict[str, Estimate]  # recall, precision
    student: dict[str, Estimate]
    gold_student: dict[str, Estimate]
    recall_difference: Estimate  # student minus gold-trained student


@dataclass(frozen=True)
class Headline:
    teacher: str
    teacher_tag: str  # what the teacher is: LLM, SIMULATED, offline model, ... (`teachers.registry.teacher_tag`)
    simulated: bool
    label_mode: str
    metric: str
    scheme: str  # crossfit or split
    size: int  # the teacher-trained student's training size ("all" its usable rows)
    n_teacher_arm: int
    n_gold_arm: int | None
    n_test: int
    n_seeds: int
    n_folds: int
    student: Estimate
    gold_student: Estimate | None
    gap: Estimate | None  # student - gold-trained student, each at all its rows, paired on the same scored rows
    common_size: int | None  # the largest size both students reach, on the same texts
    common_gap: Estimate | None
    teacher_score: Estimate  # on the scored rows
    teacher_all_gold: Estimate  # on every gold row, invalid and abstained answers wrong
    n_all_gold: int
    n_invalid: int
    n_abstained: int
    per_class: tuple[ClassErrors, ...]
    beats_teacher_from: int | None  # smallest size from which the student is above its teacher at every larger size

    @property
    def different_errors(self) -> list[str]:
        """Classes whose recall differs between the two students beyond chance (interval excludes 0)."""
        return [c.label for c in self.per_class
                if c.recall_difference.lo > 0 or c.recall_difference.hi < 0]

    def sentence(self) -> str:
        """One sentence a person can say aloud, then the numbers behind it."""
        name = METRIC_NAMES[self.metric]
        who = f"{self.teacher} (SIMULATED)" if self.simulated else self.teacher
        if self.gap is None or self.gold_student is None:
            lead = (f"Trained on {who} {self.label_mode} labels, the student reaches {name} {_fmt(self.student)} "
                    f"at N = {self.size}; no student was trained on human labels to compare with")
        else:
            points = abs(self.gap.value) * 100
            if self.gap.hi < 0:
                verdict = f"costs {points:.1f} points of {name} ({-self.gap.hi * 100:.1f} to {-self.gap.lo * 100:.1f})"
            elif self.gap.lo > 0:
                verdict = f"gains {points:.1f} points of {name} ({self.gap.lo * 100:.1f} to {self.gap.hi * 100:.1f})"
            else:
                verdict = (f"makes no clear difference in {name} ({self.gap.value * 100:+.1f} points, "
                           f"{self.gap.lo * 100:+.1f} to {self.gap.hi * 100:+.1f})")
            lead = f"Training on {who} {self.label_mode} labels instead of human labels {verdict}"
            if self.different_errors:
                lead += f"; the two students err differently on {', '.join(self.different_errors)}"
        sizes = (f"N = {self.size} teacher-labeled vs {self.n_gold_arm} human-labeled training texts"
                 if self.n_gold_arm is not None else f"N = {self.size}")
        scope = (f"{self.n_folds} folds of cross-fitting over {self.n_test} gold rows, {self.n_seeds} seeds"
                 if self.scheme == "crossfit" else
                 f"one fixed test split of {self.n_test} rows, {self.n_seeds} seeds; the interval covers this split only")
        parts = [f"{lead}. Student {_fmt(self.student)}"]
        if self.gold_student is not None:
            parts.append(f" vs {_fmt(self.gold_student)} with human labels")
        if self.common_gap is not None:
            parts.append(f"; at N = {self.common_size} on the same texts the gap is {_fmt_signed(self.common_gap)}")
        parts.append(f"; the teacher itself scores {_fmt(self.teacher_score)} (accuracy {self.teacher_all_gold.value:.3f} "
                     f"over all {self.n_all_gold} gold rows, {self.n_invalid} invalid and {self.n_abstained} abstained "
                     "answers counted wrong)")
        parts.append(f"; the student beats its teacher from N = {self.beats_teacher_from} on"
                     if self.beats_teacher_from is not None else
                     "; the student does not reliably beat its teacher at any size")
        return "".join(parts) + f". ({sizes}; {scope})"

    def to_dict(self) -> dict:
        """The report's shape (see `core.evaluation.report`)."""
        data = asdict(self)
        data["different_errors"] = self.different_errors
        data["sentence"] = self.sentence()
        return data


def _fmt(e: Estimate) -> str:
    return f"{e.value:.3f} [{e.lo:.3f}, {e.hi:.3f}]"


def _fmt_signed(e: Estimate) -> str:
    return f"{e.value:+.3f} [{e.lo:+.3f}, {e.hi:+.3f}]"


def beats_teacher_from(versus_teacher: pd.DataFrame) -> int | None:
    """Smallest size from which the student-minus-teacher CI lies above zero at that size and every larger one."""
    result = None
    for row in versus_teacher.sort_values("size", ascending=False).itertuples():
        if row.lo <= 0:
            break
        result = int(row.size)
    return result


def _estimate(row) -> Estimate:
    return Estimate(float(row["value"]), float(row["lo"]), float(row["hi"]))


def _per_class(classes: pd.DataFrame, differences: pd.DataFrame) -> tuple[ClassErrors, ...]:
    out = []
    for label, rows in classes.groupby("label", sort=False):
        by = {(r["who"], r["metric"]): r for _, r in rows.iterrows()}
        rates = {who: {metric: _estimate(by[(who, metric)]) for metric in ("recall", "precision")}
                 for who in ("teacher", "student", "gold_student")}
        difference = differences[differences["label"] == label].iloc[0]
        out.append(ClassErrors(str(label), int(rows["n"].iloc[0]), rates["teacher"], rates["student"],
                               rates["gold_student"],
                               Estimate(float(difference["diff"]), float(difference["lo"]), float(difference["hi"]))))
    return tuple(out)


def headlines_from(curve: pd.DataFrame, comparisons: pd.DataFrame, teacher_scores: pd.DataFrame,
                   teachers: pd.DataFrame, class_scores: pd.DataFrame, class_differences: pd.DataFrame,
                   scheme: str, metric: str = "accuracy") -> list[Headline]:
    """`teacher_scores` and `teachers` (kind, simulated) indexed by teacher name."""
    out = []
    curve = curve[curve.metric == metric]
    gold_curve = curve[curve.trained_on == GOLD].sort_values("size")
    gold = gold_curve.iloc[-1] if len(gold_curve) else None
    for (teacher, mode), points in curve[curve.trained_on != GOLD].groupby(["trained_on", "label_mode"], sort=True):
        largest = points.loc[points["size"].idxmax()]
        size = int(largest["size"])
        mine = comparisons[(comparisons.teacher_name == teacher) & (comparisons.label_mode == mode)
                           & (comparisons.metric == metric)]
        versus_gold = mine[mine.versus.isin(["gold_student", "gold_student_all"])]
        gold_size = int(gold["size"]) if gold is not None else None
        gap = versus_gold[(versus_gold["size"] == size) & (versus_gold["reference_size"] == gold_size)]
        # arms of different sizes also meet at the largest size both reach, on the same texts
        same_size = versus_gold[versus_gold["size"] == versus_gold["reference_size"]].sort_values("size")
        common = same_size.tail(1) if gold_size not in (None, size) else same_size.iloc[0:0]
        score = teacher_scores.loc[teacher]
        classes = class_scores[(class_scores.teacher_name == teacher) & (class_scores.label_mode == mode)]
        differences = class_differences[(class_differences.teacher_name == teacher)
                                        & (class_differences.label_mode == mode)]
        out.append(Headline(
            teacher=teacher, teacher_tag=teacher_tag(teachers.loc[teacher, "kind"], bool(teachers.loc[teacher, "simulated"])),
            simulated=bool(teachers.loc[teacher, "simulated"]), label_mode=mode, metric=metric, scheme=scheme,
            size=size, n_teacher_arm=int(largest["n_train"]),
            n_gold_arm=int(gold["n_train"]) if gold is not None else None, n_test=int(largest["n_test"]),
            n_seeds=int(largest["n_seeds"]), n_folds=int(largest["n_folds"]),
            student=Estimate(largest["mean"], largest["lo"], largest["hi"]),
            gold_student=Estimate(gold["mean"], gold["lo"], gold["hi"]) if gold is not None else None,
            gap=Estimate(*gap.iloc[0][["diff", "lo", "hi"]]) if len(gap) else None,
            common_size=int(common["size"].iloc[0]) if len(common) else None,
            common_gap=Estimate(*common.iloc[0][["diff", "lo", "hi"]]) if len(common) else None,
            teacher_score=Estimate(score[metric], score[f"{metric}_lo"], score[f"{metric}_hi"]),
            teacher_all_gold=Estimate(score["all_gold_accuracy"], score["all_gold_accuracy_lo"],
                                      score["all_gold_accuracy_hi"]),
            n_all_gold=int(score["n_all_gold"]), n_invalid=int(score["n_invalid"]),
            n_abstained=int(score["n_abstained"]),
            per_class=_per_class(classes, differences) if len(classes) else (),
            beats_teacher_from=beats_teacher_from(mine[mine.versus == "teacher"]),
        ))
    return out
