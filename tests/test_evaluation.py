"""The answer a user repeats: cross-fitted scoring of every gold row, seeds that vary the fit at every size,
comparisons that survive arms of different sizes, per-class errors, teacher scores over all gold rows, the
report, and loud early warnings."""
import hashlib
import json
import re

import numpy as np
import pandas as pd
import pytest

from core import cli
from core.datasets import demo_corpus
from core.datasets.importing import import_dataset
from core.datasets.reading import ColumnMapping, read_dataset
from core.errors import EXIT_INPUT
from core.evaluation.config import parse_config
from core.evaluation.metrics import error_structure
from core.evaluation.report import run_report
from core.evaluation.service import headlines
from core.pipeline import run_experiment

NO_SPLIT = ColumnMapping(text="text", id="id", gold="label")  # no fixed test split: cross-fitting


def crossfit_config(**overrides):
    raw = {"name": "cf", "dataset": "cf", "sizes": [60, "all"], "seeds": [0, 1, 2],
           "evaluation": {"folds": 4, "repeats": 2},
           "teachers": [{"name": "sim", "kind": "simulated", "params": {"depth_error": 0.15, "seed": 1}}],
           "student": {"label_modes": ["hard"]}}
    raw.update(overrides)
    return parse_config(raw)


@pytest.fixture
def crossfit_run(db, tmp_path):
    path = tmp_path / "cf.csv"
    demo_corpus.generate(n=400, seed=5).to_csv(path, index=False)
    import_dataset(db, read_dataset(path, NO_SPLIT, demo_corpus.LABEL_SET), "cf")
    return run_experiment(db, crossfit_config())


@pytest.mark.slow
def test_cross_fitting_scores_every_gold_row_exactly_once_per_repeat(db, crossfit_run):
    gold_ids = set(db.examples(db.run(crossfit_run)["dataset_id"])["example_id"])
    predictions = db.predictions(crossfit_run)
    for _, group in predictions.groupby(["trained_on", "label_mode", "size", "seed", "repeat"]):
        assert len(group) == len(gold_ids) and set(group["example_id"]) == gold_ids
    assert predictions["repeat"].nunique() == 2 and predictions["fold"].nunique() == 4
    [line] = headlines(db, crossfit_run)
    assert line.scheme == "crossfit" and line.n_folds == 8 and line.n_test == len(gold_ids)
    assert line.gap.lo < line.gap.value < line.gap.hi and "cross-fitting: 4 folds x 2 repeats" in line.sentence()


@pytest.mark.slow
def test_seeds_change_the_fit_at_every_size_all_included(db, crossfit_run):
    predictions = db.predictions(crossfit_run, "gold", "hard")
    largest = predictions[predictions["size"] == predictions["size"].max()]
    by_seed = largest.pivot_table(index=["repeat", "fold", "example_id"], columns="seed", values="confidence")
    assert (by_seed[0] != by_seed[1]).mean() > 0.5  # Bayesian-bootstrap weights, not three identical fits


@pytest.mark.slow
def test_arms_of_different_sizes_still_compare_with_the_gold_trained_student(db, tmp_path):
    corpus = demo_corpus.generate(n=500, seed=6)
    corpus.loc[:99, "label"] = ""  # 100 texts only the teacher labels
    corpus["gpt"] = corpus["label"].where(corpus["label"] != "", "billing")
    corpus.loc[150, "gpt"] = "not a label"  # one invalid answer
    path = tmp_path / "mixed.csv"
    corpus.to_csv(path, index=False)
    mapping = ColumnMapping(text="text", id="id", gold="label", llm_labels={"gpt": "gpt"})
    import_dataset(db, read_dataset(path, mapping, demo_corpus.LABEL_SET), "cf")
    run_id = run_experiment(db, crossfit_config(teachers=[{"name": "gpt", "kind": "recorded"}]))
    [line] = headlines(db, run_id)
    assert line.gold_student is not None and line.gap is not None and "no student was trained" not in line.sentence()
    assert line.n_teacher_arm > line.n_gold_arm and line.common_size is not None and line.common_gap is not None
    assert line.n_invalid == 1 and line.n_all_gold == 400


@pytest.mark.slow
def test_equal_accuracy_with_different_errors_is_said(db, tmp_path):
    path = tmp_path / "cf.csv"
    demo_corpus.generate(n=600, seed=7).to_csv(path, index=False)
    import_dataset(db, read_dataset(path, NO_SPLIT, demo_corpus.LABEL_SET), "cf")
    # a teacher that calls half of the billing messages delivery: the student inherits the missed billing
    noise = {"base_accuracy": 1.0, "depth_error": 0, "ambiguous_error": 0, "false_premise_error": 0,
             "negation_error": 0, "slice_column": "gold", "slice_value": "billing", "slice_error": 0.6}
    run_id = run_experiment(db, crossfit_config(teachers=[{"name": "sim", "kind": "simulated", "params": noise}]))
    [line] = headlines(db, run_id)
    billing = next(c for c in line.per_class if c.label == "billing")
    assert billing.recall_difference.hi < 0 and "billing" in line.different_errors
    assert billing.recall_difference_p_holm < 0.05
    assert billing.teacher["recall"].value < 0.6 and "recognises billing less often" in line.sentence()


def test_the_teacher_over_all_gold_rows_counts_the_pool_too_in_a_split_run(db, small_dataset):
    examples = db.examples(small_dataset.dataset_id)
    test = examples["split"] == "test"
    run_id = run_experiment(db, parse_config({
        "name": "split", "dataset": "small", "sizes": [100, "all"], "seeds": [0, 1, 2], "student": {"label_modes": ["hard"]},
        "teachers": [{"name": "sim", "kind": "simulated", "params": {"depth_error": 0.3, "seed": 2}}]}))
    [line] = headlines(db, run_id)
    labels = db.teacher_labels(db.run_teachers(run_id).set_index("teacher_name").loc["sim", "teacher_id"],
                               small_dataset.dataset_id).set_index("example_id")["label"]
    right = labels.reindex(examples["example_id"]).to_numpy() == examples["gold"].to_numpy()
    assert line.scheme == "split" and line.n_test == test.sum() < line.n_all_gold == len(examples)
    assert line.teacher_all_gold.value == pytest.approx(right.mean())
    assert line.teacher_all_gold.lo < right.mean() < line.teacher_all_gold.hi
    assert f"over all {len(examples)} gold rows" in line.sentence() and "one fixed test split" in line.sentence()


def test_a_split_runs_student_views_come_from_its_fits_and_never_from_a_rows_own_label(db, small_dataset):
    from core.compute import Dispatch
    from core.evaluation.fitting import student_views
    from core.evaluation.runs import fold_features, run_plan
    from core.students import make_student

    run_id = run_experiment(db, parse_config({
        "name": "views", "dataset": "small", "sizes": ["all"], "seeds": [0, 1, 2], "student": {"label_modes": ["hard"]},
        "teachers": [{"name": "sim", "kind": "simulated", "params": {"depth_error": 0.3, "seed": 2}}]}))
    views = db.query("SELECT example_id, role, predicted, confidence FROM example_predictions WHERE run_id = ?",
                     [run_id]).set_index("example_id")
    fits = db.predictions(run_id, "sim", "hard")
    plain = fits[fits["seed"] == -1].set_index("example_id")
    test = views[views["role"] == "test"]
    # the test rows' views are the run's own plain fit of the teacher's labels on every training row, not a refit:
    # its only tasks beyond the fits are the 5 out-of-fold ones
    assert len(test) == len(plain) > 0
    assert db.run(run_id)["compute"]["tasks"] == len(db.fits(run_id)) + 5
    pd.testing.assert_series_equal(test["predicted"], plain.loc[test.index, "predicted"], check_names=False)
    np.testing.assert_allclose(test["confidence"], plain.loc[test.index, "confidence"])
    # the training rows' views are out of fold, started from that fit: what out-of-fold fits from scratch give,
    # within the solver's tolerance
    examples, plan = run_plan(db, run_id)
    teacher = db.run_teachers(run_id)["teacher_id"].iloc[0]
    labels = db.teacher_labels(teacher, small_dataset.dataset_id).set_index("example_id")["label"]
    student = make_student(classes=demo_corpus.LABELS)
    X = fold_features(student, examples["text"], plan.folds[0].train)
    cold = student_views(student, X, examples["example_id"], labels, demo_corpus.LABELS, plan.folds[0].train,
                         plan.folds[0].held_out, Dispatch(1).map).set_index("example_id")
    train = views[views["role"] == "train"].index
    assert (cold.loc[train, "predicted"] == views.loc[train, "predicted"]).mean() > 0.98
    assert np.abs(cold.loc[train, "confidence"] - views.loc[train, "confidence"]).max() < 0.05


def test_views_learn_from_at_most_the_runs_largest_size_and_never_from_the_row_they_predict(db, small_dataset):
    """A run that never trains at "all" measures students of at most its largest size; its views (the queue's
    and the map's student) are that student, out of fold, not one trained on every other pool row."""
    from core.compute import Dispatch
    from core.evaluation.fitting import student_views
    from core.evaluation.runs import fold_features, run_plan
    from core.students import make_student

    run_id = run_experiment(db, parse_config({
        "name": "capped-views", "dataset": "small", "sizes": [40, 80], "seeds": [0, 1, 2],
        "student": {"label_modes": ["hard"]},
        "teachers": [{"name": "sim", "kind": "simulated", "params": {"seed": 3}}]}))
    examples, plan = run_plan(db, run_id)
    teacher = db.run_teachers(run_id)["teacher_id"].iloc[0]
    labels = db.teacher_labels(teacher, small_dataset.dataset_id).set_index("example_id")["label"]
    student = make_student(classes=demo_corpus.LABELS)
    train, held_out = plan.folds[0].train, plan.folds[0].held_out
    fits = []

    def recording(function, calls):
        calls = list(calls)
        fits.extend((rows, predicted) for _, _, (rows, _, predicted) in calls)
        return Dispatch(1).map(function, calls)

    views = student_views(student, fold_features(student, examples["text"], train), examples["example_id"], labels,
                          demo_corpus.LABELS, train, held_out, recording, max_train=80)
    assert len(train) > 2 * 80 and len(fits) == 6  # 5 out-of-fold fits and one for the rows that cannot teach
    assert all(len(rows) == 80 and not np.isin(predicted, rows).any() for rows, predicted in fits)
    assert len(views) == len(examples) and views["predicted"].isin(demo_corpus.LABELS).all()
    # and these are the run's own views
    stored = db.query("SELECT example_id, predicted FROM example_predictions WHERE run_id = ?", [run_id])
    assert stored.set_index("example_id")["predicted"].sort_index().equals(
        views.set_index("example_id")["predicted"].sort_index())


def test_views_of_the_largest_size_never_read_the_gold_labels(db, small_dataset):
    """The capped views read texts and teacher labels only: with every pool row's gold label permuted, a second
    run (the same teacher labels, from the cache) stores the same views, row for row."""
    config = {"dataset": "small", "sizes": [40, 80], "seeds": [0, 1, 2], "student": {"label_modes": ["hard"]},
              "teachers": [{"name": "sim", "kind": "simulated", "params": {"seed": 3}}]}
    examples = db.examples(small_dataset.dataset_id)
    pool = examples[examples["split"] != "test"]

    def views(name: str) -> pd.DataFrame:
        run_id = run_experiment(db, parse_config({**config, "name": name}))
        return db.query("SELECT example_id, predicted, confidence FROM example_predictions WHERE run_id = ? "
                        "ORDER BY example_id", [run_id])

    before = views("gold-as-imported")
    shuffled = pool["gold"].sample(frac=1.0, random_state=1).to_numpy()
    assert (shuffled != pool["gold"].to_numpy()).mean() > 0.3
    with db.transaction() as con:
        con.register("frame", pd.DataFrame({"example_id": pool["example_id"].to_numpy(), "gold": shuffled}))
        con.execute("UPDATE examples SET gold = frame.gold FROM frame WHERE examples.dataset_id = ? "
                    "AND examples.example_id = frame.example_id", [small_dataset.dataset_id])
        con.unregister("frame")
    pd.testing.assert_frame_equal(views("gold-permuted"), before)


def test_macro_f1_at_all_is_each_repeats_pooled_f1_not_a_mean_of_fold_f1s(db, crossfit_run):
    from sklearn.metrics import f1_score

    examples = db.examples(db.run(crossfit_run)["dataset_id"]).set_index("example_id")
    predictions = db.predictions(crossfit_run, "gold", "hard")
    plain = predictions[(predictions["seed"] == -1) & (predictions["size"] == predictions["size"].max())]
    pooled = [f1_score(examples.loc[rows["example_id"], "gold"], rows["predicted"], labels=demo_corpus.LABELS,
                       average="macro") for _, rows in plain.groupby("repeat")]
    per_fold = [f1_score(examples.loc[rows["example_id"], "gold"], rows["predicted"], labels=demo_corpus.LABELS,
                         average="macro") for _, rows in plain.groupby(["repeat", "fold"])]
    curve = db.curve(crossfit_run)
    point = curve[(curve.trained_on == "gold") & (curve.metric == "macro_f1")].sort_values("size").iloc[-1]
    assert point["mean"] == pytest.approx(np.mean(pooled), abs=1e-12)
    assert abs(np.mean(per_fold) - np.mean(pooled)) > 1e-6  # the two differ on these 100-row folds
    assert point["lo"] < point["mean"] < point["hi"]


@pytest.mark.slow
def test_a_cross_fitted_report_names_its_scheme_and_never_a_test_set(db, crossfit_run):
    from core.report.service import html_report

    page = re.sub(r"<script.*?</script>", "", html_report(db, crossfit_run), flags=re.S).lower()
    assert "cross-fitting: 4 folds x 2 repeats" in page and "in every fold and repeat of the run" in page
    assert [phrase for phrase in ("test set", "test examples only", "two-level bootstrap") if phrase in page] == []


@pytest.mark.slow
def test_the_report_is_json_with_the_documented_fields(db, crossfit_run, capsys):
    assert cli.main(["report", "--db", str(db.path), "--run", "cf", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["run"] == crossfit_run and report["evaluation"] == {"scheme": "crossfit", "folds": 4, "repeats": 2,
                                                                     "seeds": [0, 1, 2]}
    [line] = report["headlines"]
    assert {"teacher", "simulated", "label_mode", "metric", "size", "n_teacher_arm", "n_gold_arm", "student",
            "gold_student", "gap", "teacher_score", "teacher_all_gold", "per_class", "sentence"} <= set(line)
    assert set(line["gap"]) == {"value", "lo", "hi"} and line["simulated"] is True
    assert report.pop("aggregate_reliability") == []  # a run without aggregate teachers has none to estimate
    assert report == run_report(db, crossfit_run)


def test_a_soft_only_config_on_a_teacher_without_probabilities_exits_3_before_writing(tmp_path, capsys):
    corpus = demo_corpus.generate(n=200, seed=8).assign(gpt=lambda f: f["label"])
    corpus.to_csv(tmp_path / "d.csv", index=False)
    db = tmp_path / "db.duckdb"
    assert cli.main(["import", str(tmp_path / "d.csv"), "--db", str(db), "--name", "d", "--text", "text",
                     "--gold", "label", "--llm-label", "gpt=gpt"]) == 0
    (tmp_path / "soft.toml").write_text('name = "soft"\ndataset = "d"\n[student]\nlabel_modes = ["soft"]\n'
                                        '[[teachers]]\nname = "gpt"\nkind = "recorded"\n')
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    assert cli.main(["run", "--db", str(db), "--config", str(tmp_path / "soft.toml")]) == EXIT_INPUT
    assert "no probabilities" in capsys.readouterr().err
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_gold_written_as_1_0_warns_at_import_with_a_hint(tmp_path, capsys):
    frame = pd.DataFrame({"text": [f"text {i}" for i in range(40)], "gold": ["1.0", "0.0"] * 20,
                          "gpt": ["1", "0"] * 20})
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert cli.main(["import", str(tmp_path / "d.csv"), "--db", str(tmp_path / "db.duckdb"), "--name", "d",
                     "--text", "text", "--gold", "gold", "--llm-label", "gpt=gpt"]) == 0
    err = capsys.readouterr().err
    assert "40 of 40 answers (100%) are not in the label set" in err and "'1' ~ '1.0'" in err
    (tmp_path / "labels.yaml").write_text('- name: "1.0"\n  values: ["1"]\n- name: "0.0"\n  values: ["0"]\n')
    assert cli.main(["import", str(tmp_path / "d.csv"), "--db", str(tmp_path / "db.duckdb"), "--name", "d2",
                     "--text", "text", "--gold", "gold", "--llm-label", "gpt=gpt", "--labels",
                     str(tmp_path / "labels.yaml")]) == 0
    assert "warning" not in capsys.readouterr().err


def test_the_structured_error_test_does_not_use_chi_square_on_small_counts():
    small = error_structure([40, 40, 3, 2], [8, 9, 2, 2])
    assert small.test.startswith("permutation") and 0 < small.p_homogeneity <= 1
    large = error_structure([500, 600], [100, 180])
    assert large.test == "chi-square" and large.p_homogeneity < 0.01
    # under one true rate, the permutation test rejects about as often as it should
    rng = np.random.default_rng(0)
    rejected = [error_structure([30, 30, 4, 3], rng.binomial([30, 30, 4, 3], 0.2)).p_homogeneity < 0.05
                for _ in range(200)]
    assert np.mean(rejected) < 0.09


def test_sizes_larger_than_the_data_are_an_error_not_a_run_without_fits(db, tmp_path):
    from core.errors import InputError

    path = tmp_path / "cf.csv"
    demo_corpus.generate(n=200, seed=9).to_csv(path, index=False)
    import_dataset(db, read_dataset(path, NO_SPLIT, demo_corpus.LABEL_SET), "cf")
    with pytest.raises(InputError, match="larger than what these students can train on"):
        run_experiment(db, crossfit_config(sizes=[5000]))
    run_id = run_experiment(db, crossfit_config(sizes=[60, 5000, "all"]))
    assert any("5000" in warning for warning in db.run(run_id)["warnings"])


def test_a_teacher_with_fewer_usable_rows_than_gold_is_compared_at_both_alls(db, tmp_path):
    corpus = demo_corpus.generate(n=400, seed=10)
    corpus["gpt"] = corpus["label"]
    corpus.loc[:79, "gpt"] = "unparseable"  # the teacher's arm is smaller than the gold arm
    corpus.to_csv(tmp_path / "d.csv", index=False)
    mapping = ColumnMapping(text="text", id="id", gold="label", llm_labels={"gpt": "gpt"})
    import_dataset(db, read_dataset(tmp_path / "d.csv", mapping, demo_corpus.LABEL_SET), "cf")
    [line] = headlines(db, run_experiment(db, crossfit_config(teachers=[{"name": "gpt", "kind": "recorded"}])))
    assert line.n_teacher_arm < line.n_gold_arm and line.gap is not None and line.n_invalid == 80


def recorded_teachers_dataset(db, tmp_path):
    """The demo corpus with two recorded teachers: `steady` (15% wrong, answers every row) and `flaky` (also 15%
    wrong, with 40 invalid answers)."""
    corpus = demo_corpus.generate(n=400, seed=6)
    rng = np.random.default_rng(0)
    wrong = rng.random(len(corpus)) < 0.15
    corpus["steady"] = np.where(wrong, rng.choice(demo_corpus.LABELS, len(corpus)), corpus["label"])
    corpus["flaky"] = np.where(rng.random(len(corpus)) < 0.15, rng.choice(demo_corpus.LABELS, len(corpus)), corpus["label"])
    corpus.loc[rng.choice(len(corpus), 40, replace=False), "flaky"] = "no idea"
    path = tmp_path / "two.csv"
    corpus.to_csv(path, index=False)
    mapping = ColumnMapping(text="text", id="id", gold="label", llm_labels={"steady": "steady", "flaky": "flaky"})
    import_dataset(db, read_dataset(path, mapping, demo_corpus.LABEL_SET), "two")


@pytest.mark.slow
def test_a_teachers_headline_does_not_depend_on_which_other_teachers_are_in_the_run(db, tmp_path):
    recorded_teachers_dataset(db, tmp_path)
    lines = {}
    for teachers in (["steady"], ["steady", "flaky"]):
        run_id = run_experiment(db, crossfit_config(name="+".join(teachers), dataset="two", sizes=[60, "all"],
                                                    teachers=[{"name": t, "kind": "recorded"} for t in teachers]))
        for metric in ("accuracy", "macro_f1"):
            [line] = [h for h in headlines(db, run_id, metric) if h.teacher == "steady"]
            lines[(len(teachers), metric)] = line
    for metric in ("accuracy", "macro_f1"):
        assert lines[(1, metric)] == lines[(2, metric)]  # same folds, same rows for it: identical numbers
    assert lines[(1, "accuracy")].gap.lo < lines[(1, "accuracy")].gap.hi


def test_estimates_at_all_are_the_plain_fits_and_seed_weights_only_widen_the_interval(db, crossfit_run):
    fits = db.fits(crossfit_run)
    curve = db.curve(crossfit_run)
    for (trained_on, mode), arm in fits.groupby(["trained_on", "label_mode"]):
        largest = arm[arm["size"] == arm["size"].max()]
        plain = largest[largest["seed"] == -1]
        assert len(plain) == 8 and set(largest["seed"]) == {-1, 0, 1, 2}  # one plain fit per fold
        point = curve[(curve.trained_on == trained_on) & (curve.label_mode == mode) & (curve.metric == "accuracy")
                      & (curve["size"] == arm["size"].max())].iloc[0]
        assert point["mean"] == pytest.approx(plain["accuracy"].mean(), abs=1e-12)
        assert point["lo"] < point["mean"] < point["hi"] and point["n_seeds"] == 3
