"""A cheap offline detector of a flag on texts (a false premise, ambiguity): TF-IDF word and character
n-grams with a logistic regression, trained on texts labeled for the flag (for example FalseQA for false
premises). It is a scikit-learn estimator (`fit` returns self, learned attributes end in `_`); a fitted
detector becomes a slicer with `DetectorSlicer`."""
from __future__ import annotations

import hashlib

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from core.slices.base import SLICERS, Progress, SliceInputs, SliceResult, fingerprint, flag


class FlagDetector(ClassifierMixin, BaseEstimator):
    def __init__(self, C: float = 4.0, threshold: float = 0.5):
        self.C = C
        self.threshold = threshold

    def fit(self, texts, labels):
        self.features_ = FeatureUnion([("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
                                       ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=3,
                                                                 sublinear_tf=True))]).fit(texts)
        self.model_ = LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced").fit(
            self.features_.transform(texts), np.asarray(labels, dtype=int))
        self.classes_ = self.model_.classes_
        self.training_digest_ = hashlib.sha256("\n".join(map(str, texts)).encode()).hexdigest()[:16]
        return self

    def predict_proba(self, texts) -> np.ndarray:
        return self.model_.predict_proba(self.features_.transform(texts))

    def predict(self, texts) -> np.ndarray:
        return (self.predict_proba(texts)[:, 1] >= self.threshold).astype(int)


@SLICERS.register("detector", per="training",
                  description="an offline TF-IDF detector of a flag, trained on labeled texts (for example FalseQA)")
class DetectorSlicer:
    def __init__(self, name: str, detector: FlagDetector):
        """`name`: the slice, for example "false_premise_detector"."""
        self.name = name
        self.detector = detector

    def fingerprint(self, inputs: SliceInputs) -> str:
        return fingerprint(self.name, inputs.dataset_id, self.detector.get_params(), self.detector.training_digest_)

    def compute(self, inputs: SliceInputs, progress: Progress | None = None) -> list[SliceResult]:
        examples = inputs.examples
        scores = self.detector.predict_proba(examples["text"].tolist())[:, 1]
        return [SliceResult(self.name, examples["example_id"].tolist(), scores, flag(scores >= self.detector.threshold))]
