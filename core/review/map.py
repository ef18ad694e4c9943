"""The disagreement map: a 2-D UMAP of the data set's text embeddings (once per data set, stored), and
HDBSCAN clusters over the examples whose teacher label the student or most other teachers contest, read without
any gold label (once per run and teacher),
each described by its most distinctive terms. Heavy (UMAP compiles with numba on first use), so it is a
step of its own, never run on a page load."""
from __future__ import annotations

import pandas as pd

from core.datasets.stored_embeddings import stored_encoder
from core.datasets.terms import top_terms
from core.progress import Progress
from core.review.disagreements import cluster_points, in_doubt, with_patterns
from core.review.queue import store_queue_heads
from core.review.ranking import other_teacher_labels
from core.store import Store

METHOD = "umap"
MAP_POINTS = 20000  # drawn on the page (a fixed sample): more points than this only blur the picture


def project_dataset(store: Store, dataset_id: str, seed: int = 0) -> None:
    import umap  # imported here: it takes seconds (numba) and only this step needs it

    examples = store.examples(dataset_id)
    vectors = stored_encoder(store, dataset_id, examples)(examples["text"])
    xy = umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine", random_state=seed).fit_transform(vectors)
    store.write_projection(dataset_id, METHOD, pd.DataFrame({"example_id": examples["example_id"], "x": xy[:, 0], "y": xy[:, 1]}))


def cluster_disagreements(store: Store, run_id: str, teacher_name: str) -> None:
    view = store.example_view(run_id, teacher_name, METHOD)
    contested = in_doubt(view, other_teacher_labels(store, run_id, teacher_name, view["example_id"]))
    points = view[contested & view["x"].notna()].reset_index(drop=True)
    labels = cluster_points(points)
    terms = top_terms(points["text"], labels) if (labels >= 0).any() else {}
    store.write_clusters(run_id, teacher_name, pd.DataFrame({"example_id": points["example_id"], "cluster": labels}),
                         pd.DataFrame({"cluster": list(terms), "terms": list(terms.values())}, columns=["cluster", "terms"]))
    store_map_points(store, run_id, teacher_name)
    store_queue_heads(store, run_id, teacher_name)  # they show each example's cluster


def store_map_points(store: Store, run_id: str, teacher_name: str) -> None:
    """What the map page draws: a fixed sample of `MAP_POINTS` examples with positions and clusters."""
    store.write_page_frames(run_id, {_points_name(teacher_name): store.example_view(run_id, teacher_name, METHOD,
                                                                                    sample=MAP_POINTS)})


def _points_name(teacher_name: str) -> str:
    return f"map/{teacher_name}"


def map_points(store: Store, run_id: str, teacher_name: str) -> pd.DataFrame | None:
    """The examples the map page draws (a fixed sample of `MAP_POINTS`) with their agreement pattern: stored when
    the map was built, else read now; None while the run's data set has no map."""
    points = store.page_frame(run_id, _points_name(teacher_name))
    if points is None:
        if not store.has_projection(store.run(run_id)["dataset_id"], METHOD):
            return None
        points = store.example_view(run_id, teacher_name, METHOD, sample=MAP_POINTS)
    return with_patterns(points)


def build_map(store: Store, run_id: str, progress: Progress | None = None, force: bool = False) -> None:
    run = store.run(run_id)
    teachers = list(store.run_teachers(run_id)["teacher_name"])
    if force or not store.has_projection(run["dataset_id"], METHOD):
        if progress:
            progress("projecting texts with UMAP", 0, 1)
        project_dataset(store, run["dataset_id"])
    for step, teacher in enumerate(teachers, start=1):
        cluster_disagreements(store, run_id, teacher)
        if progress:
            progress("clustering disagreements", step, len(teachers))
