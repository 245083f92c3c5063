"""Kaifang (开放): open-data publishing for public-service datasets."""

__version__ = "0.1.0"
