"""Which rows train and which are scored, as a run resolves and stores them: scikit-learn's repeated stratified
K-fold (consecutive fold seeds share no partition), every copy of a text in the fold that scores it, the plan
kept with the run and read back by everything that reads the run later, and a random test fraction that can
never be silently ignored."""
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import RepeatedStratifiedKFold

from core import cli
from core.datasets import demo_corpus
from core.datasets.importing import import_dataset
from core.datasets.reading import ColumnMapping, read_dataset
from core.errors import ConfigError
from core.evaluation.config import parse_config
from core.evaluation.service import scored_rows
from core.evaluation.splits import evaluation_plan
from core.pipeline import run_experiment

NO_SPLIT = ColumnMapping(text="text", id="id", gold="label")


def frame(n=120, seed=0, texts=None):
    labels = np.random.default_rng(seed).choice(["a", "b", "c"], n)
    return pd.DataFrame({"example_id": [f"e{i}" for i in range(n)], "text": texts if texts is not None else
                         [f"text number {i}" for i in range(n)], "gold": labels, "split": None})


def partitions(plan):
    return {(f.repeat, frozenset(f.held_out.tolist())) for f in plan.folds}


def test_cross_fitting_is_sklearns_repeated_stratified_k_fold_and_fold_seeds_share_no_partition():
    examples = frame()
    plan = evaluation_plan(examples, "crossfit", folds=5, repeats=2, seed=0)
    expected = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0).split(examples, examples["gold"])
    assert [f.held_out.tolist() for f in plan.folds] == [sorted(held.tolist()) for _, held in expected]
    assert "RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0)" == plan.splitter
    held = lambda seed: {frozenset(f.held_out.tolist()) for f in evaluation_plan(examples, "crossfit", 5, 2, seed).folds}
    assert not held(0) & held(1)  # seed s used states s and s + 1, so seeds 0 and 1 shared a whole repeat


def test_every_copy_of_a_text_is_out_of_the_training_rows_of_the_fold_that_scores_it():
    texts = [f"text number {i % 40}" for i in range(100)] + [f"Text  number {i}" for i in range(10)]  # case, spacing
    examples = frame(110, texts=texts)
    examples.loc[100:, "gold"] = None  # unlabeled copies of labeled texts train teacher students only
    groups = examples["text"].str.lower().str.split().str.join(" ")
    for scheme, extra in (("crossfit", {}), ("split", {"fraction": 0.3})):
        plan = evaluation_plan(examples, scheme, folds=5, repeats=2, seed=0, **extra)
        for fold in plan.folds:
            scored = set(groups.iloc[fold.held_out])
            assert not scored & set(groups.iloc[fold.train]), (scheme, fold.repeat, fold.fold)
        if scheme == "crossfit":
            assert "StratifiedGroupKFold" in plan.splitter
            for repeat in (0, 1):  # every gold row still scored exactly once per repeat
                held = np.concatenate([f.held_out for f in plan.folds if f.repeat == repeat])
                assert sorted(held) == list(range(100))


def test_the_import_says_how_many_texts_repeat_and_how_many_rows_have_no_gold(tmp_path, capsys):
    path = tmp_path / "dups.csv"
    corpus = demo_corpus.generate(n=60, seed=2)
    corpus.loc[50:54, "text"] = corpus.loc[0:4, "text"].to_numpy()  # 5 texts twice
    corpus.loc[55:, "label"] = ""  # 5 rows without gold
    corpus.to_csv(path, index=False)
    assert cli.main(["import", str(path), "--text", "text", "--id", "id", "--gold", "label", "--name", "d",
                     "--db", str(tmp_path / "x.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "5 texts occur more than once (5 rows repeat" in out and "5 of 60 rows have no gold label" in out


def test_a_test_fraction_under_a_scheme_that_never_draws_one_is_an_error_naming_it():
    base = {"name": "x", "dataset": "x", "teachers": [{"name": "sim", "kind": "simulated"}]}
    for scheme in ("auto", "crossfit"):
        with pytest.raises(ConfigError, match=r"test\.fraction = 0\.3 .* evaluation\.scheme"):
            parse_config({**base, "test": {"fraction": 0.3}, "evaluation": {"scheme": scheme}})
    parse_config({**base, "test": {"fraction": 0.3}, "evaluation": {"scheme": "split"}})
    parse_config({**base, "test": {"split_value": "holdout"}})  # the split column's value applies under auto


def test_a_run_keeps_its_folds_and_later_reads_use_them_not_the_config(db, tmp_path):
    path = tmp_path / "s.csv"
    demo_corpus.generate(n=300, seed=4).to_csv(path, index=False)
    import_dataset(db, read_dataset(path, NO_SPLIT, demo_corpus.LABEL_SET), "s")
    run_id = run_experiment(db, parse_config({
        "name": "s", "dataset": "s", "sizes": ["all"], "seeds": [0, 1, 2], "bootstrap": 100,
        "test": {"fraction": 0.3, "seed": 0}, "evaluation": {"scheme": "split"}, "student": {"label_modes": ["hard"]},
        "teachers": [{"name": "sim", "kind": "simulated", "params": {"seed": 1}}]}))
    run = db.run(run_id)
    assert run["evaluation_plan"]["scheme"] == "split" and "random 30%" in run["evaluation_plan"]["splitter"]
    predicted = set(db.predictions(run_id)["example_id"])
    stored = db.run_folds(run_id)
    assert set(stored.loc[stored["scored"], "example_id"]) == predicted
    # the code that resolves a config to folds changes (here: the stored config says another split seed)
    config = dict(run["config"], test=dict(run["config"]["test"], seed=7))
    db.execute("UPDATE runs SET config = ? WHERE run_id = ?", [json.dumps(config), run_id])
    assert set(scored_rows(db, run_id)["example_id"]) == predicted
