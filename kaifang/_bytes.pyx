# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled byte passes over CSV text: delimiters, line breaks and quoted spans counted as a source
is read (quality's fast reader), records counted as a release file is written (the bundle). Tests
check each against a plain reference or the ``csv`` module."""

from libc.stdint cimport int64_t, uint8_t
from libc.string cimport memchr

import numpy as np


def count_records(const uint8_t[:] data, bint quoted):
    """(line feeds outside quotes, whether the text ends inside a quoted field) for a chunk of CSV
    that starts inside quotes when ``quoted``. A record ends at a line feed outside quotes; an escaped
    quote (``""``) toggles twice, so counting quote characters is exact."""
    cdef Py_ssize_t n = data.shape[0], at = 0, q_at
    cdef int64_t records = 0, unused = 0
    cdef bint q = quoted
    cdef const uint8_t* p = &data[0] if n else NULL
    cdef const void* hit
    with nogil:
        while at < n:  # from quote to quote, counting the line feeds of the stretches outside
            hit = memchr(p + at, 34, n - at)
            q_at = (<const uint8_t*>hit - p) if hit != NULL else n
            if not q:
                _count2(p + at, q_at - at, 10, &records, &unused)
            if hit == NULL:
                break
            q = not q
            at = q_at + 1
    return records, q


cdef inline void _count2(const uint8_t* p, Py_ssize_t n, uint8_t sep, int64_t* d, int64_t* b) noexcept nogil:
    # delimiters and line feeds in p[0:n]: a branch-free loop the compiler vectorizes
    # (byte-wide counters over runs of 255 bytes, so the compiler can use byte-wide vector lanes)
    cdef Py_ssize_t i, j, end
    cdef int64_t dd = 0, bb = 0
    cdef uint8_t cd, cb
    i = 0
    while i < n:
        end = i + 255 if i + 255 < n else n
        cd = 0
        cb = 0
        for j in range(i, end):
            cd += p[j] == sep
            cb += p[j] == 10
        dd += cd
        bb += cb
        i = end
    d[0] += dd
    b[0] += bb


def csv_counts(const uint8_t[:] data, uint8_t sep, int64_t[:] state):
    """Add one chunk of a CSV file to ``state`` (int64 × 7, zeros before the first chunk): delimiters,
    line feeds, delimiters and line feeds inside quoted spans, the same two of the span still open,
    and whether one is open. Quotes pair up in order (an escaped quote splits a span in two); a span
    counts once its closing quote is seen, so a last lone quote opens nothing."""
    cdef Py_ssize_t n = data.shape[0], at = 0, q_at
    cdef int64_t delims = 0, breaks = 0, in_d = state[2], in_b = state[3], open_d = state[4], open_b = state[5]
    cdef bint q = state[6] != 0
    cdef const uint8_t* p = &data[0] if n else NULL
    cdef const void* hit
    with nogil:
        if n:
            _count2(p, n, sep, &delims, &breaks)
        while at < n:  # from quote to quote: the bytes between an opening and its closing quote
            hit = memchr(p + at, 34, n - at)
            q_at = (<const uint8_t*>hit - p) if hit != NULL else n
            if q:
                _count2(p + at, q_at - at, sep, &open_d, &open_b)
                if hit != NULL:
                    in_d += open_d
                    in_b += open_b
                    open_d = 0
                    open_b = 0
            if hit == NULL:
                break
            q = not q
            at = q_at + 1
    state[0] += delims
    state[1] += breaks
    state[2] = in_d
    state[3] = in_b
    state[4] = open_d
    state[5] = open_b
    state[6] = q
