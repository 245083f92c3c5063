# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Polars string columns in and out of compiled code through the Arrow C data interface, without
pyarrow: ``string_buffers`` copies a column's exported string views into one (offsets, data) pair,
``formula_starts`` reads the first byte of each view, ``StringColumn`` hands (offsets, data,
validity) back as an Arrow large-string array polars imports. ``tests/core/test_arrow_interface.py``
checks them against polars.
"""

from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_New
from cpython.ref cimport Py_INCREF, Py_DECREF, PyObject
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset

import numpy as np


cdef extern from *:
    """
    struct ArrowSchema {
      const char* format; const char* name; const char* metadata; int64_t flags; int64_t n_children;
      struct ArrowSchema** children; struct ArrowSchema* dictionary;
      void (*release)(struct ArrowSchema*); void* private_data;
    };
    struct ArrowArray {
      int64_t length; int64_t null_count; int64_t offset; int64_t n_buffers; int64_t n_children;
      const void** buffers; struct ArrowArray** children; struct ArrowArray* dictionary;
      void (*release)(struct ArrowArray*); void* private_data;
    };
    struct ArrowArrayStream {
      int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
      int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
      const char* (*get_last_error)(struct ArrowArrayStream*);
      void (*release)(struct ArrowArrayStream*); void* private_data;
    };
    """
    struct ArrowSchema:
        const char* format
        const char* name
        const char* metadata
        int64_t flags
        int64_t n_children
        ArrowSchema** children
        ArrowSchema* dictionary
        void (*release)(ArrowSchema*) noexcept nogil
        void* private_data

    struct ArrowArray:
        int64_t length
        int64_t null_count
        int64_t offset
        int64_t n_buffers
        int64_t n_children
        const void** buffers
        ArrowArray** children
        ArrowArray* dictionary
        void (*release)(ArrowArray*) noexcept nogil
        void* private_data

    struct ArrowArrayStream:
        int (*get_schema)(ArrowArrayStream*, ArrowSchema*) noexcept nogil
        int (*get_next)(ArrowArrayStream*, ArrowArray*) noexcept nogil
        const char* (*get_last_error)(ArrowArrayStream*) noexcept nogil
        void (*release)(ArrowArrayStream*) noexcept nogil
        void* private_data


# ---------------------------------------------------------------------------------------------
# in: a column's string views → (offsets, data)
# ---------------------------------------------------------------------------------------------

cdef inline bint _valid(const uint8_t* bitmap, int64_t i) noexcept nogil:
    return bitmap == NULL or (bitmap[i >> 3] >> (i & 7)) & 1


cdef inline int64_t _cell(ArrowArray* a, int kind, int64_t j, const uint8_t** at) noexcept nogil:
    # the bytes of cell j (the array's offset included) at ``at[0]``; returns their length, -1 for null
    # (kind 0: utf8 views, 1: large utf8, 2: utf8)
    cdef const uint8_t* view
    cdef int32_t ln, bi, bo
    cdef int64_t s, e
    if not _valid(<const uint8_t*>a.buffers[0], j):
        return -1
    if kind == 0:
        view = <const uint8_t*>a.buffers[1] + j * 16
        memcpy(&ln, view, 4)
        if ln <= 12:
            at[0] = view + 4
        else:
            memcpy(&bi, view + 8, 4)
            memcpy(&bo, view + 12, 4)
            at[0] = (<const uint8_t*>a.buffers[2 + bi]) + bo
        return ln
    if kind == 1:
        s = (<const int64_t*>a.buffers[1])[j]
        e = (<const int64_t*>a.buffers[1])[j + 1]
    else:
        s = (<const int32_t*>a.buffers[1])[j]
        e = (<const int32_t*>a.buffers[1])[j + 1]
    at[0] = (<const uint8_t*>a.buffers[2]) + s
    return e - s


cdef int64_t _chunk_bytes(ArrowArray* a, int kind) noexcept nogil:
    # bytes of the chunk's non-null strings
    cdef int64_t i, ln, total = 0
    cdef const uint8_t* at
    for i in range(a.length):
        ln = _cell(a, kind, a.offset + i, &at)
        if ln > 0:
            total += ln
    return total


cdef int64_t _chunk_copy(ArrowArray* a, int kind, int64_t* off, uint8_t* out, int64_t w) noexcept nogil:
    # append the chunk's strings at out[w:], their end offsets at off[1:]; returns the new w
    cdef int64_t i, ln
    cdef const uint8_t* at
    for i in range(a.length):
        ln = _cell(a, kind, a.offset + i, &at)
        if ln > 0:
            memcpy(out + w, at, ln)
            w += ln
        off[i + 1] = w
    return w


cdef class _Chunks:
    """Every chunk of a string column's exported Arrow stream, held until released."""
    cdef ArrowArray* arrays
    cdef Py_ssize_t count
    cdef int kind
    cdef int64_t rows

    def __cinit__(self, column):
        capsule = column.__arrow_c_stream__()
        cdef ArrowArrayStream* stream = <ArrowArrayStream*>PyCapsule_GetPointer(capsule, "arrow_array_stream")
        cdef ArrowSchema schema
        cdef Py_ssize_t cap = 0
        cdef ArrowArray* grown
        if stream.get_schema(stream, &schema) != 0:
            raise ValueError("the column's Arrow stream gave no schema")
        try:
            fmt = schema.format.decode()
        finally:
            schema.release(&schema)
        if fmt not in _KINDS:
            raise TypeError(f"not a string column (Arrow format {fmt!r})")
        self.kind = _KINDS[fmt]
        while True:
            if self.count == cap:
                cap = cap * 2 + 16
                grown = <ArrowArray*>realloc(self.arrays, cap * sizeof(ArrowArray))
                if grown == NULL:
                    raise MemoryError()
                self.arrays = grown
            if stream.get_next(stream, &self.arrays[self.count]) != 0:
                raise ValueError("the column's Arrow stream failed")
            if self.arrays[self.count].release == NULL:
                break
            self.rows += self.arrays[self.count].length
            self.count += 1

    def __dealloc__(self):
        cdef Py_ssize_t k
        for k in range(self.count):
            self.arrays[k].release(&self.arrays[k])
        free(self.arrays)


_KINDS = {"vu": 0, "U": 1, "u": 2}


def string_buffers(column):
    """(int64 offsets, uint8 data) of a string column (anything exporting ``__arrow_c_stream__`` of
    utf8, large utf8 or utf8 view), all chunks joined; nulls read as empty strings."""
    cdef _Chunks chunks = _Chunks(column)
    cdef Py_ssize_t k
    cdef int64_t nbytes = 0, w = 0, r = 0
    for k in range(chunks.count):
        nbytes += _chunk_bytes(&chunks.arrays[k], chunks.kind)
    offsets = np.empty(chunks.rows + 1, dtype=np.int64)
    data = np.empty(max(nbytes, 1), dtype=np.uint8)
    cdef int64_t[:] off_view = offsets
    cdef uint8_t[:] data_view = data
    off_view[0] = 0
    with nogil:
        for k in range(chunks.count):
            w = _chunk_copy(&chunks.arrays[k], chunks.kind, &off_view[r], &data_view[0], w)
            r += chunks.arrays[k].length
    return offsets, data


cdef inline bint _formula_byte(uint8_t b) noexcept nogil:
    return b == 61 or b == 43 or b == 45 or b == 64 or b == 9 or b == 13  # = + - @ \t \r


def formula_starts(column):
    """Booleans per cell of a string column: not null, not empty, and the first byte one of
    ``= + - @ \\t \\r`` — read off the string views (the length and first byte of each 16-byte view)
    without touching the strings."""
    cdef _Chunks chunks = _Chunks(column)
    out_arr = np.zeros(chunks.rows, dtype=np.bool_)
    cdef uint8_t[:] out = out_arr.view(np.uint8)
    cdef Py_ssize_t k
    cdef int64_t i, j, r = 0, ln
    cdef int32_t ln32
    cdef const uint8_t* at
    with nogil:
        for k in range(chunks.count):
            for i in range(chunks.arrays[k].length):
                if chunks.kind == 0:  # a view's bytes 4.. hold the string's first bytes, inline or not
                    j = chunks.arrays[k].offset + i
                    at = <const uint8_t*>chunks.arrays[k].buffers[1] + j * 16
                    memcpy(&ln32, at, 4)
                    out[r + i] = ln32 > 0 and _valid(<const uint8_t*>chunks.arrays[k].buffers[0], j) and _formula_byte(at[4])
                else:
                    ln = _cell(&chunks.arrays[k], chunks.kind, chunks.arrays[k].offset + i, &at)
                    out[r + i] = ln > 0 and _formula_byte(at[0])
            r += chunks.arrays[k].length
    return out_arr


# ---------------------------------------------------------------------------------------------
# out: (offsets, data, validity) → an Arrow large-string array
# ---------------------------------------------------------------------------------------------

cdef struct _Held:
    PyObject* owner       # a Python tuple keeping the NumPy buffers alive
    const void* buffers[3]


cdef void _release_array(ArrowArray* a) noexcept nogil:
    cdef _Held* held = <_Held*>a.private_data
    with gil:
        Py_DECREF(<object>held.owner)
    free(held)
    a.release = NULL


cdef void _release_schema(ArrowSchema* s) noexcept nogil:
    s.release = NULL


cdef void _array_capsule_free(object capsule) noexcept:
    cdef ArrowArray* a = <ArrowArray*>PyCapsule_GetPointer(capsule, "arrow_array")
    if a.release != NULL:
        a.release(a)
    free(a)


cdef void _schema_capsule_free(object capsule) noexcept:
    cdef ArrowSchema* s = <ArrowSchema*>PyCapsule_GetPointer(capsule, "arrow_schema")
    if s.release != NULL:
        s.release(s)
    free(s)


cdef const char* _LARGE_UTF8 = "U"
cdef const char* _NO_NAME = ""


class StringColumn:
    """An Arrow large-string array over NumPy buffers, exported through ``__arrow_c_array__``
    (``pl.Series(StringColumn(...))`` imports it). ``valid``: booleans (None: no nulls)."""

    def __init__(self, offsets, data, valid=None):
        self.offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        self.data = np.ascontiguousarray(data, dtype=np.uint8)
        if len(self.data) == 0:
            self.data = np.zeros(1, dtype=np.uint8)
        self.length = len(self.offsets) - 1
        if valid is None or bool(np.all(valid)):
            self.bitmap, self.null_count = None, 0
        else:
            self.bitmap = np.packbits(np.asarray(valid, dtype=bool), bitorder="little")
            self.null_count = int(self.length - np.count_nonzero(valid))

    def __arrow_c_array__(self, requested_schema=None):
        cdef ArrowSchema* s = <ArrowSchema*>malloc(sizeof(ArrowSchema))
        cdef ArrowArray* a = <ArrowArray*>malloc(sizeof(ArrowArray))
        cdef _Held* held = <_Held*>malloc(sizeof(_Held))
        if s == NULL or a == NULL or held == NULL:
            free(s); free(a); free(held)
            raise MemoryError()
        memset(s, 0, sizeof(ArrowSchema))
        memset(a, 0, sizeof(ArrowArray))
        s.format = _LARGE_UTF8
        s.name = _NO_NAME
        s.flags = 2  # ARROW_FLAG_NULLABLE
        s.release = _release_schema
        cdef const uint8_t[:] bits
        cdef const int64_t[:] offs = self.offsets
        cdef const uint8_t[:] dat = self.data
        held.buffers[0] = NULL
        if self.bitmap is not None:
            bits = self.bitmap
            held.buffers[0] = &bits[0]
        held.buffers[1] = &offs[0]
        held.buffers[2] = &dat[0]
        owner = (self.offsets, self.data, self.bitmap)
        Py_INCREF(owner)
        held.owner = <PyObject*>owner
        a.length = self.length
        a.null_count = self.null_count
        a.offset = 0
        a.n_buffers = 3
        a.n_children = 0
        a.buffers = held.buffers
        a.release = _release_array
        a.private_data = held
        return (PyCapsule_New(s, "arrow_schema", _schema_capsule_free),
                PyCapsule_New(a, "arrow_array", _array_capsule_free))
