"""Importing this module registers the built-in judges."""

from harness.judges import classifier, hf, jury, keyword, openai, probe, substance  # noqa: F401
