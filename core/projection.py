"""The disagreement map: a 2-D UMAP of the data set's text embeddings (once per data set, stored), and
HDBSCAN clusters over the examples where teacher, student and gold disagree (once per run and teacher),
each described by its most distinctive terms. Heavy (UMAP compiles with numba on first use), so it is a
step of its own, never run on a page load."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import HDBSCAN
from sklearn.feature_extraction.text import TfidfVectorizer

from .embedding_cache import stored_encoder
from .explore import with_patterns
from .labeling import Progress
from .store import Store

METHOD = "umap"


def project_dataset(store: Store, dataset_id: str, seed: int = 0) -> None:
    import umap  # imported here: it takes seconds (numba) and only this step needs it

    examples = store.examples(dataset_id)
    vectors = stored_encoder(store, dataset_id, examples)(examples["text"])
    xy = umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine", random_state=seed).fit_transform(vectors)
    store.write_projection(dataset_id, METHOD, pd.DataFrame({"example_id": examples["example_id"], "x": xy[:, 0], "y": xy[:, 1]}))


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


def cluster_disagreements(store: Store, run_id: str, teacher_name: str) -> None:
    view = with_patterns(store.example_view(run_id, teacher_name, METHOD))
    disagreeing = ~view["pattern"].isin(["all right", "teacher and student agree"])
    points = view[disagreeing & view["x"].notna()].reset_index(drop=True)
    labels = np.full(len(points), -1)
    if len(points) >= 10:
        labels = HDBSCAN(min_cluster_size=max(10, len(points) // 40), copy=True).fit_predict(points[["x", "y"]].to_numpy())
    terms = top_terms(points["text"], labels) if (labels >= 0).any() else {}
    store.write_clusters(run_id, teacher_name, pd.DataFrame({"example_id": points["example_id"], "cluster": labels}),
                         pd.DataFrame({"cluster": list(terms), "terms": list(terms.values())}, columns=["cluster", "terms"]))


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
