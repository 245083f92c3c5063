"""Desensitization methods, all vectorized (polars expressions / numpy), one function per method.

Every method takes the column (``pl.Series``, Utf8 or typed), its parameters from the schema's
``desensitize`` object, the field's detector ``kind`` (``pii``) and the HMAC key where needed, and
returns the new column (``drop`` returns ``None``). Parameters are documented in docs/privacy.md.
Error messages name the field and parameter, never a value.
"""

from __future__ import annotations

import datetime as _dt
import secrets
from functools import cache
from typing import Any

import numpy as np
import polars as pl

from kaifang.errors import ConfigError
from pipelines.privacy import _methods, _scan
from pipelines.privacy import cellscan as CS
from pipelines.privacy import checksums as CK
from pipelines.privacy import detect as D
from pipelines.privacy.kinds import COMPOUND_SURNAMES, SINGLE_SURNAMES

try:  # built where libcrypto.so.3 is found (setup.py); else pseudonyms come from polars-hash
    from pipelines.privacy import _hmac
except ImportError:  # pragma: no cover — depends on the build machine
    _hmac = None

# ---------------------------------------------------------------------------------------------
# mask
# ---------------------------------------------------------------------------------------------

MASK_DEFAULTS: dict[str, tuple[int, int]] = {
    "cn_resident_id": (6, 4), "cn_mobile": (3, 4), "bank_card": (6, 4), "cn_landline": (4, 2),
    "passport": (1, 2), "licence_plate": (2, 0), "cn_uscc": (8, 0),
}
"""Default (keep_first, keep_last) per kind; names keep the surname, e-mail the first letter and
domain, IPv4 the first two octets, addresses everything but house numbers."""

_IPV6_MASK_RE = rf"(^|[^0-9A-Za-z:])(?:{D.IPV6_BODY})($|[^0-9A-Za-z:.])"
_COMPOUND_RE = "^(?:" + "|".join(COMPOUND_SURNAMES) + ")"
_ADDR_NUM_RE = rf"[{D._CN_NUM}]+(?:-[0-9]+)?(号|弄|栋|幢|座|单元|室|组|楼)"


def _int_param(params: dict, name: str, default: int, field: str, lo: int = 0, hi: int = 64) -> int:
    v = params.get(name, default)
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise ConfigError(f"desensitize parameter {name} must be an integer {lo}..{hi}", field=field, key=f"desensitize.{name}",
                          fix=f"set \"{name}\": {default}")
    return v


def _text(series: pl.Series) -> pl.Series:
    return D.as_text(series)


def mask(series: pl.Series, params: dict[str, Any], *, kind: str | None, field: str) -> pl.Series:
    """``mask``: ``keep_first``, ``keep_last``, ``char`` (default ``*``); ``free_text: true`` masks every
    detected identifier inside the text instead of the whole value."""
    char = params.get("char", "*")
    if not isinstance(char, str) or len(char) != 1 or char.isalnum():
        raise ConfigError("mask char must be one non-alphanumeric character", field=field, key="desensitize.char",
                          fix="use \"*\"")
    if params.get("free_text"):
        return mask_free_text(series, char=char)
    text = _text(series)
    s = text.to_frame("s")
    c = pl.col("s")
    if "keep_first" not in params and "keep_last" not in params and kind in ("person_name", "email", "ip_address", "address"):
        if kind == "person_name":  # the surname stays: two characters for a compound surname
            kf = np.where(text.str.contains(_COMPOUND_RE).fill_null(False).to_numpy(), 2, 1).astype(np.uint8)
            return mask_cells(text, kf, 0, char, series.name)
        if kind == "email":
            out = c.str.replace_all(r"([A-Za-z0-9])[A-Za-z0-9._%+\-]*@", f"${{1}}{char * 3}@")
        elif kind == "ip_address":
            out = (c.str.replace_all(r"((?:[0-9]{1,3}\.){2})[0-9]{1,3}\.[0-9]{1,3}", f"${{1}}{char}.{char}")
                   .str.replace_all(_IPV6_MASK_RE, f"${{1}}{char * 4}:{char * 4}${{2}}"))
        else:
            out = c.str.replace_all(_ADDR_NUM_RE, f"{char}${{1}}").str.replace_all("[0-9]", char)
        return s.select(out.alias(series.name)).to_series()
    dkf, dkl = MASK_DEFAULTS.get(kind or "", (0, 0))
    kf = _int_param(params, "keep_first", dkf, field)
    kl = _int_param(params, "keep_last", dkl, field)
    return mask_cells(text, np.full(text.len(), kf, dtype=np.uint8), kl, char, series.name)


def mask_cells(text: pl.Series, keep_first: np.ndarray, keep_last: int, char: str, name: str) -> pl.Series:
    """Strip whitespace; keep ``keep_first[i]`` first and ``keep_last`` last characters, every other
    character but space and dash becomes ``char``; values no longer than keep_first + keep_last are
    masked whole. Compiled, one pass over the Arrow buffers."""
    offsets, data = CK.buffers(text)
    off, out = _methods.mask_cells(offsets, data, keep_first, keep_last, np.frombuffer(char.encode("utf-8"), dtype=np.uint8))
    return CK.strings(off, out, name, nulls_from=text)


def _span_keep(kind: pl.Expr, nd: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(keep_first, keep_last) digits for a number found in free text."""
    kf = (pl.when(kind == "cn_mobile").then(nd - 8).when(kind == "cn_landline").then(3)
          .when(kind == "cn_uscc").then(nd).otherwise(6))
    kl = pl.when(kind == "cn_landline").then(2).when(kind == "cn_uscc").then(0).otherwise(4)
    return kf, kl


_ONE_RUN_RE = r"(?s)^([^0-9]*)([0-9]+)([Xx]?)(.*)$"
_KIND_OF_BIT = {bit: kind for kind, bit in CS.KIND_BITS.items()}


def _mask_numbers_in_text(text: pl.Series, char: str) -> pl.Series:
    """Mask every validated number inside free text (separators kept); other characters untouched.

    A cell whose only digit run validated as exactly one kind (no trailing X) is masked directly
    (the token path would find that one span); every other cell with a number goes the token path."""
    flags, kinds = D.cell_scan(text)
    token = (flags & CS.F_TOKEN) != 0
    one_kind = ~token & (kinds != 0) & ((kinds & (kinds - 1)) == 0)
    rows = np.flatnonzero(one_kind)
    if rows.size:
        parts = (pl.DataFrame({"row": rows.astype(np.uint32), "kind": pl.Series(kinds[rows]).replace_strict(_KIND_OF_BIT),
                               "p": text.gather(rows).str.extract_groups(_ONE_RUN_RE)})
                 .unnest("p").rename({"1": "pre", "2": "digits", "3": "x", "4": "post"}))
        direct = parts.filter(pl.col("x") == "")
        token[parts.filter(pl.col("x") != "").get_column("row").to_numpy()] = True
        d = pl.col("digits")
        nd = d.str.len_bytes().cast(pl.Int64)
        kf, kl = _span_keep(pl.col("kind"), nd)
        head = kf.clip(0, nd)
        tail = pl.min_horizontal(kl.clip(0, nd), nd - head)
        masked = direct.select("row", s=pl.concat_str([pl.col("pre"), d.str.slice(0, head), pl.lit("").str.pad_end(nd - head - tail, char),
                                                      d.str.slice(nd - tail, tail), pl.col("post")]))
        text = text.clone().scatter(masked.get_column("row").cast(pl.Int64).to_numpy(), masked.get_column("s"))
    return _mask_number_tokens(text, np.flatnonzero(token), char)


def _mask_number_tokens(text: pl.Series, rows: np.ndarray, char: str) -> pl.Series:
    """The token path of ``_mask_numbers_in_text`` over ``text[rows]``: pieces, groups, valid spans."""
    rest = pl.DataFrame({"row": rows.astype(np.uint32), "s": text.gather(rows)})
    if rest.height == 0:
        return text
    pieces = (rest.select("row", piece=pl.col("s").str.extract_all(D.PIECE_RE))
              .with_columns(pidx=pl.int_ranges(0, pl.col("piece").list.len())).explode("piece", "pidx")
              .with_row_index("tok"))
    tokens = pieces.filter(pl.col("piece").str.contains("^[0-9]") & (pl.col("piece").str.len_bytes() >= 10)).select(
        "tok", text="piece")
    if tokens.height == 0:
        return text
    groups = D._groups(tokens)
    spans = D._spans(groups)
    if spans.height == 0:
        return text
    glen = groups.select("tok", "g", glen=pl.col("digits").str.len_bytes().cast(pl.Int64))
    spans = spans.with_columns(pl.col("nd").cast(pl.Int64), pl.col("g0").cast(pl.Int64))
    cover = (spans.with_row_index("sid").with_columns(j=pl.int_ranges(0, pl.col("L"))).explode("j")
             .with_columns(g=pl.col("g0") + pl.col("j"))
             .join(glen, on=["tok", "g"])
             .sort("sid", "j")
             .with_columns(off=(pl.col("glen").cum_sum().over("sid") - pl.col("glen")))
             .sort("nd").group_by("tok", "g").agg(pl.all().last()))
    kf, kl = _span_keep(pl.col("kind"), pl.col("nd"))
    head = (kf - pl.col("off")).clip(0, pl.col("glen"))
    tail = (pl.col("off") + pl.col("glen") - (pl.col("nd") - kl)).clip(0, pl.col("glen"))
    tail = pl.min_horizontal(tail, pl.col("glen") - head)
    cover = cover.with_columns(head=head, tail=tail).select("tok", "g", "head", "tail")
    d = pl.col("digits")
    dl = d.str.len_bytes().cast(pl.Int64)
    rebuilt = (groups.join(cover, on=["tok", "g"], how="left")
               .with_columns(pl.col("head").cast(pl.Int64).fill_null(dl), pl.col("tail").cast(pl.Int64).fill_null(0))
               .with_columns(new=pl.concat_str([
                   d.str.slice(0, pl.col("head")),
                   pl.lit("").str.pad_end(dl - pl.col("head") - pl.col("tail"), char),
                   d.str.slice(dl - pl.col("tail"), pl.col("tail")),
                   pl.col("raw").str.slice(d.str.len_chars()),
               ]))
               .sort("tok", "g").group_by("tok", maintain_order=True).agg(pl.col("new").str.join("")))
    merged = (pieces.join(rebuilt, on="tok", how="left").sort("row", "pidx")
              .group_by("row", maintain_order=True).agg(pl.coalesce("new", "piece").str.join("").alias("s")))
    idx = merged.get_column("row").cast(pl.Int64).to_numpy()
    return text.clone().scatter(idx, merged.get_column("s"))


def _mask_patterns_in_text(text: pl.Series, char: str) -> pl.Series:
    c = pl.col("s")
    stars = char * 3
    exprs = (
        c.str.replace_all(r"([A-Za-z0-9])[A-Za-z0-9._%+\-]*@", f"${{1}}{stars}@")
         .str.replace_all(r"((?:[0-9]{1,3}\.){2})[0-9]{1,3}\.[0-9]{1,3}", f"${{1}}{char}.{char}")
         .str.replace_all(_IPV6_MASK_RE, f"${{1}}{char * 4}:{char * 4}${{2}}")
         .str.replace_all(rf"([{D.PLATE_PROVINCES}][A-HJ-NP-Z][·•]?)[A-HJ-NP-Z0-9]{{3}}", f"${{1}}{stars}")
         .str.replace_all(r"(^|[^A-Za-z0-9])([EC][A-HJ-NP-Z]?|[GDSPWHM])[0-9]{5,8}([0-9]{2})($|[^A-Za-z0-9])",
                          f"${{1}}${{2}}{char * 5}${{3}}${{4}}")  # whole alphanumeric runs, as detected
         .str.replace_all(rf"((?:{D._PERMIT_WORDS})(?:号码|号)?(?:[:：]|为|是)?\s*)[A-Z0-9]{{4,}}([0-9A-Z]{{2}})",
                          f"${{1}}{char * 6}${{2}}")
         .str.replace_all(_ADDR_NUM_RE, f"{char}${{1}}")
         .str.replace_all(rf"((?:{'|'.join(D.NAME_CONTEXT_WORDS)})(?:[:：]|为|是)?\s*{D.SURNAME_RE}){D.GIVEN_RE}{{1,2}}",
                          f"${{1}}{char * 2}")
    )
    return text.to_frame("s").select(exprs).to_series()


def mask_free_text(series: pl.Series, *, char: str = "*") -> pl.Series:
    """Mask every detected identifier inside free text, repeating until a re-scan finds none (≤3 passes).
    Rows with findings come back normalized (full-width digits → ASCII); other rows are unchanged."""
    name = series.name
    text = _text(series)
    original = series if series.dtype == pl.Utf8 else series.cast(pl.Utf8)
    for _ in range(3):
        text = _mask_patterns_in_text(_mask_numbers_in_text(text, char), char)
        left = D.detect_series(text, names="context")
        left = left.filter(pl.col("kind") != "cn_uscc")
        if left.height == 0:
            break
    changed = pl.DataFrame({"a": text, "b": D.as_text(original)}).select(pl.col("a") != pl.col("b")).to_series().fill_null(False)
    return pl.DataFrame({"t": text, "o": original, "c": changed}).select(
        pl.when(pl.col("c")).then(pl.col("t")).otherwise(pl.col("o")).alias(name)).to_series()


# ---------------------------------------------------------------------------------------------
# pseudonymize
# ---------------------------------------------------------------------------------------------

_HEX_TO_LETTER = np.zeros(256, dtype=np.uint8)
_HEX_TO_LETTER[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.frombuffer(b"abcdefghijklmnop", dtype=np.uint8)


_NUMBER_LIKE = ("cn_resident_id", "cn_mobile", "cn_landline", "bank_card", "cn_uscc", "passport")


def canonical(series: pl.Series, kind: str | None) -> pl.Series:
    """The value as hashed: normalized, separators removed for numbers, ``x`` → ``X``, no +86/0086."""
    if kind in _NUMBER_LIKE:  # compiled, one pass, when every character is ASCII once normalized
        offsets, data = CK.buffers(series)
        if series.dtype == pl.Utf8 and _scan.already_canonical(offsets, data, kind == "cn_mobile"):
            return series  # card and ID numbers as printed: no copy
        done = _scan.canonical_numbers(offsets, data, kind == "cn_mobile")
        if done is not None:
            return CK.strings(done[0], done[1], series.name, nulls_from=series)
    return canonical_polars(series, kind)


def canonical_polars(series: pl.Series, kind: str | None) -> pl.Series:
    """``canonical`` as polars expressions (any text; Unicode case mapping)."""
    t = _text(series).to_frame("s")
    c = pl.col("s").str.strip_chars()
    if kind in _NUMBER_LIKE:
        # each rewrite only when some value needs it (whole-column checks are ~10× cheaper)
        need = t.select(sep=pl.col("s").str.contains(r"[ \-()+]").any(), low=pl.col("s").str.contains("[a-z]").any(),
                        long=(pl.col("s").str.len_bytes() > 11).any()).row(0)
        if need[0]:
            c = c.str.replace_all(r"[ \-()+]", "")
        if need[1]:
            c = c.str.to_uppercase()
        if kind == "cn_mobile" and (need[0] or need[2]):
            c = c.str.replace(r"^(?:0086|86)(1[3-9][0-9]{9})$", "${1}")
    elif kind == "email":
        c = c.str.to_lowercase()
    return t.select(c.alias(series.name)).to_series()


def key_text(key: bytes | None, field: str, env: str = "KAIFANG_HMAC_KEY") -> str:
    """Check and convert the HMAC key (never printed). Missing or short → ConfigError."""
    if not key:
        raise ConfigError("pseudonymize needs an HMAC key and none was given", field=field,
                          fix=f"set the environment variable {env} to a secret of at least 16 bytes (never a default key)")
    if len(key) < 16:
        raise ConfigError("the HMAC key is shorter than 16 bytes", field=field,
                          fix=f"set {env} to a longer random secret, e.g. `openssl rand -hex 32`")
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return key.hex()


def hmac_hex(series: pl.Series, key: str) -> pl.Series:
    """HMAC-SHA256 hex digest per value (compiled: polars-hash)."""
    import polars_hash  # noqa: F401 — registers the .chash namespace

    return series.to_frame("s").select(pl.col("s").chash.hmac_sha256(key=key)).to_series()


def pseudonymize(series: pl.Series, params: dict[str, Any], *, kind: str | None, key: bytes | None, field: str) -> pl.Series:
    """``pseudonymize``: keyed HMAC-SHA256 of the canonical value, ``length`` (default 16, 8..64) letters
    ``a``–``p`` (hex digits spelled as letters, so a pseudonym never looks like a number)."""
    length = _int_param(params, "length", 16, field, 8, 64)
    k = key_text(key, field)
    values = canonical(series, kind)
    n = values.len()
    if _hmac is not None:  # compiled: two SHA-256 blocks per value, letters written directly
        raw = k.encode("utf-8")
        if len(raw) > 64:  # RFC 2104: a key longer than the block is hashed first
            import hashlib

            raw = hashlib.sha256(raw).digest()
        letters = _hmac.hmac_letters(*CK.buffers(values), raw, length)
    else:  # polars-hash: hex digit → letter (0→a … f→p) over the (n, 64) byte matrix of the digests
        offsets, data = CK.buffers(hmac_hex(values, k).fill_null("0" * 64))
        letters = _HEX_TO_LETTER[data[offsets[0]:offsets[-1]].reshape(n, 64)[:, :length]].reshape(-1)
    # the first ``length`` letters of each digest; nulls stay null
    return CK.strings(np.arange(0, (n + 1) * length, length, dtype=np.int64), letters, series.name, nulls_from=values)


# ---------------------------------------------------------------------------------------------
# surrogate
# ---------------------------------------------------------------------------------------------

_SURROGATE_KINDS = ("cn_resident_id", "cn_mobile", "bank_card", "person_name")
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚英华建国文辉玉萍红林俊峰婷雪梅琳晨宇浩然子涵欣怡佳豪思雨梓轩一诺"


def _rng(seed: bytes | None = None) -> np.random.Generator:
    """A fresh random generator; seeded (reproducible) when ``seed`` is given."""
    if seed is None:
        return np.random.default_rng(secrets.randbits(128))
    return np.random.default_rng(int.from_bytes(seed[:16], "big"))


def _surrogate_seed(series: pl.Series, key: bytes | None, field: str) -> bytes | None:
    """With a key, surrogates are a keyed function of the column's content: the same input and key
    give the same surrogates (so an unchanged dataset stays "up to date"), and without the key the
    draw cannot be replayed. Without a key they are random on every run."""
    if not key:
        return None
    import hashlib
    import hmac

    content = series.cast(pl.Utf8).hash(seed=0).to_numpy()  # hashed through the buffer protocol: no bytes copy
    return hmac.new(key, field.encode() + b"\0" + hashlib.sha256(content).digest(), hashlib.sha256).digest()


def _digits_str(arr: np.ndarray, width: int) -> pl.Series:
    return pl.Series(arr.astype(np.int64)).cast(pl.Utf8).str.zfill(width)


def in_set(values: pl.Series, pool: pl.Series) -> pl.Series:
    """Boolean per value: equal to some non-null value of ``pool`` (nulls → False). 64-bit hashes find
    the candidates, an exact comparison confirms them (3–4× faster than ``is_in`` on strings)."""
    if values.len() == 0 or pool.len() == 0:
        return pl.Series(values.name, [False] * values.len(), dtype=pl.Boolean)
    pool = pool.drop_nulls()
    hv, hp = values.hash(seed=7), pool.hash(seed=7)
    candidates = pl.Series(_methods.u64_in_pool(hv.to_numpy(), hp.to_numpy()))
    if values.has_nulls():
        candidates = candidates & values.is_not_null()
    idx = candidates.arg_true()
    if idx.len() == 0:
        return candidates
    # the exact test against the pool values sharing a candidate's hash only (not the whole pool)
    near = pool.filter(hp.is_in(hv.gather(idx).implode()))
    exact = values.gather(idx).is_in(near.implode()).fill_null(False)
    return candidates.scatter(idx.filter(~exact), False)


def surrogate(series: pl.Series, params: dict[str, Any], *, kind: str | None, field: str, key: bytes | None = None) -> pl.Series:
    """``surrogate``: a random fake of the same kind that passes its checksum and equals no original value.
    ID: ``keep_region`` (default true), ``keep_birth_year`` (default true); mobile: ``keep_prefix``
    (default 3); card: ``keep_bin`` (default 6); person_name: random surname + given name."""
    if kind not in _SURROGATE_KINDS:
        raise ConfigError(f"surrogate supports pii kinds {', '.join(_SURROGATE_KINDS)}", field=field, key="pii",
                          fix="set \"pii\" to one of them, or use mask/pseudonymize for this field")
    n = series.len()
    orig = canonical(series, kind)
    rng = _rng(_surrogate_seed(series, key, field))
    out = pl.concat([_surrogate_once(orig.slice(start, CHUNK_ROWS), kind, params, rng, field)
                     for start in range(0, max(n, 1), CHUNK_ROWS)])  # bounded working memory
    # never equal to the original — nor to any other original value of the column: redraw those rows
    again = in_set(out, orig).arg_true()
    for _ in range(10):
        if again.len() == 0:
            break
        redo = _surrogate_once(orig.gather(again), kind, params, rng, field)
        out = out.scatter(again, redo)
        again = again.filter(in_set(redo, orig))
    if again.len():
        raise ConfigError("could not draw surrogates different from the originals", field=field,
                          fix="widen the surrogate (e.g. keep_region: false)")
    if n == 0:
        return pl.Series(series.name, [], dtype=pl.Utf8)
    if not series.has_nulls():  # nothing to blank: no second copy of the column
        return out.alias(series.name)
    return pl.select(pl.when(pl.lit(series).is_null()).then(None).otherwise(pl.lit(out)).alias(series.name)).to_series()


def _surrogate_once(orig: pl.Series, kind: str, params: dict, rng: np.random.Generator, field: str) -> pl.Series:
    n = orig.len()
    o = pl.col("o")
    df = pl.DataFrame({"o": orig})
    if kind == "cn_resident_id":
        keep_region = params.get("keep_region", True)
        keep_year = params.get("keep_birth_year", True)
        regions = pl.Series(np.array(["110101", "310101", "440106", "510104", "330102", "420102", "320102", "370102"])[
            rng.integers(0, 8, n)])
        years = _digits_str(rng.integers(1940, 2006, n), 4)
        df = df.with_columns(
            region=pl.when(pl.lit(bool(keep_region)) & o.str.contains(r"^[1-9][0-9]{5}")).then(o.str.slice(0, 6)).otherwise(pl.lit(regions)),
            year=pl.when(pl.lit(bool(keep_year)) & o.str.slice(6, 4).str.contains(r"^(?:19|20)[0-9]{2}$")).then(o.str.slice(6, 4)).otherwise(pl.lit(years)),
            md=pl.lit(_digits_str(rng.integers(1, 13, n), 2)) + pl.lit(_digits_str(rng.integers(1, 29, n), 2)),
            seq=pl.lit(_digits_str(rng.integers(0, 1000, n), 3)),
        ).select(first17=pl.concat_str(["region", "year", "md", "seq"]))
        return df.select(pl.col("first17") + pl.lit(CK.id18_check_char(df.get_column("first17")))).to_series()
    if kind == "cn_mobile":
        kp = _int_param(params, "keep_prefix", 3, field, 0, 3)
        prefix = pl.Series(np.array(["138", "139", "150", "186", "177", "135"])[rng.integers(0, 6, n)])
        df = df.with_columns(p=pl.when(o.str.contains(D.MOBILE_RE) & pl.lit(kp == 3)).then(o.str.slice(0, 3)).otherwise(pl.lit(prefix)))
        return df.select(pl.col("p") + pl.lit(_digits_str(rng.integers(0, 10**8, n), 8))).to_series()
    if kind == "bank_card":
        kb = _int_param(params, "keep_bin", 6, field, 0, 6)
        # the original's length (16..19) and BIN when it is a card number (else 622202), random digits,
        # the Luhn check digit: compiled, one pass
        digits = _methods.random_digits(rng.integers(0, 2**64 - 1, size=(n, 2), dtype=np.uint64, endpoint=True))
        offsets, data = CK.buffers(orig)
        return CK.strings(*_methods.card_surrogates(offsets, data, digits, kb))
    # person_name
    surnames = np.array(list(SINGLE_SURNAMES[:100]))
    given = np.array(list(_GIVEN))
    two = rng.random(n) < 0.6
    g = given[rng.integers(0, len(given), n)]
    g2 = np.where(two, given[rng.integers(0, len(given), n)], "")
    return pl.Series(np.char.add(np.char.add(surnames[rng.integers(0, len(surnames), n)], g), g2))


# ---------------------------------------------------------------------------------------------
# generalize
# ---------------------------------------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")
ADDRESS_MARKERS = (("省", "自治区", "特别行政区"), ("市", "自治州", "盟", "地区"), ("区", "县", "旗", "市"))
"""Markers ending the province, city and district parts of an address, tried in this order."""
ADDRESS_LEVELS_RE = "^" + "".join(f"(.*?(?:{'|'.join(level)}))?" for level in ADDRESS_MARKERS)
"""The three parts as one regular expression (the reference for ``address_prefix``)."""


@cache
def _marker_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(markers as 0-padded code points, their level, BMP code point → bit per level a marker starts with it)."""
    rows = [(level, word) for level, words in enumerate(ADDRESS_MARKERS, start=1) for word in words]
    table = np.zeros((len(rows), max(len(w) for _, w in rows)), dtype=np.int32)
    first = np.zeros(0x10000, dtype=np.uint8)
    for i, (level, word) in enumerate(rows):
        table[i, :len(word)] = [ord(ch) for ch in word]
        first[ord(word[0])] |= 1 << level
    return table, np.array([level for level, _ in rows], dtype=np.int32), first


def address_prefix(text: pl.Series, to: str) -> pl.Series:
    """The stripped address cut after its district (``to="district"``), city, or province part — the
    groups of ``ADDRESS_LEVELS_RE`` joined up to that part (province: the city when no province
    part); null when that part is absent. Compiled, one pass."""
    offsets, data = CK.buffers(text)
    off, out, found = _methods.address_prefixes(offsets, data, *_marker_table(), {"district": 3, "city": 2, "province": 0}[to])
    return CK.strings(off, out, text.name, nulls_from=text, valid=found)


def _as_date(series: pl.Series) -> pl.Expr:
    c = pl.col("s")
    if series.dtype == pl.Date:
        return c
    if series.dtype == pl.Datetime:
        return c.dt.date()
    t = c.cast(pl.Utf8).str.strip_chars()
    return pl.coalesce([t.str.to_date(f, strict=False) for f in _DATE_FORMATS])


def _as_number(series: pl.Series) -> pl.Expr:
    c = pl.col("s")
    if series.dtype.is_numeric():
        return c.cast(pl.Float64)
    return c.cast(pl.Utf8).str.strip_chars().str.replace_all(",", "").cast(pl.Float64, strict=False)


def _fmt_num(e: pl.Expr) -> pl.Expr:
    return pl.when(e == e.round(0)).then(e.cast(pl.Int64).cast(pl.Utf8)).otherwise(e.cast(pl.Utf8))


def generalize(series: pl.Series, params: dict[str, Any], *, kind: str | None, field: str) -> pl.Series:
    """``generalize``: ``to`` = month | year | decade | age_band (``band`` 10, ``as_of`` ISO date) |
    district | city | province (addresses or region codes) | prefix (``length``) | range (``width``) |
    round (``base``). Values that cannot be generalized become null (suppressed)."""
    to = params.get("to")
    df = series.to_frame("s")
    c = pl.col("s")
    if to in ("month", "year", "decade"):
        d = _as_date(series)
        out = {"month": d.dt.strftime("%Y-%m"), "year": d.dt.year().cast(pl.Utf8),
               "decade": pl.concat_str([(d.dt.year() // 10 * 10).cast(pl.Utf8), pl.lit("s")])}[to]
    elif to == "age_band":
        band = _int_param(params, "band", 10, field, 1, 100)
        as_of = params.get("as_of") or _dt.date.today().isoformat()
        try:
            ref = _dt.date.fromisoformat(str(as_of))
        except ValueError:
            raise ConfigError("age_band as_of must be an ISO date", field=field, key="desensitize.as_of",
                              fix="write e.g. \"as_of\": \"2024-12-31\"") from None
        d = _as_date(series)
        age = (pl.lit(ref.year) - d.dt.year() - ((pl.lit(ref.month * 100 + ref.day) < d.dt.month().cast(pl.Int32) * 100 + d.dt.day()).cast(pl.Int32)))
        lo = age // band * band
        out = pl.when(age >= 0).then(pl.concat_str([lo.cast(pl.Utf8), pl.lit("-"), (lo + band - 1).cast(pl.Utf8)]))
    elif to in ("district", "city", "province"):
        addr = address_prefix(D.as_text(series), to).alias(series.name)
        # region codes among the addresses: only then the stripped copy of the column and the cut codes
        if not series.dtype == pl.Utf8 or series.str.contains(r"^\s*[1-9][0-9]{5}(?:[0-9]{3}|[0-9]{6})?\s*$").any():
            t = c.cast(pl.Utf8).str.strip_chars()
            is_code = t.str.contains(r"^[1-9][0-9]{5}(?:[0-9]{3}|[0-9]{6})?$")
            code = {"district": t.str.slice(0, 6), "city": t.str.slice(0, 4) + "00", "province": t.str.slice(0, 2) + "0000"}[to]
            df = df.with_columns(addr=addr)
            out = pl.when(is_code).then(code).otherwise(pl.col("addr"))
        else:
            return addr
    elif to == "prefix":
        ln = _int_param(params, "length", 3, field, 1, 64)
        out = c.cast(pl.Utf8).str.slice(0, ln)
    elif to in ("range", "round"):
        x = _as_number(series)
        if to == "range":
            width = params.get("width", 10)
            if not isinstance(width, (int, float)) or width <= 0:
                raise ConfigError("range width must be a positive number", field=field, key="desensitize.width", fix="set \"width\": 1000")
            lo = (x / width).floor() * width
            out = pl.concat_str([_fmt_num(lo), pl.lit("-"), _fmt_num(lo + width)])
        else:
            base = params.get("base", 10)
            if not isinstance(base, (int, float)) or base <= 0:
                raise ConfigError("round base must be a positive number", field=field, key="desensitize.base", fix="set \"base\": 100")
            out = _fmt_num((x / base).round(0) * base)
    else:
        raise ConfigError(f"unknown generalize target {to!r}", field=field, key="desensitize.to",
                          fix="use month, year, decade, age_band, district, city, province, prefix, range or round")
    return df.select(out.alias(series.name)).to_series()


def suppress(series: pl.Series) -> pl.Series:
    """``suppress``: every value becomes null (the column stays)."""
    return pl.Series(series.name, [None] * series.len(), dtype=series.dtype if series.dtype != pl.Null else pl.Utf8)


def apply_method(series: pl.Series, method: str, params: dict[str, Any], *, kind: str | None, key: bytes | None,
                 field: str) -> pl.Series | None:
    """Dispatch one field's declared method. ``drop`` → None; ``keep`` → unchanged. Methods that are a
    function of the value alone run once per distinct value when values repeat (same result)."""
    if method in _PER_VALUE and series.len() > 1000 and D.mostly_repeated(series):
        distinct = series.unique()
        new = _apply_method(distinct, method, params, kind=kind, key=key, field=field)
        if new.dtype == series.dtype:  # templated remarks: most values come back unchanged
            changed = distinct.ne_missing(new)
            if not changed.any():
                return series
            if not (changed & distinct.is_null()).any():
                old = distinct.filter(changed)
                hit = series.is_in(old.implode()).fill_null(False)
                if int(hit.sum()) * 2 <= series.len():  # at most half of the rows change
                    return _replace_rows(series, hit, old, new.filter(changed))
        pairs = pl.DataFrame({"k": distinct, "v": new})
        return (series.to_frame("k").join(pairs, on="k", how="left", nulls_equal=True, maintain_order="left")
                .get_column("v").alias(series.name))
    if method in _PER_VALUE and series.len() > CHUNK_ROWS:  # bounded working memory on big columns
        return pl.concat([_apply_method(series.slice(start, CHUNK_ROWS), method, params, kind=kind, key=key, field=field)
                          for start in range(0, series.len(), CHUNK_ROWS)])
    return _apply_method(series, method, params, kind=kind, key=key, field=field)


def _replace_rows(series: pl.Series, hit: pl.Series, old: pl.Series, new: pl.Series) -> pl.Series:
    """``series`` with each value of ``old`` (distinct, not null; ``hit``: the rows holding one) replaced
    by ``new`` at the same position; only those rows are looked up (a join of every row would build
    two whole columns)."""
    rows = hit.arg_true()
    values = (series.gather(rows).to_frame("k").join(pl.DataFrame({"k": old, "v": new}), on="k", how="left", maintain_order="left")
              .get_column("v"))
    return series.clone().scatter(rows, values)  # a clone: the caller's Series object stays as it was


_PER_VALUE = {"mask", "generalize", "pseudonymize"}
CHUNK_ROWS = 250_000
"""Per-value methods work on slices of this many rows (their intermediates — digests, parsed
address levels — are several times the column's size)."""


def _apply_method(series: pl.Series, method: str, params: dict[str, Any], *, kind: str | None, key: bytes | None,
                  field: str) -> pl.Series | None:
    if method == "mask":
        return mask(series, params, kind=kind, field=field)
    if method == "pseudonymize":
        return pseudonymize(series, params, kind=kind, key=key, field=field)
    if method == "surrogate":
        return surrogate(series, params, kind=kind, field=field, key=key)
    if method == "generalize":
        return generalize(series, params, kind=kind, field=field)
    if method == "suppress":
        return suppress(series)
    if method == "drop":
        return None
    if method == "keep":
        return series
    raise ConfigError(f"unknown desensitize method {method!r}", field=field, key="desensitize.method",
                      fix="use mask, pseudonymize, surrogate, generalize, suppress, drop or keep")
