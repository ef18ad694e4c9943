"""A run's answer as one machine-readable object: what `python -m core report --format json` prints and what
the Overview page reads."""
from __future__ import annotations

import math

from core.evaluation.config import RunConfig
from core.evaluation.service import headlines
from core.store import Store


def _plain(value):
    """JSON-safe: NaN (an interval that could not be estimated) becomes null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def run_report(store: Store, run_id: str, metric: str = "accuracy") -> dict:
    run = store.run(run_id)
    config = RunConfig.model_validate(run["config"])
    lines = headlines(store, run_id, metric)
    scheme = lines[0].scheme if lines else config.evaluation.scheme
    return _plain({
        "run": run_id, "name": run["name"], "dataset": run["dataset"], "status": run["status"],
        "code_version": run["code_version"],
        "evaluation": {"scheme": scheme, "folds": config.evaluation.folds if scheme == "crossfit" else 1,
                       "repeats": config.evaluation.repeats if scheme == "crossfit" else 1, "seeds": config.seeds},
        "warnings": run["warnings"],
        "headlines": [line.to_dict() for line in lines],
    })
