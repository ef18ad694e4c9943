"""The terms that set groups of texts apart, for naming clusters (of disagreements, or of proposed labels)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer


def top_terms(texts: pd.Series, groups: np.ndarray, n_terms: int = 6) -> dict[int, str]:
    """Terms most over-represented in each group relative to all texts."""
    vectorizer = TfidfVectorizer(stop_words="english", min_df=2, max_features=20000)
    X = vectorizer.fit_transform(texts)
    vocabulary = np.asarray(vectorizer.get_feature_names_out())
    overall = np.asarray(X.mean(axis=0)).ravel()
    out = {}
    for group in sorted(set(groups) - {-1}):
        lift = np.asarray(X[groups == group].mean(axis=0)).ravel() - overall
        out[int(group)] = ", ".join(vocabulary[np.argsort(-lift)[:n_terms]])
    return out
