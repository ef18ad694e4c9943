import asyncio

import pandas as pd
import pytest

from core.datasets import demo_corpus
from core.teachers import EmbeddingTeacher, NoiseModel, RecordedTeacher, SimulatedTeacher, Teacher, TextItem, teacher_id

LABEL_SET = demo_corpus.LABEL_SET


def label_all(teacher, frame, batch_size=None):
    items = [TextItem(i, t) for i, t in zip(frame["id"], frame["text"])]
    batch_size = batch_size or len(items)
    out = []
    for start in range(0, len(items), batch_size):
        out += asyncio.run(teacher.label_batch(items[start:start + batch_size], LABEL_SET))
    return pd.Series({l.example_id: l.label for l in out})


@pytest.fixture(scope="module")
def corpus():
    return demo_corpus.generate(3000, seed=5)


def simulated(corpus, mode, **noise):
    truth = corpus.rename(columns={"label": "gold"}).set_index("id")
    return SimulatedTeacher(f"sim-{mode}", NoiseModel(mode=mode, **noise), truth, LABEL_SET)


def test_every_teacher_follows_the_protocol(corpus):
    teachers = [RecordedTeacher("r", "f.csv:c", {}), simulated(corpus, "structured"), EmbeddingTeacher()]
    assert all(isinstance(t, Teacher) for t in teachers)
    assert len({teacher_id(t) for t in teachers}) == 3


def test_recorded_teacher_never_maps_an_answer_outside_the_label_set():
    teacher = RecordedTeacher("gpt", "f.csv:gpt", {"1": ("billing", 0.7), "2": ("Billing.", None), "3": ("  ", None)})
    labels = asyncio.run(teacher.label_batch([TextItem("1", "x"), TextItem("2", "y"), TextItem("3", "z")], LABEL_SET))
    assert labels[0].label == "billing" and labels[0].probs["billing"] == pytest.approx(0.7)
    assert sum(labels[0].probs.values()) == pytest.approx(1.0)
    assert labels[1].label is None and labels[1].raw_response == "Billing." and "invalid" in labels[1].abstain_reason
    assert labels[2].label is None and labels[2].abstain_reason == "empty recorded answer"


def test_structured_noise_concentrates_where_the_model_says(corpus):
    wrong = label_all(simulated(corpus, "structured"), corpus) != corpus.set_index("id")["label"]
    kind = corpus.set_index("id")["kind"]
    plain_or_nested = kind.isin(["easy", "embedded"])
    by_depth = wrong[plain_or_nested].groupby(corpus.set_index("id")["depth"]).mean()
    assert by_depth[4] > by_depth[2] > by_depth[0]
    assert by_depth[0] < 0.1 and by_depth[4] > 0.4
    assert wrong[kind == "ambiguous"].mean() > 0.3 > wrong[kind == "easy"].mean()
    # systematic errors land on the distractor, not on a random label
    errors = corpus.set_index("id")[wrong & (kind == "embedded")]
    answers = label_all(simulated(corpus, "structured"), corpus)[errors.index]
    assert (answers == errors["distractor_label"]).mean() > 0.8


def test_uniform_noise_has_the_same_rate_but_no_structure(corpus):
    truth = corpus.set_index("id")
    structured = simulated(corpus, "structured")
    uniform = simulated(corpus, "uniform")
    wrong = label_all(uniform, corpus) != truth["label"]
    assert wrong.mean() == pytest.approx(structured.structured_error_rate, abs=0.025)
    assert wrong.mean() == pytest.approx((label_all(structured, corpus) != truth["label"]).mean(), abs=0.03)
    by_depth = wrong.groupby(truth["depth"]).mean()
    assert by_depth.max() - by_depth.min() < 0.1


def test_simulated_labels_do_not_depend_on_batching_and_are_marked_simulated(corpus):
    teacher = simulated(corpus, "structured")
    assert label_all(teacher, corpus).equals(label_all(teacher, corpus, batch_size=7))
    label = asyncio.run(teacher.label_batch([TextItem(corpus["id"][0], "")], LABEL_SET))[0]
    assert teacher.simulated and label.raw_response.startswith("[simulated structured]")


@pytest.mark.slow
def test_zero_shot_embedding_teacher_is_a_real_model_with_real_blind_spots(corpus):
    sample = corpus.groupby("kind").head(120)
    teacher = EmbeddingTeacher()
    items = [TextItem(i, t) for i, t in zip(sample["id"], sample["text"])]
    labels = asyncio.run(teacher.label_batch(items, LABEL_SET))
    assert all(sum(l.probs.values()) == pytest.approx(1.0, abs=1e-5) for l in labels)
    correct = pd.Series([l.label for l in labels], index=sample.index) == sample["label"]
    assert correct[sample["kind"] == "easy"].mean() > 0.8  # it does understand plain requests
    assert correct[sample["kind"] == "embedded"].mean() < correct[sample["kind"] == "easy"].mean() - 0.2
    abstaining = EmbeddingTeacher(min_confidence=0.99)
    abstained = asyncio.run(abstaining.label_batch(items[:20], LABEL_SET))
    assert any(l.label is None and "below" in l.abstain_reason for l in abstained)


@pytest.mark.parametrize("kind, simulated, tag", [
    ("claude", False, "LLM"),
    ("simulated", True, "SIMULATED"),
    ("zero_shot_embedding", False, "offline model, not an LLM"),
    ("recorded", False, "recorded labels"),
    ("corrected", False, "corrected by reviewers"),
    ("corrected", True, "SIMULATED, corrected by reviewers"),
    ("aggregate", False, "AGGREGATE"),
    ("aggregate", True, "SIMULATED, AGGREGATE"),
])
def test_every_teacher_is_named_for_what_it_is_and_a_simulated_base_is_never_lost(kind, simulated, tag):
    from core.teachers.registry import teacher_tag

    assert teacher_tag(kind, simulated) == tag


def _crowd_simulation(seed: int = 0):
    """Five teachers over three classes of unequal shares, each with its own confusion matrix (one always
    calls the rare class the common one, one leans to the middle class), 5% of answers missing: the truth and
    each teacher's realized accuracy are known."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n, shares = 4000, [0.6, 0.3, 0.1]
    truth = rng.choice(3, n, p=shares)
    confusions = [np.array([[0.9, 0.05, 0.05], [0.1, 0.85, 0.05], [0.9, 0.05, 0.05]]),
                  np.array([[0.7, 0.3, 0.0], [0.05, 0.9, 0.05], [0.05, 0.25, 0.7]]),
                  np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]),
                  np.array([[0.95, 0.03, 0.02], [0.2, 0.75, 0.05], [0.1, 0.1, 0.8]]),
                  np.array([[0.6, 0.2, 0.2], [0.2, 0.6, 0.2], [0.2, 0.2, 0.6]])]
    votes = np.stack([[rng.choice(3, p=c[t]) for t in truth] for c in confusions], axis=1)
    votes[rng.random(votes.shape) < 0.05] = -1
    answered = votes >= 0
    realized = np.array([(votes[answered[:, j], j] == truth[answered[:, j]]).mean() for j in range(votes.shape[1])])
    return votes, truth, realized


def test_dawid_skene_recovers_known_reliabilities_and_the_truth():
    import numpy as np

    from core.teachers.aggregate import consensus, dawid_skene, estimate_reliability

    votes, truth, realized = _crowd_simulation()
    assert np.abs(estimate_reliability(votes, 3) - realized).max() < 0.015  # the moment estimate was 0.029 off
    crowd = dawid_skene(votes, 3)
    assert np.abs(crowd.shares - np.bincount(truth) / len(truth)).max() < 0.02
    assert abs(crowd.confusion[0, 2, 0] - 0.9) < 0.06  # the teacher that calls the rare class the common one
    label, posterior, _ = consensus(votes, 3, "dawid_skene")
    assert np.allclose(posterior.sum(axis=1), 1.0)
    assert (label == truth).mean() > (consensus(votes, 3, "majority")[0] == truth).mean() + 0.01
    # with two teachers agreement cannot say which is wrong: no estimate
    assert np.isnan(estimate_reliability(votes[:, :2], 3)).all()
