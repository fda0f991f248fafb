"""Importing this module registers the built-in judges."""

from harness.judges import classifier, hf, keyword, openai, probe  # noqa: F401
