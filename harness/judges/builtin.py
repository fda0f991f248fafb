"""Importing this module registers the built-in judges."""

from harness.judges import (classifier, harmbench, hf, jury, keyword, llamaguard, openai, probe,  # noqa: F401
                            strongreject, substance, wildguard, xstest)
