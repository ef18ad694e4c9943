"""Student classifiers: scikit-learn pipelines of a featurizer and a logistic regression that also
trains on soft labels (teacher probabilities). They follow sklearn conventions (`fit` returns self,
learned attributes end in `_`, `clone` works), so cleanlab and sklearn's model tools accept them."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from pydantic import Field
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from core.datasets import embeddings
from core.registry import Params, Registry

STUDENTS: Registry = Registry("student")


def sample_weights(sample_weight, n_samples: int) -> np.ndarray:
    """One float weight per row: ones when None, a scalar repeated, or a 1-D array of n_samples (a copy, so the
    caller's array is never changed). Public sklearn has no such helper, so this is ours."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    if np.isscalar(sample_weight):
        return np.full(n_samples, sample_weight, dtype=np.float64)
    weights = check_array(sample_weight, ensure_2d=False, dtype=np.float64, copy=True, input_name="sample_weight")
    if weights.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D, got an array of shape {weights.shape}")
    if weights.shape[0] != n_samples:
        raise ValueError(f"sample_weight has {weights.shape[0]} values for {n_samples} samples")
    return weights


class SoftLabelLogisticRegression(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression over a fixed list of `classes`.

    `y` is either hard labels (1-D) or soft labels: an (n, len(classes)) array of probabilities. Soft
    labels are fitted as the expected log-loss, by repeating each row once per class weighted by its
    probability, which is exact for logistic regression. Classes absent from a small training sample
    still appear in `classes_` with probability 0, so predictions stay comparable across sizes."""

    def __init__(self, classes=None, C: float = 1.0, max_iter: int = 200, tol: float = 1e-4, start=None):
        # sklearn's tolerance with the newton-cg solver: with lbfgs at 1e-3 fits stopped after a few iterations on
        # large noisy pools and the numbers depended on where they stopped (0.690 vs 0.700 fully fitted on 34k
        # rows); newton-cg reaches 1e-4 in about 6 iterations on TF-IDF, 15-25x faster than lbfgs (8,000 texts:
        # 0.42 s vs 6.2 s). `converged_` says whether a fit reached the tolerance within `max_iter`.
        # `start`: another fit's `solution()`, where the solver begins when this fit's classes are that fit's (a
        # student's out-of-fold views begin at the run's fit on all their rows: 2-3 newton steps instead of 7-8)
        self.classes = classes
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.start = start

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=(np.float64, np.float32), multi_output=True)
        # One column cannot be soft labels over two or more classes, so it is the column-vector form of hard
        # labels, which sklearn accepts with a warning.
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        sample_weight = sample_weights(sample_weight, X.shape[0])
        if y.ndim == 2:
            if self.classes is None:
                raise ValueError("soft labels need `classes` to name their columns")
            self.classes_ = np.asarray(self.classes)
            if y.shape[1] != len(self.classes_):
                raise ValueError(f"soft labels have {y.shape[1]} columns for {len(self.classes_)} classes")
            y = check_array(y, dtype=np.float64, input_name="y")
            if (y < 0).any():
                raise ValueError("soft labels must be probabilities, but some are negative")
            rows, columns = np.nonzero(y > 0)
            X_fit = X[rows]
            y_fit = self.classes_[columns]
            weight = y[rows, columns] * sample_weight[rows]
        else:
            check_classification_targets(y)
            self.classes_ = np.asarray(self.classes) if self.classes is not None else unique_labels(y)
            unknown = set(np.unique(y)) - set(self.classes_)
            if unknown:
                raise ValueError(f"labels {sorted(unknown)} are not among classes {list(self.classes_)}")
            X_fit, y_fit, weight = X, y, sample_weight
        present = np.unique(y_fit)
        if len(present) == 1:  # logistic regression needs two classes; one class predicts itself
            self.model_ = None
            self.constant_ = present[0]
            self.n_iter_ = np.zeros(1, dtype=np.int32)
        else:
            with warnings.catch_warnings():
                # not converging is reported through `converged_`, which runs store and show
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = LogisticRegression(C=self.C, max_iter=self.max_iter, tol=self.tol, solver="newton-cg")
                if self.start is not None and list(self.start["classes"]) == list(present):
                    model.set_params(warm_start=True)
                    model.coef_, model.intercept_ = self.start["coef"].copy(), self.start["intercept"].copy()
                self.model_ = model.fit(X_fit, y_fit, sample_weight=weight)
            self.n_iter_ = self.model_.n_iter_
        self.converged_ = bool(int(np.max(self.n_iter_)) < self.max_iter)
        return self

    def solution(self) -> dict | None:
        """The fitted coefficients, as another fit's `start`; None for a one-class fit."""
        check_is_fitted(self)
        if self.model_ is None:
            return None
        return {"classes": self.model_.classes_, "coef": self.model_.coef_, "intercept": self.model_.intercept_}

    def predict_proba(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=False)
        out = np.zeros((X.shape[0], len(self.classes_)))
        if self.model_ is None:
            out[:, list(self.classes_).index(self.constant_)] = 1.0
            return out
        columns = [list(self.classes_).index(c) for c in self.model_.classes_]
        out[:, columns] = self.model_.predict_proba(X)
        return out

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class EmbeddingFeaturizer(TransformerMixin, BaseEstimator):
    """Texts to MiniLM sentence vectors. `encode` can be swapped for a cached lookup of the same model."""

    def __init__(self, encode=embeddings.encode):
        self.encode = encode

    def fit(self, X, y=None):
        self.n_features_out_ = embeddings.DIMENSION
        return self

    def transform(self, X):
        check_is_fitted(self)
        return self.encode(list(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


@dataclass(frozen=True)
class Student:
    """A student recipe: a featurizer and a classifier, kept apart because a run fits a copy of the featurizer
    once per fold on that fold's training rows only (a held-out text never shapes the features it is scored
    with) and clones the classifier for every (label source, size, seed) of the fold."""

    featurizer: BaseEstimator
    classifier: SoftLabelLogisticRegression

    def pipeline(self) -> Pipeline:
        """Both as one fresh scikit-learn pipeline, for use outside a run (a notebook, cross_val_predict)."""
        return Pipeline([("features", clone(self.featurizer)), ("classifier", clone(self.classifier))])


class StudentParams(Params):
    C: float | None = Field(None, gt=0, description="inverse regularization strength; default: the student's own")


@STUDENTS.register("tfidf_logreg", params=StudentParams,
                   description="TF-IDF word 1-2-grams and a logistic regression (C = 10 by default)")
def _tfidf(params: StudentParams, classes, encode=None) -> Student:
    return Student(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, dtype=np.float32),
                   SoftLabelLogisticRegression(classes=classes, C=10.0 if params.C is None else params.C))


@STUDENTS.register("embedding_logreg", params=StudentParams,
                   description="MiniLM sentence vectors (offline) and a logistic regression (C = 1 by default)")
def _embedding(params: StudentParams, classes, encode=None) -> Student:
    return Student(EmbeddingFeaturizer(encode or embeddings.encode),
                   SoftLabelLogisticRegression(classes=classes, C=1.0 if params.C is None else params.C))


def make_student(kind: str = "tfidf_logreg", classes=None, C: float | None = None, encode=None) -> Student:
    """A fresh, unfitted student of a registered kind."""
    return STUDENTS.plugin(kind).factory(StudentParams(C=C), classes, encode)
