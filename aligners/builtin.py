"""Importing this module registers the seven built-in aligners."""

from aligners import base, coh, critique_revise, dpo, mistake_analysis, rlhf, sft  # noqa: F401
