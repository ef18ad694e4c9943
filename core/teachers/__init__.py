"""Teachers: one protocol (`base.Teacher`), one file per teacher, and `build_teacher` to make one from a spec."""
from __future__ import annotations

import pandas as pd

from ..labelset import LabelSet
from .base import Teacher, TeacherLabel, TextItem, teacher_id
from .claude import ClaudeTeacher
from .embedding import EmbeddingTeacher
from .openai_compatible import OpenAICompatibleTeacher
from .recorded import RecordedTeacher
from .simulated import NoiseModel, SimulatedTeacher

__all__ = ["Teacher", "TeacherLabel", "TextItem", "teacher_id", "build_teacher", "RecordedTeacher",
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
