# UTF-8 helpers shared by the compiled modules (inline, no module of their own).
from libc.stdint cimport int32_t, int64_t, uint8_t


cdef inline int _cp_len(uint8_t b) noexcept nogil:
    """Bytes of the UTF-8 sequence led by ``b``."""
    if b < 0x80:
        return 1
    if b < 0xE0:
        return 2
    if b < 0xF0:
        return 3
    return 4


cdef inline int32_t _cp(const uint8_t* data, int64_t i, int ln) noexcept nogil:
    """The code point of the ``ln``-byte UTF-8 sequence at ``data[i]``."""
    cdef uint8_t b = data[i]
    if ln == 1:
        return b
    if ln == 2:
        return ((b & 0x1F) << 6) | (data[i + 1] & 0x3F)
    if ln == 3:
        return ((b & 0x0F) << 12) | ((data[i + 1] & 0x3F) << 6) | (data[i + 2] & 0x3F)
    return ((b & 0x07) << 18) | ((data[i + 1] & 0x3F) << 12) | ((data[i + 2] & 0x3F) << 6) | (data[i + 3] & 0x3F)


cdef inline bint _ws(int32_t c) noexcept nogil:
    """char::is_whitespace (what polars' strip_chars() strips)."""
    return (9 <= c <= 13) or c == 32 or c == 0x85 or c == 0xA0 or c == 0x1680 or (0x2000 <= c <= 0x200A) \
        or c == 0x2028 or c == 0x2029 or c == 0x202F or c == 0x205F or c == 0x3000


cdef inline Py_ssize_t _max_cell_bytes(const int64_t[:] offsets) noexcept nogil:
    """The longest cell, in bytes, of an Arrow large-string offsets buffer (sizes per-cell scratch)."""
    cdef Py_ssize_t i, longest = 0
    for i in range(offsets.shape[0] - 1):
        if offsets[i + 1] - offsets[i] > longest:
            longest = offsets[i + 1] - offsets[i]
    return longest
