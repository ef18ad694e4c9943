"""The decision's one service: read a run's learning curves, fits, teachers' costs and verdicts from the store,
and price every option (`decide`)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from core.decision.costs import Costs, seconds_per_check, teacher_prices
from core.decision.decision import Decision
from core.decision.exchange import exchange_rates, fold_accuracies
from core.decision.options import (
    checks_options,
    cheapest_reaching,
    closest_to,
    curve_options,
    default_target,
    frontier,
)
from core.errors import InputError
from core.evaluation.config import RunConfig
from core.evaluation.service import run_scheme_words
from core.store import Store


def decide(store: Store, run_id: str, target: float | None = None, costs: Costs = Costs(),
           budget_folds: Mapping[str, pd.DataFrame] | None = None) -> Decision:
    """The decision for a finished run (an id, or a config's name for its latest finished run): every option it
    measured priced with `costs`, and the cheapest whose 95% interval's lower bound is above `target` (default:
    the human-label student at the largest size, minus one point). `budget_folds`: per teacher, its per-fold
    budget table (strategy, budget, repeat, fold, n_checks, n_pool, n_test, accuracy), for the options with
    human checks; by default the budget curves stored for the run (`python -m core budget`), with their
    intervals; a teacher without one has no checks options, and the notes say so."""
    run_id = store.find_run(run_id)
    run = store.run(run_id)
    config = RunConfig.model_validate(run["config"])
    curve = store.curve(run_id)
    if curve.empty:
        raise InputError(f"run {run_id} has no scored students yet, so there is nothing to decide; finish it first "
                         "(rerun its config to resume)")
    curve = curve[curve["metric"] == "accuracy"]
    teachers = store.run_teachers(run_id)
    simulated = {str(name): bool(flag) for name, flag in zip(teachers["teacher_name"], teachers["simulated"].fillna(False))}
    members = {spec.name: list(spec.params.get("teachers", [])) for spec in config.teachers if spec.kind == "aggregate"}
    prices = teacher_prices(store.teacher_costs(run_id), {spec.name: spec.price_per_1000_labels for spec in config.teachers},
                            members, costs)
    unknown = sorted(set(costs.teacher_per_1000_labels) - set(prices))
    if unknown:
        raise InputError(f"a price is set for {', '.join(map(repr, unknown))}, which run {run_id} has no teacher "
                         f"named (its teachers: {', '.join(prices)})")
    options = curve_options(curve, prices, simulated, costs)
    notes = []
    stored = budget_folds is None
    per_teacher = ({name: store.budget_fold_scores(run_id, name) for name in prices} if budget_folds is None
                   else budget_folds)
    for teacher, fold_scores in per_teacher.items():
        with_checks, choice = checks_options(fold_scores, teacher, prices.get(teacher), costs, simulated.get(teacher, False),
                                             store.budget_curve(run_id, teacher) if stored else None)
        options += with_checks
        if choice is not None:
            notes.append(f"{teacher}: {choice.note}")
    if not any(option.n_checks for option in options):
        notes.append("no option with human checks is priced: no budget curve of this run is stored; measure one "
                     f"with `python -m core budget --run {run_id} --teacher NAME` (or the Budget page)")
    if target is None and not any(option.teacher is None for option in options):
        raise InputError(f"run {run_id} has no human-label student to set a default target from; give --target")
    if target is None:
        target, target_set = default_target(options), False
    elif not 0 < target < 1:
        raise InputError(f"--target {target} is not an accuracy between 0 and 1 (e.g. 0.74 for 74%)")
    else:
        target_set = True
    reaching = cheapest_reaching(options, target)
    unpriced = [o.name for o in options if o.cost_usd is None and o.reaches(target)]
    if unpriced:
        notes.append(f"{len(unpriced)} option(s) of unknown cost also reach the target ({', '.join(unpriced[:3])}"
                     f"{', ...' if len(unpriced) > 3 else ''}); set their teachers' prices to compare them")
    human = cheapest_reaching([option for option in options if option.teacher is None], target)
    return Decision(run_id, float(target), target_set, costs, prices, seconds_per_check(store.verdicts(run["dataset_id"])),
                    options, frontier(options), reaching, closest_to(options, target), human,
                    exchange_rates(fold_accuracies(store.fits(run_id))), run_scheme_words(store, run_id),
                    int(np.nanmax(curve["n_folds"])), notes)
