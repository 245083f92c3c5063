# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Byte-level passes of the release writer, compiled: cells starting a spreadsheet formula (read off
Arrow string views) and CSV records counted as the file is written. ``tests/publish`` checks both
against their regular-expression and ``csv``-module equivalents."""

from libc.stdint cimport int64_t, uint8_t, uint32_t
from libc.string cimport memcpy

import numpy as np


def formula_starts(const uint8_t[:] views, Py_ssize_t offset, Py_ssize_t n):
    """Booleans for the ``n`` 16-byte views from ``offset``: the string is not empty and its first
    byte (byte 4 of the view, inline or prefix) is one of ``= + - @ \\t \\r``."""
    out_arr = np.zeros(n, dtype=np.bool_)
    cdef uint8_t[:] out = out_arr.view(np.uint8)
    cdef Py_ssize_t i
    cdef uint32_t length
    cdef uint8_t b
    cdef const uint8_t* v = &views[0] if views.shape[0] else NULL
    with nogil:
        for i in range(n):
            memcpy(&length, v + (offset + i) * 16, 4)
            if length == 0:
                continue
            b = v[(offset + i) * 16 + 4]
            out[i] = b == 61 or b == 43 or b == 45 or b == 64 or b == 9 or b == 13
    return out_arr


def count_records(const uint8_t[:] data, bint quoted):
    """(line feeds outside quotes, whether the text ends inside a quoted field) for a chunk of CSV
    that starts inside quotes when ``quoted``. A record ends at a line feed outside quotes; an escaped
    quote (``""``) toggles twice, so counting quote characters is exact."""
    cdef Py_ssize_t i, n = data.shape[0]
    cdef int64_t records = 0
    cdef bint q = quoted
    cdef uint8_t b
    with nogil:
        for i in range(n):
            b = data[i]
            if b == 34:
                q = not q
            elif b == 10 and not q:
                records += 1
    return records, q
