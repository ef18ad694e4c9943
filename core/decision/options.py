"""The options a run measured, each with its accuracy (interval) and total cost: human labels only (the
gold-trained student's learning curve), each teacher's labels in each label mode, and each teacher's labels
plus B human checks; the frontier (options no other option beats on both cost and accuracy); the cheapest
option whose interval's lower bound is above a target."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.decision.costs import Costs, TeacherPrice
from core.evaluation.fitting import GOLD
from core.evaluation.metrics import Estimate, crossfit_interval, within

TARGET_BELOW_HUMAN = 0.01  # the default target: the human-label student at the largest size, one point lower


@dataclass(frozen=True)
class Option:
    """One way to get a student: `teacher` None is human labels only. `cost_usd` is None when a teacher's price is
    unknown (`note` says so). `accuracy` is the student's on held-out gold rows, with its 95% interval."""

    name: str
    teacher: str | None
    label_mode: str | None
    n_teacher_labels: int
    n_human_labels: int
    n_checks: int
    accuracy: Estimate
    cost_usd: float | None
    simulated: bool = False
    strategy: str | None = None
    note: str | None = None

    def reaches(self, target: float) -> bool:
        """Whether the interval's lower bound is above `target` (a point estimate alone never reaches it)."""
        return bool(np.isfinite(self.accuracy.lo) and self.accuracy.lo > target)

    def to_dict(self, target: float) -> dict:
        return {"name": self.name, "teacher": self.teacher, "label_mode": self.label_mode,
                "n_teacher_labels": self.n_teacher_labels, "n_human_labels": self.n_human_labels,
                "n_checks": self.n_checks, "cost_usd": _number(self.cost_usd),
                "accuracy": {"value": _number(self.accuracy.value), "lo": _number(self.accuracy.lo),
                             "hi": _number(self.accuracy.hi)},
                "reaches_target": self.reaches(target), "simulated": self.simulated, "strategy": self.strategy,
                "note": self.note}


def _number(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def option_cost(n_teacher_labels: int, n_human_labels: int, n_checks: int, price: TeacherPrice | None,
                costs: Costs) -> float | None:
    """Teacher labels at the teacher's price, human labels and checks at the human prices; None when teacher
    labels are bought at an unknown price."""
    if n_teacher_labels and (price is None or price.usd_per_label is None):
        return None
    teacher = n_teacher_labels * price.usd_per_label if n_teacher_labels and price and price.usd_per_label else 0.0
    return teacher + n_human_labels * costs.human_label_usd + n_checks * costs.human_check_usd


def curve_options(curve: pd.DataFrame, prices: Mapping[str, TeacherPrice], simulated: Mapping[str, bool],
                  costs: Costs) -> list[Option]:
    """An option per point of the run's accuracy learning curves (`Store.curve` rows with metric "accuracy":
    trained_on, label_mode, size, mean, lo, hi, n_train): the gold arm is human labels only, every other arm a
    teacher's labels in one mode. The number of labels bought is the rows the student trained on."""
    options = []
    for point in curve.sort_values(["trained_on", "label_mode", "n_train"]).itertuples():
        n = int(point.n_train)
        accuracy = Estimate(float(point.mean), float(point.lo), float(point.hi))
        if point.trained_on == GOLD:
            options.append(Option(f"human labels ({n:,})", None, None, 0, n, 0, accuracy,
                                  option_cost(0, n, 0, None, costs)))
            continue
        price = prices.get(point.trained_on)
        cost = option_cost(n, 0, 0, price, costs)
        options.append(Option(f"{point.trained_on} labels, {point.label_mode} ({n:,})", point.trained_on,
                              point.label_mode, n, 0, 0, accuracy, cost, simulated.get(point.trained_on, False),
                              note=price.note if cost is None and price else None))
    return options


@dataclass(frozen=True)
class StrategyChoice:
    """Which ranking strategy's order the checks options follow, and why: the largest mean paired change over the
    budgets (each budget's accuracy minus budget 0's on the same fold). Chosen on the folds it is then scored
    on, so the chosen strategy's options lean optimistic; `note` says so."""

    strategy: str
    mean_change: float
    tied: tuple[str, ...]
    note: str


def choose_strategy(fold_scores: pd.DataFrame) -> StrategyChoice:
    """`fold_scores`: strategy, budget, repeat, fold, accuracy (one teacher's per-fold budget table)."""
    table = fold_scores.pivot_table(index=["strategy", "repeat", "fold"], columns="budget", values="accuracy")
    changes = table.drop(columns=0).sub(table[0], axis=0)
    means = changes.stack().groupby(level="strategy").mean().sort_values(ascending=False, kind="stable")
    best = str(means.index[0])
    tied = tuple(str(s) for s in means.index if np.isclose(means[s], means.iloc[0]))
    together = f" (with {', '.join(t for t in tied if t != best)}: identical)" if len(tied) > 1 else ""
    note = (f"checks in {best}'s order{together}, the strategy with the largest mean paired change over budgets "
            f"({means.iloc[0] * 100:+.1f} points) among {len(means)}; chosen on the same folds it is scored on, "
            "so its figures lean optimistic")
    return StrategyChoice(best, float(means.iloc[0]), tied, note)


def checks_options(fold_scores: pd.DataFrame, teacher: str, price: TeacherPrice | None, costs: Costs,
                   simulated: bool = False, summary: pd.DataFrame | None = None
                   ) -> tuple[list[Option], StrategyChoice | None]:
    """An option per budget above 0 of one teacher's labels plus that many human checks, in the chosen
    strategy's order (`choose_strategy`). `fold_scores`: strategy, budget, repeat, fold, n_checks, n_pool,
    n_test, accuracy (per fold, averaged over seeds, on the fold's held-out rows). Accuracy: the mean over folds
    with the cross-validation t interval (`crossfit_interval`, K folds per repeat), or, where
    `summary` (the stored budget curve, `summarize_budget`'s columns) is given, its accuracy and interval: a fixed
    split's one fold has no spread over folds, and its curve carries the bootstrap over seeds and test rows."""
    if fold_scores.empty or 0 not in set(fold_scores["budget"]):
        return [], None
    choice = choose_strategy(fold_scores)
    chosen = fold_scores[fold_scores["strategy"] == choice.strategy]
    options = []
    for budget, rows in chosen[chosen["budget"] > 0].groupby("budget", sort=True):
        n_checks, n_pool = int(round(rows["n_checks"].mean())), int(round(rows["n_pool"].mean()))
        cost = option_cost(n_pool, 0, n_checks, price, costs)
        accuracy = (within(crossfit_interval(rows["accuracy"].to_numpy(), rows["repeat"].to_numpy()), 0.0, 1.0)
                    if summary is None
                    else _stored_accuracy(summary, choice.strategy, budget))
        options.append(Option(f"{teacher} labels + {n_checks:,} human checks", teacher, "hard", n_pool, 0, n_checks,
                              accuracy, cost, simulated, choice.strategy, price.note if cost is None and price else None))
    return options, choice


def _stored_accuracy(summary: pd.DataFrame, strategy: str, budget: int) -> Estimate:
    row = summary[(summary["strategy"] == strategy) & (summary["budget"] == budget)]
    if row.empty:
        return Estimate(float("nan"), float("nan"), float("nan"))
    return Estimate(*(float(row[column].iloc[0]) for column in ("accuracy", "accuracy_lo", "accuracy_hi")))


def default_target(options: list[Option]) -> float:
    """The human-label student at the largest size the run measured, one point lower."""
    human = [o for o in options if o.teacher is None]
    if not human:
        raise ValueError("no human-label option to set a default target from")
    return max(human, key=lambda o: o.n_human_labels).accuracy.value - TARGET_BELOW_HUMAN


def frontier(options: list[Option]) -> list[Option]:
    """The options with a known cost that no other such option matches or beats on both cost and accuracy, cheapest
    first: for each accuracy, the cheapest way there."""
    priced = sorted((o for o in options if o.cost_usd is not None and np.isfinite(o.accuracy.value)),
                    key=lambda o: (o.cost_usd, -o.accuracy.value))
    best, kept = -np.inf, []
    for option in priced:
        if option.accuracy.value > best:
            kept.append(option)
            best = option.accuracy.value
    return kept


def cheapest_reaching(options: list[Option], target: float) -> Option | None:
    """The cheapest option of known cost whose interval's lower bound is above `target` (the more accurate on a
    tie); None when none does."""
    reaching = [o for o in options if o.cost_usd is not None and o.reaches(target)]
    return min(reaching, key=lambda o: (o.cost_usd, -o.accuracy.value)) if reaching else None


def closest_to(options: list[Option], target: float) -> Option | None:
    """The option whose interval's lower bound comes nearest to `target` (to name when none reaches it)."""
    bounded = [o for o in options if np.isfinite(o.accuracy.lo)]
    return max(bounded, key=lambda o: o.accuracy.lo) if bounded else None
