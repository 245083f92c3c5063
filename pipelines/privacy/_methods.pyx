# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled per-character desensitization methods over Arrow large-string buffers (offsets, data).

``mask_cells`` is ``methods.mask_expr`` on stripped values; ``card_surrogates`` is the bank-card
surrogate of ``methods._surrogate_once``. Both are checked against those polars expressions in
``tests/privacy/test_fast_paths.py``. Nulls are the caller's business (they arrive as empty strings).
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t

import numpy as np

from pipelines.privacy._utf8 cimport _cp, _cp_len, _max_cell_bytes, _ws


def mask_cells(const int64_t[:] offsets, const uint8_t[:] data, const uint8_t[:] keep_first, int keep_last,
               const uint8_t[:] char):
    """Strip whitespace; keep ``keep_first[i]`` first and ``keep_last`` last characters; every other
    character but space and ``-`` becomes ``char`` (UTF-8 bytes). Values of at most
    ``keep_first + keep_last`` characters are masked whole. Returns (offsets, data)."""
    cdef Py_ssize_t n = offsets.shape[0] - 1, i
    cdef int clen = char.shape[0], k, nchar, kf, kl, ln, cp
    cdef int64_t j, a, z, total = 0, w
    for i in range(n):  # output bound: every character may become ``char``
        total += (offsets[i + 1] - offsets[i]) * (clen if clen > 1 else 1)
    out_off_arr = np.zeros(n + 1, dtype=np.int64)
    out_arr = np.zeros(max(total, 1), dtype=np.uint8)
    cdef int64_t[:] out_off = out_off_arr
    cdef uint8_t[:] out = out_arr
    w = 0
    cdef const uint8_t* dp = &data[0]
    with nogil:
        for i in range(n):
            a = offsets[i]
            z = offsets[i + 1]
            # strip leading / trailing whitespace (code points)
            while a < z:
                ln = _cp_len(data[a])
                if not _ws(_cp(dp, a, ln)):
                    break
                a += ln
            while z > a:
                j = z - 1
                while (data[j] & 0xC0) == 0x80:
                    j -= 1
                if not _ws(_cp(dp, j, <int>(z - j))):
                    break
                z = j
            nchar = 0
            j = a
            while j < z:
                j += _cp_len(data[j])
                nchar += 1
            kf = keep_first[i]
            kl = keep_last
            if nchar <= kf + kl:
                kf = 0
                kl = 0
            j = a
            k = 0
            while j < z:
                ln = _cp_len(data[j])
                if k < kf or k >= nchar - kl or (ln == 1 and (data[j] == 32 or data[j] == 45)):
                    for cp in range(ln):
                        out[w + cp] = data[j + cp]
                    w += ln
                else:
                    for cp in range(clen):
                        out[w + cp] = char[cp]
                    w += clen
                j += ln
                k += 1
            out_off[i + 1] = w
    return out_off_arr, out_arr[:w]


def u64_in_pool(const uint64_t[:] values, const uint64_t[:] pool):
    """Booleans: ``values[i]`` is one of ``pool`` — an open-addressing hash set of the pool (load ≤ 1/2,
    Fibonacci hashing, linear probing; 0 marks a free slot and the word 0 is kept aside), about half
    the time and memory of polars' ``is_in`` on 64-bit hashes."""
    cdef Py_ssize_t n = values.shape[0], m = pool.shape[0], i
    cdef int bits = 1
    while (<Py_ssize_t>1 << bits) < 2 * m:
        bits += 1
    cdef uint64_t mask = ((<uint64_t>1) << bits) - 1, v, j
    cdef int shift = 64 - bits
    cdef bint zero = False
    table_arr = np.zeros(mask + 1, dtype=np.uint64)
    out_arr = np.zeros(n, dtype=np.bool_)
    cdef uint64_t[:] table = table_arr
    cdef uint8_t[:] out = out_arr.view(np.uint8)
    with nogil:
        for i in range(m):
            v = pool[i]
            if v == 0:
                zero = True
                continue
            j = (v * <uint64_t>0x9E3779B97F4A7C15) >> shift
            while table[j] != 0 and table[j] != v:
                j = (j + 1) & mask
            table[j] = v
        for i in range(n):
            v = values[i]
            if v == 0:
                out[i] = zero
                continue
            j = (v * <uint64_t>0x9E3779B97F4A7C15) >> shift
            while table[j] != 0:
                if table[j] == v:
                    out[i] = 1
                    break
                j = (j + 1) & mask
    return out_arr


def random_digits(const uint64_t[:, :] rand):
    """(n, 19) decimal digits from (n, 2) uniform 64-bit words: 13 digits from the first word and 6
    from the second (each word taken modulo 10^13 or 10^6: a bias below 10^-6). Drawing 2 words per
    row costs a twentieth of drawing 19 bounded integers."""
    cdef Py_ssize_t n = rand.shape[0], i, k
    cdef uint64_t r
    out_arr = np.empty((n, 19), dtype=np.uint8)
    cdef uint8_t[:, :] out = out_arr
    with nogil:
        for i in range(n):
            r = rand[i, 0]
            for k in range(13):
                out[i, k] = <uint8_t>(r % 10)
                r //= 10
            r = rand[i, 1]
            for k in range(13, 19):
                out[i, k] = <uint8_t>(r % 10)
                r //= 10
    return out_arr


def card_surrogates(const int64_t[:] offsets, const uint8_t[:] data, uint8_t[:, :] digits, int keep_bin):
    """Bank-card surrogates: the length of the original clipped to 16..19 (16 when empty), its first
    ``keep_bin`` digits when it is 13–19 digits (else the BIN 622202), the random ``digits`` (n, 19),
    and a Luhn check digit. ``digits`` is overwritten. Returns (offsets, data)."""
    cdef Py_ssize_t n = offsets.shape[0] - 1, i
    cdef int ln, k, s, d, kb
    cdef int64_t a, z, w = 0
    cdef bint all_digits
    cdef uint8_t BIN[6]
    BIN[:] = [6, 2, 2, 2, 0, 2]
    out_off_arr = np.zeros(n + 1, dtype=np.int64)
    out_arr = np.zeros(max(n * 19, 1), dtype=np.uint8)
    cdef int64_t[:] out_off = out_off_arr
    cdef uint8_t[:] out = out_arr
    with nogil:
        for i in range(n):
            a = offsets[i]
            z = offsets[i + 1]
            ln = <int>(z - a)
            all_digits = 13 <= ln <= 19
            if all_digits:
                for k in range(ln):
                    if not (48 <= data[a + k] <= 57):
                        all_digits = False
                        break
            if ln < 16:
                ln = 16
            elif ln > 19:
                ln = 19
            if all_digits and keep_bin > 0:
                for k in range(keep_bin):
                    digits[i, k] = data[a + k] - 48
            else:
                for k in range(6):
                    digits[i, k] = BIN[k]
            # Luhn: the check digit at ln - 1 makes the sum of the doubled-from-the-right digits % 10 == 0
            s = 0
            for k in range(ln - 1):
                d = digits[i, k]
                if (ln - 1 - k) % 2 == 1:
                    d *= 2
                    if d > 9:
                        d -= 9
                s += d
            digits[i, ln - 1] = (10 - s % 10) % 10
            for k in range(ln):
                out[w + k] = digits[i, k] + 48
            w += ln
            out_off[i + 1] = w
    return out_off_arr, out_arr[:w]


def address_prefixes(const int64_t[:] offsets, const uint8_t[:] data, const int32_t[:, :] markers,
                     const int32_t[:] marker_level, const uint8_t[:] first, int level):
    """``methods.ADDRESS_LEVELS_RE`` cut: per stripped address, the groups of the three levels are
    found left to right, each the shortest run (no line break) ending with one of its level's markers
    (``markers``: code points, 0-padded; ``marker_level``: 1, 2 or 3, tried in row order; ``first``:
    BMP code point → bit ``level`` set when a marker of that level starts with it) and absent
    when none follows. Returns (offsets, data, found): the text up to the end of group ``level``
    (``level`` 0: of group 1, else group 2 — the province cut), found=False when it is absent."""
    cdef Py_ssize_t n = offsets.shape[0] - 1, i, maxlen = _max_cell_bytes(offsets)
    cdef int nm = markers.shape[0], mw = markers.shape[1], ncp, p, q, g, mk, k, pos, e1, stop
    cdef int64_t j, a, z, w = 0, end_byte
    cdef bint hit
    cps_arr = np.zeros(maxlen + 1, dtype=np.int32)
    starts_arr = np.zeros(maxlen + 2, dtype=np.int64)
    cdef int32_t[:] cps = cps_arr
    cdef int64_t[:] starts = starts_arr
    out_off_arr = np.zeros(n + 1, dtype=np.int64)
    out_arr = np.zeros(max(offsets[n] - offsets[0], 1), dtype=np.uint8)
    found_arr = np.zeros(n, dtype=np.bool_)
    cdef int64_t[:] out_off = out_off_arr
    cdef uint8_t[:] out = out_arr
    cdef uint8_t[:] found = found_arr.view(np.uint8)
    cdef int ends[4]
    cdef const uint8_t* dp = &data[0]
    with nogil:
        for i in range(n):
            a = offsets[i]
            z = offsets[i + 1]
            # code points are decoded as the search reaches them (districts end near the start);
            # trailing whitespace cannot be part of a marker, so the unstripped end bounds the search
            ncp = 0
            j = a
            p = 0
            while True:
                if ncp == p:
                    if j >= z:
                        break
                    k = _cp_len(data[j])
                    starts[ncp] = j
                    cps[ncp] = _cp(dp, j, k)
                    ncp += 1
                    j += k
                if not _ws(cps[p]):
                    break
                p += 1
            pos = p
            ends[1] = -1
            ends[2] = -1
            ends[3] = -1
            for g in range(1, 4):
                hit = False
                k = pos
                while not hit:
                    while ncp < k + mw and j < z:  # decode enough for a marker starting at k
                        q = _cp_len(data[j])
                        starts[ncp] = j
                        cps[ncp] = _cp(dp, j, q)
                        ncp += 1
                        j += q
                    if k >= ncp or cps[k] == 10:  # the end, or a line break ('.' does not cross one)
                        break
                    if cps[k] >= 0x10000 or not (first[cps[k]] >> g) & 1:  # no marker of this level starts here
                        k += 1
                        continue
                    for mk in range(nm):
                        if marker_level[mk] != g:
                            continue
                        stop = 0
                        while stop < mw and markers[mk, stop] != 0:
                            if k + stop >= ncp or cps[k + stop] != markers[mk, stop]:
                                break
                            stop += 1
                        if stop == mw or markers[mk, stop] == 0:
                            ends[g] = k + stop
                            hit = True
                            break
                    k += 1
                if hit:
                    pos = ends[g]
            if level == 0:
                e1 = ends[1] if ends[1] >= 0 else ends[2]
            else:
                e1 = ends[level]
            if e1 >= 0:
                found[i] = 1
                if e1 >= ncp:
                    starts[e1] = j if e1 == ncp else z
                end_byte = starts[e1]
                for j in range(starts[p], end_byte):
                    out[w] = data[j]
                    w += 1
            out_off[i + 1] = w
    return out_off_arr, out_arr[:w], found_arr
