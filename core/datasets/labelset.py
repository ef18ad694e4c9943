"""The label set of a task: names, in a fixed order, with optional descriptions for prompts."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from core.errors import LabelSetError
from core.files import read_text, yaml_problem


@dataclass(frozen=True)
class Label:
    """A label; `values` are other raw spellings in the data that mean it (a label file's `values: [0, "0.0"]`)."""

    name: str
    description: str = ""
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelSet:
    labels: tuple[Label, ...]

    def __post_init__(self):
        names = [label.name for label in self.labels]
        if not names:
            raise LabelSetError("a label set needs at least one label")
        if len(set(names)) != len(names):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            raise LabelSetError(f"label set has duplicate labels: {duplicates}")
        if any(not n.strip() for n in names):
            raise LabelSetError("label names must not be empty")

    @cached_property
    def names(self) -> list[str]:  # read for every label a teacher gives: built once
        return [label.name for label in self.labels]

    def __len__(self) -> int:
        return len(self.labels)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def index(self, name: str) -> int:
        return self.names.index(name)

    def canonical(self, raw: str) -> str:
        """The label a raw value names: itself, or the label that lists it among its `values`; else unchanged."""
        for label in self.labels:
            if raw == label.name or raw in label.values:
                return label.name
        return raw

    def spread(self, label: str, confidence: float) -> dict[str, float]:
        """A label with a stated confidence as a distribution: the rest shared evenly by the other labels."""
        others = len(self.labels) - 1
        rest = (1.0 - confidence) / others if others else 0.0
        return {name: (confidence if name == label else rest) for name in self.names}

    def description(self, name: str) -> str:
        return self.labels[self.index(name)].description

    @classmethod
    def from_names(cls, names, descriptions: dict[str, str] | None = None) -> "LabelSet":
        descriptions = descriptions or {}
        return cls(tuple(Label(str(n), descriptions.get(str(n), "")) for n in names))

    @classmethod
    def from_records(cls, records) -> "LabelSet":
        """Accepts a list of names or of {name, description} mappings (the label file format)."""
        labels = []
        for record in records:
            if isinstance(record, dict):
                if "name" not in record:
                    raise LabelSetError(f"label entry {record!r} has no 'name'")
                values = record.get("values") or []
                if not isinstance(values, list):
                    raise LabelSetError(f"label {record['name']!r}: values must be a list of raw values, like [0, \"0.0\"]")
                labels.append(Label(str(record["name"]), str(record.get("description") or ""),
                                    tuple(str(v) for v in values)))
            else:
                labels.append(Label(str(record)))
        return cls(tuple(labels))

    @classmethod
    def from_file(cls, path: str | Path) -> "LabelSet":
        """Reads a label file: YAML or JSON (a list, or a mapping with a 'labels' list), or plain text, one label per line."""
        path = Path(path)
        text = read_text(path, "label file", LabelSetError)
        if path.suffix.lower() in {".yaml", ".yml", ".json"}:
            import yaml  # YAML is a superset of JSON, so one parser reads both

            try:
                content = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise LabelSetError(f"{path}: {yaml_problem(exc)}") from None
            if isinstance(content, dict):
                content = content.get("labels")
            if not isinstance(content, list):
                raise LabelSetError(f"{path}: expected a list of labels or a mapping with a 'labels' list")
            try:
                return cls.from_records(content)
            except LabelSetError as exc:
                raise LabelSetError(f"{path}: {exc}") from None
        return cls.from_names([line.strip() for line in text.splitlines() if line.strip()])

    def to_json(self) -> str:
        return json.dumps([{"name": label.name, "description": label.description,
                            **({"values": list(label.values)} if label.values else {})} for label in self.labels])

    @classmethod
    def from_json(cls, text: str) -> "LabelSet":
        return cls.from_records(json.loads(text))
