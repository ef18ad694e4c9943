"""Teachers: one protocol (`base.Teacher`), one file per kind, each registered in `TEACHERS` with its typed
parameters; `build_teacher` makes one from a kind, a name and parameters."""
from __future__ import annotations

from core.teachers.aggregate import AggregateTeacher
from core.teachers.base import Teacher, TeacherLabel, TextItem, teacher_id
from core.teachers.claude import ClaudeTeacher
from core.teachers.corrected import CorrectedTeacher
from core.teachers.embedding import EmbeddingTeacher
from core.teachers.openai_compatible import OpenAICompatibleTeacher
from core.teachers.recorded import RecordedTeacher
from core.teachers.registry import TEACHERS, TeacherContext, build_teacher
from core.teachers.simulated import NoiseModel, SimulatedTeacher

__all__ = ["TEACHERS", "TeacherContext", "build_teacher", "llm_teacher", "Teacher", "TeacherLabel", "TextItem",
           "teacher_id", "RecordedTeacher", "SimulatedTeacher", "NoiseModel", "EmbeddingTeacher", "ClaudeTeacher",
           "OpenAICompatibleTeacher", "CorrectedTeacher", "AggregateTeacher"]


def llm_teacher(kind: str, model: str | None = None, base_url: str | None = None, prices=None, cache=None):
    """An LLM teacher for a one-off job (a taxonomy, a judge), from command-line or form options: `prices` is
    [input, output] USD per million tokens, for a model without a known price."""
    params: dict = {key: value for key, value in {"model": model, "base_url": base_url}.items() if value}
    if prices:
        params["prices"] = {model: list(prices)} if kind == "claude" else list(prices)
    return build_teacher(kind, kind, params, TeacherContext(cache=cache))
