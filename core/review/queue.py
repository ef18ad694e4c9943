"""The spot-check queue: the training-pool examples a human should check, in a stored strategy's order.

The head of every strategy's queue is stored with the run (`store_queue_heads`, when its rankings or its map
are written), because ordering a million-example pool takes seconds a reviewer should not wait on a first
visit. Verdicts and hand-picked examples change after that, so they are applied when the head is read."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.store import ExampleFilter, Store

QUEUE_HEAD = 2000  # examples kept per teacher and strategy: a session's verdicts come off the top of these


def queue_filters(options: list) -> list:
    """The slice options the queue can be cut by: imported columns and computed slices, except those computed
    from each example's own gold label, which would steer a reviewer toward the answer."""
    return [o for o in options if o.slice_by in ("column", "stored") and not o.reads_gold]


def head_name(teacher: str, strategy: str) -> str:
    return f"queue/{teacher}/{strategy}"


def store_queue_heads(store: Store, run_id: str, teacher: str) -> None:
    """Stores the first `QUEUE_HEAD` examples of each of the teacher's ranked strategies, reviewed ones included."""
    heads = {head_name(teacher, strategy): store.example_view(run_id, teacher, queue=strategy, limit=QUEUE_HEAD)
             for strategy in store.ranking_strategies(run_id, teacher)}
    store.write_page_frames(run_id, heads, replace_prefix=head_name(teacher, ""))


def queue_strategies(store: Store, run_id: str, teacher: str) -> list[str]:
    """The strategies with a stored ranking for this teacher, without scanning the rankings when heads are stored."""
    prefix = head_name(teacher, "")
    stored = [name[len(prefix):] for name in store.page_frame_names(run_id) if name.startswith(prefix)]
    return stored or store.ranking_strategies(run_id, teacher)


def spot_check_queue(store: Store, run_id: str, teacher: str, strategy: str, *, clusters: list[int] | None = None,
                     slice_column: str | None = None, slice_values: list[str] | None = None,
                     include_reviewed: bool = False, limit: int = 500) -> pd.DataFrame:
    """The first `limit` training-pool examples for human review in a stored strategy's order (examples
    picked by hand first), each with the reason for its place; column `total` holds the whole queue's length."""
    store.run_teacher_id(run_id, teacher)  # an unknown run or teacher is an error, not an empty queue
    where = ExampleFilter(clusters=tuple(clusters or ()), slice_column=slice_column,
                          slice_values=tuple(slice_values or ()), include_reviewed=include_reviewed)
    queue = None
    if where == ExampleFilter(include_reviewed=include_reviewed):
        queue = _from_stored_head(store, run_id, teacher, strategy, include_reviewed, limit)
    if queue is None:
        queue = store.example_view(run_id, teacher, where=where, queue=strategy, limit=limit)
    reason = [f"picked {p}" if isinstance(p, str) else r for p, r in zip(queue["pinned_from"], queue["queue_reason"])]
    return queue.assign(rank=np.arange(1, len(queue) + 1), reason=reason)


def _from_stored_head(store: Store, run_id: str, teacher: str, strategy: str, include_reviewed: bool,
                      limit: int | None) -> pd.DataFrame | None:
    """The unfiltered queue from its stored head with today's verdicts and picks, or None when there is no head
    or too little of it is left to fill `limit`."""
    head = store.page_frame(run_id, head_name(teacher, strategy))
    if head is None:
        return None
    whole = int(head["total"].max()) if len(head) else 0  # the queue's length when the head was stored
    counts, picked = store.review_marks(store.run(run_id)["dataset_id"])
    outside = sorted(set(picked) - set(head["example_id"]))
    if outside:  # picked on the map since the head was stored: fetched by id, a small read
        extra = store.example_view(run_id, teacher, where=ExampleFilter(example_ids=tuple(outside)), queue=strategy)
        head = pd.concat([extra, head], ignore_index=True) if not extra.empty else head
    head = head.assign(n_verdicts=head["example_id"].map(counts).fillna(0).astype(int),
                       pinned_from=head["example_id"].map(picked))
    total = whole
    if not include_reviewed:
        head = head[head["n_verdicts"] == 0]
        total -= store.reviewed_in_ranking(run_id, teacher, strategy) if counts else 0
    if whole > QUEUE_HEAD and (limit is None or len(head) < limit):
        return None
    ordered = head.sort_values(["pinned_from", "queue_rank", "example_id"],
                               key=lambda column: column.isna() if column.name == "pinned_from" else column)
    return (ordered if limit is None else ordered.head(limit)).assign(total=total).reset_index(drop=True)
