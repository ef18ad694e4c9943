"""Ranking strategies, budget curves, exchange with Label Studio / Argilla / CSV, and applying verdicts."""
import json

import numpy as np
import pandas as pd
import pytest

from core import cli
from core.review import exchange
from core.evaluation.metrics import crossfit_interval
from core.evaluation.runs import run_plan
from core.review.budget import budget_curves, budget_scheme_words
from core.evaluation.config import parse_config
from core.errors import DataError
from core.pipeline import apply_verdicts, run_experiment
from core.review.verdicts import record_verdict, reviewer_agreement
from core.review import queue as queue_module
from core.review.queue import spot_check_queue
from core.review.strategies import STRATEGIES
from core.review.ranking import hiding_gold, ranking_input
from core.review.strategies import runnable
from core.store.review import BUDGET_FOLD_COLUMNS
from core.store import ExampleFilter


@pytest.fixture
def run(db, small_dataset):
    config = parse_config({"name": "spot", "dataset": "small", "sizes": [100, "all"], "seeds": [0, 1, 2],
                           "bootstrap": 200, "student": {"label_modes": ["hard"]},
                           "teachers": [{"name": "sim", "kind": "simulated", "params": {"depth_error": 0.15, "seed": 2}}]})
    return run_experiment(db, config)


def wrong_teacher_labels(db, run_id) -> set:
    view = db.example_view(run_id, "sim", where=ExampleFilter(role="train"))
    return set(view.loc[view["teacher_label"] != view["gold"], "example_id"])


def test_every_strategy_ranks_each_pool_example_once_with_a_reason(db, run):
    data = ranking_input(db, run, "sim")
    pool = set(data.examples["example_id"])
    for name, strategy in STRATEGIES.items():
        ranked = strategy(data, 0)
        assert list(ranked.columns) == ["example_id", "score", "reason"], name
        assert len(ranked) == len(pool) and set(ranked["example_id"]) == pool, name
        assert ranked["reason"].str.len().min() > 0, name
    assert not STRATEGIES["random"](data, 0)["example_id"].equals(STRATEGIES["random"](data, 1)["example_id"])
    assert STRATEGIES["cleanlab"](data, 0)["example_id"].equals(STRATEGIES["cleanlab"](data, 1)["example_id"])


@pytest.mark.slow
def test_rankings_never_read_the_gold_labels_they_rank(db, run):
    """Blank the pool's gold labels in the store: every non-random ranking stays the same."""
    before = {name: s(ranking_input(db, run, "sim"), 0)["example_id"].tolist() for name, s in STRATEGIES.items()}
    with db.transaction() as con:
        con.execute("UPDATE examples SET gold = NULL WHERE split <> 'test'")
    after = {name: s(ranking_input(db, run, "sim"), 0)["example_id"].tolist() for name, s in STRATEGIES.items()}
    assert before == after


def test_model_based_strategies_find_wrong_teacher_labels_better_than_chance(db, run):
    wrong = wrong_teacher_labels(db, run)
    data = ranking_input(db, run, "sim")
    base_rate = len(wrong) / len(data.examples)
    precision = {name: np.mean([e in wrong for e in s(data, 0)["example_id"][:60]]) for name, s in STRATEGIES.items()}
    assert precision["disagreement"] > base_rate + 0.2
    assert precision["cleanlab"] > base_rate + 0.2
    # the simulated teacher is confidently wrong on its systematic errors, so its confidence points away from them
    assert precision["low_confidence"] < precision["disagreement"]


@pytest.mark.slow
def test_budget_curves_buy_accuracy_and_are_stored(db, run):
    summary = budget_curves(db, run, "sim", strategies=("random", "disagreement"), budgets=(0, 40, 120))
    stored, folds = db.budget_curve(run, "sim"), db.budget_fold_scores(run, "sim")
    assert len(stored) == len(summary) == 6
    # the contract the cost options read: one row per strategy, budget and fold (a fixed split: one fold)
    assert list(folds.columns) == BUDGET_FOLD_COLUMNS and len(folds) == 6
    assert (folds["n_checks"] <= folds["budget"]).all() and (folds["n_test"] > 0).all()
    disagreement = summary[summary["strategy"] == "disagreement"].set_index("budget")
    assert disagreement.loc[120, "label_error"] < disagreement.loc[0, "label_error"]
    assert disagreement.loc[120, "change_lo"] > 0  # a bootstrap interval over seeds and test rows, paired
    assert disagreement.loc[40, "precision"] > summary[summary["strategy"] == "random"].set_index("budget").loc[40, "precision"]
    zero = summary[summary["budget"] == 0]
    assert zero["accuracy"].nunique() == 1 and (zero["change"] == 0).all()  # no checks: the same teacher labels
    assert (summary["accuracy_lo"] <= summary["accuracy"]).all() and (summary["accuracy"] <= summary["accuracy_hi"]).all()
    assert summary["gold_accuracy"].iloc[0] > zero["accuracy"].iloc[0]
    assert (summary["scheme"] == "split").all() and (summary["n_folds"] == 1).all()


CROSSFIT_TEACHER = {"name": "sim", "kind": "simulated", "params": {"depth_error": 0.3, "ambiguous_error": 0.6, "seed": 2}}


@pytest.fixture
def crossfit_run(db, small_dataset):
    return run_experiment(db, parse_config({
        "name": "budget-crossfit", "dataset": "small", "sizes": ["all"], "seeds": [0, 1, 2], "bootstrap": 100,
        "evaluation": {"scheme": "crossfit", "folds": 3, "repeats": 2}, "student": {"label_modes": ["hard"]},
        "teachers": [CROSSFIT_TEACHER]}))


@pytest.mark.slow
def test_budget_curves_cover_every_fold_and_repeat_with_the_corrected_interval(db, crossfit_run):
    summary = budget_curves(db, crossfit_run, "sim", strategies=("random", "disagreement", "slice_risk"),
                            budgets=(0, 30, 90), seeds=(0, 1))
    folds = db.budget_fold_scores(crossfit_run, "sim")
    assert set(zip(folds["repeat"], folds["fold"])) == {(r, f) for r in range(2) for f in range(3)}
    assert len(folds) == 3 * 3 * 6 and (folds["n_checks"] == folds["budget"]).all()
    row = summary.set_index(["strategy", "budget"]).loc[("disagreement", 90)]
    per_fold = folds[folds["strategy"] == "disagreement"].pivot_table(index=["repeat", "fold"], columns="budget",
                                                                      values="accuracy")
    # the change is the mean of paired per-fold differences, with the headline's cross-validation t interval
    change = crossfit_interval((per_fold[90] - per_fold[0]).to_numpy(), per_fold.index.get_level_values("repeat"))
    assert (row["change"], row["change_lo"], row["change_hi"]) == pytest.approx((change.value, change.lo, change.hi))
    assert row["accuracy"] == pytest.approx(per_fold[90].mean()) and row["n_folds"] == 6
    random = folds[folds["strategy"] == "random"].pivot_table(index=["repeat", "fold"], columns="budget",
                                                              values="accuracy")
    assert row["vs_random"] == pytest.approx((per_fold[90] - random[90]).mean())
    assert row["half_gap_folds"] <= 6 and (summary["scheme"] == "crossfit").all()
    assert "3 folds x 2 repeats" in budget_scheme_words(summary)
    assert db.budget_left_out(crossfit_run, "sim") == {}


@pytest.mark.slow
def test_no_fold_is_ranked_with_its_own_held_out_gold(db, small_dataset, crossfit_run):
    """Permute the gold labels of one fold's held-out rows: the rankings of that fold's pool stay the same for
    every strategy, although the same permutation moves today's slice risks (which read every other fold's gold)."""
    examples, plan = run_plan(db, crossfit_run)
    fold = plan.folds[0]
    held_out = examples["example_id"].iloc[fold.held_out]
    pool = set(examples["example_id"].iloc[fold.train])

    def orders(hide: bool) -> dict:
        data = ranking_input(db, crossfit_run, "sim")
        data = hiding_gold(db, crossfit_run, "sim", data, held_out) if hide else data
        can, _ = runnable(data)
        return {name: [e for e in data.ranked(name)["example_id"] if e in pool] for name in can}

    before, shown_before = orders(hide=True), orders(hide=False)
    assert "slice_risk" in shown_before
    gold = examples.set_index("example_id")["gold"].reindex(held_out)
    shuffled = pd.Series(gold.sample(frac=1.0, random_state=1).to_numpy(), index=gold.index)
    assert (shuffled != gold).mean() > 0.3
    with db.transaction() as con:
        con.register("frame", shuffled.rename("gold").rename_axis("example_id").reset_index())
        con.execute("UPDATE examples SET gold = frame.gold FROM frame WHERE examples.dataset_id = ? "
                    "AND examples.example_id = frame.example_id", [small_dataset.dataset_id])
        con.unregister("frame")
    assert orders(hide=True) == before
    assert orders(hide=False)["slice_risk"] != shown_before["slice_risk"]  # the permutation is not vacuous


@pytest.mark.slow
def test_queue_follows_the_stored_ranking_and_picked_examples_come_first(db, run, small_dataset):
    queue = spot_check_queue(db, run, "sim", "cleanlab", limit=20)
    expected = STRATEGIES["cleanlab"](ranking_input(db, run, "sim"), 0)
    assert queue["example_id"].tolist() == expected["example_id"][:20].tolist()
    assert queue["total"].iloc[0] == len(expected)
    db.pin(small_dataset.dataset_id, [expected["example_id"].iloc[-1]], "on the map (sim)")
    assert spot_check_queue(db, run, "sim", "cleanlab", limit=1)["reason"].iloc[0] == "picked on the map (sim)"


@pytest.mark.slow
def test_the_stored_queue_head_gives_the_full_reads_queue_after_verdicts_and_picks(db, run, small_dataset, monkeypatch):
    """The queue's head is stored when the run finishes; verdicts and picks made later are applied when it is read,
    and a request deeper than the head reads everything."""
    monkeypatch.setattr(queue_module, "QUEUE_HEAD", 30)
    queue_module.store_queue_heads(db, run, "sim")
    order = db.example_view(run, "sim", queue="cleanlab")["example_id"]
    assert len(order) > 60 and "queue/sim/cleanlab" in db.page_frame_names(run)
    for example_id in order.iloc[[0, 2, 3]]:
        record_verdict(db, small_dataset.dataset_id, example_id, "ada", "skip")
    db.pin(small_dataset.dataset_id, [order.iloc[-1], order.iloc[5]], "on the map (sim)")
    for include_reviewed in (False, True):
        for limit in (10, 27, 45, None):
            got = spot_check_queue(db, run, "sim", "cleanlab", include_reviewed=include_reviewed, limit=limit)
            want = db.example_view(run, "sim", where=ExampleFilter(include_reviewed=include_reviewed), queue="cleanlab",
                                   limit=limit)
            assert got["example_id"].tolist() == want["example_id"].tolist(), (include_reviewed, limit)
            assert got["total"].iloc[0] == want["total"].iloc[0] == len(order) - (0 if include_reviewed else 3)
            assert got["n_verdicts"].tolist() == want["n_verdicts"].tolist()
    assert queue_module.queue_strategies(db, run, "sim") == db.ranking_strategies(run, "sim")


def _label_studio_annotations(tasks, answers):
    """Completed tasks as Label Studio exports them (JSON list, `annotations` with a choices result)."""
    out = []
    for task in tasks:
        example_id = task["data"]["example_id"]
        if example_id in answers:
            task = {**task, "id": len(out) + 1, "annotations": [{
                "id": 1000 + len(out), "completed_by": {"id": 7, "email": "ada@example.org"}, "was_cancelled": False,
                "result": [{"from_name": "label", "to_name": "text", "type": "choices",
                            "value": {"choices": [answers[example_id]]}}]}]}
        out.append(task)
    return out


@pytest.mark.slow
def test_label_studio_round_trip_without_duplicates(db, run, small_dataset, tmp_path):
    queue = spot_check_queue(db, run, "sim", "disagreement", limit=10)
    tasks = exchange.to_label_studio(queue, "sim")
    first = tasks[0]
    assert first["data"]["text"] == queue["text"].iloc[0]
    assert first["predictions"][0]["result"][0]["value"]["choices"] == [queue["teacher_label"].iloc[0]]
    assert 0 < first["predictions"][0]["score"] <= 1 and first["predictions"][0]["model_version"] == "sim"
    assert '<Choice value="AMBIGUOUS"/>' in exchange.label_studio_config(small_dataset.label_set)
    from xml.etree import ElementTree

    from core.datasets.labelset import LabelSet
    odd = ElementTree.fromstring(exchange.label_studio_config(LabelSet.from_names(['say "hi"', "R&D", "<b>"])))
    assert [c.get("value") for c in odd.iter("Choice")][:3] == ['say "hi"', "R&D", "<b>"]  # valid XML, names as typed
    answers = {queue["example_id"].iloc[0]: "billing", queue["example_id"].iloc[1]: "AMBIGUOUS"}
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(_label_studio_annotations(tasks, answers)))
    assert exchange.import_verdicts(db, small_dataset.dataset_id, path, "label_studio") == 2
    assert exchange.import_verdicts(db, small_dataset.dataset_id, path, "label_studio") == 0
    verdicts = db.verdicts(small_dataset.dataset_id).set_index("example_id")
    assert verdicts.loc[queue["example_id"].iloc[0], ["verdict", "label", "reviewer"]].tolist() == ["label", "billing", "ada@example.org"]
    assert verdicts.loc[queue["example_id"].iloc[1], "verdict"] == "ambiguous"


@pytest.mark.slow
def test_argilla_and_csv_round_trips(db, run, small_dataset, tmp_path):
    queue = spot_check_queue(db, run, "sim", "combined", limit=5)
    records = exchange.to_argilla(queue, "sim")
    assert records[0]["suggestions"][0] == {"question_name": "label", "value": queue["teacher_label"].iloc[0],
                                            "agent": "sim", "score": pytest.approx(queue["teacher_confidence"].iloc[0])}
    records[0]["responses"] = [{"question_name": "label", "value": "delivery", "user_id": "u-1", "status": "submitted"}]
    records[1]["responses"] = [{"question_name": "label", "value": "account", "user_id": "u-2", "status": "draft"}]
    path = tmp_path / "argilla.json"
    path.write_text(json.dumps(records))
    assert exchange.import_verdicts(db, small_dataset.dataset_id, path, "argilla") == 1  # drafts are not verdicts

    csv = pd.read_csv(pd.io.common.StringIO(exchange.to_csv(queue)), dtype=str, keep_default_na=False)
    csv.loc[0, ["reviewer", "verdict", "label", "note"]] = ["Grace", "label", "technical", "the app crashes"]
    csv.loc[1, ["reviewer", "verdict"]] = ["Grace", "skip"]
    csv.to_csv(tmp_path / "checked.csv", index=False)
    assert cli.main(["import-verdicts", str(tmp_path / "checked.csv"), "--dataset", "small", "--format", "csv",
                     "--db", str(db.path)]) == 0
    assert len(db.verdicts(small_dataset.dataset_id)) == 3


@pytest.mark.slow
def test_a_malformed_import_names_the_row_and_changes_nothing(db, run, small_dataset, tmp_path):
    queue = spot_check_queue(db, run, "sim", "disagreement", limit=3)
    tasks = exchange.to_label_studio(queue, "sim")
    answers = {queue["example_id"].iloc[0]: "billing", queue["example_id"].iloc[2]: "refunds"}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_label_studio_annotations(tasks, answers)))
    with pytest.raises(DataError) as caught:
        exchange.import_verdicts(db, small_dataset.dataset_id, path, "label_studio")
    assert caught.value.problems[0].startswith("record 3: 'refunds' is neither a label")
    assert db.verdicts(small_dataset.dataset_id).empty
    path.write_text("{not json")
    with pytest.raises(DataError, match="not a label_studio annotation file"):
        exchange.import_verdicts(db, small_dataset.dataset_id, path, "label_studio")


@pytest.mark.slow
def test_applying_verdicts_trains_on_corrected_labels_and_shows_before_and_after(db, run, small_dataset):
    queue = spot_check_queue(db, run, "sim", "disagreement", limit=120)
    gold = db.examples(small_dataset.dataset_id).set_index("example_id")["gold"]
    for example_id in queue["example_id"]:
        record_verdict(db, small_dataset.dataset_id, example_id, "oracle", "label", gold[example_id])
    record_verdict(db, small_dataset.dataset_id, queue["example_id"].iloc[0], "second", "label", gold[queue["example_id"].iloc[0]])
    assert reviewer_agreement(db.verdicts(small_dataset.dataset_id)) == {"n_examples": 1, "all_agree": 1.0}

    new_run = apply_verdicts(db, run, "sim")
    teachers = db.run_teachers(new_run).set_index("teacher_name")
    assert set(teachers.index) == {"sim", "sim+verdicts"}
    corrected = db.teacher_labels(teachers.loc["sim+verdicts", "teacher_id"], small_dataset.dataset_id).set_index("example_id")
    assert (corrected.loc[queue["example_id"], "label"] == gold[queue["example_id"]]).all()
    scores = db.teacher_scores(new_run).set_index("teacher_name")
    assert scores.loc["sim+verdicts", "accuracy"] >= scores.loc["sim", "accuracy"]  # test split: verdicts on the pool only
    curve = db.curve(new_run)
    final = curve[(curve["metric"] == "accuracy") & (curve["size"] == curve["size"].max())].set_index("trained_on")["mean"]
    assert final["sim+verdicts"] > final["sim"]
    assert apply_verdicts(db, run, "sim") == new_run  # same verdicts: the same run, found not redone


def test_cluster_error_rates_count_only_texts_with_a_gold_label():
    from core.review.disagreements import cluster_summary

    # cluster 0: 4 texts, 2 with gold, the teacher wrong on 1 of them; cluster 1: no gold at all; -1 is noise
    view = pd.DataFrame({
        "example_id": [f"e{i}" for i in range(8)],
        "cluster": [0, 0, 0, 0, 1, 1, -1, -1],
        "gold": ["a", "b", None, None, None, None, "a", "a"],
        "teacher_label": ["a", "a", "b", "b", "a", "b", "b", "b"],
        "student_label": ["a", "b", "a", "a", "a", "a", "b", "b"],
    })
    summary = cluster_summary(view).set_index("cluster")
    assert list(summary.index) == [0, 1]
    assert summary.loc[0, ["n", "n_gold"]].tolist() == [4, 2]
    assert summary.loc[0, "teacher_error"] == 0.5 and summary.loc[0, "student_error"] == 0.0
    assert 0 < summary.loc[0, "teacher_error_lo"] < 0.5 < summary.loc[0, "teacher_error_hi"] < 1
    assert summary.loc[0, "student_error_hi"] > 0  # no errors seen in 2 texts is not a zero error rate
    assert summary.loc[1, ["teacher_error", "teacher_error_lo"]].isna().all()


def test_export_refuses_an_unknown_or_unavailable_strategy_naming_the_valid_ones(db, run, tmp_path, capsys):
    from core.cli.parser import STRATEGY_NAMES

    export = ["export", "--db", str(db.path), "--run", run, "--teacher", "sim", "--format", "csv",
              "--out", str(tmp_path / "queue.csv")]
    with pytest.raises(SystemExit) as unknown:
        cli.main([*export, "--strategy", "confidance"])
    assert unknown.value.code == 2 and "combined" in capsys.readouterr().err
    # registered, but one teacher cannot feed it: a usage error with the reason and what this teacher has
    assert cli.main([*export, "--strategy", "teacher_disagreement"]) == 2
    said = capsys.readouterr().err
    assert "3 or more teachers" in said and "disagreement" in said and not (tmp_path / "queue.csv").exists()
    assert cli.main([*export, "--strategy", "disagreement"]) == 0
    assert STRATEGY_NAMES == tuple(STRATEGIES.names())
    with pytest.raises(SystemExit):
        cli.main(["export", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert all(name in help_text for name in STRATEGIES.names())


def test_progress_in_a_log_is_a_few_plain_lines_without_carriage_returns():
    import io

    from core.cli.commands import TqdmProgress

    log = io.StringIO()
    progress = TqdmProgress(stream=log)
    for done in range(1001):
        progress("labeling", done, 1000)
    written = log.getvalue()
    assert "\r" not in written and written.splitlines() == [f"labeling: {d}/1000" for d in (0, 250, 500, 750, 1000)]
