"""The headline answer of a run, in numbers and in plain words, from its summary tables: per teacher and label
mode, the student trained on its labels against the student trained on human labels (each arm at all its
usable rows, and at the largest size both reach, on the same texts), the teacher itself on the scored rows
and on every gold row, and the classes where the two students' recall differs beyond chance after a Holm
adjustment across the classes."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from core.evaluation.fitting import GOLD
from core.evaluation.metrics import METRIC_NAMES, Z95, Estimate, crossfit_interval_words, holm
from core.teachers.registry import teacher_tag


@dataclass(frozen=True)
class ClassErrors:
    label: str
    n: int
    teacher: dict[str, Estimate]  # recall, precision
    student: dict[str, Estimate]
    gold_student: dict[str, Estimate]
    recall_difference: Estimate  # student minus gold-trained student
    recall_difference_p: float  # two-sided, read off the interval as computed (see `interval_p`)
    recall_difference_p_holm: float  # Holm-adjusted across the classes of this teacher and mode


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
    repeats: int = 1  # cross-fitting: the n_folds fold estimates are n_folds / repeats folds x repeats

    @property
    def different_errors(self) -> list[str]:
        """Classes whose recall differs between the two students beyond chance: Holm-adjusted p < 0.05 across
        the classes, so testing every class does not find a difference by chance alone."""
        return [c.label for c in self.per_class if c.recall_difference_p_holm < ALPHA]

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
                lead += f"; {recall_directions([c for c in self.per_class if c.label in self.different_errors])}"
        sizes = (f"N = {self.size} teacher-labeled vs {self.n_gold_arm} human-labeled training texts"
                 if self.n_gold_arm is not None else f"N = {self.size}")
        scope = scheme_words(self.scheme, self.n_folds, self.repeats, self.n_test, self.n_seeds)
        parts = [f"{lead}. Student {_fmt(self.student)}"]
        if self.gold_student is not None:
            parts.append(f" vs {_fmt(self.gold_student)} with human labels")
        if self.common_gap is not None:
            parts.append(f"; at N = {self.common_size} on the same texts the gap is {_fmt_signed(self.common_gap)}")
        parts.append(f"; the teacher itself scores {_fmt(self.teacher_score)} (accuracy {_fmt(self.teacher_all_gold)} "
                     f"over all {self.n_all_gold} gold rows, 95% Wilson interval, {self.n_invalid} invalid and "
                     f"{self.n_abstained} abstained answers counted wrong)")
        parts.append(f"; the student beats its teacher from N = {self.beats_teacher_from} on"
                     if self.beats_teacher_from is not None else
                     "; the student does not reliably beat its teacher at any size")
        hint = unnamed_labels_hint(c.label for c in self.per_class)
        return "".join(parts) + f". ({sizes}; {scope})" + (f". {hint}" if hint else "")

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


ALPHA = 0.05


def scheme_words(scheme: str, n_folds: int, repeats: int, n_rows: int, n_seeds: int | None = None) -> str:
    """The evaluation scheme and how its 95% intervals were computed, as a caption names them: `n_folds` is
    every fold estimate (folds x repeats when cross-fitted), `n_rows` the gold rows the students were scored on."""
    seeds = f", {n_seeds} seeds" if n_seeds is not None else ""
    if scheme == "crossfit":
        return (f"cross-fitting: {n_folds // max(repeats, 1)} folds x {repeats} repeats over {n_rows} gold rows, each "
                f"row scored by students that did not train on it{seeds}; 95% intervals: "
                f"{crossfit_interval_words(n_folds, n_folds // max(repeats, 1))}")
    return (f"one fixed test split of {n_rows} gold rows{seeds}; 95% intervals: a two-level bootstrap over seeds and "
            "test rows, covering this split only")


def interval_p(e: Estimate, n_folds: int) -> float:
    """Two-sided p of "no difference" read off a 95% interval as computed: its half-width over the t quantile of
    the cross-fitted interval (n_folds - 1 degrees of freedom) or the normal one (a bootstrap) gives the
    standard error. NaN when the interval could not be estimated."""
    from scipy.stats import norm, t

    if not np.isfinite([e.value, e.lo, e.hi]).all():
        return float("nan")
    quantile = t.ppf(0.975, n_folds - 1) if n_folds > 1 else Z95
    se = (e.hi - e.lo) / (2 * quantile)
    if se <= 0:
        return 0.0 if e.value != 0 else 1.0
    statistic = abs(e.value) / se
    return float(2 * (t.sf(statistic, n_folds - 1) if n_folds > 1 else norm.sf(statistic)))


def recall_directions(classes) -> str:
    """Which way the students' recall differs on each class, in words: the teacher-trained student finds a
    class more or less often than the student trained on human labels, by how many points."""
    said = []
    for c in classes:
        d = c.recall_difference
        way = "less" if d.value < 0 else "more"
        said.append(f"{c.label} {way} often ({d.value * 100:+.1f} points of recall, {d.lo * 100:+.1f} to "
                    f"{d.hi * 100:+.1f}, Holm-adjusted p = {c.recall_difference_p_holm:.2g})")
    return ("the teacher-trained student recognises " + ", and ".join(said)
            + " than the student trained on human labels")


def unnamed_labels_hint(labels) -> str:
    """A hint when every label is a bare number: "0" and "1" say nothing about what a class is."""
    names = [str(label) for label in labels]
    if not names or not all(_is_number(name) for name in names):
        return ""
    return (f"Labels {', '.join(names)} are bare numbers: import the data with a label file (--labels FILE) to give "
            "them names and descriptions.")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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


def _per_class(classes: pd.DataFrame, differences: pd.DataFrame, n_folds: int) -> tuple[ClassErrors, ...]:
    labels, rates, gaps = [], [], []
    for label, rows in classes.groupby("label", sort=False):
        by = {(r["who"], r["metric"]): r for _, r in rows.iterrows()}
        rates.append({who: {metric: _estimate(by[(who, metric)]) for metric in ("recall", "precision")}
                      for who in ("teacher", "student", "gold_student")})
        difference = differences[differences["label"] == label].iloc[0]
        labels.append((str(label), int(rows["n"].iloc[0])))
        gaps.append(Estimate(float(difference["diff"]), float(difference["lo"]), float(difference["hi"])))
    p = np.array([interval_p(gap, n_folds) for gap in gaps])
    adjusted = holm(p)
    return tuple(ClassErrors(label, n, rate["teacher"], rate["student"], rate["gold_student"], gap, float(raw), float(q))
                 for (label, n), rate, gap, raw, q in zip(labels, rates, gaps, p, adjusted))


def headlines_from(curve: pd.DataFrame, comparisons: pd.DataFrame, teacher_scores: pd.DataFrame,
                   teachers: pd.DataFrame, class_scores: pd.DataFrame, class_differences: pd.DataFrame,
                   scheme: str, metric: str = "accuracy", repeats: int = 1) -> list[Headline]:
    """`teacher_scores` and `teachers` (kind, simulated) indexed by teacher name; `repeats`: how many repeats
    of K-fold a cross-fitted run's folds are."""
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
            per_class=_per_class(classes, differences, int(largest["n_folds"])) if len(classes) else (),
            beats_teacher_from=beats_teacher_from(mine[mine.versus == "teacher"]),
            repeats=repeats if scheme == "crossfit" else 1,
        ))
    return out
