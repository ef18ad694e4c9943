"""Does the decision hold on data it did not choose on? For every data set in ../shared/data with real LLM labels
beside human gold labels (GWSD with GPT-4o; each LLMs-for-CSS task of `TASKS` with ChatGPT), a cross-fitted
pseudolens run (5 folds x 2 repeats, 3 seeds, TF-IDF student, hard labels, sizes up to all rows) with the LLM as
a recorded teacher priced at an assumed $1.00 per 1,000 labels and human labels at $0.40. Then, within one
repeat, every split of its 5 folds into 3 selection folds and 2 evaluation folds (10 per repeat, 20 per data
set): the options (human labels or the LLM's labels, at each size) are priced and scored on the selection folds
only (mean and cross-validation t interval over those folds, as `decide` computes them), the target is set
there as `decide` sets its default (the human-label student at the largest size minus one point), and the
cheapest option whose interval's lower bound is above the target is chosen (`core.decision.options`). The
chosen option is then scored on the evaluation folds, whose test rows the choice never saw: does its accuracy
there (mean over the 2 folds) reach the target, and how far is it from the predicted accuracy? Cost is a count
of labels times a price, so its predicted and realized values differ only by the rows a fold trains on.

    python bench/decision.py [--shared ../shared/data] [--report docs/decision.md]

Human checks are not among the options here (they need a budget curve per data set); the fornaciari pledge
sentences (50 rows, 10 per fold) are left out: 2 folds of 10 rows cannot score an option. Prints JSON and
writes the report; the shared data is read in place and never copied into the project."""
from __future__ import annotations

import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from core.datasets.importing import import_dataset  # noqa: E402
from core.datasets.reading import ColumnMapping, read_dataset  # noqa: E402
from core.decision.costs import Costs, TeacherPrice  # noqa: E402
from core.decision.exchange import fold_accuracies  # noqa: E402
from core.decision.options import cheapest_reaching, curve_options, default_target  # noqa: E402
from core.evaluation.config import parse_config  # noqa: E402
from core.evaluation.metrics import crossfit_interval, wilson_bounds  # noqa: E402
from core.pipeline import run_experiment  # noqa: E402
from core.store import Store  # noqa: E402
from shared_data import TASKS, gwsd, llms_for_css, report_arguments  # noqa: E402
from spot_check_precision import commit  # noqa: E402

FOLDS, SELECTION_FOLDS = 5, 3
TEACHER_USD_PER_1000 = 1.00  # assumed: a recorded teacher's labels were not bought through measured calls
COSTS = Costs()
SIZES = (50, 100, 200, 400, 800)
# targets below the human-label student at the largest size: decide's default (1 point) and lower ones a team
# might need, since a strict lower-bound rule on 3 folds rarely reaches the default
BELOW_HUMAN_POINTS = (1, 3, 5, 10)


def data_sets(shared: Path):
    yield "gwsd (GPT-4o)", gwsd(shared)
    for task in TASKS:
        yield f"{task} (ChatGPT)", llms_for_css(shared, task, "chatgpt")


def run(name: str, frame: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """The run's per-fold accuracies (`fold_accuracies`) for the human-label and the LLM-label students."""
    slug = name.split()[0]
    path = folder / f"{slug}.csv"
    frame.reset_index(drop=True).assign(id=lambda f: f.index)[["id", "text", "gold", "answer"]].to_csv(path, index=False)
    store = Store(folder / f"{slug}.duckdb")
    import_dataset(store, read_dataset(path, ColumnMapping(text="text", id="id", gold="gold",
                                                           llm_labels={"llm": "answer"})), "task")
    pool = len(frame) * (FOLDS - 1) / FOLDS
    run_id = run_experiment(store, parse_config({
        "name": "decision", "dataset": "task", "sizes": [s for s in SIZES if s < 0.8 * pool] + ["all"],
        "seeds": [0, 1, 2], "evaluation": {"scheme": "crossfit", "folds": FOLDS, "repeats": 2},
        "student": {"label_modes": ["hard"]}, "teachers": [{"name": "llm", "kind": "recorded"}]}))
    return fold_accuracies(store.fits(run_id))


def curve_on(folds: pd.DataFrame) -> pd.DataFrame:
    """The learning curve `Store.curve` would hold if the run had only these folds: mean and cross-validation t
    interval over them (`crossfit_interval`, K folds per repeat)."""
    rows = []
    for (trained_on, mode, size), group in folds.groupby(["trained_on", "label_mode", "size"]):
        estimate = crossfit_interval(group["accuracy"].to_numpy(), group["repeat"].to_numpy())
        rows.append({"trained_on": trained_on, "label_mode": mode, "size": size, "mean": estimate.value,
                     "lo": estimate.lo, "hi": estimate.hi, "n_train": int(round(group["n_train"].mean()))})
    return pd.DataFrame(rows)


def trials(name: str, folds: pd.DataFrame) -> list[dict]:
    price = {"llm": TeacherPrice("llm", TEACHER_USD_PER_1000 / 1000, "setting", "assumed")}
    out = []
    for repeat in sorted(folds["repeat"].unique()):
        for chosen_folds in itertools.combinations(range(FOLDS), SELECTION_FOLDS):
            mine = folds[folds["repeat"] == repeat]
            selection = mine[mine["fold"].isin(chosen_folds)]
            evaluation = mine[~mine["fold"].isin(chosen_folds)]
            options = curve_options(curve_on(selection), price, {"llm": False}, COSTS)
            for below in BELOW_HUMAN_POINTS:
                target = default_target(options) + 0.01 - below / 100
                out.append(_trial(options, target, evaluation, {
                    "data set": name, "below human (points)": below, "repeat": int(repeat),
                    "selection folds": list(chosen_folds), "target": target}))
    return out


def _trial(options, target: float, evaluation: pd.DataFrame, row: dict) -> dict:
    """The cheapest option reaching `target` on the selection folds, scored on the evaluation folds."""
    chosen = cheapest_reaching(options, target)
    if chosen is None:
        return {**row, "chosen": None}
    key = "gold" if chosen.teacher is None else chosen.teacher
    arm = evaluation[(evaluation["trained_on"] == key) & (evaluation["label_mode"] == (chosen.label_mode or "hard"))]
    # the chosen size: the one whose rows trained on are nearest the option's (folds differ by a row or two)
    sizes = arm.groupby("size")["n_train"].mean()
    held = arm[arm["size"] == (sizes - (chosen.n_human_labels or chosen.n_teacher_labels)).abs().idxmin()]
    realized_cost = held["n_train"].mean() * (COSTS.human_label_usd if chosen.teacher is None
                                              else TEACHER_USD_PER_1000 / 1000)
    realized = float(held["accuracy"].mean())
    return {**row, "chosen": chosen.name, "human": chosen.teacher is None, "predicted": chosen.accuracy.value,
            "predicted_lo": chosen.accuracy.lo, "realized": realized, "reached": realized >= target,
            "predicted_cost": chosen.cost_usd, "realized_cost": float(realized_cost)}


def summarize(rows: pd.DataFrame) -> dict:
    chosen = rows[rows["chosen"].notna()]
    reached = int(chosen["reached"].sum())
    lo, hi = wilson_bounds(pd.Series([reached / max(len(chosen), 1)]), pd.Series([len(chosen)]))
    error = chosen["realized"] - chosen["predicted"]
    return {"trials": int(len(rows)), "with a choice": int(len(chosen)), "reached": reached,
            "reach rate": reached / len(chosen) if len(chosen) else None, "reach lo": float(lo[0]), "reach hi": float(hi[0]),
            "LLM chosen": int((~chosen["human"].astype(bool)).sum()),
            "accuracy error (realized - predicted)": float(error.mean()) if len(chosen) else None,
            "error MC SE": float(error.std(ddof=1) / np.sqrt(len(error))) if len(chosen) > 1 else None,
            "cost error (USD, mean |realized - predicted|)": float((chosen["realized_cost"] - chosen["predicted_cost"])
                                                                   .abs().mean()) if len(chosen) else None}


def _table(title: str, summaries: dict) -> list[str]:
    def pct(x):
        return "-" if x is None or not np.isfinite(x) else f"{x:.0%}"

    lines = [f"| {title} | trials | a choice made | LLM labels chosen | reaches target on held-out folds [95% Wilson] "
             "| realized minus predicted accuracy (points, mean ± MC SE) | cost error (USD, mean abs) |",
             "|---|---|---|---|---|---|---|"]
    for name, s in summaries.items():
        error, cost = s["accuracy error (realized - predicted)"], s["cost error (USD, mean |realized - predicted|)"]
        lines.append(f"| {name} | {s['trials']} | {s['with a choice']} | {s['LLM chosen']} | "
                     f"{s['reached']}/{s['with a choice']} = {pct(s['reach rate'])} [{pct(s['reach lo'])}, {pct(s['reach hi'])}] | "
                     + ("-" if error is None else f"{error * 100:+.1f} ± {(s['error MC SE'] or 0) * 100:.1f}")
                     + f" | {'-' if cost is None else f'{cost:.2f}'} |")
    return lines


def report(by_target: dict, per_set: dict, overall: dict, seconds: float, stamp: str) -> str:
    rate = overall["reach rate"]
    lines = ["# The decision, checked on folds it did not choose on", "",
             f"`python bench/decision.py` at commit {stamp}, {seconds / 60:.1f} min on this machine (2 cores).", "",
             __doc__.split("\n\n")[0].replace("\n", " "), "",
             "Targets: the human-label student at the largest size (on the selection folds) minus 1 point (decide's "
             "default), 3, 5 and 10 points. Headline criterion: the chosen option's accuracy on the 2 evaluation folds "
             "(their mean) is at or above the target. The trials of a data set share its rows, so they are not "
             "independent: the Wilson intervals treat them as if they were and are too narrow; the per-data-set rows "
             "show how much each data set weighs.", "", "## By target", ""]
    lines += _table("target", by_target)
    lines += ["", "## By data set (every target)", ""]
    lines += _table("data set", {**per_set, "**all**": overall})
    goal = rate is not None and rate >= 0.9
    lines += ["", f"Goal (issue 20): the chosen option reaches its target at least 90% of the time: "
              f"{'met' if goal else 'not met'} over all trials with a choice, "
              f"{'-' if rate is None else f'{rate:.0%}'} ({overall['reached']} of {overall['with a choice']}); by "
              "target: " + "; ".join(f"{name}: {s['reached']} of {s['with a choice']}" for name, s in by_target.items())
              + ", so the rate under 90% at the nearer targets rests on few choices. The chosen option's held-out "
              "accuracy is below its predicted one on average (the table's mean and MC standard error): choosing the "
              "cheapest option whose interval clears the target favours options whose selection folds ran high. "
              "At decide's default target (1 point below the human-label student) a choice is rarely made: the "
              "lower bound of a 3-fold interval sits more than a point below its mean, so the rule answers \"none "
              "reaches it\" and names the closest option instead.",
              "", "Sources: GWSD (Gligoric et al. 2024, gwsd_gpt4o/SOURCE.txt), LLMs for computational social science "
              "(Ziems et al. 2024, llms_for_css/SOURCE.txt), read from ../shared/data in place. Prices: the LLM's labels "
              f"at an assumed ${TEACHER_USD_PER_1000:.2f} per 1,000, a human label ${COSTS.human_label_usd:.2f}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = report_arguments(ROOT / "docs" / "decision.md")
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, frame in data_sets(args.shared):
            rows += trials(name, run(name, frame, Path(scratch)))
            print(f"{name}: done after {time.perf_counter() - started:.0f} s", file=sys.stderr)
    table = pd.DataFrame(rows)
    by_target = {f"human-label student minus {below} point{'s' if below > 1 else ''}": summarize(group)
                 for below, group in table.groupby("below human (points)")}
    per_set = {name: summarize(group) for name, group in table.groupby("data set", sort=False)}
    overall = summarize(table)
    seconds = time.perf_counter() - started
    args.report.write_text(report(by_target, per_set, overall, seconds, commit()))
    print(json.dumps({"benchmark": "decision", "seconds": round(seconds, 1), "overall": overall,
                      "by_target": by_target, "per_data_set": per_set}, indent=1, default=float))


if __name__ == "__main__":
    main()
