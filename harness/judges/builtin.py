"""Importing this module registers the built-in judges."""

from harness.judges import (classifier, harmbench, hf, jury, keyword, openai, probe, strongreject,  # noqa: F401
                            substance, wildguard, xstest)
