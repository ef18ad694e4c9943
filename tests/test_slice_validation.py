"""The offline slicers on real public data (../shared/data; skipped in a fresh clone without it). The full
figures are in docs/slice_validation.md, written by `python bench/slice_validation.py`."""
import json

import pandas as pd
from sklearn.metrics import roc_auc_score

from core.slices.detector import FlagDetector
from core.slices.syntax import load_parser, measure

from conftest import shared_file


def sentences(path, field, limit=200):
    return [json.loads(line)[field] for line in path.read_text().splitlines()[:limit]]


def test_depth_orders_blimp_paradigms_as_their_construction_says():
    nlp = load_parser()
    folder = shared_file("blimp_embedding_subset", "data")
    mean = {name: measure(sentences(folder / f"{name}.jsonl", "sentence_good"), nlp)["clause_depth"].mean()
            for name in ("wh_vs_that_with_gap_long_distance", "complex_NP_island",
                         "coordinate_structure_constraint_object_extraction", "adjunct_island")}
    assert mean["wh_vs_that_with_gap_long_distance"] > mean["complex_NP_island"] > 1.0
    assert max(mean["coordinate_structure_constraint_object_extraction"], mean["adjunct_island"]) < 0.6


def test_cb_premises_embed_their_hypotheses():
    path = shared_file("fewshot_calib", "data", "cb", "test.jsonl")
    nlp = load_parser()
    premise = measure(sentences(path, "premise"), nlp)["clause_depth"]
    hypothesis = measure(sentences(path, "hypothesis"), nlp)["clause_depth"]
    assert (premise > hypothesis).mean() > 0.85


def test_the_flag_detector_trained_on_falseqa_beats_chance_on_its_test_split():
    folder = shared_file("falseqa", "dataset")
    train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    detector = FlagDetector().fit(train["question"].tolist(), train["label"])
    assert roc_auc_score(test["label"], detector.predict_proba(test["question"].tolist())[:, 1]) > 0.57
