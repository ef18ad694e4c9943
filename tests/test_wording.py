"""Words that say what was measured: the scheme and interval as computed, differences adjusted for the many
classes and slices tested, a test that finds nothing said as "no evidence (p = ...)", which way two students
differ, the noise experiment decided on paired intervals, and no phrase that names a test set a cross-fitted
run does not have."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.evaluation.headlines import headlines_from, interval_p, unnamed_labels_hint
from core.evaluation.metrics import Estimate, benjamini_hochberg
from core.evaluation.noise_experiment import CONCENTRATED, UNIFORM, noise_verdict_from
from core.evaluation.slice_errors import (
    slice_options_from,
    slice_table_from,
    structure_sentence,
    with_false_discovery,
)
from core.report.words import structure_found, structure_words

ROOT = Path(__file__).resolve().parent.parent


def run_frames(labels, differences, n_folds=10, teacher="gpt"):
    """The summary tables of a cross-fitted run with one teacher; `differences`: per class (diff, lo, hi) of the
    teacher-trained student's recall minus the gold-trained one's."""
    curve = pd.DataFrame([{"trained_on": who, "label_mode": "hard", "size": 900, "metric": "accuracy", "mean": mean,
                           "lo": mean - 0.02, "hi": mean + 0.02, "n_seeds": 3, "n_train": 900, "n_test": 1000,
                           "n_folds": n_folds, "n_unconverged": 0} for who, mean in (("gold", 0.85), (teacher, 0.84))])
    comparisons = pd.DataFrame([{"teacher_name": teacher, "label_mode": "hard", "size": 900, "metric": "accuracy",
                                 "versus": "gold_student", "diff": -0.01, "lo": -0.03, "hi": 0.01,
                                 "reference_size": 900}])
    scores = pd.DataFrame([{"teacher_name": teacher, "accuracy": 0.8, "accuracy_lo": 0.78, "accuracy_hi": 0.82,
                            "all_gold_accuracy": 0.79, "all_gold_accuracy_lo": 0.77, "all_gold_accuracy_hi": 0.81,
                            "n_all_gold": 1000, "n_invalid": 0, "n_abstained": 0}]).set_index("teacher_name")
    teachers = pd.DataFrame([{"teacher_name": teacher, "kind": "recorded", "simulated": False}]).set_index("teacher_name")
    class_scores = pd.DataFrame([{"teacher_name": teacher, "label_mode": "hard", "who": who, "label": label,
                                  "metric": metric, "value": 0.8, "lo": 0.7, "hi": 0.9, "n": 100}
                                 for label in labels for who in ("teacher", "student", "gold_student")
                                 for metric in ("recall", "precision")])
    class_differences = pd.DataFrame([{"teacher_name": teacher, "label_mode": "hard", "label": label, "diff": d,
                                       "lo": lo, "hi": hi} for label, (d, lo, hi) in zip(labels, differences)])
    return curve, comparisons, scores, teachers, class_scores, class_differences


def test_a_class_difference_that_only_one_of_many_classes_shows_is_not_called_a_difference():
    # each interval just excludes 0 (p about 0.03), but among 8 classes that is what chance alone gives
    labels = [f"class {i}" for i in range(8)]
    barely = (-0.05, -0.095, -0.005)
    [line] = headlines_from(*run_frames(labels, [barely] + [(0.0, -0.04, 0.04)] * 7), scheme="crossfit", repeats=2)
    first = line.per_class[0]
    assert 0.01 < first.recall_difference_p < 0.05 and first.recall_difference_p_holm > 0.05
    assert line.different_errors == [] and "class 0" not in line.sentence()

    clear = (-0.2, -0.25, -0.15)
    [line] = headlines_from(*run_frames(labels, [clear] + [(0.0, -0.04, 0.04)] * 7), scheme="crossfit", repeats=2)
    assert line.different_errors == ["class 0"]


def test_the_headline_names_the_scheme_as_computed_and_which_way_the_students_differ():
    frames = run_frames(["billing", "delivery"], [(-0.2, -0.25, -0.15), (0.12, 0.08, 0.16)])
    [line] = headlines_from(*frames, scheme="crossfit", repeats=2)
    sentence = line.sentence()
    assert "5 folds x 2 repeats" in sentence and "10 folds" not in sentence.replace("over the 10 fold", "")
    assert "cross-validation t interval over the 10 fold estimates, standard error s/√5" in sentence
    assert "err differently" not in sentence
    assert "recognises billing less often (-20.0 points" in sentence and "delivery more often (+12.0 points" in sentence
    assert "test set" not in sentence and "two-level bootstrap" not in sentence
    assert "0.790 [0.770, 0.810] over all 1000 gold rows" in sentence  # the teacher over every gold row, one interval

    [split] = headlines_from(*run_frames(["billing", "delivery"], [(0, -0.1, 0.1)] * 2, n_folds=1), scheme="split")
    assert "one fixed test split of 1000 gold rows" in split.sentence() and "covering this split only" in split.sentence()


def test_numeric_labels_without_names_get_a_hint_to_pass_a_label_file():
    [line] = headlines_from(*run_frames(["0", "1"], [(-0.2, -0.25, -0.15), (0.0, -0.05, 0.05)]), scheme="crossfit",
                            repeats=2)
    assert "recognises 0 less often" in line.sentence() and "--labels" in line.sentence()
    assert unnamed_labels_hint(["billing", "delivery"]) == "" and "--labels" in unnamed_labels_hint(["0", "1.5"])


def test_interval_p_reads_the_interval_as_computed():
    # a 95% interval that just touches 0 is p = 0.05, for the normal (bootstrap) and the t (cross-fit) interval
    assert interval_p(Estimate(0.1, 0.0, 0.2), 1) == pytest.approx(0.05, abs=1e-6)
    assert interval_p(Estimate(0.1, 0.0, 0.2), 10) == pytest.approx(0.05, abs=1e-6)
    assert np.isnan(interval_p(Estimate(0.1, float("nan"), float("nan")), 10))


def test_benjamini_hochberg_matches_the_textbook_example():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    q = benjamini_hochberg(p)
    assert q[:4] == pytest.approx([0.02, 0.04, 0.04, 0.02]) and np.isnan(q[4])


def slice_rows(wrong: list[int], n=300) -> pd.DataFrame:
    """`n` rows per bucket, the teacher wrong on the first `wrong[i]` of bucket i."""
    return pd.DataFrame([{"bucket": f"b{i}", "teacher_wrong": int(row < k), "student_wrong": int(row < k),
                          "reference_wrong": 0} for i, k in enumerate(wrong) for row in range(n)])


def test_a_slice_that_looks_structured_among_many_tested_is_said_as_no_evidence_with_its_p():
    mild = slice_table_from(slice_rows([30, 48]))
    p = mild["homogeneity_p"].iloc[0]
    assert 0.005 < p < 0.05  # alone, "structured"
    flat = [slice_table_from(slice_rows([36 + s, 36 - s])) for s in range(8)]
    [adjusted, *_] = with_false_discovery([mild, *flat])
    assert adjusted["homogeneity_q"].iloc[0] > 0.05 and adjusted["n_slices_tested"].iloc[0] == 9
    assert not structure_found(adjusted)
    words = structure_words(adjusted, "clause depth", "gpt")
    assert words.startswith("No evidence that gpt's mistakes concentrate") and f"p = {p:.2g}" in words
    assert "Benjamini-Hochberg q = " in words and "over the 9 slices" in words
    assert "No evidence that teacher error depends on clause depth" in structure_sentence(adjusted, "clause depth")
    for said in (words, structure_sentence(adjusted, "clause depth")):
        assert "about as often" not in said and "every group" not in said


def test_the_gold_label_slice_does_not_call_its_buckets_rare_classes():
    [gold, *_] = slice_options_from(pd.DataFrame(columns=["slice", "slicer"]),
                                    pd.DataFrame(columns=["column_name", "n_values", "numeric"]))
    assert gold.slice_by == "gold" and "rare" not in gold.title


def correctness_frame(rates: dict, n=1000, seed=0) -> pd.DataFrame:
    """Seed-averaged correctness per held-out row of one fixed split, each (student, size) at its given rate."""
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product([[0], [0], range(n)], names=["repeat", "fold", "example_id"])
    return pd.DataFrame({key: (rng.random(n) < rate).astype(float) for key, rate in rates.items()}, index=index)


def gaps_frame(correct: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for name in (UNIFORM, CONCENTRATED):
        for size in (200, 1000):
            d = float(correct[(name, size)].mean() - correct[("gold", size)].mean())
            rows.append({"teacher_name": name, "size": size, "diff": d, "lo": d - 0.03, "hi": d + 0.03})
    return pd.DataFrame(rows)


def test_the_noise_verdict_needs_paired_intervals_that_exclude_zero():
    accuracy = {UNIFORM: 0.9, CONCENTRATED: 0.9}
    holds = correctness_frame({("gold", 200): 0.85, ("gold", 1000): 0.92, (UNIFORM, 200): 0.78,
                               (UNIFORM, 1000): 0.91, (CONCENTRATED, 200): 0.82, (CONCENTRATED, 1000): 0.84})
    verdict = noise_verdict_from(holds, gaps_frame(holds), accuracy)
    assert verdict.supported and verdict.concentrated_minus_uniform.hi < 0 and verdict.changes[UNIFORM].lo > 0
    assert "The claim is supported" in verdict.sentence and "a bootstrap over those rows" in verdict.sentence

    # the concentrated student is a little lower, but the paired interval reaches 0: not a finding
    close = correctness_frame({("gold", 200): 0.85, ("gold", 1000): 0.92, (UNIFORM, 200): 0.78,
                               (UNIFORM, 1000): 0.91, (CONCENTRATED, 200): 0.80, (CONCENTRATED, 1000): 0.90}, seed=1)
    verdict = noise_verdict_from(close, gaps_frame(close), accuracy)
    assert verdict.concentrated_minus_uniform.lo < 0 < verdict.concentrated_minus_uniform.hi
    assert not verdict.supported and "not shown to be below the uniform-noise one" in verdict.sentence


FORBIDDEN = ("test examples only", "about as often in every group", "rare classes = low-probability",
             "on the gold test set (n=", "err differently on", "two-level bootstrap over seeds and test examples")


def test_no_caption_or_sentence_uses_the_phrases_that_misname_what_was_measured():
    files = [*ROOT.glob("core/**/*.py"), *ROOT.glob("views/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py",
             ROOT / "ui.py", ROOT / "README.md"]
    found = [(f.relative_to(ROOT), phrase) for f in files if f.exists()
             for phrase in FORBIDDEN if phrase in f.read_text(encoding="utf-8").lower()]
    assert found == []


def test_a_teachers_line_says_every_label_mode_in_points_and_is_red_when_one_is_worse_beyond_chance():
    from core.report.words import teacher_line

    line, tone = teacher_line("gpt", "LLM", {"hard": {"value": -0.104, "lo": -0.132, "hi": -0.079},
                                            "soft": {"value": -0.012, "lo": -0.026, "hi": 0.001}}, 3013)
    assert line == ("gpt (LLM), student on its labels minus on human labels at 3,013 texts: hard labels \u221210.4 points "
                    "(\u221213.2 to \u22127.9), worse; soft labels \u22121.2 points (\u22122.6 to +0.1), no difference shown.")
    assert tone == "hurts"
    assert teacher_line("gpt", "LLM", {"soft": {"value": 0.02, "lo": 0.01, "hi": 0.03}}, None)[1] == "helps"
    assert teacher_line("gpt", "LLM", {"soft": {"value": 0.0, "lo": -0.01, "hi": 0.01}}, None)[1] == "same"
