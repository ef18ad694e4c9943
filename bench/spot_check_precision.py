"""Which spot-check ranking finds wrong LLM labels first, on every real LLM-label data set in ../shared/data:
GWSD with GPT-4o (Gligoric et al. 2024), each LLMs-for-CSS task of `shared_data.TASKS` with ChatGPT,
text-davinci-003 and FLAN-UL2 (Ziems et al. 2024), and the pledge sentences with four LLMs (Fornaciari et al.
2021). Each data set is one run of every teacher (plus, with three or more, the aggregate teachers);
precision@k is the share of the first k training-pool examples whose LLM label is wrong, with a 95% Wilson
interval. `combined`'s weights are chosen by leave-one-data-set-out (`core.review.selection`): the weights
scored on a data set were chosen on the others only.

    python bench/spot_check_precision.py [--shared ../shared/data] [--report docs/spot_check_precision.md]

Prints JSON and writes the report. The shared data is read in place and never copied into the project."""
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from core.datasets.importing import import_dataset  # noqa: E402
from core.datasets.reading import ColumnMapping, read_dataset  # noqa: E402
from core.evaluation.config import parse_config  # noqa: E402
from core.evaluation.metrics import wilson  # noqa: E402
from core.pipeline import run_experiment  # noqa: E402
from core.review.ranking import ranking_input, strategy_status  # noqa: E402
from core.review.selection import choose, leave_one_out, weight_grid  # noqa: E402
from core.review.strategies import COMBINED_WEIGHTS, part_percentiles, weighted_percentiles  # noqa: E402
from core.store import ExampleFilter, Store  # noqa: E402
from core.teachers.aggregate import reliability_table  # noqa: E402
from shared_data import TASKS, gwsd, llms_for_css, pledges, report_arguments  # noqa: E402

KS = (25, 50, 100, 200)
CSS_MODELS = {"chatgpt": "chatgpt", "davinci003": "text-davinci-003", "flan_ul2": "flan-ul2"}
RANDOM_SEEDS = 20
# pinned: on these data sets (no split column) "auto" cross-fits; every gold row is in the pool and ranked, and
# a row's slice risk comes from the gold rows of the other folds only
EVALUATION = {"scheme": "crossfit", "folds": 5, "repeats": 2, "seed": 0}
RUN_CONFIG = {"sizes": ["all"], "seeds": [0, 1, 2], "bootstrap": 200, "student": {"label_modes": ["hard"]},
              "evaluation": EVALUATION}
CROWDLAB = "CROWDLAB (cleanlab.multiannotator)"


def data_sets(shared: Path):
    """(name, frame with id/text/gold and one column per teacher, teacher columns, confidence columns, slices)."""
    frame = gwsd(shared).reset_index().rename(columns={"index": "id", "answer": "gpt4o"})
    frame["id"] = frame["id"].astype(str)
    yield "gwsd", frame, ["gpt4o"], {"gpt4o": "confidence"}, []
    for task in TASKS:
        frame = None
        for teacher, model in CSS_MODELS.items():
            answers = llms_for_css(shared, task, model).rename(columns={"answer": teacher})
            frame = answers if frame is None else frame.merge(answers[["id", teacher]], on="id")
        # a model whose answers are mostly not options of the task (FLAN-UL2 on the yes/no tasks answers in
        # another vocabulary) has nothing to rank or to aggregate; it is named in the report
        usable = [t for t in CSS_MODELS if frame[t].isin(set(frame["gold"])).mean() >= 0.5]
        yield task, frame.drop(columns=[t for t in CSS_MODELS if t not in usable]), usable, {}, []
    frame = pledges(shared)
    yield "pledges", frame, [c for c in frame.columns if c not in {"id", "text", "gold", "party", "year"}], {}, ["party", "year"]


def precision_at(order: list, wrong: set, k: int) -> float:
    return float(np.mean([e in wrong for e in order[:k]]))


def ordered(example_ids: np.ndarray, score: np.ndarray) -> list:
    """Best first, ties by example id: the order `strategies._ranked` gives."""
    return list(example_ids[np.lexsort((example_ids, -score))])


def with_interval(value: float, k: int) -> tuple:
    lo, hi = wilson(float(value), k)
    return round(float(value), 3), round(lo, 3), round(hi, 3)


def crowdlab_quality(store: Store, run_id: str, teachers: list[str]) -> pd.DataFrame:
    """cleanlab's CROWDLAB (`get_label_quality_multiannotator`) as its authors use it: every LLM's labels and a
    classifier's held-out probabilities, here the out-of-fold student trained on the LLMs' majority vote. Returns
    each LLM's label quality per example (NaN where it gave no label)."""
    from cleanlab.multiannotator import get_label_quality_multiannotator

    data = ranking_input(store, run_id, "majority_vote")
    names = data.label_names
    labels = pd.DataFrame({t: store.teacher_labels(store.run_teachers(run_id).set_index("teacher_name")
                                                   .loc[t, "teacher_id"], store.run(run_id)["dataset_id"])
                           .set_index("example_id")["label"].reindex(data.examples["example_id"]).map(
                               {n: i for i, n in enumerate(names)}) for t in teachers})
    labels.index = data.examples["example_id"].to_numpy()
    answered = labels.notna().any(axis=1).to_numpy()
    result = get_label_quality_multiannotator(labels[answered], data.student_probs[answered], verbose=False)
    detailed = result["detailed_label_quality"]
    return pd.DataFrame({t: detailed[f"quality_annotator_{t}"].to_numpy() for t in teachers},
                        index=labels.index[answered])


def measure(name, frame, teachers, confidences, slices, folder: Path) -> dict:
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    store = Store(folder / f"{name}.duckdb")
    import_dataset(store, read_dataset(path, ColumnMapping(text="text", id="id", gold="gold", slices=tuple(slices),
                                                           llm_labels={t: t for t in teachers},
                                                           llm_confidences=confidences)), name)
    specs = [{"name": t, "kind": "recorded"} for t in teachers]
    if len(teachers) >= 3:
        specs += [{"name": f"{method}_vote", "kind": "aggregate", "params": {"teachers": teachers, "method": method}}
                  for method in ("majority", "dawid_skene")]
    run_id = run_experiment(store, parse_config({
        "name": name, "dataset": name, **RUN_CONFIG, "teachers": specs}))
    accuracy = store.teacher_scores(run_id).set_index("teacher_name")["accuracy"]
    crowdlab = crowdlab_quality(store, run_id, teachers) if len(teachers) >= 3 else None
    entries = []
    for teacher in teachers:
        data = ranking_input(store, run_id, teacher)
        view = store.example_view(run_id, teacher, where=ExampleFilter(role="train")).set_index("example_id")
        wrong = set(view.index[view["teacher_label"].fillna("(none)") != view["gold"]])
        status = strategy_status(data)
        ks = [k for k in KS if k <= len(view) // 2] or [len(view) // 2]
        precision = {}
        for strategy in status["runnable"]:
            seeds = range(RANDOM_SEEDS) if strategy == "random" else [0]
            precision[strategy] = {}
            for k in ks:
                value = np.mean([precision_at(list(data.ranked(strategy, s)["example_id"]), wrong, k) for s in seeds])
                precision[strategy][k] = with_interval(value, k)
        ids = data.examples["example_id"].to_numpy()
        if crowdlab is not None:  # the baseline: CROWDLAB's quality of this teacher's labels, lowest first
            order = ordered(ids, 1.0 - crowdlab[teacher].reindex(ids).fillna(0.0).to_numpy())
            precision[CROWDLAB] = {k: with_interval(precision_at(order, wrong, k), k) for k in ks}
        entries.append({"teacher": teacher, "pool": len(view), "wrong": len(wrong), "ks": ks, "precision": precision,
                        "cannot": status["cannot"], "same_order": status["same_order"],
                        "percentiles": part_percentiles(data), "ids": ids,
                        "is_wrong": np.array([e in wrong for e in ids]), "k_select": ks[min(1, len(ks) - 1)]})
    reliability = reliability_table(store.run_teachers(run_id), accuracy)
    return {"dataset": name, "entries": entries, "accuracy": accuracy.round(3).to_dict(),
            "left_out": [t for t in CSS_MODELS if name in TASKS and t not in teachers],
            "reliability": reliability.round(3).to_dict("records")}


def candidate_scores(results, grid) -> pd.DataFrame:
    """Precision at each data set's selection k (50, or 25 on a small pool) of every weight candidate, averaged
    over the data set's teachers."""
    rows = []
    for result in results:
        for index, weights in enumerate(grid):
            values = [precision_at(ordered(e["ids"], weighted_percentiles(e["percentiles"], weights)),
                                   set(e["ids"][e["is_wrong"]]), e["k_select"]) for e in result["entries"]]
            rows.append({"dataset": result["dataset"], "candidate": index, "score": float(np.mean(values))})
    return pd.DataFrame(rows)


def summarize(results, grid, loo: pd.DataFrame) -> dict:
    per_set = []
    for result in results:
        held_out = grid[int(loo.set_index("dataset").loc[result["dataset"], "candidate"])]
        default, cleanlab, crowdlab = [], [], []
        for e in result["entries"]:
            wrong = set(e["ids"][e["is_wrong"]])
            default.append(precision_at(ordered(e["ids"], weighted_percentiles(e["percentiles"], held_out)), wrong,
                                        e["k_select"]))
            cleanlab.append(e["precision"]["cleanlab"][e["k_select"]][0])
            if CROWDLAB in e["precision"]:
                crowdlab.append(e["precision"][CROWDLAB][e["k_select"]][0])
        per_set.append({"dataset": result["dataset"], "k": result["entries"][0]["k_select"],
                        "default_held_out": round(float(np.mean(default)), 3), "cleanlab": round(float(np.mean(cleanlab)), 3),
                        "crowdlab": round(float(np.mean(crowdlab)), 3) if crowdlab else None,
                        "weights_held_out": held_out})
    table = pd.DataFrame(per_set)
    return {"per_dataset": per_set, "against_cleanlab": compare(table, "cleanlab"),
            "against_crowdlab": compare(table[table["crowdlab"].notna()], "crowdlab")}


def compare(table: pd.DataFrame, baseline: str) -> dict:
    """The held-out default against a baseline over data sets: wins, ties, losses, mean difference, Wilcoxon."""
    difference = table["default_held_out"] - table[baseline].astype(float)
    test = wilcoxon(table["default_held_out"], table[baseline].astype(float)) if (difference != 0).any() else None
    return {"wins": int((difference > 0).sum()), "ties": int((difference == 0).sum()),
            "losses": int((difference < 0).sum()), "n": len(table), "mean_difference": round(float(difference.mean()), 3),
            "wilcoxon_p": None if test is None else round(float(test.pvalue), 4),
            "losses_on": list(table.loc[difference < 0, "dataset"]), "ties_on": list(table.loc[difference == 0, "dataset"])}


def mean_ranks(results) -> pd.Series:
    """Each strategy's mean rank (1 = best precision at the selection k) over every data set's teachers it ran on."""
    ranks = []
    for result in results:
        for e in result["entries"]:
            values = pd.Series({s: p[e["k_select"]][0] for s, p in e["precision"].items()})
            ranks.append(values.rank(ascending=False))
    return pd.concat(ranks, axis=1).mean(axis=1).sort_values()


def report(results, summary, chosen: dict, ranks: pd.Series, seconds: float, stamp: str) -> str:
    cleanlab, crowdlab = summary["against_cleanlab"], summary["against_crowdlab"]
    lines = ["# Which spot-check ranking finds wrong LLM labels first", "",
             f"Generated by `python bench/spot_check_precision.py` ({seconds:.0f} s on this machine; {stamp}) from "
             "real LLM labels beside human gold labels in `../shared/data` (not part of the project). Precision@k: "
             "share of the first k training-pool examples whose LLM label is wrong, with a 95% Wilson interval "
             f"(random: mean of {RANDOM_SEEDS} seeds). Each data set is one run with all its LLMs as teachers, "
             f"evaluated by cross-fitting (`evaluation = {EVALUATION}`: {EVALUATION['folds']} folds x "
             f"{EVALUATION['repeats']} repeats), so every gold row is in the training pool and ranked. No ranking "
             "reads the gold label of a row it ranks: the student's probabilities are out of fold, the map is not "
             "built, and a row's slice risk is measured on the gold rows of the other folds only.", "",
             "## The default, chosen without the data set it is scored on", "",
             "`combined` is the weighted mean percentile of the parts whose signals a data set has (student "
             "disagreement, stated confidence, the teacher's own spread, structured slice risk, other teachers' "
             "disagreement). Its weights (each 0, 1 or 2) are chosen by leave-one-data-set-out: for each data set, "
             "the weights with the best mean precision@50 (25 on the pledges' small pool) over the *other* data sets "
             "are scored on it (`core.review.selection.leave_one_out`). The weights in the code are chosen on all of "
             f"them: `{chosen}`.", "",
             f"**Held-out default vs cleanlab (`find_label_issues` on the student's out-of-fold probabilities): better "
             f"on {cleanlab['wins']} of {cleanlab['n']} data sets, equal on {cleanlab['ties']}, worse on "
             f"{cleanlab['losses']}; mean difference in precision {cleanlab['mean_difference']:+.3f}; Wilcoxon "
             f"signed-rank p = {cleanlab['wilcoxon_p']}.**", "",
             f"**Held-out default vs CROWDLAB (`cleanlab.multiannotator.get_label_quality_multiannotator`: every "
             "LLM's labels and the out-of-fold probabilities of a student trained on their majority vote; each "
             f"teacher's labels ranked by their CROWDLAB quality), on the {crowdlab['n']} data sets where three or "
             f"more LLMs label: better on {crowdlab['wins']}, equal on {crowdlab['ties']}, worse on "
             f"{crowdlab['losses']}; mean difference {crowdlab['mean_difference']:+.3f}; Wilcoxon p = "
             f"{crowdlab['wilcoxon_p']}.**", "",
             "| data set | k | default (weights chosen without it) | cleanlab | CROWDLAB | weights used |",
             "|---|---|---|---|---|---|"]
    for row in summary["per_dataset"]:
        weights = ", ".join(f"{p} {w:g}" for p, w in row["weights_held_out"].items() if w)
        crowd = "" if row["crowdlab"] is None else f"{row['crowdlab']:.2f}"
        lines.append(f"| {row['dataset']} | {row['k']} | {row['default_held_out']:.2f} | {row['cleanlab']:.2f} | "
                     f"{crowd} | {weights} |")
    lines += ["", f"Where it loses to cleanlab: {', '.join(cleanlab['losses_on']) or 'nowhere'}; equal on "
              f"{', '.join(cleanlab['ties_on']) or 'none'}. Where it loses to CROWDLAB: "
              f"{', '.join(crowdlab['losses_on']) or 'nowhere'}; equal on {', '.join(crowdlab['ties_on']) or 'none'}. "
              "Where a data set has neither stated confidences nor several usable "
              "teachers, `combined` is the student's disagreement alone, which on two classes orders exactly as "
              "cleanlab does: it can only tie there. Caveats: only GWSD states confidences, so the weight of "
              "`low_confidence` rests on one data set (held out, that weight is untested and stays 1); the "
              "pledge pool is small, so its precision is at 25 checks or fewer with wide intervals; each data set "
              f"is one cross-fitting (fold seed {EVALUATION['seed']}).", "",
              "## Mean rank of each strategy (1 = best at the selection k, over every data set's teachers it can run on)",
              "", "| strategy | mean rank |", "|---|---|"]
    lines += [f"| {s} | {r:.2f} |" for s, r in ranks.items()]
    lines += ["", "## Aggregate teachers: accuracy over the gold rows", "",
              "`majority_vote` and `dawid_skene_vote` aggregate a data set's LLMs (kind `aggregate`); each member's "
              "reliability is estimated by Dawid-Skene from their answers alone and shown beside its measured "
              "accuracy. These LLMs "
              "err together (they share biases and answer formats), which agreement cannot tell from being right: "
              "the estimates run high, the weighted vote can follow a confident wrong pair, and an aggregate beats "
              "the best single teacher only on some tasks.", "",
              "| data set | best single teacher | majority_vote | dawid_skene_vote |", "|---|---|---|---|"]
    for result in results:
        accuracy = result["accuracy"]
        members = {t: a for t, a in accuracy.items() if not t.endswith("_vote")}
        best = max(members, key=members.get)
        if len(members) < 3:
            lines.append(f"| {result['dataset']} | {best} {members[best]:.3f} | (fewer than three LLMs: no aggregate) | |")
            continue
        lines.append(f"| {result['dataset']} | {best} {members[best]:.3f} | {accuracy['majority_vote']:.3f} | "
                     f"{accuracy['dawid_skene_vote']:.3f} |")
    lines += ["", "| data set | teacher | estimated accuracy (Dawid-Skene) | measured accuracy (gold rows) |", "|---|---|---|---|"]
    for result in results:
        for row in result["reliability"]:
            if row["aggregate"] == "dawid_skene_vote":
                lines.append(f"| {result['dataset']} | {row['teacher']} | {row['estimated_accuracy']} | {row['measured_accuracy']} |")
    lines += ["", "## Per data set and teacher", "",
              "A LLMs-for-CSS model whose answers are mostly outside the task's options is left out: "
              + (", ".join(f"{r['dataset']} ({', '.join(r['left_out'])})" for r in results if r["left_out"]) or "none")
              + ". The `combined` rows here use the weights in the code, chosen on every data set including the one "
              "shown, so they are not the default's measured precision: that is the held-out figure of the first "
              "table, chosen without the data set it is scored on.", ""]
    for result in results:
        for e in result["entries"]:
            lines += [f"### {result['dataset']}: {e['teacher']} ({e['pool']} pool examples, {e['wrong']} wrong, "
                      f"base rate {e['wrong'] / e['pool']:.1%})", ""]
            if e["cannot"]:
                lines.append("Left out: " + "; ".join(f"`{s}`: {r}" for s, r in e["cannot"].items()) + ".")
            if e["same_order"]:
                lines.append("Same order: " + "; ".join(" = ".join(g) for g in e["same_order"]) + ".")
            lines += ["", "| strategy | " + " | ".join(f"p@{k}" for k in e["ks"]) + " |", "|---" * (len(e["ks"]) + 1) + "|"]
            for strategy, values in e["precision"].items():
                lines.append(f"| {strategy} | " + " | ".join(f"{v:.2f} [{lo:.2f}, {hi:.2f}]"
                                                             for v, lo, hi in (values[k] for k in e["ks"])) + " |")
            lines.append("")
    lines += ["Sources: Gligoric et al. 2024, *Can unconfident LLM annotations be used for confident conclusions?* "
              "(GWSD, GPT-4o labels and verbalized confidence); Ziems et al. 2024, *Can Large Language Models "
              "Transform Computational Social Science?* (answers of ChatGPT, text-davinci-003, FLAN-UL2); Fornaciari "
              "et al. 2021 via github.com/haukelicht/advanced_text_analysis (pledges, four LLMs' labels)."]
    return "\n".join(lines) + "\n"


def commit() -> str:
    """The commit measured, marked when the code (core/, bench/) has changes not committed."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "core", "bench"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return f"{head}{' with uncommitted changes' if dirty else ''}"


def main():
    args = report_arguments(ROOT / "docs" / "spot_check_precision.md")
    measured = commit()  # at the start: the code that runs, whatever changes in the worktree meanwhile
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for spec in data_sets(args.shared):
            results.append(measure(*spec, Path(tmp)))
            print(f"{spec[0]}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    grid = weight_grid(list(COMBINED_WEIGHTS))
    scores = candidate_scores(results, grid)
    loo = leave_one_out(scores)
    chosen = grid[choose(scores)]
    summary = summarize(results, grid, loo)
    ranks = mean_ranks(results)
    seconds = time.perf_counter() - started
    stamp = f"commit {measured}; every run's config `{RUN_CONFIG}` with the data set's LLMs as teachers"
    args.report.write_text(report(results, summary, chosen, ranks, seconds, stamp))
    print(json.dumps({"seconds": round(seconds, 1), "commit": measured, "run_config": RUN_CONFIG,
                      "chosen_weights": chosen, "summary": summary,
                      "mean_rank": ranks.round(2).to_dict(),
                      "accuracy": {r["dataset"]: r["accuracy"] for r in results}}, indent=2, default=str))


if __name__ == "__main__":
    main()
