"""Texts that occur more than once in a data set: one group per text, so cross-fitting can keep every copy in
the fold that scores it (a text never trains the student that scores it), and the import can say how many."""
from __future__ import annotations

import numpy as np
import pandas as pd


def text_groups(texts: pd.Series) -> np.ndarray:
    """A group number per row: rows whose texts are equal up to case and whitespace (what the TF-IDF student
    sees as one text) share one."""
    normalized = texts.fillna("").astype(str).str.lower().str.split().str.join(" ")
    return pd.factorize(normalized)[0]


def duplicate_counts(texts: pd.Series) -> tuple[int, int]:
    """(texts that occur more than once, rows that repeat an earlier row's text)."""
    sizes = np.bincount(text_groups(texts))
    return int((sizes > 1).sum()), int((sizes - 1).clip(min=0).sum())
