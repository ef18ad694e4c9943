"""pseudolens: does training a small classifier on LLM labels instead of human labels hurt it, and where?

The public API, for a notebook: plain frames in and out, the same steps the CLI runs (see docs/api.md).
Names load on first use, so `import core` (and `python -m core --help`) stays fast."""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_API = {
    # data in
    "read_dataset": "core.datasets.reading", "ColumnMapping": "core.datasets.reading",
    "LabelSet": "core.datasets.labelset", "import_dataset": "core.datasets.importing",
    # teachers
    "TEACHERS": "core.teachers", "build_teacher": "core.teachers", "TeacherContext": "core.teachers",
    "NoiseModel": "core.teachers", "label_texts": "core.teachers.base",
    "label_missing": "core.teachers.labeling",
    # slices
    "SLICERS": "core.slices", "SliceInputs": "core.slices", "compute_slices": "core.slices.service",
    "default_slicers": "core.slices.service", "slice_frame": "core.slices.service",
    # students
    "STUDENTS": "core.students", "make_student": "core.students", "SoftLabelLogisticRegression": "core.students",
    # evaluation
    "RunConfig": "core.evaluation.config", "parse_config": "core.evaluation.config",
    "load_config": "core.evaluation.config", "Bootstrap": "core.evaluation.metrics",
    "pool_and_test": "core.evaluation.splits", "headlines": "core.evaluation.service",
    "slice_table_from": "core.evaluation.slice_errors", "error_structure": "core.evaluation.metrics",
    # review
    "STRATEGIES": "core.review.strategies", "RankingInput": "core.review.strategies", "rank_pool": "core.review.ranking",
    "budget_curves": "core.review.budget",
    # the decision
    "decide": "core.decision.service", "Costs": "core.decision.costs", "Decision": "core.decision.decision",
    # whole runs
    "run_experiment": "core.pipeline", "apply_verdicts": "core.pipeline", "run_noise_experiment": "core.pipeline",
    "Store": "core.store",
    # errors
    "PseudolensError": "core.errors", "InputError": "core.errors", "DataError": "core.errors",
    "ConfigError": "core.errors", "NotFound": "core.errors", "StoreError": "core.errors",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
