"""Few-shot examples for an LLM teacher's prompt, drawn from gold labels the run may train on."""
from __future__ import annotations

import pandas as pd


def few_shot_rows(pool: pd.DataFrame, n: int, label_names: list[str], seed: int = 0) -> pd.DataFrame:
    """`n` gold-labeled rows of the training pool (never a fixed test split), taking the labels in turn so that
    each is shown before any is shown twice. A run never scores these rows: their gold is in a prompt."""
    labeled = pool[pool["gold"].notna()].sample(frac=1.0, random_state=seed)
    by_label = [group for _, group in labeled.groupby("gold", sort=False)]
    by_label.sort(key=lambda group: label_names.index(group["gold"].iloc[0]))
    order = [group.iloc[i] for i in range(max(map(len, by_label), default=0)) for group in by_label if i < len(group)]
    return pd.DataFrame(order[:n], columns=pool.columns)


def few_shot_examples(pool: pd.DataFrame, n: int, label_names: list[str], seed: int = 0) -> list[tuple[str, str]]:
    """The (text, label) pairs of `few_shot_rows`, as a prompt shows them."""
    rows = few_shot_rows(pool, n, label_names, seed)
    return list(zip(rows["text"], rows["gold"]))
