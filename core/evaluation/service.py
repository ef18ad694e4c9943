"""What the pages and the CLI read about a finished run, loaded from the store and handed to the pure
functions of this stage: headlines, the teachers' calibration, and slice error tables."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.evaluation.calibration import calibration_tables
from core.evaluation.config import RunConfig
from core.evaluation.fitting import GOLD
from core.evaluation.headlines import Headline, headlines_from
from core.evaluation.runs import run_plan
from core.evaluation.slice_errors import SliceOption, slice_options_from, slice_table_from
from core.store import Store
from core.store.pages import SLICE_FRAMES


def headlines(store: Store, run_id: str, metric: str = "accuracy") -> list[Headline]:
    run = store.run(run_id)
    curve = store.curve(run_id)
    if run["evaluation_plan"] is not None:  # the scheme the run resolved, as it stored it
        scheme = run["evaluation_plan"]["scheme"]
    else:  # stored before runs kept their plan: the scheme auto chose shows in how many folds scored the students
        scheme = RunConfig.model_validate(run["config"]).evaluation.scheme
        if scheme == "auto":
            scheme = "crossfit" if len(curve) and int(curve["n_folds"].max()) > 1 else "split"
    return headlines_from(curve, store.comparisons(run_id), store.teacher_scores(run_id).set_index("teacher_name"),
                          store.run_teachers(run_id).set_index("teacher_name"), store.class_scores(run_id),
                          store.class_differences(run_id), scheme, metric)


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
    stored = store.page_frame(run_id, _slice_frame_name(teacher, label_mode, option))
    return stored if stored is not None else _slice_table(store, run_id, teacher, label_mode, option)


def store_slice_tables(store: Store, run_id: str) -> None:
    """Every slice table the slices page offers for the run (each teacher x label mode x slice option): each
    reads the test split's rows, about a second at a million examples, so a first visit should not pay it."""
    run = store.run(run_id)
    options = slice_options(store, run["dataset_id"])
    store.write_page_frames(run_id, {
        _slice_frame_name(teacher, mode, option): _slice_table(store, run_id, teacher, mode, option)
        for teacher in store.run_teachers(run_id)["teacher_name"]
        for mode in run["config"]["student"]["label_modes"] for option in options}, replace_prefix=SLICE_FRAMES)


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
