"""Importing this module registers the built-in judges."""

from harness.judges import (alpacaeval, classifier, harmbench, hf, jury, keyword, llamaguard,  # noqa: F401
                            mtbench, openai, probe, strongreject, substance, wildguard, xstest)
