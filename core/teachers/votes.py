"""From an LLM's answers to a teacher's label: each answer read against the label set (anything but a label of
the set or ABSTAIN is invalid, never mapped to a label), and k samples voted into one label."""
from __future__ import annotations

import json

from core.datasets.labelset import LabelSet
from core.teachers.base import TeacherLabel

ABSTAIN = "ABSTAIN"


def interpret_label(record: dict, label_set: LabelSet) -> dict:
    """One answer as {label, confidence, reason, invalid}: anything but a label from the set or ABSTAIN is
    invalid, never mapped to a label."""
    sample = {key: record[key] for key in ("raw", "latency_ms", "input_tokens", "output_tokens", "cost_usd")}

    def invalid(why: str) -> dict:
        return {**sample, "label": None, "confidence": None, "reason": None, "invalid": why}

    if record["invalid"]:
        return invalid(record["invalid"])
    answer = record["answer"]
    label, confidence = answer.get("label"), answer.get("confidence")
    if not isinstance(confidence, (int, float)) or isinstance(confidence, bool) or not 0 <= confidence <= 1:
        confidence = None
    if label == ABSTAIN:
        return {**sample, "label": None, "confidence": confidence, "reason": str(answer.get("reason") or "abstained"),
                "invalid": None}
    if label is None:
        return invalid("answer without a label")
    if label not in label_set:
        return invalid(f"label {str(label)[:60]!r} is not in the label set")
    return {**sample, "label": label, "confidence": confidence, "reason": answer.get("reason"), "invalid": None}


def aggregate(example_id: str, samples: list[dict], label_set: LabelSet) -> TeacherLabel:
    """k samples -> one label: the majority (ties: label set order), the vote shares as probabilities
    (self-consistency), and the mean stated confidence of the samples that voted for it."""
    totals = {"input_tokens": sum(s["input_tokens"] for s in samples),
              "output_tokens": sum(s["output_tokens"] for s in samples),
              "cost_usd": sum(s["cost_usd"] for s in samples), "latency_ms": max(s["latency_ms"] for s in samples)}
    raw = samples[0]["raw"] if len(samples) == 1 else json.dumps([json.loads(s["raw"]) for s in samples])
    votes = [s["label"] for s in samples if s["label"] is not None]
    if not votes:
        first = samples[0]
        reason = f"invalid: {first['invalid']}" if first["invalid"] else f"abstained: {first['reason']}"
        return TeacherLabel(example_id, None, abstain_reason=reason, raw_response=raw, **totals)
    probs = {name: votes.count(name) / len(votes) for name in label_set.names}
    label = max(label_set.names, key=lambda name: (probs[name], -label_set.index(name)))
    stated = [s["confidence"] for s in samples if s["label"] == label and s["confidence"] is not None]
    return TeacherLabel(example_id, label, probs=probs, confidence=sum(stated) / len(stated) if stated else None,
                        raw_response=raw, extra={"stated_confidence": stated, "votes": votes}, **totals)
