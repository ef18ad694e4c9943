"""Strategies that know what they need, slice risk that is not the maximum of noise, many teachers as one, and the
leave-one-data-set-out choice of the default ranking."""
import json

import numpy as np
import pandas as pd
import pytest

from core.datasets import demo_corpus
from core.datasets.demo_corpus import DEMO_MAPPING
from core.datasets.importing import import_dataset
from core.datasets.reading import ColumnMapping, read_dataset
from core.evaluation.config import parse_config
from core.pipeline import run_experiment
from core.report import charts
from core.review.budget import best_supported, budget_curves, checks_sentence, summarize_budget
from core.review.ranking import rank_pool, ranking_input, shrunk_rates
from core.review.selection import choose, leave_one_out, weight_grid
from core.review.strategies import DEFAULT_STRATEGY, STRATEGIES, RankingInput, runnable
from core.store import ExampleFilter
from core.teachers.aggregate import consensus, reliability_table
from core.teachers.registry import TEACHERS


def _pure_input(n=200, k=2, seed=0, other_labels=None) -> RankingInput:
    """A teacher with labels only (no confidence, no distribution), a held-out student, no map, no slices."""
    rng = np.random.default_rng(seed)
    names = [f"l{i}" for i in range(k)]
    student = rng.dirichlet(np.ones(k), n)
    examples = pd.DataFrame({"example_id": [f"e{i:04d}" for i in range(n)], "teacher_label": rng.choice(names, n),
                             "teacher_confidence": np.nan, "cluster": np.nan})
    return RankingInput(examples, np.full((n, k), np.nan), student, names,
                        pd.DataFrame({"example_id": examples["example_id"], "risk": 0.0, "where": ""}),
                        other_labels if other_labels is not None else pd.DataFrame(index=examples.index))


def test_a_strategy_without_its_signal_is_left_out_with_its_reason():
    can, cannot = runnable(_pure_input())
    assert cannot["low_confidence"] == "this teacher states no confidence"
    assert "no samples or probabilities" in cannot["self_disagreement"]
    assert "no disagreement map" in cannot["cluster_coverage"]
    assert "structured-error test" in cannot["slice_risk"]
    assert "3 or more teachers" in cannot["teacher_disagreement"] and "aggregate_uncertainty" in cannot
    assert set(can) == {"random", "disagreement", "cleanlab", "combined"} and DEFAULT_STRATEGY in can
    # `combined` uses only the signals that exist: here the student's disagreement alone, so it orders as that does
    data = _pure_input()
    assert data.ranked("combined")["example_id"].equals(data.ranked("disagreement")["example_id"])
    top = data.ranked("combined").iloc[0]
    assert top["reason"].startswith("the student (it says ") and "disagrees with the teacher" in top["reason"]


def test_the_default_queue_says_in_words_why_an_example_is_there():
    """No percentiles or signal names: who disagrees with the teacher, and whether the teacher was unsure."""
    base = _pure_input(k=3)
    names, n = base.label_names, len(base.examples)
    student_says = [names[i] for i in base.student_probs.argmax(axis=1)]
    # example 0: the student and both other teachers contradict a teacher that was unsure
    teacher = [names[(names.index(s) + 1) % 3] if i == 0 else s for i, s in enumerate(student_says)]
    examples = base.examples.assign(teacher_label=teacher, teacher_confidence=[0.3] + [0.9] * (n - 1))
    others = pd.DataFrame({"a": student_says, "b": student_says})
    data = RankingInput(examples, base.teacher_probs, base.student_probs, names, base.slice_risk, others)
    reasons = data.ranked("combined").set_index("example_id")["reason"]
    assert reasons["e0000"] == (f"the student (it says {student_says[0]!r}) and 2 of 2 other teachers disagree with "
                                "the teacher; the teacher was unsure (confidence 0.30)")
    assert data.ranked("combined")["example_id"].iloc[0] == "e0000"
    assert not reasons.str.contains("percentile|low_confidence|teacher_disagreement").any()


def test_with_three_teachers_teacher_disagreement_can_run():
    base = _pure_input()
    others = pd.DataFrame({"a": base.examples["teacher_label"], "b": base.examples["teacher_label"]})
    data = _pure_input(other_labels=others)
    assert {"teacher_disagreement", "aggregate_uncertainty"} <= set(runnable(data)[0])
    assert (data.ranked("teacher_disagreement")["score"] == 0).all()  # everyone agrees: nothing to flag


def test_every_registered_strategy_declares_known_signals():
    from core.review.strategies import SIGNALS
    for plugin in STRATEGIES.plugins():
        assert set(plugin.info["needs"]) <= set(SIGNALS), plugin.name


def test_stored_rankings_are_the_runnable_ones_and_identical_orders_are_named(db, small_dataset):
    run_id = run_experiment(db, parse_config({
        "name": "signals", "dataset": "small", "sizes": ["all"], "seeds": [0, 1, 2], "bootstrap": 100,
        "student": {"label_modes": ["hard"]},
        "teachers": [{"name": "sim", "kind": "simulated", "params": {"seed": 1}}]}))
    status = rank_pool(db, run_id, "sim")
    assert db.ranking_strategies(run_id, "sim") == sorted(status["runnable"])
    assert "teacher_disagreement" in status["cannot"] and "cluster_coverage" in status["cannot"]
    assert status["same_order"] and all(len(group) > 1 for group in status["same_order"])


def test_shrinkage_pulls_small_noisy_buckets_to_the_overall_rate():
    n = np.array([30] * 40)
    wrong = np.random.default_rng(0).binomial(30, 0.2, size=40)  # one rate: every spread is sampling noise
    overall = wrong.sum() / n.sum()
    assert np.abs(wrong / n - overall).max() > 0.2  # the raw maximum is noise far above the overall rate
    assert np.abs(shrunk_rates(n, wrong) - overall).max() < 0.05  # a fifth of the raw spread
    assert np.allclose(shrunk_rates(np.array([100, 100]), np.array([20, 20])), 0.2)
    n, wrong = np.array([1000, 1000, 20]), np.array([100, 400, 15])  # real structure; the small bucket moves most
    rates = shrunk_rates(n, wrong)
    assert abs(rates[0] - 0.1) < 0.01 and abs(rates[1] - 0.4) < 0.01 and rates[2] < 15 / 20 - 0.05


def _import_with_columns(db, tmp_path, name, extra: int):
    frame = demo_corpus.generate(n=700, seed=5)
    rng = np.random.default_rng(11)
    columns = [f"noise{i}" for i in range(extra)]
    for column in columns:
        frame[column] = rng.choice([f"v{j}" for j in range(int(rng.integers(3, 12)))], len(frame))
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, index=False)
    mapping = ColumnMapping(**{**DEMO_MAPPING.__dict__, "slices": (*DEMO_MAPPING.slices, *columns)})
    import_dataset(db, read_dataset(path, mapping, demo_corpus.LABEL_SET), name)
    run_id = run_experiment(db, parse_config({
        "name": name, "dataset": name, "sizes": ["all"], "seeds": [0, 1, 2], "bootstrap": 100,
        "student": {"label_modes": ["hard"]},
        "teachers": [{"name": "sim", "kind": "simulated", "params": {"depth_error": 0.15, "seed": 2}}]}))
    view = db.example_view(run_id, "sim", where=ExampleFilter(role="train"))
    wrong = set(view.loc[view["teacher_label"] != view["gold"], "example_id"])
    data = ranking_input(db, run_id, "sim")
    return data, np.mean([e in wrong for e in data.ranked(DEFAULT_STRATEGY)["example_id"][:100]])


@pytest.mark.slow
def test_twenty_random_columns_do_not_move_the_default_ranking_beyond_noise(db, tmp_path):
    plain, before = _import_with_columns(db, tmp_path, "plain", 0)
    noisy, after = _import_with_columns(db, tmp_path, "noisy", 20)
    # the binomial standard error of a precision near 0.5 at 100 checks is 0.05
    assert abs(after - before) <= 0.05
    # no noise column becomes a risky slice, and the demo's answer keys (label-valued columns) never do
    assert not noisy.slice_risk["where"].str.contains("noise|alt_label|distractor_label").any()


def test_the_aggregate_recovers_known_teacher_accuracies():
    rng = np.random.default_rng(0)
    n, k, accuracies = 3000, 4, [0.9, 0.8, 0.7, 0.65, 0.85]
    truth = rng.integers(0, k, n)
    votes = np.stack([np.where(rng.random(n) < a, truth, (truth + rng.integers(1, k, n)) % k) for a in accuracies], 1)
    votes[rng.random(votes.shape) < 0.05] = -1  # abstentions are missing votes
    realized = [(votes[votes[:, j] >= 0, j] == truth[votes[:, j] >= 0]).mean() for j in range(len(accuracies))]
    for method in ("majority", "dawid_skene"):
        label, probs, reliability = consensus(votes, k, method)
        assert np.abs(reliability - realized).max() < 0.03
        assert (label == truth).mean() > max(accuracies)
    assert (consensus(votes, k, "dawid_skene")[0] == truth).mean() >= (consensus(votes, k, "majority")[0] == truth).mean()


@pytest.mark.slow
def test_an_aggregate_teacher_is_labeled_distilled_scored_and_marked(db, small_dataset):
    members = [{"name": f"sim{i}", "kind": "simulated", "params": {"mode": "uniform", "base_accuracy": a, "seed": i}}
               for i, a in enumerate((0.9, 0.8, 0.7))]
    run_id = run_experiment(db, parse_config({
        "name": "many", "dataset": "small", "sizes": ["all"], "seeds": [0, 1, 2], "bootstrap": 100,
        "student": {"label_modes": ["hard"]},
        "teachers": members + [{"name": "crowd", "kind": "aggregate",
                                "params": {"teachers": ["sim0", "sim1", "sim2"], "method": "dawid_skene"}}]}))
    assert TEACHERS.plugin("aggregate").info["aggregate"]
    teachers = db.run_teachers(run_id)
    scores = db.teacher_scores(run_id).set_index("teacher_name")["accuracy"]
    assert "crowd" in scores.index and bool(teachers.set_index("teacher_name").loc["crowd", "simulated"])
    assert set(db.curve(run_id)["trained_on"]) >= {"crowd", "sim0"}
    table = reliability_table(teachers, scores)
    assert list(table["teacher"]) == ["sim0", "sim1", "sim2"]
    # Dawid-Skene's estimate from the members' answers alone lands near the accuracy measured on gold
    assert (table["estimated_accuracy"] - table["measured_accuracy"]).abs().max() < 0.06, table.to_string()
    from core.report.service import html_report, report_output  # the estimates reach the JSON and HTML report
    shown = json.loads(report_output(db, run_id, "json", "accuracy", None))["aggregate_reliability"]
    assert [r["teacher"] for r in shown] == ["sim0", "sim1", "sim2"] and all(r["measured_accuracy"] for r in shown)
    assert "as Dawid-Skene estimates it" in html_report(db, run_id)
    config = json.loads(teachers.set_index("teacher_name").loc["crowd", "config"])
    assert config["aggregate"] and set(config["members"]) == {"sim0", "sim1", "sim2"}
    status = rank_pool(db, run_id, "sim2")
    assert "teacher_disagreement" in status["runnable"]
    data = ranking_input(db, run_id, "sim2")
    assert list(data.other_labels.columns) == ["sim0", "sim1"]  # the aggregate's votes are its members' again


def test_leave_one_out_never_lets_the_held_out_data_set_choose():
    rng = np.random.default_rng(0)
    scores = pd.DataFrame([{"dataset": d, "candidate": c, "score": rng.random()} for d in "abcde" for c in range(6)])
    chosen = leave_one_out(scores)
    for held_out in "abcde":
        others = scores[scores["dataset"] != held_out]
        assert chosen.set_index("dataset").loc[held_out, "candidate"] == choose(others)
        # whatever the held-out data set says, the candidate scored on it does not change
        rigged = scores.copy()
        rigged.loc[rigged["dataset"] == held_out, "score"] = np.where(
            rigged.loc[rigged["dataset"] == held_out, "candidate"] == 5, 10.0, -10.0)
        assert leave_one_out(rigged).set_index("dataset").loc[held_out, "candidate"] == choose(others)
    grid = weight_grid(["a", "b"])
    assert grid[0] == {"a": 1.0, "b": 1.0} and len(grid) == 8


def test_the_budget_sentence_says_what_the_first_checks_buy(db, small_dataset):
    run_id = run_experiment(db, parse_config({
        "name": "buy", "dataset": "small", "sizes": ["all"], "seeds": [0, 1, 2], "bootstrap": 100,
        "student": {"label_modes": ["hard"]},
        "teachers": [{"name": "sim", "kind": "simulated", "params": {"depth_error": 0.15, "seed": 2}}]}))
    summary = budget_curves(db, run_id, "sim", strategies=(DEFAULT_STRATEGY,), budgets=(0, 100))
    row = summary.set_index("budget").loc[100]
    sentence = checks_sentence(summary)
    # on this small split 100 checks move the student by less than the interval can tell from nothing
    assert row["change_lo"] < 0 < row["change_hi"]
    assert sentence.startswith(f"No measurable gain from the first 100 checks in {DEFAULT_STRATEGY!r} order: "
                               f"{row['change'] * 100:+.1f} points, {row['change_lo'] * 100:+.1f} to ")
    assert f"they find {row['precision'] * 100:.0f} wrong teacher labels" in sentence
    assert checks_sentence(summary, "random") == "No budget curve of 'random' with checks yet."


def _fold_scores(changes: dict[str, list[float]], start=0.80, gold=0.86) -> pd.DataFrame:
    """Per-fold budget scores of 5 folds x 2 repeats: each strategy's accuracy at 100 checks is `start` plus
    its change in that fold; at 0 checks every strategy has `start` in every fold."""
    rows = []
    for strategy, change in changes.items():
        for i, delta in enumerate(change):
            for budget, accuracy in ((0, start), (100, start + delta)):
                rows.append({"strategy": strategy, "budget": budget, "repeat": i // 5, "fold": i % 5,
                             "n_checks": budget, "n_pool": 800, "n_test": 200, "accuracy": accuracy,
                             "gold_accuracy": gold})
    return pd.DataFrame(rows)


NOISE = [0.01, -0.012, 0.004, -0.006, 0.011, -0.008, 0.002, 0.009, -0.01, 0.004]


def test_a_change_whose_interval_includes_zero_is_no_gain_and_a_loss_is_a_loss():
    summary = summarize_budget(_fold_scores({"random": [0.0] * 10, "combined": NOISE,
                                             "cleanlab": [-0.01 + n / 4 for n in NOISE]}), "crossfit")
    combined = summary.set_index(["strategy", "budget"]).loc[("combined", 100)]
    assert combined["change_lo"] < 0 < combined["change_hi"]
    assert checks_sentence(summary, "combined").startswith(
        f"No measurable gain from the first 100 checks in 'combined' order: {combined['change'] * 100:+.1f} points, "
        f"{combined['change_lo'] * 100:+.1f} to {combined['change_hi'] * 100:+.1f}")
    cleanlab = checks_sentence(summary, "cleanlab")
    assert cleanlab.startswith("The first 100 checks in 'cleanlab' order cost accuracy: a loss of -1.0 points")
    assert "gain" not in cleanlab and "half of that gap: not within 100 (0 of 10 folds reach it)" in cleanlab


def test_the_headline_strategy_is_the_best_supported_one_and_identical_curves_are_named_together():
    gain = [0.03 + n / 2 for n in NOISE]
    summary = summarize_budget(_fold_scores({"random": NOISE, DEFAULT_STRATEGY: [n - 0.01 for n in NOISE],
                                             "disagreement": gain, "low_confidence": gain}), "crossfit")
    assert best_supported(summary) == "disagreement"
    sentence = checks_sentence(summary)
    assert sentence.startswith("The first 100 checks in 'disagreement = low_confidence' order gain +3.0 points")
    versus = summary.set_index(["strategy", "budget"]).loc[("disagreement", 100)]
    assert f"against 'random' on the same folds: {versus['vs_random'] * 100:+.1f} points" in sentence
    assert set(summary["same_curve"]) == {"random", DEFAULT_STRATEGY, "disagreement = low_confidence"}
    spec = charts.budget_curves(summary, "checks").to_dict()
    line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    drawn = pd.DataFrame(spec["datasets"][line["data"]["name"]])
    named = {"random", DEFAULT_STRATEGY, "disagreement = low_confidence"}
    # one line per curve, each point once, named together in the legend
    assert set(drawn["same_curve"]) == named and not drawn.duplicated(["same_curve", "budget"]).any()
    assert set(line["encoding"]["color"]["scale"]["domain"]) == named
    # the gap is 6 points: the folds whose gain at 100 checks falls short of 3 points do not close half of it,
    # so no mean is given, only how many folds do
    assert versus["half_gap_folds"] == sum(n >= 0 for n in NOISE) and np.isnan(versus["half_gap"])
    assert "half of that gap: not within 100 (6 of 10 folds reach it)" in sentence


