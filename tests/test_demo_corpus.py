import pandas as pd

from core.datasets import demo_corpus
from core.datasets.demo_corpus import LABELS, REPORTING, generate


def test_same_seed_same_corpus_and_the_shipped_file_is_the_generators_output():
    assert generate(500, seed=11).equals(generate(500, seed=11))
    assert not generate(500, seed=11).equals(generate(500, seed=12))
    shipped = pd.read_csv(demo_corpus.DEMO_CSV, dtype=str, keep_default_na=False)
    assert shipped.equals(generate().astype(str)), "data/demo_corpus.csv is stale: run `python -m core demo`"


def test_compositional_thousands_of_distinct_texts_over_five_balanced_classes():
    corpus = generate()
    assert len(corpus) == 4000 and corpus["text"].nunique() == 4000
    shares = corpus["label"].value_counts(normalize=True)
    assert set(shares.index) == set(LABELS) and shares.min() > 0.15
    assert set(corpus["kind"]) == set(demo_corpus.KINDS)
    assert set(corpus["split"]) == {"train", "test"}


def test_embedding_depth_is_the_number_of_nested_reporting_clauses():
    corpus = generate()
    embedded = corpus[corpus["kind"] == "embedded"]
    assert set(embedded["depth"]) == {1, 2, 3, 4}
    for text, depth in zip(embedded["text"], embedded["depth"]):
        assert sum(text.count(f" {verb} ") + text.startswith(verb) for verb in REPORTING) == depth
    assert (corpus.loc[corpus["kind"] != "embedded", "depth"] == 0).all()
    assert (embedded["distractor_label"] != embedded["label"]).all()


def test_ambiguous_texts_record_two_different_defensible_labels():
    corpus = generate()
    ambiguous = corpus[corpus["ambiguous"] == 1]
    assert (ambiguous["kind"] == "ambiguous").all() and len(ambiguous) > 300
    assert ambiguous["alt_label"].isin(LABELS).all() and (ambiguous["alt_label"] != ambiguous["label"]).all()
    pairs = {frozenset(p) for p in zip(ambiguous["label"], ambiguous["alt_label"])}
    assert pairs == {frozenset(p) for p in demo_corpus.AMBIGUOUS}
    # annotators split: each reading of a pair is gold about half the time
    first = sum(1 for g, a in zip(ambiguous["label"], ambiguous["alt_label"]) if (g, a) in demo_corpus.AMBIGUOUS)
    assert 0.35 < first / len(ambiguous) < 0.65


def test_false_premises_and_negations_are_about_another_queue():
    corpus = generate()
    premised = corpus[corpus["false_premise"] == 1]
    for text, premise_label in zip(premised["text"], premised["distractor_label"]):
        assert any(p in text for p in demo_corpus.FALSE_PREMISES[premise_label])
    negated = corpus[corpus["negation"] == 1]
    for text, negated_label in zip(negated["text"], negated["distractor_label"]):
        assert any(n in text or n.capitalize() in text for n in demo_corpus.NEGATIONS[negated_label])
    assert (negated["distractor_label"] != negated["label"]).all()
    easy = corpus[corpus["kind"] == "easy"]
    assert (easy[["depth", "ambiguous", "false_premise", "negation"]] == 0).all().all()
