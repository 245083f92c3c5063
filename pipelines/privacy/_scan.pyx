# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""One compiled pass over a string column's Arrow buffers: per cell, the pre-filter flags of every
detector and the kinds of a cell's *only* number candidate (whole-cell number, or exactly one digit
run), validated as ``detect.number_kinds`` does (check characters, birth dates, prefixes).

Cells with several number tokens are flagged ``F_TOKEN`` and left to the polars token path. Each
flag is a superset of what its detector finds (the exact regular expression then runs on the
flagged cells only), so flags never change a result — ``tests/privacy/test_scan_kernel.py`` checks
that against the regular expressions and ``number_kinds`` they stand for.

Text is read as ``detect.normalize`` would leave it (full-width digits, letters and ``－＋（）＠．``,
the ideographic space and dash variants → ASCII), one code point at a time.
"""

from libc.stdint cimport int64_t, int32_t, uint8_t, uint16_t
from libc.string cimport memcpy

import numpy as np

from pipelines.privacy._utf8 cimport _cp, _cp_len, _max_cell_bytes, _ws

cdef uint8_t _QUIET[256]  # bytes that set no flag and start no number: ASCII except 0-9 A-Z @ . :
cdef int _b
for _b in range(256):
    _QUIET[_b] = _b < 0x80 and not (48 <= _b <= 57 or 65 <= _b <= 90 or _b == 64 or _b == 46 or _b == 58)

# cell flags (uint16)
cdef enum:
    F_MAY_HOLD = 1      # a digit, '@', '::' or a Han-range character: any detector may fire
    F_TOKEN = 2         # a long number that is neither the whole cell nor its only digit run
    F_AT = 4            # '@'
    F_DOTS = 8          # three or more '.'
    F_V6 = 16           # '::' or seven or more ':'
    F_RUNS = 32         # an ASCII alphanumeric run shaped like a passport, or 18 long with a capital
    F_HAN = 64          # a character of a Han range (superset of \p{Han})
    F_PLATE = 128       # a licence-plate province character
    F_ADDR = 256        # an address mark character (号弄栋…)
    F_NAMECTX = 512     # the first character of a name context word
    F_PERMIT = 1024     # the first character of a permit/passport context word

# number kinds of a cell's only candidate (cellscan.KIND_BITS); the code-point classes of the table
# passed in, shifted left by 6, are the flags F_HAN .. F_PERMIT
cdef enum:
    K_ID = 1
    K_CARD = 2
    K_USCC = 4
    K_MOBILE = 8
    K_LANDLINE = 16

cdef int ID_W[17]
ID_W[:] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
cdef int USCC_W[17]
USCC_W[:] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
cdef int DAYS[13]
DAYS[:] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


cdef inline int32_t _norm(int32_t cp) noexcept nogil:
    if cp < 0x2010:
        return cp
    if 0xFF10 <= cp <= 0xFF19:
        return cp - 0xFF10 + 48
    if 0xFF21 <= cp <= 0xFF3A:
        return cp - 0xFF21 + 65
    if 0xFF41 <= cp <= 0xFF5A:
        return cp - 0xFF41 + 97
    if cp == 0xFF0D:
        return 45
    if cp == 0xFF0B:
        return 43
    if cp == 0x3000:
        return 32
    if cp == 0xFF08:
        return 40
    if cp == 0xFF09:
        return 41
    if cp == 0xFF20:
        return 64
    if cp == 0xFF0E:
        return 46
    if cp == 0x2010 or cp == 0x2011 or cp == 0x2013 or cp == 0x2014:
        return 45
    return cp


cdef inline bint _dig(int32_t c) noexcept nogil:
    return 48 <= c <= 57


cdef inline bint _upper_io(int32_t c) noexcept nogil:
    # [A-HJ-NP-Z]
    return 65 <= c <= 90 and c != 73 and c != 79


cdef inline bint _all_dig(const int32_t* c, int a, int b) noexcept nogil:
    cdef int i
    for i in range(a, b):
        if not _dig(c[i]):
            return False
    return True


cdef inline int _num2(const int32_t* c, int i) noexcept nogil:
    return (c[i] - 48) * 10 + (c[i + 1] - 48)


cdef bint _valid_date(const int32_t* c, int lo, int hi_year, int today) noexcept nogil:
    # 8 digits YYYYMMDD: a calendar date, lo <= year <= hi_year and date <= today (0: no bound)
    cdef int y = _num2(c, 0) * 100 + _num2(c, 2)
    cdef int m = _num2(c, 4)
    cdef int d = _num2(c, 6)
    cdef int dim
    if y < lo or y > hi_year or m < 1 or m > 12 or d < 1:
        return False
    dim = DAYS[m]
    if m == 2 and ((y % 4 == 0 and y % 100 != 0) or y % 400 == 0):
        dim = 29
    if d > dim:
        return False
    if today and y * 10000 + m * 100 + d > today:
        return False
    return True


cdef inline bint _province(const int32_t* c, int i, const uint8_t* prov) noexcept nogil:
    return _dig(c[i]) and _dig(c[i + 1]) and prov[_num2(c, i)] != 0


cdef bint _id18_ok(const int32_t* c, int n, const uint8_t* prov, int today) noexcept nogil:
    # _id18_rules & check character (the caller has checked ^[1-9][0-9]{16}[0-9Xx]$)
    cdef int s = 0, i, last
    if not _province(c, 0, prov) or not _valid_date(c + 6, 1900, 99999, today):
        return False
    for i in range(17):
        s += ID_W[i] * (c[i] - 48)
    last = 10 if (c[17] == 88 or c[17] == 120) else c[17] - 48
    return (s + last) % 11 == 1


cdef bint _id18_valid(const int32_t* c, int n, const uint8_t* prov, int today) noexcept nogil:
    # ^[1-9][0-9]{16}[0-9Xx]$ and _id18_ok: a valid 18-character resident ID
    return (n == 18 and (49 <= c[0] <= 57) and _all_dig(c, 1, 17) and (_dig(c[17]) or c[17] == 88 or c[17] == 120)
            and _id18_ok(c, n, prov, today))


cdef bint _is_id15(const int32_t* c, int n, const uint8_t* prov, int today) noexcept nogil:
    cdef int32_t d[8]
    cdef int i
    if n != 15 or not (49 <= c[0] <= 57) or not _all_dig(c, 1, 15) or not _province(c, 0, prov):
        return False
    d[0] = 49
    d[1] = 57
    for i in range(6):
        d[2 + i] = c[6 + i]
    return _valid_date(d, 1900, 99999, today)


cdef bint _id_shaped18(const int32_t* c, int n, const uint8_t* prov) noexcept nogil:
    return n == 18 and _province(c, 0, prov) and _all_dig(c, 6, 14) and _valid_date(c + 6, 1800, 2099, 0)


cdef bint _card_prefix(const int32_t* c, int n) noexcept nogil:
    cdef int32_t a, b, e
    if not _all_dig(c, 0, n):
        return False
    a = c[0]
    b = c[1]
    e = c[2]
    if a == 54 and b == 50 and 16 <= n <= 19:  # 62
        return True
    if a == 52 and (n == 13 or n == 16 or n == 19):  # 4
        return True
    if a == 53 and 49 <= b <= 53 and n == 16:  # 5[1-5]
        return True
    if a == 50 and 50 <= b <= 55 and n == 16:  # 2[2-7]
        return True
    if a == 51 and (b == 52 or b == 55) and n == 15:  # 3[47]
        return True
    if a == 51 and b == 53 and 16 <= n <= 19:  # 35
        return True
    if a == 51 and ((b == 48 and 48 <= e <= 53) or b == 54 or b == 56) and 14 <= n <= 16:  # 3(0[0-5]|[68][0-9])
        return True
    if a == 54 and (b == 48 or b == 53) and 16 <= n <= 19:  # 6(0|5)
        return True
    if a == 54 and b == 52 and 52 <= e <= 57 and 17 <= n <= 19:  # 64[4-9]
        return True
    if a == 57 and n == 19:  # 9
        return True
    return False


cdef bint _luhn(const int32_t* c, int n) noexcept nogil:
    cdef int s = 0, i, d, k = 0
    for i in range(n - 1, -1, -1):
        d = c[i] - 48
        if k % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        s += d
        k += 1
    return s % 10 == 0


cdef inline int _uscc_val(int32_t c) noexcept nogil:
    # index in 0123456789ABCDEFGHJKLMNPQRTUWXY, -1 outside
    if 48 <= c <= 57:
        return c - 48
    if 65 <= c <= 72:
        return c - 55
    if 74 <= c <= 78:
        return c - 56
    if 80 <= c <= 82:
        return c - 57
    if 84 <= c <= 85:
        return c - 58
    if 87 <= c <= 89:
        return c - 59
    return -1


cdef bint _uscc_ok(const int32_t* c, int n, const uint8_t* prov) noexcept nogil:
    # ^[1-9A-GY][1-9][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$, region prefix, MOD 31 (candidates: digits + X)
    cdef int s = 0, i, v
    if n != 18 or not ((49 <= c[0] <= 57) or (65 <= c[0] <= 71) or c[0] == 89) or not (49 <= c[1] <= 57):
        return False
    if not _all_dig(c, 2, 8):
        return False
    for i in range(8, 18):
        if _uscc_val(c[i]) < 0:
            return False
    if not _province(c, 2, prov):
        return False
    for i in range(17):
        s += USCC_W[i] * _uscc_val(c[i])
    v = _uscc_val(c[17])
    return (31 - s % 31) % 31 == v


cdef bint _mobile(const int32_t* c, int n) noexcept nogil:
    cdef int o
    if not _all_dig(c, 0, n):
        return False
    if n == 11:
        o = 0
    elif n == 13 and c[0] == 56 and c[1] == 54:
        o = 2
    elif n == 15 and c[0] == 48 and c[1] == 48 and c[2] == 56 and c[3] == 54:
        o = 4
    else:
        return False
    if c[o] != 49:
        return False
    cdef int32_t a = c[o + 1], b = c[o + 2]
    if a == 51 or a == 56:
        return True
    if a == 52:
        return b >= 53
    if a == 53 or a == 57:
        return b != 52
    if a == 54:
        return b == 50 or b == 53 or b == 54 or b == 55
    if a == 55:
        return b <= 56
    return False


cdef bint _landline(const int32_t* c, int n) noexcept nogil:
    if not _all_dig(c, 0, n) or c[0] != 48:
        return False
    if (c[1] == 49 and c[2] == 48) or c[1] == 50:
        return (n == 10 or n == 11) and c[3] >= 50
    if c[1] >= 51:
        return (n == 11 or n == 12) and c[4] >= 50
    return False


cdef int _others(const int32_t* c, int n, const uint8_t* prov, int today) noexcept nogil:
    # number_kinds without the ID part, for one candidate (digits, maybe a trailing X)
    cdef int bits = 0
    cdef bint card_shape
    if 13 <= n <= 19 and _card_prefix(c, n) and _luhn(c, n):
        if n == 15:
            card_shape = not _is_id15(c, n, prov, today)
        elif n == 18:
            card_shape = not _id_shaped18(c, n, prov)
        else:
            card_shape = True
        if card_shape:
            bits |= K_CARD
    if n == 18 and _uscc_ok(c, n, prov) and not _id18_valid(c, n, prov, today):
        if not (_card_prefix(c, n) and _luhn(c, n) and not _id_shaped18(c, n, prov)):
            bits |= K_USCC
    if (n == 11 or n == 13 or n == 15) and _mobile(c, n):
        bits |= K_MOBILE
    if 10 <= n <= 12 and _landline(c, n):
        bits |= K_LANDLINE
    return bits


cdef int _kinds(const int32_t* c, int n, const uint8_t* prov, int today) noexcept nogil:
    """detect.number_kinds for one candidate ``[0-9]+[Xx]?`` (10–19 digits)."""
    cdef int bits = 0
    cdef bint xend = c[n - 1] == 88 or c[n - 1] == 120
    if _id18_valid(c, n, prov, today) or _is_id15(c, n, prov, today):
        bits |= K_ID
    bits |= _others(c, n, prov, today)
    if xend and not (bits & K_ID):
        bits |= _others(c, n - 1, prov, today)
    return bits


cdef bint _passport(const int32_t* c, int L) noexcept nogil:
    cdef int32_t a = c[0]
    if a == 69:  # E[0-9]{8} | E[A-HJ-NP-Z][0-9]{7}
        return L == 9 and (_all_dig(c, 1, 9) or (_upper_io(c[1]) and _all_dig(c, 2, 9)))
    if a == 71:  # G[0-9]{8}
        return L == 9 and _all_dig(c, 1, 9)
    if a == 68 or a == 83 or a == 80:  # [DSP][0-9]{7,8}
        return (L == 8 or L == 9) and _all_dig(c, 1, L)
    if a == 87:  # W[0-9]{8}
        return L == 9 and _all_dig(c, 1, 9)
    if a == 67:  # C[0-9]{8} | C[A-HJ-NP-Z][0-9]{7}
        return L == 9 and (_all_dig(c, 1, 9) or (_upper_io(c[1]) and _all_dig(c, 2, 9)))
    if a == 72 or a == 77:  # [HM][0-9]{8}([0-9]{2})?
        return (L == 9 or L == 11) and _all_dig(c, 1, L)
    return False


cdef inline bint _alnum(int32_t c) noexcept nogil:
    return (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122)


cdef inline bint _sep(int32_t c) noexcept nogil:
    return c == 32 or c == 45 or c == 41


cdef bint _digit_cells = True


def set_digit_cell_path(bint on):
    """Use the shortcut for digit-only cells (on by default); tests turn it off to compare."""
    global _digit_cells
    _digit_cells = on


def scan_cells(const int64_t[:] offsets, const uint8_t[:] data, const uint8_t[:] cp_class,
               const uint8_t[:] prov, int today):
    """Per cell: (flags uint16, number kinds uint8). ``offsets``/``data``: an Arrow large-string
    array's buffers (``len(offsets) - 1`` cells); ``cp_class``: code point → class bits (1 Han,
    2 plate province, 4 address mark, 8 name-context start, 16 permit start); ``prov``: 100 booleans
    for two-digit region prefixes; ``today``: YYYYMMDD, the latest valid birth date."""
    cdef Py_ssize_t ncell = offsets.shape[0] - 1
    flags_arr = np.zeros(ncell, dtype=np.uint16)
    kinds_arr = np.zeros(ncell, dtype=np.uint8)
    cdef uint16_t[:] flags = flags_arr
    cdef uint8_t[:] kinds = kinds_arr
    cdef Py_ssize_t i
    cdef int64_t j, end
    buf_arr = np.zeros(_max_cell_bytes(offsets) + 1, dtype=np.int32)
    cdef int32_t[:] bufv = buf_arr
    cdef int32_t* buf = &bufv[0]
    cdef int32_t cp, c, prev
    cdef uint8_t b
    cdef int ln, m, k, ndots, ncolon, cls, fl, chain, runs, rlen, rstart, run_start, run_len, a, z, nd
    cdef bint has_digit, has_at, dcolon, long_num, upper, last_digit, pending_sep
    cdef const uint8_t* dp = &data[0]
    cdef const uint8_t* pv = &prov[0]  # pointers, not memoryviews, into the per-cell helpers (no reference counting)
    with nogil:
        for i in range(ncell):
            j = offsets[i]
            end = offsets[i + 1]
            # a cell of bytes no detector looks at (ASCII but digits, capitals, @ . :) has no flag and
            # no number: nothing to decode (pseudonyms, lower-case codes, blanks)
            while j < end and _QUIET[dp[j]]:
                j += 1
            if j == end:
                continue
            j = offsets[i]
            # a cell of ASCII digits only (card, mobile and ID numbers, codes, counts): the flags and
            # kinds the loop below gives it, without the loop — a digit, the number only when it has
            # 10-19 digits, the token path beyond (no letters: no run, class or pattern flag)
            if _digit_cells:
                k = 0
                while j + k < end and 48 <= dp[j + k] <= 57:
                    k += 1
                if j + k == end:
                    fl = F_MAY_HOLD
                    if k >= 10:
                        if k <= 19:
                            for m in range(k):
                                buf[m] = dp[j + m]
                            kinds[i] = _kinds(buf, k, pv, today)
                        else:
                            fl |= F_TOKEN
                    flags[i] = fl
                    continue
            m = 0
            while j < end:
                b = dp[j]
                if b < 0x80:  # ASCII: nothing to decode or normalize
                    buf[m] = b
                    j += 1
                else:
                    ln = _cp_len(b)
                    buf[m] = _norm(_cp(dp, j, ln))
                    j += ln
                m += 1
            if m == 0:
                continue
            # --- pre-filter flags and the long-number chain, one pass
            ndots = 0
            ncolon = 0
            cls = 0
            has_digit = False
            has_at = False
            dcolon = False
            long_num = False
            chain = 0
            last_digit = False
            pending_sep = False
            runs = 0
            rstart = -1
            rlen = 0
            run_start = -1
            fl = 0
            prev = 0
            for k in range(m):
                c = buf[k]
                if 48 <= c <= 57:
                    has_digit = True
                    if last_digit or pending_sep:
                        chain += 1
                    else:
                        chain = 1
                    if chain >= 10:
                        long_num = True
                    if not last_digit:  # a new maximal digit run
                        runs += 1
                        if runs == 1:
                            rstart = k
                        rlen = 0
                    if runs == 1:
                        rlen += 1
                    last_digit = True
                    pending_sep = False
                else:
                    if _sep(c) and last_digit:
                        pending_sep = True  # one separator may sit between two digits of a number
                    else:
                        pending_sep = False
                        chain = 0
                    last_digit = False
                    if c == 64:
                        has_at = True
                    elif c == 46:
                        ndots += 1
                    elif c == 58:
                        ncolon += 1
                        if prev == 58:
                            dcolon = True
                    elif c >= 128 and c < 0x110000:
                        cls |= cp_class[c]
                # alphanumeric runs (passports, lettered USCCs)
                if _alnum(c):
                    if run_start < 0:
                        run_start = k
                        upper = False
                    if 65 <= c <= 90:
                        upper = True
                if run_start >= 0 and (k == m - 1 or not _alnum(buf[k + 1])):
                    run_len = k + 1 - run_start
                    if 8 <= run_len <= 18 and upper and (run_len == 18 or _passport(buf + run_start, run_len)):
                        fl |= F_RUNS
                    run_start = -1
                prev = c
            if has_digit or has_at or dcolon or (cls & 1):
                fl |= F_MAY_HOLD
            if has_at:
                fl |= F_AT
            if ndots >= 3:
                fl |= F_DOTS
            if dcolon or ncolon >= 7:
                fl |= F_V6
            fl |= cls << 6
            # --- numbers: the whole (stripped) cell, or its only digit run; else the token path
            if long_num:
                a = 0
                z = m
                while a < z and _ws(buf[a]):
                    a += 1
                while z > a and _ws(buf[z - 1]):
                    z -= 1
                nd = z - a
                if nd > 0 and (buf[z - 1] == 88 or buf[z - 1] == 120):
                    nd -= 1
                if 10 <= nd <= 19 and _all_dig(buf, a, a + nd):
                    kinds[i] = _kinds(buf + a, z - a, pv, today)
                elif runs == 1 and 10 <= rlen <= 19 and _single_tail(buf, rstart + rlen, m):
                    k = rstart + rlen
                    if k < m and (buf[k] == 88 or buf[k] == 120):
                        kinds[i] = _kinds(buf + rstart, rlen + 1, pv, today)
                    else:
                        kinds[i] = _kinds(buf + rstart, rlen, pv, today)
                else:
                    fl |= F_TOKEN
            flags[i] = fl
    return flags_arr, kinds_arr


cdef bint _single_tail(const int32_t* buf, int p, int m) noexcept nogil:
    # after the only digit run: end | [Xx] end | [Xx]? then [^0-9 \-)Xx] (no digits follow: one run)
    if p == m:
        return True
    if buf[p] == 88 or buf[p] == 120:
        p += 1
        if p == m:
            return True
    return not (_sep(buf[p]) or buf[p] == 88 or buf[p] == 120)


def any_normalizable(const uint8_t[:] data):
    """True when the UTF-8 bytes hold a character ``detect.normalize`` rewrites or its class names:
    U+3000, U+FF01–U+FF5E, U+2010–U+2014 (the ``_NEEDS_NORMALIZING`` class)."""
    return _any_normalizable(data)


cdef bint _any_normalizable(const uint8_t[:] data) noexcept nogil:
    cdef Py_ssize_t n = data.shape[0], j
    cdef uint8_t b0, b1, b2
    for j in range(n - 2):
        b0 = data[j]
        if b0 < 0xE2 or b0 > 0xEF:
            continue
        b1 = data[j + 1]
        b2 = data[j + 2]
        if b0 == 0xE3 and b1 == 0x80 and b2 == 0x80:
            return True
        if b0 == 0xEF and ((b1 == 0xBC and b2 >= 0x81) or (b1 == 0xBD and b2 <= 0x9E)):
            return True
        if b0 == 0xE2 and b1 == 0x80 and 0x90 <= b2 <= 0x94:
            return True
    return False


def already_canonical(const int64_t[:] offsets, const uint8_t[:] data, bint mobile):
    """True when ``canonical_numbers`` would return every cell as it is: digits and capitals only,
    and for mobiles no 86/0086 prefix to drop (the caller then keeps the column, no copy)."""
    cdef Py_ssize_t n = offsets.shape[0] - 1, i
    cdef int64_t j, end
    cdef const uint8_t* dp = &data[0]
    cdef bint kept = True
    with nogil:
        for i in range(n):
            j = offsets[i]
            end = offsets[i + 1]
            if mobile and _mobile_with_prefix(<uint8_t*>dp, j, end):
                kept = False
                break
            while j < end and (48 <= dp[j] <= 57 or 65 <= dp[j] <= 90):
                j += 1
            if j < end:
                kept = False
                break
    return kept


def canonical_numbers(const int64_t[:] offsets, const uint8_t[:] data, bint mobile):
    """``methods.canonical`` of number kinds for an all-ASCII (after normalization) column: strip
    whitespace, drop `` -()+``, upper-case, and for mobiles drop a 86/0086 prefix. Returns
    (offsets, data), or None when a cell holds another non-ASCII character (the caller then uses
    the polars expressions, which case-map Unicode)."""
    cdef Py_ssize_t n = offsets.shape[0] - 1, i
    cdef int64_t j, end, w = 0, start, a, z, k
    cdef int32_t cp
    cdef int ln
    cdef uint8_t b
    out_off_arr = np.zeros(n + 1, dtype=np.int64)
    out_arr = np.zeros(max(offsets[n] - offsets[0], 1), dtype=np.uint8)
    cdef int64_t[:] out_off = out_off_arr
    cdef uint8_t[:] out = out_arr
    cdef bint bad = False
    cdef const uint8_t* dp = &data[0]
    with nogil:
        for i in range(n):
            j = offsets[i]
            end = offsets[i + 1]
            start = w
            # the common cell, digits and capitals only, is already canonical: copied as is
            k = j
            while k < end and (48 <= dp[k] <= 57 or 65 <= dp[k] <= 90):
                k += 1
            if k == end:
                memcpy(&out[w], &dp[j], end - j)
                w += end - j
                if mobile:
                    w = _drop_mobile_prefix(&out[0], start, w)
                out_off[i + 1] = w
                continue
            while j < end:
                ln = _cp_len(dp[j])
                cp = _norm(_cp(dp, j, ln))
                j += ln
                if cp >= 0x80:
                    bad = True
                    break
                out[w] = <uint8_t>cp
                w += 1
            if bad:
                break
            # strip ASCII whitespace at both ends, then drop the separators inside
            a = start
            z = w
            while a < z and _ws(out[a]):
                a += 1
            while z > a and _ws(out[z - 1]):
                z -= 1
            w = start
            for k in range(a, z):
                b = out[k]
                if b == 32 or b == 45 or b == 40 or b == 41 or b == 43:
                    continue
                if 97 <= b <= 122:
                    b -= 32
                out[w] = b
                w += 1
            if mobile:
                w = _drop_mobile_prefix(&out[0], start, w)
            out_off[i + 1] = w
    if bad:
        return None
    return out_off_arr, out_arr[:w]


cdef int64_t _drop_mobile_prefix(uint8_t* c, int64_t a, int64_t z) noexcept nogil:
    # the cell c[a:z] without a 86/0086 prefix before a mobile number; returns its new end
    cdef int64_t k, j
    if not _mobile_with_prefix(c, a, z):
        return z
    k = 4 if z - a == 15 else 2
    for j in range(a, z - k):
        c[j] = c[j + k]
    return z - k


cdef bint _mobile_with_prefix(uint8_t* c, int64_t a, int64_t z) noexcept nogil:
    # ^(?:0086|86)(1[3-9][0-9]{9})$
    cdef int64_t k, o
    if z - a == 15 and c[a] == 48 and c[a + 1] == 48 and c[a + 2] == 56 and c[a + 3] == 54:
        o = a + 4
    elif z - a == 13 and c[a] == 56 and c[a + 1] == 54:
        o = a + 2
    else:
        return False
    if c[o] != 49 or not (51 <= c[o + 1] <= 57):
        return False
    for k in range(o + 2, z):
        if not (48 <= c[k] <= 57):
            return False
    return True
