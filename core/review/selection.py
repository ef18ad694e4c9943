"""Choosing the default spot-check ranking across data sets without scoring it on the data it was chosen on.

Pure: a table of each candidate's score on each data set in, choices out. `bench/spot_check_precision.py`
scores `combined`'s weight candidates on every real LLM-label data set and calls these."""
from __future__ import annotations

import itertools

import pandas as pd


def weight_grid(parts, levels=(0.0, 1.0, 2.0)) -> list[dict[str, float]]:
    """Every weighting of `parts` with weights from `levels`, except all zero, nearest to equal weights first: a
    tie (a part that no data set in the choice has, whose weight changes nothing there) goes to the candidate
    that leaves such parts at the neutral weight 1 rather than to one that drops them untested."""
    grid = [dict(zip(parts, w)) for w in itertools.product(levels, repeat=len(parts)) if any(w)]
    return sorted(grid, key=lambda g: sum(abs(w - 1.0) for w in g.values()))


def choose(scores: pd.DataFrame) -> int:
    """The candidate (`candidate`, `dataset`, `score` rows) with the best mean score over data sets; the first on
    a tie. A candidate missing on a data set is not comparable there, so only complete candidates compete."""
    table = scores.pivot_table(index="candidate", columns="dataset", values="score", aggfunc="mean")
    means = table.dropna().mean(axis=1)
    return int(means[means == means.max()].index.min())


def leave_one_out(scores: pd.DataFrame) -> pd.DataFrame:
    """For each data set: the candidate chosen on all the others, and that candidate's score on the held-out one.
    The held-out data set's rows are removed before choosing, so nothing of it reaches the choice scored on it."""
    rows = []
    for held_out in sorted(scores["dataset"].unique()):
        chosen = choose(scores[scores["dataset"] != held_out])
        on_it = scores[(scores["dataset"] == held_out) & (scores["candidate"] == chosen)]["score"].mean()
        rows.append({"dataset": held_out, "candidate": chosen, "score": on_it})
    return pd.DataFrame(rows)
