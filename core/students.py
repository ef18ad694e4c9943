"""Student classifiers: scikit-learn pipelines of a featurizer and a logistic regression that also
trains on soft labels (teacher probabilities). They follow sklearn conventions (`fit` returns self,
learned attributes end in `_`, `clone` works), so cleanlab and sklearn's model tools accept them."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import unique_labels

from . import embeddings

STUDENT_KINDS = ("tfidf_logreg", "embedding_logreg")


class SoftLabelLogisticRegression(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression over a fixed list of `classes`.

    `y` is either hard labels (1-D) or soft labels: an (n, len(classes)) array of probabilities. Soft
    labels are fitted as the expected log-loss, by repeating each row once per class weighted by its
    probability, which is exact for logistic regression. Classes absent from a small training sample
    still appear in `classes_` with probability 0, so predictions stay comparable across sizes."""

    def __init__(self, classes=None, C: float = 1.0, max_iter: int = 1000, tol: float = 1e-3):
        # tol 1e-3 rather than sklearn's 1e-4: on noisy teacher labels lbfgs needs ~5x the iterations to
        # reach 1e-4, for no gain in test accuracy (bench/learning_curve.py: 0.772 vs 0.763 at 50k).
        self.classes = classes
        self.C = C
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y, sample_weight=None):
        y = np.asarray(y)
        if y.ndim == 2:
            if self.classes is None:
                raise ValueError("soft labels need `classes` to name their columns")
            self.classes_ = np.asarray(self.classes)
            if y.shape[1] != len(self.classes_):
                raise ValueError(f"soft labels have {y.shape[1]} columns for {len(self.classes_)} classes")
            base_weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
            rows, columns = np.nonzero(y > 0)
            X_fit = X[rows]
            y_fit = self.classes_[columns]
            weight = y[rows, columns] * base_weight[rows]
        else:
            self.classes_ = np.asarray(self.classes) if self.classes is not None else unique_labels(y)
            unknown = set(np.unique(y)) - set(self.classes_)
            if unknown:
                raise ValueError(f"labels {sorted(unknown)} are not among classes {list(self.classes_)}")
            X_fit, y_fit, weight = X, y, sample_weight
        present = np.unique(y_fit)
        self.n_features_in_ = X.shape[1]
        if len(present) == 1:  # logistic regression needs two classes; one class predicts itself
            self.model_ = None
            self.constant_ = present[0]
        else:
            self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter, tol=self.tol).fit(X_fit, y_fit, sample_weight=weight)
        return self

    def predict_proba(self, X):
        out = np.zeros((X.shape[0], len(self.classes_)))
        if self.model_ is None:
            out[:, list(self.classes_).index(self.constant_)] = 1.0
            return out
        columns = [list(self.classes_).index(c) for c in self.model_.classes_]
        out[:, columns] = self.model_.predict_proba(X)
        return out

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class EmbeddingFeaturizer(TransformerMixin, BaseEstimator):
    """Texts to MiniLM sentence vectors. `encode` can be swapped for a cached lookup of the same model."""

    def __init__(self, encode=embeddings.encode):
        self.encode = encode

    def fit(self, X, y=None):
        self.n_features_out_ = embeddings.DIMENSION
        return self

    def transform(self, X):
        return self.encode(list(X))


def make_student(kind: str = "tfidf_logreg", classes=None, C: float | None = None, encode=None) -> Pipeline:
    """A fresh, unfitted student pipeline with steps `features` and `classifier`."""
    if kind == "tfidf_logreg":
        features = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, dtype=np.float32)
        default_C = 10.0
    elif kind == "embedding_logreg":
        features = EmbeddingFeaturizer(encode or embeddings.encode)
        default_C = 1.0
    else:
        raise ValueError(f"unknown student {kind!r}; choose one of {STUDENT_KINDS}")
    return Pipeline([("features", features),
                     ("classifier", SoftLabelLogisticRegression(classes=classes, C=default_C if C is None else C))])

