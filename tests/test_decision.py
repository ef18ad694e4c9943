"""The decision a manager repeats: every option a run measured priced, the cheapest whose interval is above the
target, unknown prices said, a price that never changes a run, and the exchange rate read off the curves."""
import json
import textwrap

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file

from core import cli, decide
from core.datasets import demo_corpus
from core.datasets.importing import import_dataset
from core.datasets.reading import ColumnMapping, read_dataset
from core.decision.costs import Costs, seconds_per_check, teacher_prices
from core.decision.exchange import ABOVE, BELOW, exchange_rate, fold_accuracies, size_at_accuracy
from core.decision.decision import option_words
from core.decision.options import checks_options, choose_strategy, option_cost
from core.errors import EXIT_INPUT, EXIT_USAGE
from core.evaluation.config import parse_config
from core.fingerprints import full_digest
from core.pipeline import run_experiment
from core.store import Store

TEACHER = {"name": "sim", "kind": "simulated", "params": {"depth_error": 0.15, "seed": 1}}


def config(**overrides):
    raw = {"name": "cf", "dataset": "cf", "sizes": [40, 80, 160, "all"], "seeds": [0, 1, 2],
           "evaluation": {"folds": 4, "repeats": 2}, "teachers": [TEACHER], "student": {"label_modes": ["hard", "soft"]}}
    raw.update(overrides)
    return parse_config(raw)


@pytest.fixture(scope="module")
def priced_run(tmp_path_factory):
    """A cross-fitted run on 400 demo rows with a SIMULATED teacher priced at $2 per 1,000 labels."""
    folder = tmp_path_factory.mktemp("decision")
    store = Store(folder / "test.duckdb")
    path = folder / "cf.csv"
    demo_corpus.generate(n=400, seed=5).to_csv(path, index=False)
    import_dataset(store, read_dataset(path, ColumnMapping(text="text", id="id", gold="label"), demo_corpus.LABEL_SET), "cf")
    return store, run_experiment(store, config(teachers=[{**TEACHER, "price_per_1000_labels": 2.0}]))


@pytest.mark.slow
def test_the_json_has_the_documented_fields_and_costs_add_up(priced_run, capsys):
    store, run_id = priced_run
    assert cli.main(["decide", "--db", str(store.path), "--run", run_id, "--format", "json",
                     "--human-label-cost", "0.5", "--check-cost", "0.2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"run", "target", "costs", "options", "cheapest", "exchange_rates", "n_folds", "scheme"} <= set(out)
    assert out["costs"]["human_label_usd"] == 0.5 and out["costs"]["human_check_usd"] == 0.2
    assert out["costs"]["teachers"]["sim"]["source"] == "run config"
    assert out["n_folds"] == 8
    assert "cross-validation t interval over the 8 fold estimates, standard error s/√4" in out["scheme"]
    for option in out["options"]:
        assert {"name", "teacher", "label_mode", "n_teacher_labels", "n_human_labels", "n_checks", "cost_usd",
                "accuracy", "reaches_target", "simulated"} <= set(option)
        assert set(option["accuracy"]) == {"value", "lo", "hi"}
        expected = option["n_teacher_labels"] * 0.002 + option["n_human_labels"] * 0.5 + option["n_checks"] * 0.2
        assert option["cost_usd"] == pytest.approx(expected)
        assert option["simulated"] == (option["teacher"] == "sim")
    human = [o for o in out["options"] if o["teacher"] is None]
    assert [o["n_human_labels"] for o in human] == [40, 80, 160, 300]
    modes = {(o["teacher"], o["label_mode"]) for o in out["options"] if o["teacher"]}
    assert modes == {("sim", "hard"), ("sim", "soft")}
    # the default target: the human-label student at the largest size minus one point
    assert out["target"] == pytest.approx(human[-1]["accuracy"]["value"] - 0.01)
    assert cli.main(["decide", "--db", str(store.path), "--run", run_id, "--human-label-cost", "0.5",
                     "--check-cost", "0.2"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == out["sentence"]  # the text opens with the sentence
    assert {r["teacher"] for r in out["exchange_rates"]} == {"sim"}
    assert all(set(r["human_labels_per_teacher_label"]) == {"value", "lo", "hi"} for r in out["exchange_rates"])


def test_an_option_reaches_the_target_only_with_its_lower_bound_above_it(priced_run):
    store, run_id = priced_run
    options = decide(store, run_id, target=0.5).options
    best = max(options, key=lambda o: o.accuracy.lo)
    assert decide(store, run_id, target=best.accuracy.lo - 1e-9).cheapest is not None
    at_bound = decide(store, run_id, target=best.accuracy.lo)
    assert at_bound.cheapest is None and at_bound.closest == best  # a lower bound equal to the target is not above it
    estimated = at_bound.cheapest_estimated()  # none is shown to reach it; the cheapest estimate that does is named
    assert estimated is not None and estimated.accuracy.value >= best.accuracy.lo
    assert all(o.cost_usd >= estimated.cost_usd for o in options
               if o.cost_usd is not None and o.accuracy.value >= best.accuracy.lo)
    said = at_bound.sentence()
    assert said.startswith(f"No option this run measured") and f"{best.accuracy.lo:.1%} accuracy" in said
    assert option_words(estimated) in said and option_words(best) in said
    assert best.name in json.dumps(at_bound.to_dict())
    # below every option's point estimate but above its lower bound: the point estimate alone never reaches it
    loose = decide(store, run_id, target=0.5)
    cheapest = loose.cheapest
    assert cheapest is not None and cheapest.accuracy.lo > 0.5
    assert all(o.cost_usd >= cheapest.cost_usd for o in options if o.reaches(0.5))
    assert "SIMULATED" in loose.sentence() if cheapest.simulated else "SIMULATED" not in loose.sentence()


def test_a_teacher_without_a_price_has_an_unknown_cost_said_in_text_and_json(priced_run, tmp_path, capsys):
    store, run_id = priced_run
    decision = decide(store, run_id, costs=Costs(teacher_per_1000_labels={}))
    assert decision.prices["sim"].usd_per_label == pytest.approx(0.002)  # from the config
    unpriced = Store(tmp_path / "unpriced.duckdb")
    path = tmp_path / "cf.csv"
    demo_corpus.generate(n=300, seed=5).to_csv(path, index=False)
    import_dataset(unpriced, read_dataset(path, ColumnMapping(text="text", id="id", gold="label"), demo_corpus.LABEL_SET), "cf")
    run = run_experiment(unpriced, config(sizes=[60, "all"], evaluation={"folds": 3, "repeats": 1}))
    assert cli.main(["decide", "--db", str(unpriced.path), "--run", run, "--format", "json", "--target", "0.3"]) == 0
    out = json.loads(capsys.readouterr().out)
    teacher_options = [o for o in out["options"] if o["teacher"] == "sim"]
    assert teacher_options and all(o["cost_usd"] is None and "price_per_1000_labels" in o["note"] for o in teacher_options)
    price = out["costs"]["teachers"]["sim"]
    assert price["usd_per_label"] is None and price["source"] == "unknown" and "cost unknown" in price["note"]
    assert any("unknown cost also reach the target" in note for note in out["notes"])
    assert cli.main(["decide", "--db", str(unpriced.path), "--run", run]) == 0
    assert "cost unknown" in capsys.readouterr().out
    # set on the command line, the price is used and named as set
    assert cli.main(["decide", "--db", str(unpriced.path), "--run", run, "--format", "json", "--teacher-price", "sim=4"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["costs"]["teachers"]["sim"]["source"] == "setting"
    assert all(o["cost_usd"] == pytest.approx(o["n_teacher_labels"] * 0.004) for o in out["options"] if o["teacher"])
    assert cli.main(["decide", "--db", str(unpriced.path), "--run", run, "--teacher-price", "gpt=4"]) == EXIT_INPUT
    assert "no teacher named" in capsys.readouterr().err
    assert cli.main(["decide", "--db", str(unpriced.path), "--run", run, "--check-cost", "-1"]) == EXIT_USAGE
    assert cli.main(["decide", "--db", str(unpriced.path), "--run", run, "--target", "74"]) == EXIT_INPUT


def test_a_price_never_changes_a_runs_identity_and_a_later_price_is_recorded(priced_run):
    plain, priced = config(), config(teachers=[{**TEACHER, "price_per_1000_labels": 2.0}])
    assert plain.fingerprint() == priced.fingerprint()
    # what the fingerprint was before teachers had a price (and runs a [compute] table): the same digest
    before = {key: value for key, value in plain.model_dump().items() if key != "compute"}
    before["teachers"] = [{k: v for k, v in t.items() if k != "price_per_1000_labels"} for t in before["teachers"]]
    assert plain.fingerprint() == full_digest(before)
    store, run_id = priced_run
    repriced = config(teachers=[{**TEACHER, "price_per_1000_labels": 5.0}])
    assert run_experiment(store, repriced) == run_id  # finished: nothing is fitted again
    assert decide(store, run_id).prices["sim"].usd_per_label == pytest.approx(0.005)
    run_experiment(store, config(teachers=[{**TEACHER, "price_per_1000_labels": 2.0}]))


def test_checks_options_from_per_fold_budget_scores_of_a_real_run(priced_run):
    """Checking every pool label makes the teacher's labels the gold ones: budget 0 is the teacher arm at all
    its rows and budget n_pool the gold arm, fold by fold, so those two budgets are real measurements."""
    store, run_id = priced_run
    folds = fold_accuracies(store.fits(run_id))
    largest = folds["size"].max()
    teacher = folds[(folds.trained_on == "sim") & (folds.label_mode == "hard") & (folds["size"] == largest)]
    gold = folds[(folds.trained_on == "gold") & (folds["size"] == largest)]
    n_pool = int(teacher["n_train"].iloc[0])
    checked = pd.concat([teacher.assign(budget=0, n_checks=0), gold.assign(budget=n_pool, n_checks=n_pool)])
    # a second strategy that loses 5 points, so the choice has something to choose from
    losing = pd.concat([teacher.assign(budget=0, n_checks=0),
                        teacher.assign(budget=n_pool, n_checks=n_pool, accuracy=teacher["accuracy"] - 0.05)])
    fold_scores = pd.concat([checked.assign(strategy="random"), losing.assign(strategy="worse")]).assign(
        n_pool=n_pool, n_test=100)
    decision = decide(store, run_id)
    price = decision.prices["sim"]
    options, choice = checks_options(fold_scores, "sim", price, Costs(), simulated=True)
    assert choice.strategy == "random" and "lean optimistic" in choice.note
    [option] = options
    human_all = next(o for o in decision.options if o.teacher is None and o.n_human_labels == n_pool)
    assert option.accuracy.value == pytest.approx(human_all.accuracy.value)
    assert option.accuracy.lo < option.accuracy.value < option.accuracy.hi
    assert option.cost_usd == pytest.approx(n_pool * 0.002 + n_pool * 0.15)
    assert option.n_checks == n_pool and option.simulated
    with_checks = decide(store, run_id, budget_folds={"sim": fold_scores})
    assert option in with_checks.options and any("random's order" in note for note in with_checks.notes)


def test_the_strategy_with_the_largest_paired_change_is_chosen_and_ties_are_named():
    rows = []
    for repeat in range(2):
        for fold in range(3):
            base = 0.70 + 0.02 * fold
            for strategy, gain in (("helps", 0.03), ("same", 0.03), ("hurts", -0.02)):
                for budget in (0, 50, 100):
                    rows.append({"strategy": strategy, "budget": budget, "repeat": repeat, "fold": fold,
                                 "accuracy": base + gain * budget / 100})
    choice = choose_strategy(pd.DataFrame(rows))
    assert choice.strategy == "helps" and set(choice.tied) == {"helps", "same"} and "same" in choice.note
    assert choice.mean_change == pytest.approx(0.0225)


def test_the_exchange_rate_interpolates_in_log_size_with_a_known_answer():
    # human accuracy grows 5 points per doubling; the teacher's 1,600 labels reach what 400 human labels reach
    sizes = np.array([100, 200, 400, 800, 1600])
    assert size_at_accuracy(sizes, 0.60 + 0.05 * np.log2(sizes / 100), 0.675) == pytest.approx(100 * 2 ** 1.5)
    assert size_at_accuracy(sizes, 0.60 + 0.05 * np.log2(sizes / 100), 0.55) == BELOW
    assert size_at_accuracy(sizes, 0.60 + 0.05 * np.log2(sizes / 100), 0.90) == ABOVE
    human, teacher = [], []
    for repeat in range(2):
        for fold in range(5):
            shift = 0.01 * (fold - 2) + 0.002 * repeat  # fold to fold both curves move together
            for size in sizes:
                human.append({"repeat": repeat, "fold": fold, "size": size, "n_train": size,
                              "accuracy": 0.60 + 0.05 * np.log2(size / 100) + shift})
                teacher.append({"repeat": repeat, "fold": fold, "size": size, "n_train": size,
                                "accuracy": 0.60 + 0.05 * np.log2(size / 400) + shift})
    rate = exchange_rate(pd.DataFrame(human), pd.DataFrame(teacher).query("size >= 400"), "t", "hard")
    assert rate.value == pytest.approx(400 / 1600) and rate.lo == pytest.approx(0.25) and rate.hi == pytest.approx(0.25)
    assert rate.human_labels == pytest.approx(400) and rate.teacher_labels == 1600
    weak = pd.DataFrame(teacher).assign(accuracy=lambda f: f["accuracy"] - 0.2)
    never = exchange_rate(pd.DataFrame(human), weak, "t", "hard")
    assert never.value is None and "never reaches the human curve" in never.note
    strong = pd.DataFrame(teacher).assign(accuracy=lambda f: f["accuracy"] + 0.2)
    beyond = exchange_rate(pd.DataFrame(human), strong, "t", "hard")
    assert beyond.value is None and "human curve never reaches the teacher's" in beyond.note


def test_seconds_per_check_come_from_gaps_between_one_reviewers_verdicts():
    start = pd.Timestamp("2026-01-01 09:00")
    one_by_one = pd.DataFrame({"reviewer": ["ann"] * 5 + ["bo"] * 3,
                               "created_at": [start + pd.Timedelta(seconds=s) for s in (0, 10, 22, 30, 4000)]
                               + [start + pd.Timedelta(seconds=s) for s in (0, 14, 14)]})
    timing = seconds_per_check(one_by_one)
    assert timing.median_seconds == pytest.approx(11) and timing.n == 4  # 10, 12, 8, 14; not 0 s nor a 66-minute pause
    uploaded = pd.DataFrame({"reviewer": ["ann"] * 50, "created_at": [start] * 50})
    assert seconds_per_check(uploaded).median_seconds is None and "uploaded together" in seconds_per_check(uploaded).note


def test_a_teachers_price_comes_from_a_setting_its_measured_calls_its_config_or_its_members_else_unknown():
    measured = pd.DataFrame({"teacher_name": ["claude", "gpt", "sim", "zero", "crowd"], "n_labels": [1000] * 5,
                             "input_tokens": [90_000, 0, 0, 0, 0], "output_tokens": [4_000, 0, 0, 0, 0],
                             "cost_usd": [1.5, 0.0, 0.0, 0.0, 0.0]})
    prices = teacher_prices(measured, {"gpt": 2.0, "claude": 9.0}, {"crowd": ["claude", "gpt", "sim"]},
                            Costs(teacher_per_1000_labels={"sim": 0.5}))
    assert prices["claude"].usd_per_label == pytest.approx(0.0015) and prices["claude"].source == "measured calls"
    assert prices["gpt"].usd_per_label == pytest.approx(0.002) and prices["gpt"].source == "run config"
    assert prices["sim"].usd_per_label == pytest.approx(0.0005) and prices["sim"].source == "setting"
    assert prices["crowd"].usd_per_label == pytest.approx(0.004) and prices["crowd"].source == "members"
    assert prices["zero"].usd_per_label is None and "price_per_1000_labels" in prices["zero"].note
    unpriced_member = teacher_prices(measured, {}, {"crowd": ["zero", "claude", "gpt"]}, Costs())
    assert unpriced_member["crowd"].usd_per_label is None


def test_option_cost_is_unknown_only_when_teacher_labels_are_bought_at_an_unknown_price():
    costs = Costs()
    assert option_cost(0, 100, 0, None, costs) == pytest.approx(40.0)
    assert option_cost(500, 0, 0, None, costs) is None


@pytest.mark.slow
def test_the_decision_on_real_gpt4o_labels_of_global_warming_stance(tmp_path, capsys):
    path = shared_file("gwsd_gpt4o", "datasets", "global_warming", "global_warming.csv")
    db = tmp_path / "gwsd.duckdb"
    assert cli.main(["import", str(path), "--db", str(db), "--name", "gwsd", "--text", "data_entry",
                     "--gold", "gold_label", "--llm-label", "gpt4o=gpt_label"]) == 0
    run_config = tmp_path / "run.toml"
    run_config.write_text(textwrap.dedent("""
        name = "gwsd"
        dataset = "gwsd"
        sizes = [200, 800, "all"]
        seeds = [0, 1, 2]
        [student]
        label_modes = ["hard"]
        [evaluation]
        folds = 3
        repeats = 1
        [[teachers]]
        name = "gpt4o"
        kind = "recorded"
        price_per_1000_labels = 1.5
    """))
    assert cli.main(["run", "--config", str(run_config), "--db", str(db)]) == 0
    capsys.readouterr()
    assert cli.main(["decide", "--db", str(db), "--run", "gwsd", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    teacher = [o for o in out["options"] if o["teacher"] == "gpt4o"]
    assert teacher and not any(o["simulated"] for o in teacher)
    assert all(o["cost_usd"] == pytest.approx(o["n_teacher_labels"] * 0.0015) for o in teacher)
    assert "SIMULATED" not in out["sentence"] and out["n_folds"] == 3
    [rate] = out["exchange_rates"]
    assert rate["human_labels_per_teacher_label"]["value"] is not None or "never" in rate["note"]


@pytest.mark.slow
def test_decide_prices_the_checks_options_of_a_stored_budget_curve(priced_run, capsys):
    """After `python -m core budget`, decide reads the stored per-fold curve itself: teacher labels plus B checks,
    priced as the pool's teacher labels plus B checks, with the stored curve's interval."""
    store, run_id = priced_run
    assert cli.main(["budget", "--db", str(store.path), "--run", run_id, "--teacher", "sim", "--budgets", "0,20,40"]) == 0
    capsys.readouterr()
    assert cli.main(["decide", "--db", str(store.path), "--run", run_id, "--format", "json", "--check-cost", "0.2"]) == 0
    out = json.loads(capsys.readouterr().out)
    checked = [o for o in out["options"] if o["n_checks"]]
    assert sorted(o["n_checks"] for o in checked) == [20, 40]
    curve = store.budget_curve(run_id, "sim")
    pool = store.budget_fold_scores(run_id, "sim")
    for option in checked:
        assert option["name"] == f"sim labels + {option['n_checks']} human checks"
        assert option["n_teacher_labels"] == round(pool["n_pool"].mean())
        assert option["cost_usd"] == pytest.approx(option["n_teacher_labels"] * 0.002 + option["n_checks"] * 0.2)
        row = curve[(curve["strategy"] == option["strategy"]) & (curve["budget"] == option["n_checks"])].iloc[0]
        assert option["accuracy"]["lo"] == pytest.approx(row["accuracy_lo"], abs=1e-6)
        assert option["accuracy"]["lo"] < option["accuracy"]["value"] < option["accuracy"]["hi"]
