"""The spot-check queue: the training-pool examples a human should check, in a stored strategy's order."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.store import ExampleFilter, Store


def spot_check_queue(store: Store, run_id: str, teacher: str, strategy: str, *, clusters: list[int] | None = None,
                     slice_column: str | None = None, slice_values: list[str] | None = None,
                     include_reviewed: bool = False, limit: int = 500) -> pd.DataFrame:
    """The first `limit` training-pool examples for human review in a stored strategy's order (examples
    picked by hand first), each with the reason for its place; column `total` holds the whole queue's length."""
    where = ExampleFilter(clusters=tuple(clusters or ()), slice_column=slice_column,
                          slice_values=tuple(slice_values or ()), include_reviewed=include_reviewed)
    queue = store.example_view(run_id, teacher, where=where, queue=strategy, limit=limit)
    reason = [f"picked {p}" if isinstance(p, str) else r for p, r in zip(queue["pinned_from"], queue["queue_reason"])]
    return queue.assign(rank=np.arange(1, len(queue) + 1), reason=reason)
