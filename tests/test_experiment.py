import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from core.errors import ConfigError
from core.evaluation.fitting import draw_rows
from core.datasets import demo_corpus
from core.evaluation.config import parse_config
from core.datasets.reading import read_dataset
from core.pipeline import run_experiment
from core.datasets.importing import import_dataset
from core.teachers.labeling import label_missing
from core.evaluation.service import headlines
from core.store import Store
from core.teachers import NoiseModel, SimulatedTeacher

from core.datasets.demo_corpus import DEMO_MAPPING

SIM = {"mode": "structured", "base_accuracy": 0.95, "depth_error": 0.12, "seed": 1}


def config(name="small", **overrides):
    raw = {"name": name, "dataset": "small", "sizes": [50, 150, "all"], "seeds": [0, 1, 2], "bootstrap": 200,
           "teachers": [{"name": "sim", "kind": "simulated", "params": SIM}],
           "student": {"kind": "tfidf_logreg", "label_modes": ["hard", "soft"]}}
    raw.update(overrides)
    return parse_config(raw)


@pytest.mark.slow
def test_stored_metrics_are_what_sklearn_computes_from_the_stored_predictions(db, small_dataset):
    run_id = run_experiment(db, config())
    examples = db.examples(small_dataset.dataset_id).set_index("example_id")
    fits = db.fits(run_id)
    assert set(zip(fits.trained_on, fits.label_mode)) == {("gold", "hard"), ("sim", "hard"), ("sim", "soft")}
    assert fits.groupby(["trained_on", "label_mode"]).size().eq(10).all()  # 3 sizes x 3 seeds, and "all" plainly
    for fit in fits.itertuples():
        predictions = db.predictions(run_id, fit.trained_on, fit.label_mode)
        mine = predictions[(predictions["size"] == fit.size) & (predictions["seed"] == fit.seed)]
        gold = examples.loc[mine["example_id"], "gold"]
        assert fit.n_test == len(mine) == (examples["split"] == "test").sum()
        assert fit.accuracy == pytest.approx(accuracy_score(gold, mine["predicted"]), abs=1e-12)
        assert fit.macro_f1 == pytest.approx(f1_score(gold, mine["predicted"], average="macro"), abs=1e-12)
        assert fit.converged and fit.n_iter > 0


def test_gold_trained_student_on_all_data_matches_an_independent_sklearn_pipeline(db, small_dataset):
    run_id = run_experiment(db, config())
    examples = db.examples(small_dataset.dataset_id)
    train = np.flatnonzero(~examples["example_id"].isin(db.run_folds(run_id)["example_id"]))  # as the run stored
    test = examples[examples["split"] == "test"]
    assert 0 < len(test) and not set(test.index) & set(train)
    # at "all" every training text is used once, with the seed's Bayesian-bootstrap weights
    draw = draw_rows(train, train, len(train), True, seed=0, repeat=0, fold=0, n_rows=len(examples))
    # the features are fitted on the training texts only: a test text shapes neither vocabulary nor IDF
    features = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, dtype=np.float32).fit(
        examples["text"].iloc[train])
    reference = LogisticRegression(C=10.0, max_iter=2000, solver="newton-cg").fit(
        features.transform(examples["text"].iloc[draw.rows]), examples["gold"].iloc[draw.rows], sample_weight=draw.weights)
    predictions = db.predictions(run_id, "gold", "hard")
    full = predictions[(predictions["size"] == len(train)) & (predictions["seed"] == 0)].set_index("example_id")
    proba = reference.predict_proba(features.transform(test["text"]))
    assert (full.loc[test["example_id"], "predicted"].to_numpy() == reference.classes_[proba.argmax(axis=1)]).mean() > 0.99
    np.testing.assert_allclose(full.loc[test["example_id"], "confidence"].to_numpy(), proba.max(axis=1), atol=2e-3)


def test_teacher_score_and_headline_come_from_the_labels(db, small_dataset):
    run_id = run_experiment(db, config())
    examples = db.examples(small_dataset.dataset_id)
    test = examples[examples["split"] == "test"]
    teacher_id = db.run_teachers(run_id).iloc[0]["teacher_id"]
    labels = db.teacher_labels(teacher_id, small_dataset.dataset_id).set_index("example_id")["label"]
    direct = (labels.loc[test["example_id"]].to_numpy() == test["gold"].to_numpy()).mean()
    scores = db.teacher_scores(run_id).iloc[0]
    assert scores["accuracy"] == pytest.approx(direct) and scores["n_test"] == len(test)
    [hard, soft] = headlines(db, run_id)
    assert hard.simulated and "(SIMULATED)" in hard.sentence() and hard.teacher_score.value == pytest.approx(direct)
    curve = db.curve(run_id)
    gold_all = curve[(curve.trained_on == "gold") & (curve.metric == "accuracy")].iloc[-1]
    assert hard.gold_student.value == pytest.approx(gold_all["mean"])
    assert hard.gap.value == pytest.approx(hard.student.value - hard.gold_student.value)
    assert hard.gap.lo <= hard.gap.value <= hard.gap.hi


@pytest.mark.slow
def test_test_gold_labels_never_reach_training(db, small_corpus, tmp_path):
    """Scrambling the gold labels of the test split must not change a single prediction."""
    frame = pd.read_csv(small_corpus, dtype=str, keep_default_na=False)
    test = frame["split"] == "test"
    frame.loc[test, "label"] = np.random.default_rng(0).permutation(frame.loc[test, "label"].to_numpy())
    scrambled_path = tmp_path / "scrambled.csv"
    frame.to_csv(scrambled_path, index=False)
    runs = {}
    for name, path in (("small", small_corpus), ("scrambled", scrambled_path)):
        store = Store(tmp_path / f"{name}.duckdb")
        import_dataset(store, read_dataset(path, DEMO_MAPPING, demo_corpus.LABEL_SET), "small")
        cfg = config(teachers=[{"name": "zs", "kind": "zero_shot_embedding"}], sizes=[100, "all"])
        runs[name] = store.predictions(run_experiment(store, cfg))
    pd.testing.assert_frame_equal(runs["small"], runs["scrambled"])


@pytest.mark.slow
def test_same_config_gives_identical_numbers_in_a_fresh_database(tmp_path, small_corpus):
    results = []
    for attempt in range(2):
        store = Store(tmp_path / f"repro{attempt}.duckdb")
        import_dataset(store, read_dataset(small_corpus, DEMO_MAPPING, demo_corpus.LABEL_SET), "small")
        run_id = run_experiment(store, config())
        results.append((run_id, store.fits(run_id).drop(columns="seconds"), store.curve(run_id), store.comparisons(run_id)))
    assert results[0][0] == results[1][0]
    for first, second in zip(results[0][1:], results[1][1:]):
        pd.testing.assert_frame_equal(first, second)
    run = Store(tmp_path / "repro0.duckdb").run(results[0][0])
    assert run["config"]["teachers"][0]["params"]["depth_error"] == 0.12
    assert run["code_version"] and {"fits", "summary", "total"} <= set(run["timings"])


@pytest.mark.slow
def test_an_interrupted_run_resumes_to_the_same_numbers_without_duplicates(tmp_path, small_corpus, db, small_dataset):
    reference = Store(tmp_path / "reference.duckdb")
    import_dataset(reference, read_dataset(small_corpus, DEMO_MAPPING, demo_corpus.LABEL_SET), "small")
    expected = reference.fits(run_experiment(reference, config())).drop(columns="seconds")

    def stop_after_ten_fits(stage, done, total):
        if stage == "training students" and done == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(db, config(), progress=stop_after_ten_fits)
    [interrupted] = db.runs().itertuples()
    assert interrupted.status == "interrupted" and "KeyboardInterrupt" in interrupted.error
    assert len(db.fits(interrupted.run_id)) == 10

    run_id = run_experiment(db, config())
    assert run_id == interrupted.run_id and db.run(run_id)["status"] == "finished"
    pd.testing.assert_frame_equal(db.fits(run_id).drop(columns="seconds"), expected)
    n_test = expected["n_test"].iloc[0]
    assert len(db.predictions(run_id)) == len(expected) * n_test
    assert run_experiment(db, config()) == run_id  # finished: found, not redone


class FlakyTeacher(SimulatedTeacher):
    """Dies after a number of batches, like a process killed mid-labeling."""

    def __init__(self, *args, fail_after: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fail_after = fail_after
        self.asked: list[str] = []

    async def label_batch(self, items, label_set):
        if self.fail_after == 0:
            raise ConnectionError("teacher went away")
        self.fail_after -= 1
        self.asked += [i.example_id for i in items]
        return await super().label_batch(items, label_set)


def test_labels_are_written_as_they_arrive_and_a_rerun_asks_only_for_the_rest(db, small_dataset):
    examples = db.examples(small_dataset.dataset_id)
    truth = examples.set_index("example_id")
    first = FlakyTeacher("flaky", NoiseModel(**SIM), truth, small_dataset.label_set, fail_after=2)
    with pytest.raises(ConnectionError):
        label_missing(db, small_dataset.dataset_id, first, small_dataset.label_set, examples, batch_size=100)
    stored = db.teachers()
    key = stored[stored["name"] == "flaky"]["teacher_id"].iloc[0]
    assert len(db.teacher_labels(key, small_dataset.dataset_id)) == 200

    second = FlakyTeacher("flaky", NoiseModel(**SIM), truth, small_dataset.label_set, fail_after=100)
    assert label_missing(db, small_dataset.dataset_id, second, small_dataset.label_set, examples, batch_size=100) == 400
    assert not set(second.asked) & set(first.asked)
    labels = db.teacher_labels(key, small_dataset.dataset_id)
    assert len(labels) == labels["example_id"].nunique() == len(examples)


def test_a_config_error_names_the_field():
    with pytest.raises(ConfigError) as caught:
        parse_config({"name": "x", "dataset": "d", "seeds": [0], "teachers": [{"name": "gold", "kind": "simulated"}]})
    message = str(caught.value)
    assert "seeds" in message and "teachers.0.name" in message


@pytest.mark.slow
def test_calibration_shows_confidently_wrong_structured_errors(db, small_dataset):
    from core.evaluation.service import calibration

    run_id = run_experiment(db, config(teachers=[
        {"name": "structured", "kind": "simulated", "params": {**SIM, "depth_error": 0.2}},
        {"name": "uniform", "kind": "simulated", "params": {**SIM, "depth_error": 0.2, "mode": "uniform"}}]))
    structured, curve = calibration(db, run_id, "structured")
    uniform, _ = calibration(db, run_id, "uniform")
    assert list(structured["signal"]) == ["stated confidence"]  # its probabilities are spread from that confidence
    assert uniform["auroc"].iloc[0] > 0.8 > 0.5 > structured["auroc"].iloc[0]
    assert 0 <= structured["ece"].iloc[0] <= 1 and curve["n"].sum() == structured["n"].iloc[0]
