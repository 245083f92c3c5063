# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Keyed pseudonyms in one compiled pass: HMAC-SHA256 (RFC 2104) of every cell of an Arrow string
column, spelled as the first ``length`` hex digits with ``a``–``p`` for ``0``–``f``.

The key's inner and outer padded blocks are hashed once; each cell then costs two SHA-256 blocks
(OpenSSL's, which use the CPU's SHA instructions) instead of four. The result equals
``polars_hash``'s ``hmac_sha256`` spelled the same way (``tests/privacy/test_fast_paths.py``).

OpenSSL's SHA-256 context is declared here rather than taken from ``openssl/sha.h``, so the build
needs only ``libcrypto.so.3`` — the library Python's ``hashlib`` already loads — not its headers.
Where that library is missing the module is not built and ``methods`` uses polars-hash.
"""

from libc.stdint cimport int64_t, uint8_t

import numpy as np

cdef extern from *:
    """
    typedef struct { unsigned int h[8]; unsigned int Nl, Nh; unsigned int data[16]; unsigned int num, md_len; } kf_sha256_ctx;
    int SHA256_Init(kf_sha256_ctx *c);
    int SHA256_Update(kf_sha256_ctx *c, const void *data, size_t len);
    int SHA256_Final(unsigned char *md, kf_sha256_ctx *c);
    """
    ctypedef struct kf_sha256_ctx:
        pass
    int SHA256_Init(kf_sha256_ctx *c) nogil
    int SHA256_Update(kf_sha256_ctx *c, const void *data, size_t len) nogil
    int SHA256_Final(unsigned char *md, kf_sha256_ctx *c) nogil


def hmac_letters(const int64_t[:] offsets, const uint8_t[:] data, bytes key, int length):
    """uint8 array of ``n * length`` letters: cell i's pseudonym at ``[i * length, (i + 1) * length)``.
    ``key`` is at most 64 bytes (a longer key is hashed first by the caller, as RFC 2104 says)."""
    cdef Py_ssize_t n = offsets.shape[0] - 1, i
    cdef int k
    cdef unsigned char ipad[64]
    cdef unsigned char opad[64]
    cdef unsigned char inner[32]
    cdef unsigned char digest[32]
    cdef kf_sha256_ctx ictx, octx, c
    if len(key) > 64 or not 1 <= length <= 64:
        raise ValueError("key longer than 64 bytes or length outside 1..64")
    for k in range(64):
        ipad[k] = (key[k] if k < len(key) else 0) ^ 0x36
        opad[k] = (key[k] if k < len(key) else 0) ^ 0x5C
    SHA256_Init(&ictx)
    SHA256_Update(&ictx, ipad, 64)
    SHA256_Init(&octx)
    SHA256_Update(&octx, opad, 64)
    out_arr = np.empty(max(n * length, 1), dtype=np.uint8)
    cdef uint8_t[:] out = out_arr
    cdef const uint8_t* dp = &data[0]
    cdef uint8_t b
    with nogil:
        for i in range(n):
            c = ictx
            SHA256_Update(&c, dp + offsets[i], <size_t>(offsets[i + 1] - offsets[i]))
            SHA256_Final(inner, &c)
            c = octx
            SHA256_Update(&c, inner, 32)
            SHA256_Final(digest, &c)
            for k in range(length):
                b = digest[k >> 1]
                out[i * length + k] = 97 + ((b >> 4) if (k & 1) == 0 else (b & 15))
    return out_arr[:n * length]
