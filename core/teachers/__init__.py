"""Teachers: one protocol (`base.Teacher`), one file per teacher, and `build_teacher` to make one from a spec."""
from __future__ import annotations

import pandas as pd

from ..config import TeacherSpec
from ..labelset import LabelSet
from .base import Teacher, TeacherLabel, TextItem, teacher_id
from .claude import ClaudeTeacher
from .embedding import EmbeddingTeacher
from .openai_compatible import OpenAICompatibleTeacher
from .recorded import RecordedTeacher
from .simulated import NoiseModel, SimulatedTeacher

__all__ = ["llm_teacher", "Teacher", "TeacherLabel", "TextItem", "teacher_id", "build_teacher", "RecordedTeacher",
           "SimulatedTeacher", "NoiseModel", "EmbeddingTeacher", "ClaudeTeacher",
           "OpenAICompatibleTeacher"]


def build_teacher(spec, label_set: LabelSet, truth: pd.DataFrame, encode=None, cache=None, few_shot=()) -> Teacher:
    """A teacher from a config `TeacherSpec`. `truth` (gold and slice columns by example id) is read only
    by the simulated teacher, whose noise model corrupts gold by definition; `cache` keeps LLM calls;
    `few_shot` holds the (text, label) examples an LLM teacher's `few_shot` count asked for."""
    llm_params = {key: value for key, value in spec.params.items() if key != "few_shot"}
    if spec.kind == "claude":
        return ClaudeTeacher(spec.name, **llm_params, few_shot=few_shot, cache=cache)
    if spec.kind == "openai_compatible":
        return OpenAICompatibleTeacher(spec.name, **llm_params, few_shot=few_shot, cache=cache)
    if spec.kind == "simulated":
        return SimulatedTeacher(spec.name, NoiseModel(**spec.params), truth, label_set)
    if spec.kind == "zero_shot_embedding":
        return EmbeddingTeacher(spec.name, **spec.params, **({"encode": encode} if encode else {}))
    raise ValueError(f"teacher kind {spec.kind!r} is not built from a spec")


def llm_teacher(kind: str, model: str | None = None, base_url: str | None = None, prices=None, cache=None):
    """An LLM teacher for a one-off job (a taxonomy, a judge), from command-line or form options: `prices` is
    [input, output] USD per million tokens, for a model without a known price."""
    params = {key: value for key, value in {"model": model, "base_url": base_url}.items() if value}
    if prices:
        params["prices"] = {model: list(prices)} if kind == "claude" else list(prices)
    spec = TeacherSpec(name=kind, kind=kind, params=params)
    return build_teacher(spec, None, None, cache=cache)
