"""Release data files written through a hashing sink, then checked against the file on disk.

The writer (polars) streams its output through ``HashingSink``, which hashes the bytes as they are
produced and, for CSV, counts records (RFC 4180: a CRLF inside quotes is data) and keeps the header
record. ``write_checked`` then re-hashes the file read back from disk: a file that differs from what
the writer produced — truncated, damaged, changed meanwhile — is refused. This replaces re-parsing
the whole file to verify it.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kaifang.errors import TerminalError
from publish.storage.base import sha256_file

_HEADER_BYTES = 1 << 20


@dataclass(frozen=True)
class Written:
    """A release file as written and read back."""

    sha256: str
    bytes: int
    records: int | None = None
    """CSV only: records written (header included)."""
    header: list[str] | None = None
    """CSV only: the header record's labels."""


class HashingSink:
    """A write-only file object hashing (and for CSV counting records of) everything written."""

    def __init__(self, path: Path, *, csv_records: bool = False) -> None:
        self._fh = open(path, "wb")
        self._h = hashlib.sha256()
        self.size = 0
        self._csv = csv_records
        self.records = 0
        self._quoted = False  # inside a quoted CSV field
        self._cr = False  # the last byte was an unquoted CR
        self._head = b""

    def write(self, data: bytes | bytearray | memoryview) -> int:
        data = bytes(data)
        self._h.update(data)
        self._fh.write(data)
        self.size += len(data)
        if self._csv:
            if len(self._head) < _HEADER_BYTES:
                self._head += data[: _HEADER_BYTES - len(self._head)]
            self._count(data)
        return len(data)

    def _count(self, data: bytes) -> None:
        for i, seg in enumerate(data.split(b'"') if b'"' in data else (data,)):
            if i:
                self._quoted, self._cr = not self._quoted, False
            if not seg or self._quoted:
                continue
            self.records += seg.count(b"\r\n") + (1 if self._cr and seg[0] == 0x0A else 0)
            self._cr = seg[-1] == 0x0D

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    @property
    def sha256(self) -> str:
        return self._h.hexdigest()

    def header(self) -> list[str]:
        return _first_record(self._head)


def write_checked(path: Path, write: Callable[[HashingSink], object], *, csv_records: bool = False) -> Written:
    """Run ``write(sink)``, then re-hash ``path`` from disk and refuse a file that differs from the bytes written."""
    sink = HashingSink(path, csv_records=csv_records)
    try:
        write(sink)
    finally:
        sink.close()
    if sha256_file(path) != (sink.sha256, sink.size):
        raise TerminalError("release file on disk differs from the bytes written", file=path.name,
                            fix="check the staging disk (space, errors) and rebuild the release bundle")
    if not csv_records:
        return Written(sink.sha256, sink.size)
    return Written(sink.sha256, sink.size, sink.records, sink.header())


def _first_record(head: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(head.decode("utf-8", errors="replace"))), [])


def csv_header(path: Path) -> list[str]:
    """The labels of a CSV file's header record (read from its first MiB)."""
    with open(path, "rb") as fh:
        return _first_record(fh.read(_HEADER_BYTES))
