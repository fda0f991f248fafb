"""alignboard's core: assets, data, models, generation and the command line."""

__version__ = "0.1.0"
