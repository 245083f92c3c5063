"""Extraction benchmark section (see pipelines/extract/benchmark.py)."""

from pipelines.extract.benchmark import NOTES, TITLE, run

__all__ = ["NOTES", "TITLE", "run"]
