"""The teacher registry: every kind of teacher registers itself here with its typed parameters, so a run config,
the dashboard's pickers and the docs read one list, and a misspelled parameter fails when the config is read."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from core.datasets.labelset import LabelSet
from core.registry import Params, Registry
from core.teachers.base import Teacher


@dataclass(frozen=True)
class TeacherContext:
    """What a run hands a teacher besides its parameters: the label set; `truth` (gold and slice columns by
    example id), read only by the simulated teacher, whose noise model corrupts gold by definition; a cached
    `encode` for embedding teachers; the LLM call `cache`; and the `few_shot` (text, label) examples drawn
    from the training pool's gold labels."""

    label_set: LabelSet | None = None
    truth: pd.DataFrame | None = None
    encode: Callable[[list[str]], np.ndarray] | None = None
    cache: object | None = None
    few_shot: Sequence[tuple[str, str]] = ()


TeacherFactory = Callable[[str, Params, TeacherContext], Teacher]

# `info` of each kind: `simulated` (a noise model, never an LLM), `llm` (a chat model behind an API, with
# calls, cost and a key), and `source`: "config" (built from its parameters), "import" (labels recorded with
# the data set) or "verdicts" (another teacher corrected by human verdicts).
TEACHERS: Registry[TeacherFactory | None] = Registry("teacher kind")


def build_teacher(kind: str, name: str, params: dict, context: TeacherContext = TeacherContext()) -> Teacher:
    """A teacher of a kind built from its parameters (validated here, so a typo names the nearest parameter)."""
    plugin = TEACHERS.plugin(kind)
    if plugin.factory is None:
        raise TypeError(f"teacher kind {kind!r} is not built from parameters (its source: {plugin.info['source']})")
    return plugin.factory(name, TEACHERS.parse_params(kind, params, where=f"teacher {name!r} params"), context)
