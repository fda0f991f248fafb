"""Data: one record type, a registry of sources, splits and the contamination guard."""

from harness.data.overlap import decontaminate, overlap
from harness.data.records import Record, split
from harness.data.sources import Source, all_sources, get_source, load, source

__all__ = ["Record", "Source", "all_sources", "decontaminate", "get_source", "load", "overlap", "source", "split"]
