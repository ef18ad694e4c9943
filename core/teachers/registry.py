"""The teacher registry: every kind of teacher registers itself here with its typed parameters, so a run config,
the dashboard's pickers and the docs read one list, and a misspelled parameter fails when the config is read."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeVar

import numpy as np
import pandas as pd

from core.datasets.labelset import LabelSet
from core.registry import NoParams, Params, Registry
from core.teachers.base import Teacher

if TYPE_CHECKING:
    # for the annotation only: the LLM teachers import this module, so it never imports theirs at run time
    from core.teachers.llm import CallCache


@dataclass(frozen=True)
class TeacherContext:
    """What a run hands a teacher besides its parameters: the label set; `truth` (gold and slice columns by
    example id), read only by the simulated teacher, whose noise model corrupts gold by definition; a cached
    `encode` for embedding teachers; the LLM call `cache`; and the `few_shot` (text, label) examples drawn
    from the training pool's gold labels."""

    label_set: LabelSet | None = None
    truth: pd.DataFrame | None = None
    encode: Callable[[list[str]], np.ndarray] | None = None
    cache: CallCache | None = None
    few_shot: Sequence[tuple[str, str]] = ()


# the parameters are typed Any because each factory takes its own kind's model, which `build_teacher` validates
# against the plug-in's registered `params` before the call
TeacherFactory = Callable[[str, Any, TeacherContext], Teacher]

# `info` of each kind: `simulated` (a noise model, never an LLM), `llm` (a chat model behind an API, with
# calls, cost and a key), and `source`: "config" (built from its parameters), "import" (labels recorded with
# the data set), "verdicts" (another teacher corrected by human verdicts) or "teachers" (built from the run's
# other teachers); `aggregate` marks a teacher whose labels are a consensus of others (shown as AGGREGATE).
TEACHERS: Registry[TeacherFactory | None] = Registry("teacher kind")

C = TypeVar("C")


def teacher_tag(kind: str, simulated: bool) -> str:
    """What a teacher is, in the words every picker, legend, table, report and export uses: a noise model is
    never mistaken for an LLM, an offline embedding model is not sold as one, and a teacher built on a simulated
    one (corrected by verdicts, or an aggregate with a simulated member) stays marked SIMULATED."""
    info = TEACHERS.plugin(kind).info if kind in TEACHERS else {}
    if info.get("simulated"):
        return "SIMULATED"
    what = ("LLM" if info.get("llm") else "AGGREGATE" if info.get("aggregate") else
            {"import": "recorded labels", "verdicts": "corrected by reviewers"}.get(info.get("source", ""),
                                                                                   "offline model, not an LLM"))
    return f"SIMULATED, {what}" if simulated else what


def register_kind(name: str, *, description: str, params: type[Params] = NoParams,
                  **info: Any) -> Callable[[C], C]:
    """Class decorator for a kind a run builds itself rather than from parameters (its `source` is not
    "config"): the kind is listed with its parameters and info, without a factory, and the class is unchanged."""
    add = TEACHERS.register(name, description=description, params=params, **info)

    def decorate(cls: C) -> C:
        add(None)
        return cls
    return decorate


def build_teacher(kind: str, name: str, params: dict, context: TeacherContext = TeacherContext()) -> Teacher:
    """A teacher of a kind built from its parameters (validated here, so a typo names the nearest parameter)."""
    plugin = TEACHERS.plugin(kind)
    if plugin.factory is None:
        raise TypeError(f"teacher kind {kind!r} is not built from parameters (its source: {plugin.info['source']})")
    return plugin.factory(name, TEACHERS.parse_params(kind, params, where=f"teacher {name!r} params"), context)
