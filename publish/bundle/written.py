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
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kaifang._bytes import count_records
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
    """A write-only file object hashing (and for CSV counting records of) everything written.

    ``write`` hands each chunk to a worker thread that hashes, counts and writes it, so the writer
    (polars) serializes the next chunk meanwhile; at most ``_QUEUED`` chunks wait. An error of the
    worker (disk full …) is raised by the next ``write`` or by ``close``."""

    _QUEUED = 8

    def __init__(self, path: Path, *, csv_records: bool = False) -> None:
        self._fh = open(path, "wb")
        self._h = hashlib.sha256()
        self.size = 0
        self._csv = csv_records
        self.records = 0
        self._quoted = False  # inside a quoted CSV field
        self._head = b""
        self._error: BaseException | None = None
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=self._QUEUED)
        self._worker = threading.Thread(target=self._drain, name="kaifang-hashing-sink", daemon=True)
        self._worker.start()

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._error is not None:
            raise self._error
        data = bytes(data)
        self._queue.put(data)
        return len(data)

    def _drain(self) -> None:
        while (data := self._queue.get()) is not None:
            try:
                if self._error is None:  # after an error: keep draining so the writer never blocks
                    self._h.update(data)
                    self._fh.write(data)
                    self.size += len(data)
                    if self._csv:
                        if len(self._head) < _HEADER_BYTES:
                            self._head += data[: _HEADER_BYTES - len(self._head)]
                        self._count(data)
            except BaseException as exc:  # noqa: BLE001 — handed to the writer's thread
                self._error = exc
            finally:
                self._queue.task_done()

    def _count(self, data: bytes) -> None:
        # a record ends at a line feed outside quotes (CRLF as written; a bare LF would end one for
        # every reader too); a compiled pass carries the inside-quotes state from chunk to chunk
        records, self._quoted = count_records(data, self._quoted)
        self.records += records

    def flush(self) -> None:
        self._queue.join()  # every chunk handed over so far is written
        if self._error is None:
            self._fh.flush()

    def close(self) -> None:
        if self._worker.is_alive():
            self._queue.put(None)
            self._worker.join()
        self._fh.close()
        if self._error is not None:
            raise self._error

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
