"""What the pages and the CLI read about a finished run, loaded from the store and handed to the pure
functions of this stage: headlines, the teachers' calibration, and slice error tables."""
from __future__ import annotations

import pandas as pd

from core.evaluation.calibration import calibration_tables
from core.evaluation.config import RunConfig
from core.evaluation.fitting import GOLD
from core.evaluation.headlines import Headline, headlines_from
from core.evaluation.slice_errors import SliceOption, slice_options_from, slice_table_from
from core.store import Store


def headlines(store: Store, run_id: str, metric: str = "accuracy") -> list[Headline]:
    return headlines_from(store.curve(run_id), store.comparisons(run_id),
                          store.teacher_scores(run_id).set_index("teacher_name"),
                          store.run_teachers(run_id).set_index("teacher_name")["simulated"], metric)


def run_test_split(store: Store, run_id: str, with_text: bool = False) -> pd.DataFrame:
    """The gold test split of a run, as its config drew it."""
    run = store.run(run_id)
    _, test = RunConfig.model_validate(run["config"]).test.split(store.examples(run["dataset_id"], with_text=with_text))
    return test


def calibration(store: Store, run_id: str, teacher: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How well a run's teacher's confidence tracks its accuracy on the test split (see `calibration_tables`)."""
    test = run_test_split(store, run_id)
    return calibration_tables(store.teacher_answers(run_id, teacher, test["example_id"]), test["gold"])


def slice_options(store: Store, dataset_id: str) -> list[SliceOption]:
    return slice_options_from(store.slice_names(dataset_id), store.slice_columns(dataset_id))


def slice_table(store: Store, run_id: str, teacher: str, label_mode: str, option: SliceOption) -> pd.DataFrame:
    """Errors per bucket of `option` on the run's test split (see `slice_table_from`)."""
    edges = None
    if option.slice_by == "quantile" and option.column is not None:
        edges = store.quantile_edges(store.run(run_id)["dataset_id"], option.column)
    return slice_table_from(store.slice_rows(run_id, teacher, label_mode, GOLD, option.slice_by, option.column, edges))
