"""A registry per kind of plug-in (teachers, students, slicers, ranking strategies), after cleanlab's
issue-manager registry: each plug-in registers itself under a name with a typed parameter model and a
description, so config validation, the dashboard's pickers, the CLI and the docs all read one list.

Parameters are pydantic models that forbid unknown fields; a misspelled parameter fails when the config is
read, naming the nearest valid parameter, long before a constructor sees it."""
from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import ConfigError

T = TypeVar("T")


class Params(BaseModel):
    """Base of every plug-in's parameter model: unknown fields are errors, values are validated by type."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    pass


@dataclass(frozen=True)
class Plugin(Generic[T]):
    name: str
    factory: T
    params: type[Params]
    description: str
    info: dict[str, Any] = field(default_factory=dict)


def nearest(name: str, choices) -> str:
    """"; did you mean 'x'?" for the closest valid name, or "" when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class Registry(Mapping[str, T]):
    """Name -> factory, in registration order, with each plug-in's parameter model, description and info
    through `plugin(name)`."""

    def __init__(self, kind: str):
        self.kind = kind
        self._plugins: dict[str, Plugin[T]] = {}

    def register(self, name: str, *, description: str, params: type[Params] = NoParams,
                 **info) -> Callable[[T], T]:
        """Decorator: `@TEACHERS.register("claude", params=ClaudeParams, description="...")`."""
        def add(factory: T) -> T:
            if name in self._plugins:
                raise RuntimeError(f"{self.kind} {name!r} is registered twice")
            self._plugins[name] = Plugin(name, factory, params, description, info)
            return factory
        return add

    def __getitem__(self, name: str) -> T:
        return self._plugins[name].factory

    def __iter__(self) -> Iterator[str]:
        return iter(self._plugins)

    def __len__(self) -> int:
        return len(self._plugins)

    def names(self) -> list[str]:
        return list(self._plugins)

    def plugins(self) -> list[Plugin[T]]:
        return list(self._plugins.values())

    def description(self, name: str) -> str:
        return self.plugin(name).description

    def plugin(self, name: str) -> Plugin[T]:
        if name not in self._plugins:
            raise ConfigError(f"unknown {self.kind} {name!r}{nearest(name, self._plugins)} "
                              f"(known: {', '.join(self._plugins)})")
        return self._plugins[name]

    def parse_params(self, name: str, raw: dict | None, where: str = "params") -> Params:
        """`raw` validated against the plug-in's parameter model; errors name the key and the nearest valid one."""
        model = self.plugin(name).params
        try:
            return model.model_validate(raw or {})
        except ValidationError as exc:
            problems = []
            for error in exc.errors():
                key = ".".join(str(p) for p in error["loc"])
                if error["type"] == "extra_forbidden":
                    problems.append(f"{where}.{key}: {self.kind} {name!r} has no parameter {key!r}"
                                    f"{nearest(str(error['loc'][0]), model.model_fields)}")
                else:
                    problems.append(f"{where}.{key}: {error['msg']}")
            raise ConfigError("; ".join(problems)) from None
