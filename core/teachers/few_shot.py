"""Few-shot examples for an LLM teacher's prompt, drawn from gold labels the run may train on."""
from __future__ import annotations

import pandas as pd


def few_shot_rows(pool: pd.DataFrame, n: int, label_names: list[str], seed: int = 0) -> pd.DataFrame:
    """`n` gold-labeled rows of the training pool (never a fixed test split), taking the labels in turn so that
    each is shown before any is shown twice. A run never scores these rows: their gold is in a prompt."""
    if n <= 0:  # most teachers show none: no need to order a pool of 50,000 rows (12 s, row by row)
        return pool.iloc[:0]
    labeled = pool[pool["gold"].notna()].sample(frac=1.0, random_state=seed)
    by_label = sorted((group.index for _, group in labeled.groupby("gold", sort=False)),
                      key=lambda index: label_names.index(labeled.loc[index[0], "gold"]))
    order: list = []
    for turn in range(max(map(len, by_label), default=0)):  # label by label, only until n rows are found
        order += [index[turn] for index in by_label if turn < len(index)]
        if len(order) >= n:
            break
    return labeled.loc[order[:n], pool.columns]


def few_shot_examples(pool: pd.DataFrame, n: int, label_names: list[str], seed: int = 0) -> list[tuple[str, str]]:
    """The (text, label) pairs of `few_shot_rows`, as a prompt shows them."""
    rows = few_shot_rows(pool, n, label_names, seed)
    return list(zip(rows["text"], rows["gold"]))
