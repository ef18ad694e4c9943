"""Which rows a run trains on and which it scores on: the training pool and the gold test split."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InputError


def pool_and_test(examples: pd.DataFrame, split_value: str = "test", fraction: float = 0.25,
                  seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training pool and the gold test split. The test split is the gold-labeled rows whose split column
    says `split_value`, or else a random `fraction` of the gold-labeled rows drawn with `seed`; rows marked as
    test but without gold are in neither."""
    has_gold = examples["gold"].notna().to_numpy()
    in_split = (examples["split"].fillna("") == split_value.lower()).to_numpy()
    is_test = in_split & has_gold
    if not is_test.any():
        is_test = has_gold & (np.random.default_rng(seed).random(len(examples)) < fraction)
    if not is_test.any():
        raise InputError("the data set has no gold labels to test on; a run needs gold labels on a test split")
    return examples[~is_test & ~in_split].reset_index(drop=True), examples[is_test].reset_index(drop=True)
