"""CKAN publishing over HTTP: client with error classification and retries, dataset/resource shaping."""

from .client import NotFoundOnPortal, Portal, connect

__all__ = ["Portal", "connect", "NotFoundOnPortal"]
