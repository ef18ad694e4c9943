"""What the pages and the CLI read about a finished run, loaded from the store and handed to the pure
functions of this stage: headlines, the teachers' calibration, and slice error tables."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.evaluation.calibration import calibration_tables
from core.evaluation.config import RunConfig
from core.evaluation.fitting import GOLD
from core.evaluation.headlines import Headline, headlines_from, scheme_words
from core.evaluation.runs import run_plan
from core.evaluation.slice_errors import SliceOption, slice_options_from, slice_table_from, with_false_discovery
from core.store import Store
from core.store.pages import SLICE_FRAMES


def headlines(store: Store, run_id: str, metric: str = "accuracy") -> list[Headline]:
    scheme, repeats = _scheme_and_repeats(store, run_id)
    curve = store.curve(run_id)
    return headlines_from(curve, store.comparisons(run_id), store.teacher_scores(run_id).set_index("teacher_name"),
                          store.run_teachers(run_id).set_index("teacher_name"), store.class_scores(run_id),
                          store.class_differences(run_id), scheme, metric, repeats)


def _scheme_and_repeats(store: Store, run_id: str) -> tuple[str, int]:
    """The scheme a run resolved and its repeats, as it stored them; for runs stored before runs kept their plan,
    from the config (what `auto` chose shows in how many folds scored the students)."""
    run = store.run(run_id)
    if run["evaluation_plan"] is not None:
        return run["evaluation_plan"]["scheme"], int(run["evaluation_plan"]["repeats"])
    evaluation = RunConfig.model_validate(run["config"]).evaluation
    scheme = evaluation.scheme
    if scheme == "auto":
        curve = store.curve(run_id)
        scheme = "crossfit" if len(curve) and int(curve["n_folds"].max()) > 1 else "split"
    return scheme, evaluation.repeats


def run_scheme_words(store: Store, run_id: str) -> str:
    """How a run's students were scored and its intervals computed (`scheme_words`), for a caption."""
    curve = store.curve(run_id)
    if curve.empty:
        return "no student was scored yet"
    scheme, repeats = _scheme_and_repeats(store, run_id)
    return scheme_words(scheme, int(curve["n_folds"].max()), repeats,
                        int(curve["n_test"].max()), int(curve["n_seeds"].max()))


def run_scheme(store: Store, run_id: str) -> str:
    """How a run scored its students: "crossfit" or "split" (what `auto` resolved to)."""
    return _scheme_and_repeats(store, run_id)[0]


def scored_rows(store: Store, run_id: str) -> pd.DataFrame:
    """The gold rows a run scored students on (as it stored its folds): every gold row when cross-fitted, else
    its test split."""
    examples, plan = run_plan(store, run_id)
    return examples.iloc[np.unique(np.concatenate([fold.held_out for fold in plan.folds]))]


def calibration(store: Store, run_id: str, teacher: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How well a run's teacher's confidence tracks its accuracy on the scored rows (see `calibration_tables`)."""
    scored = scored_rows(store, run_id)
    return calibration_tables(store.teacher_answers(run_id, teacher, scored["example_id"]), scored["gold"])


def slice_options(store: Store, dataset_id: str) -> list[SliceOption]:
    return slice_options_from(store.slice_names(dataset_id), store.slice_columns(dataset_id))


def slice_table(store: Store, run_id: str, teacher: str, label_mode: str, option: SliceOption) -> pd.DataFrame:
    """Errors per bucket of `option` on the run's test split (see `slice_table_from`): stored when the run
    finished or its data set's slices were last computed (`store_slice_tables`), else computed now."""
    return slice_tables(store, run_id, teacher, label_mode, [option])[0]


def slice_tables(store: Store, run_id: str, teacher: str, label_mode: str,
                 options: list[SliceOption]) -> list[pd.DataFrame]:
    """`slice_table` for several options: the stored frames, or, where one is missing, every slice table of the
    teacher and mode computed once (each test is adjusted over all of them)."""
    stored = [store.page_frame(run_id, _slice_frame_name(teacher, label_mode, option)) for option in options]
    if all(table is not None for table in stored):
        return stored
    everything = slice_options(store, store.run(run_id)["dataset_id"])
    computed = _teacher_slice_tables(store, run_id, teacher, label_mode, everything)
    return [computed[everything.index(option)] for option in options]


def store_slice_tables(store: Store, run_id: str) -> None:
    """Every slice table the slices page offers for the run (each teacher x label mode x slice option): each
    reads the test split's rows, about a second at a million examples, so a first visit should not pay it."""
    run = store.run(run_id)
    options = slice_options(store, run["dataset_id"])
    store.write_page_frames(run_id, {
        _slice_frame_name(teacher, mode, option): table
        for teacher in store.run_teachers(run_id)["teacher_name"] for mode in run["config"]["student"]["label_modes"]
        for option, table in zip(options, _teacher_slice_tables(store, run_id, teacher, mode, options))},
        replace_prefix=SLICE_FRAMES)


def _teacher_slice_tables(store: Store, run_id: str, teacher: str, label_mode: str,
                          options: list[SliceOption]) -> list[pd.DataFrame]:
    """Every slice table of one teacher and mode, their structured-error tests adjusted over each other."""
    return with_false_discovery([_slice_table(store, run_id, teacher, label_mode, option) for option in options])


def _slice_frame_name(teacher: str, label_mode: str, option: SliceOption) -> str:
    return f"{SLICE_FRAMES}{teacher}/{label_mode}/{option.slice_by}:{option.column}"


def _slice_table(store: Store, run_id: str, teacher: str, label_mode: str, option: SliceOption) -> pd.DataFrame:
    edges = None
    if option.slice_by == "quantile" and option.column is not None:
        edges = store.quantile_edges(store.run(run_id)["dataset_id"], option.column)
    return slice_table_from(store.slice_rows(run_id, teacher, label_mode, GOLD, option.slice_by, option.column, edges))


OVERVIEW_PARTS = ("costs", "labels", "gold", "calibration", "reliability")


def teacher_overview(store: Store, run_id: str) -> dict[str, pd.DataFrame]:
    """What the overview shows about a run's teachers beyond the headlines: cost and answers per teacher, the label
    distributions (teachers' and gold), and calibration (a summary and the reliability curve per teacher). Each
    part aggregates every label of the data set (seconds at a million examples), so they are stored when the run
    finishes (`store_teacher_overview`); a run stored before that has them computed here."""
    stored = {part: store.page_frame(run_id, f"overview/{part}") for part in OVERVIEW_PARTS}
    if any(frame is None for frame in stored.values()):
        return _teacher_overview(store, run_id)
    return stored


def store_teacher_overview(store: Store, run_id: str) -> None:
    store.write_page_frames(run_id, {f"overview/{part}": frame for part, frame in _teacher_overview(store, run_id).items()})


def _teacher_overview(store: Store, run_id: str) -> dict[str, pd.DataFrame]:
    names = list(store.run_teachers(run_id)["teacher_name"])
    calibrated = [calibration(store, run_id, name) for name in names]
    return {"costs": store.teacher_costs(run_id), "labels": store.teacher_label_distribution(run_id),
            "gold": store.gold_distribution(store.run(run_id)["dataset_id"]),
            "calibration": pd.concat([s.assign(teacher=n) for (s, _), n in zip(calibrated, names)], ignore_index=True),
            "reliability": pd.concat([c.assign(teacher=n) for (_, c), n in zip(calibrated, names)], ignore_index=True)}
