import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import cross_val_predict

from core.datasets import demo_corpus
from core.evaluation.metrics import Bootstrap, accuracy_and_macro_f1, crossfit_interval
from core.students.models import SoftLabelLogisticRegression, make_student

LABELS = demo_corpus.LABELS


@pytest.fixture(scope="module")
def corpus():
    return demo_corpus.generate(1200, seed=9)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["tfidf_logreg", "embedding_logreg"])
def test_students_learn_the_task_and_follow_sklearn_conventions(corpus, kind):
    train, test = corpus[:900], corpus[900:]
    student = make_student(kind, classes=LABELS).pipeline()
    assert student.fit(train["text"], train["label"]) is student
    assert list(student.named_steps["classifier"].classes_) == LABELS
    assert accuracy_score(test["label"], student.predict(test["text"])) > 0.7
    assert clone(student).get_params()["classifier__C"] == student.get_params()["classifier__C"]


def test_one_hot_soft_labels_train_the_same_model_as_hard_labels(corpus):
    X = make_student().featurizer.fit_transform(corpus["text"])
    y = corpus["label"].to_numpy()
    onehot = (y[:, None] == np.array(LABELS)[None, :]).astype(float)
    hard = SoftLabelLogisticRegression(classes=LABELS).fit(X, y)
    soft = SoftLabelLogisticRegression(classes=LABELS).fit(X, onehot)
    np.testing.assert_allclose(hard.predict_proba(X), soft.predict_proba(X), atol=1e-4)


def test_soft_labels_carry_more_than_their_argmax(corpus):
    X = make_student().featurizer.fit_transform(corpus["text"])
    y = corpus["label"].to_numpy()
    confident = (y[:, None] == np.array(LABELS)[None, :]).astype(float)
    hedged = 0.6 * confident + 0.1
    p_confident = SoftLabelLogisticRegression(classes=LABELS).fit(X, confident).predict_proba(X).max(axis=1).mean()
    p_hedged = SoftLabelLogisticRegression(classes=LABELS).fit(X, hedged).predict_proba(X).max(axis=1).mean()
    assert p_hedged < p_confident - 0.1


def test_a_class_missing_from_a_small_sample_keeps_its_column(corpus):
    sample = corpus[corpus["label"] != "account"][:50]
    model = SoftLabelLogisticRegression(classes=LABELS)
    X = make_student().featurizer.fit_transform(corpus["text"])
    proba = model.fit(X[sample.index], sample["label"]).predict_proba(X)
    assert proba.shape == (len(corpus), 5) and (proba[:, LABELS.index("account")] == 0).all()
    only_one = SoftLabelLogisticRegression(classes=LABELS).fit(X[:3], ["billing"] * 3)
    assert set(only_one.predict(X)) == {"billing"}


def test_cleanlab_accepts_the_student(corpus):
    from cleanlab.filter import find_label_issues

    noisy = corpus["label"].to_numpy().copy()
    flipped = np.arange(0, len(noisy), 10)
    noisy[flipped] = [LABELS[(LABELS.index(l) + 1) % 5] for l in noisy[flipped]]
    # cross_val_predict hands the student integer-encoded labels in sorted order, so let it infer classes
    proba = cross_val_predict(make_student().pipeline(), corpus["text"], noisy, cv=3, method="predict_proba")
    issues = find_label_issues(np.searchsorted(sorted(LABELS), noisy), proba)
    found = set(np.flatnonzero(issues))
    assert len(found & set(flipped)) / len(flipped) > 0.5


def test_metrics_match_sklearn_and_intervals_cover_the_estimate():
    rng = np.random.default_rng(0)
    for trial in range(30):
        true = rng.integers(0, 4, 200)
        pred = np.where(rng.random(200) < 0.6, true, rng.integers(0, 4, 200))
        if trial % 3 == 0:
            pred[pred == 3] = 2  # a class never predicted
        accuracy, macro_f1 = accuracy_and_macro_f1(true, pred, 4)
        assert accuracy == pytest.approx(accuracy_score(true, pred), abs=1e-12)
        assert macro_f1 == pytest.approx(f1_score(true, pred, average="macro"), abs=1e-12)
    scores = Bootstrap(200, 500, seed=1).estimate(true, pred, 4)
    assert scores["accuracy"].lo < scores["accuracy"].value < scores["accuracy"].hi


def test_the_crossfit_interval_covers_95_percent_where_rows_are_all_that_varies():
    """Repeated K-fold's fold estimates are means over disjoint held-out rows; when the rows are all that varies
    (a fixed model: no training effect), the truth is known and the interval must cover it about 95% of the time,
    repeats adding no data. Nadeau-Bengio's s²(1/J + 1/(K-1)), the rule before, covers about 99% here."""
    rng = np.random.default_rng(0)
    n, k, repeats, truth = 500, 5, 2, 0.7
    covered = []
    for _ in range(2000):
        right = (rng.random(n) < truth).astype(float)  # each row right with probability 0.7
        folds = [right[part].mean() for _ in range(repeats) for part in np.array_split(rng.permutation(n), k)]
        estimate = crossfit_interval(np.array(folds), np.repeat(np.arange(repeats), k))
        covered.append(estimate.lo <= truth <= estimate.hi)
        assert estimate.value == pytest.approx(right.mean())
    assert 0.935 <= np.mean(covered) <= 0.965  # 2000 draws: the binomial SE is 0.005


def test_a_cross_fitted_interval_never_reaches_past_what_a_score_or_a_difference_can_be():
    """Two folds leave the t interval one degree of freedom (t = 12.7): a student right on 99% and 97% of the rows
    of its two folds would read "accuracy 0.98 (0.85 to 1.11)". A run's scores stay within [0, 1], their
    differences within [-1, 1], the point estimates and the bounds inside the range untouched."""
    from core.evaluation.summary import Scoring

    scoring = Scoring("crossfit", 2, [(0, 0), (0, 1)], {}, pd.Series(dtype=int), 2, None)
    raw = crossfit_interval(np.array([0.99, 0.97]), [0, 0])
    assert 0 < raw.lo and raw.hi > 1  # what the cut is for
    score = scoring.estimate(np.array([0.99, 0.97]))
    assert (score.value, score.lo, score.hi) == (raw.value, raw.lo, 1.0)
    raw_gap = crossfit_interval(np.array([-0.9, -0.7]), [0, 0])
    gap = scoring.estimate(np.array([-0.9, -0.7]), difference=True)
    assert raw_gap.lo < -1 and (gap.value, gap.lo, gap.hi) == (raw_gap.value, -1.0, raw_gap.hi)
    assert scoring.estimate(np.array([0.01, 0.03])).lo == 0.0  # a score is never below 0


def test_abstentions_count_as_wrong_and_intervals_narrow_with_more_data():
    true = np.array([0, 1, 1, 0])
    assert accuracy_and_macro_f1(true, np.array([0, -1, 1, -1]), 2)[0] == 0.5
    rng = np.random.default_rng(2)
    widths = []
    for n in (100, 2000):
        t = rng.integers(0, 3, n)
        p = np.where(rng.random(n) < 0.7, t, (t + 1) % 3)
        e = Bootstrap(n, 500, seed=0).estimate(t, p, 3)["accuracy"]
        widths.append(e.hi - e.lo)
    assert widths[1] < widths[0] / 3


def test_calibration_numbers_match_their_definitions():
    from core.evaluation.calibration import _auroc_interval, _ece, calibration_tables

    # two bins: confidence 0.95 right 3 of 4 times, confidence 0.15 right 1 of 4: ECE = (|3.8-3| + |0.6-1|) / 8
    confidence = np.array([0.95] * 4 + [0.15] * 4)
    correct = np.array([1, 1, 1, 0, 1, 0, 0, 0], dtype=float)
    bins = np.minimum((confidence * 10).astype(int), 9)
    assert _ece(confidence, correct, bins) == pytest.approx((0.8 + 0.4) / 8)
    # Hanley and McNeil (1982), AUROC 0.8 with 50 and 50: SE 0.0445
    lo, hi = _auroc_interval(0.8, 50, 50)
    assert (lo, hi) == (pytest.approx(0.8 - 1.96 * 0.0445, abs=1e-3), pytest.approx(0.8 + 1.96 * 0.0445, abs=1e-3))
    rng = np.random.default_rng(0)
    gold = rng.choice(["a", "b"], size=400)
    said = np.where(rng.random(400) < 0.7, gold, np.where(gold == "a", "b", "a"))
    labels = pd.DataFrame({"label": said, "confidence": np.full(400, 0.7), "probs": [None] * 400})
    summary, _ = calibration_tables(labels, gold)
    row = summary.iloc[0]
    assert row["accuracy_lo"] < row["accuracy"] < row["accuracy_hi"]
    assert row["ece_lo"] <= row["ece"] <= row["ece_hi"] and row["ece_hi"] < 0.15  # calibrated: a small ECE
    assert np.isnan(row["auroc"])  # one confidence for every answer cannot rank right above wrong


def test_budget_precision_intervals_cover_the_checks_of_every_fold():
    from core.review.budget import with_check_intervals

    summary = pd.DataFrame({"budget": [0, 50, 50], "precision": [np.nan, 0.4, 0.4], "n_checks": [0, 50, 50],
                            "n_folds": [1, 1, 10]})
    out = with_check_intervals(summary)
    assert np.isnan(out.loc[0, "precision_lo"])  # no checks, no share
    assert 0.27 < out.loc[1, "precision_lo"] < 0.4 < out.loc[1, "precision_hi"] < 0.55  # Wilson over 50 checks
    assert 0.35 < out.loc[2, "precision_lo"] < 0.4 < out.loc[2, "precision_hi"] < 0.45  # over 10 folds' 500 checks
