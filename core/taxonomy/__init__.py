"""Proposing a label set for unlabeled texts (TnT-LLM through a teacher, or offline clusters)."""
