"""No gold label of a ranked row reaches what ranks or clusters that row, in either evaluation scheme, with a
disagreement map built: change the gold labels a row's own ranking must not see and every strategy keeps its
order, its reasons and the map its clusters."""
import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from core.evaluation.config import parse_config
from core.pipeline import run_experiment
from core.review.map import METHOD, cluster_disagreements, map_points
from core.review.ranking import ranking_input
from core.review.strategies import STRATEGIES, runnable
from core.store import ExampleFilter

TEACHERS = [{"name": "sim", "kind": "simulated", "params": {"depth_error": 0.3, "ambiguous_error": 0.6, "seed": 2}},
            {"name": "sim_b", "kind": "simulated", "params": {"depth_error": 0.2, "seed": 5}},
            {"name": "sim_c", "kind": "simulated", "params": {"base_accuracy": 0.85, "seed": 9}}]


def _run(db, dataset_id, scheme: str) -> str:
    run_id = run_experiment(db, parse_config({
        "name": f"gold-{scheme}", "dataset": "small", "sizes": ["all"], "seeds": [0, 1, 2], "bootstrap": 100,
        "evaluation": {"scheme": scheme, "folds": 5, "repeats": 1}, "student": {"label_modes": ["hard"]},
        "teachers": TEACHERS}))
    # the map's positions: a 2-D projection of the texts stored as UMAP's would be (UMAP itself takes a minute
    # to compile; what is tested here is what clusters and ranks read, not the projection)
    examples = db.examples(dataset_id)
    xy = TruncatedSVD(2, random_state=0).fit_transform(TfidfVectorizer().fit_transform(examples["text"]))
    db.write_projection(dataset_id, METHOD, pd.DataFrame({"example_id": examples["example_id"],
                                                          "x": xy[:, 0], "y": xy[:, 1]}))
    return run_id


def _rankings(db, run_id) -> dict:
    """Every runnable strategy's order and reasons, for the run's first teacher, with its map built now."""
    cluster_disagreements(db, run_id, "sim")
    data = ranking_input(db, run_id, "sim")
    can, _ = runnable(data)
    assert {"slice_risk", "cluster_coverage", "combined", "teacher_disagreement"} <= set(can), runnable(data)
    return {name: data.ranked(name).set_index("example_id")["reason"] for name in can}


def _set_gold(db, dataset_id, gold: pd.Series) -> None:
    with db.transaction() as con:
        con.register("frame", gold.rename("gold").rename_axis("example_id").reset_index())
        con.execute("UPDATE examples SET gold = frame.gold FROM frame WHERE examples.dataset_id = ? "
                    "AND examples.example_id = frame.example_id", [dataset_id])
        con.unregister("frame")


def _changed(db, dataset_id, rows: list[str], how: str) -> pd.Series:
    gold = db.examples(dataset_id).set_index("example_id")["gold"].reindex(rows)
    if how == "blank":
        return pd.Series([None] * len(rows), index=gold.index, dtype=object)
    shuffled = gold.sample(frac=1.0, random_state=1).to_numpy()
    assert (shuffled != gold.to_numpy()).mean() > 0.3  # a permutation that moves most labels
    return pd.Series(shuffled, index=gold.index)


def _assert_same_order(before: dict, after: dict, rows: set) -> None:
    assert before.keys() == after.keys()
    for name in before:
        old, new = before[name], after[name]
        kept = [e for e in old.index if e in rows]
        assert kept == [e for e in new.index if e in rows], f"{name} reordered rows whose gold changed"
        assert old[kept].equals(new[kept]), f"{name} gives those rows other reasons"


@pytest.mark.slow
def test_a_split_runs_rankings_never_read_the_pools_gold(db, small_dataset):
    """A fixed test split: the pool's gold labels (every ranked row's) are permuted, then blanked; every
    strategy's whole order stays."""
    dataset_id = small_dataset.dataset_id
    run_id = _run(db, dataset_id, "split")
    before = _rankings(db, run_id)
    colours = _map_colours(db, run_id)
    pool = db.example_view(run_id, "sim", where=ExampleFilter(role="train"))
    with_gold = pool.loc[pool["gold"].notna(), "example_id"].tolist()
    assert len(with_gold) > 100  # the demo's pool rows carry gold: there is something to leak
    for how in ("permute", "blank"):
        _set_gold(db, dataset_id, _changed(db, dataset_id, with_gold, how))
        _assert_same_order(before, _rankings(db, run_id), set(pool["example_id"]))
        after = _map_colours(db, run_id)
        # the map's default colouring stays; only the colouring the user asks for by human labels moves
        assert after["agreement"].equals(colours["agreement"])
        assert not after["pattern"].equals(colours["pattern"])


def _map_colours(db, run_id) -> pd.DataFrame:
    return map_points(db, run_id, "sim").set_index("example_id").sort_index()[["agreement", "pattern"]]


@pytest.mark.slow
def test_a_crossfit_runs_rankings_of_a_fold_never_read_that_folds_gold(db, small_dataset):
    """Cross-fitting: every gold row is ranked. Permute, then blank, the gold labels of one fold's rows: those
    rows keep their order and reasons under every strategy (their slice rates come from other folds' gold)."""
    dataset_id = small_dataset.dataset_id
    run_id = _run(db, dataset_id, "crossfit")
    before = _rankings(db, run_id)
    predictions = db.predictions(run_id, trained_on="sim")
    fold = predictions[(predictions["repeat"] == 0) & (predictions["fold"] == 1)]["example_id"].unique().tolist()
    assert len(fold) > 50
    for how in ("permute", "blank"):
        _set_gold(db, dataset_id, _changed(db, dataset_id, fold, how))
        _assert_same_order(before, _rankings(db, run_id), set(fold))
