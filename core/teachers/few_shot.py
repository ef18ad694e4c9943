"""Few-shot examples for an LLM teacher's prompt, drawn from gold labels the run may train on."""
from __future__ import annotations

import pandas as pd


def few_shot_examples(pool: pd.DataFrame, n: int, label_names: list[str], seed: int = 0) -> list[tuple[str, str]]:
    """`n` gold-labeled examples from the training pool (never the test split), taking the labels in turn so
    that each is shown before any is shown twice."""
    labeled = pool[pool["gold"].notna()].sample(frac=1.0, random_state=seed)
    by_label = [list(zip(group["text"], group["gold"])) for _, group in labeled.groupby("gold", sort=False)]
    by_label.sort(key=lambda group: label_names.index(group[0][1]))
    chosen = [group[i] for i in range(max(map(len, by_label), default=0)) for group in by_label if i < len(group)]
    return chosen[:n]
