"""Vectorized, validating detectors for Chinese identifiers, in whole cells and inside free text.

Everything here works on whole columns: no Python loop over rows. A compiled pass over the Arrow
buffers (``cellscan``, ``_scan.pyx``) flags the cells each detector could match and validates a
cell's only number candidate; polars expressions do the rest on the flagged cells.

* Numbers (resident ID, mobile, landline, bank card, all-digit USCC) — the text is normalized
  (full-width digits/letters/punctuation → ASCII, one character for one), a cell whose only
  candidate is the whole cell or its single digit run is validated by the compiled scan (same rules
  as ``number_kinds``); otherwise it is cut into *number tokens* (digit runs
  joined by single spaces, dashes or ``)``), each token into *groups* (maximal digit runs), and
  every run of 1–5 consecutive groups is a candidate *span* validated by check digit / date /
  prefix rules. Spans are bounded by non-digits, so ``订单20231105 13800138000`` finds the mobile.
* Patterns (e-mail, USCC with letters, passports and permits, IPv4, licence plates, detailed
  addresses, names after context words such as 联系人) are regular expressions with validation.
* Person names in whole cells are a column-level decision (header hint or a column of name-shaped
  values), see ``scan_frame``.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from kaifang.errors import SourceError
from pipelines.privacy import _scan
from pipelines.privacy import cellscan as CS
from pipelines.privacy import checksums as CK
from pipelines.privacy.kinds import (
    COMPOUND_SURNAMES, MAX_ROWS, NAME_CONTEXT_WORDS, NAME_HEADER_HINTS, PERSONAL_KINDS, PROVINCE_PREFIXES,
    SINGLE_SURNAMES, Finding,
)

# ---------------------------------------------------------------------------------------------
# Normalization (one character → one character, so masked text keeps its shape)
# ---------------------------------------------------------------------------------------------

_FW_FROM = [chr(0xFF10 + i) for i in range(10)] + [chr(0xFF21 + i) for i in range(26)] + [chr(0xFF41 + i) for i in range(26)]
_FW_TO = [str(i) for i in range(10)] + [chr(65 + i) for i in range(26)] + [chr(97 + i) for i in range(26)]
_FW_FROM += ["－", "＋", "\u3000", "（", "）", "＠", "．", "‐", "‑", "–", "—"]
_FW_TO += ["-", "+", " ", "(", ")", "@", ".", "-", "-", "-", "-"]
_NEEDS_NORMALIZING = r"[\x{3000}\x{FF01}-\x{FF5E}\x{2010}-\x{2014}]"


def normalize(expr: pl.Expr) -> pl.Expr:
    """Full-width digits, letters, ``－＋（）＠．``, ideographic space and dash variants → ASCII (1:1)."""
    return expr.str.replace_many(_FW_FROM, _FW_TO)


def as_text(series: pl.Series) -> pl.Series:
    """The column as normalized text (typed columns are cast to Utf8 first)."""
    s = series if series.dtype == pl.Utf8 else series.cast(pl.Utf8)
    if s.len() and _scan.any_normalizable(CK.buffers(s)[1]):  # a compiled byte scan for _NEEDS_NORMALIZING
        s = s.to_frame("s").select(normalize(pl.col("s"))).to_series()
    return s


# ---------------------------------------------------------------------------------------------
# Number validators (expressions over a Utf8 column of digits, maybe a trailing X)
# ---------------------------------------------------------------------------------------------

_MOBILE_BODY = r"1(?:3[0-9]|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8[0-9]|9[0-35-9])[0-9]{8}"
MOBILE_RE = rf"^(?:86|0086)?{_MOBILE_BODY}$"
LANDLINE_RE = r"^0(?:10|2[0-9])[2-9][0-9]{6,7}$|^0[3-9][0-9]{2}[2-9][0-9]{6,7}$"
CARD_PREFIX_RE = (
    r"^(?:62[0-9]{14,17}|4[0-9]{12}(?:[0-9]{3}){0,2}|5[1-5][0-9]{14}|2[2-7][0-9]{14}|3[47][0-9]{13}"
    r"|35[0-9]{14,17}|3(?:0[0-5]|[68][0-9])[0-9]{11,13}|6(?:0|5|4[4-9])[0-9]{14,17}|9[0-9]{18})$"
)
USCC_ALPHABET = CK.USCC_ALPHABET
_USCC_RE = (r"^[1-9A-GY][1-9][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
ID_SHAPE_RE = r"^[1-9][0-9]{14}(?:[0-9]{2}[0-9Xx])?$"


def _valid_date(ymd: pl.Expr, lo: int = 1900) -> pl.Expr:
    d = ymd.str.to_date("%Y%m%d", strict=False)
    return d.is_not_null() & (d.dt.year() >= lo) & (d <= pl.lit(_dt.date.today()))


# Check characters are computed with numpy (pipelines.privacy.checksums) on the rows that passed a
# kind's shape regex, and joined to the expression rules as a boolean column.


def _id18_rules(d: pl.Expr) -> pl.Expr:
    """GB 11643 18-character ID without its check character: shape, province prefix, birth date 1900..today."""
    return d.str.contains(r"^[1-9][0-9]{16}[0-9Xx]$") & d.str.slice(0, 2).is_in(PROVINCE_PREFIXES) & _valid_date(d.str.slice(6, 8))


def is_id15(d: pl.Expr) -> pl.Expr:
    """Legacy 15-digit ID: province prefix and a valid 19YYMMDD birth date (no check character)."""
    return (
        d.str.contains(r"^[1-9][0-9]{14}$")
        & d.str.slice(0, 2).is_in(PROVINCE_PREFIXES)
        & _valid_date(pl.lit("19") + d.str.slice(6, 6))
    ).fill_null(False)


def id_shaped18(d: pl.Expr) -> pl.Expr:
    """18 digits with a province prefix and a calendar-valid birth date 1800–2099 (an ID, maybe with a
    wrong check character or an impossible year): not reported as a bank card."""
    date = d.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    return ((d.str.len_bytes() == 18) & d.str.slice(0, 2).is_in(PROVINCE_PREFIXES) & date.is_not_null()
            & date.dt.year().is_between(1800, 2099))


def uscc_valid(values: pl.Series) -> pl.Series:
    """GB 32100 unified social credit code: 18 characters of the 31-character alphabet, region, MOD 31 check."""
    shaped = values.str.contains(_USCC_RE).fill_null(False)
    out = np.zeros(values.len(), dtype=bool)
    idx = shaped.arg_true()
    if idx.len():
        sub = values.gather(idx)
        ok = sub.str.slice(2, 2).is_in(PROVINCE_PREFIXES).fill_null(False).to_numpy() & CK.uscc_check_ok(sub)
        out[idx.to_numpy()] = ok
    return pl.Series(values.name, out)


KIND_PRIORITY = ("cn_resident_id", "bank_card", "cn_uscc", "cn_mobile", "cn_landline")
"""When one candidate number validates as several kinds, the first in this order wins (each candidate
gets at most one kind: mobiles/landlines cannot overlap the others by length and prefix)."""


def number_kinds(frame: pl.DataFrame | pl.LazyFrame, col: str, skip: frozenset[str] | set[str] = frozenset()) -> pl.DataFrame:
    """Rows of ``frame`` whose ``col`` (digits, maybe a trailing X) validates, with a ``kind`` column.

    Eager on purpose: each validator runs only on the rows passing that kind's cheap shape regex
    (a column of mobiles never pays for ID dates or Luhn sums). ``skip``: kinds not to report
    (verification of a surrogate column: its own kind is expected there).
    """
    df = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    empty = df.clear().with_columns(kind=pl.lit(None, dtype=pl.Utf8))
    if df.height == 0:
        return empty
    c = pl.col(col)
    n = c.str.len_bytes()
    df = df.with_columns(_n=n, _k=pl.int_range(pl.len(), dtype=pl.UInt32))

    def shaped(lengths: tuple[int, ...], rx: str) -> pl.DataFrame:
        # the integer length test first, the regular expression only on the rows of a possible length
        sub = df.filter(pl.col("_n").is_in(lengths))
        return sub.filter(c.str.contains(rx).fill_null(False)) if sub.height else sub

    parts = []
    ids = shaped((15, 18), ID_SHAPE_RE)
    if ids.height:
        ids = ids.with_columns(_ck=pl.Series(CK.id18_check_ok(ids.get_column(col))))
        ok = pl.when(n == 18).then(_id18_rules(c) & pl.col("_ck")).otherwise(is_id15(c)).fill_null(False)
        parts.append(ids.filter(ok).drop("_ck").with_columns(kind=pl.lit("cn_resident_id")))
    # a trailing X that is not an ID's check character is not part of the number ("13800138000x"):
    # the other kinds also look at the candidate without it
    tail_x = df.filter(c.str.ends_with("X") | c.str.ends_with("x"))
    if parts:
        tail_x = tail_x.join(parts[0].select("_k"), on="_k", how="anti")
    if tail_x.height:
        df = pl.concat([df, tail_x.with_columns(c.str.slice(0, pl.col("_n") - 1), _n=pl.col("_n") - 1)])
    cards = shaped(tuple(range(13, 20)), CARD_PREFIX_RE) if "bank_card" not in skip else df.clear()
    if cards.height:
        cards = cards.filter(pl.Series(CK.luhn_valid(cards.get_column(col))))
        # card-shaped numbers 15/18 long give way to IDs and ID look-alikes; an all-digit 18-character
        # code valid both as card and as USCC is reported as a card (personal: the safe side)
        cond = (pl.when(n == 15).then(~is_id15(c)).when(n == 18).then(~id_shaped18(c)).otherwise(True))
        parts.append(cards.filter(cond).with_columns(kind=pl.lit("bank_card")))
    usccs = shaped((18,), _USCC_RE)
    if usccs.height:
        usccs = usccs.filter(uscc_valid(usccs.get_column(col)))
    if usccs.height:
        values = usccs.get_column(col)
        usccs = usccs.with_columns(_ck=pl.Series(CK.id18_check_ok(values)), _lu=pl.Series(CK.luhn_valid(values)))
        card = c.str.contains(CARD_PREFIX_RE) & pl.col("_lu") & ~id_shaped18(c)
        cond = ~(_id18_rules(c) & pl.col("_ck")).fill_null(False) & ~card.fill_null(False)
        parts.append(usccs.filter(cond).drop("_ck", "_lu").with_columns(kind=pl.lit("cn_uscc")))
    parts.append(shaped((11, 13, 15), MOBILE_RE).with_columns(kind=pl.lit("cn_mobile")))
    parts.append(shaped((10, 11, 12), LANDLINE_RE).with_columns(kind=pl.lit("cn_landline")))
    parts = [p.drop("_n", "_k") for p in parts if p.height]
    out = pl.concat(parts) if parts else empty
    return out.filter(~pl.col("kind").is_in(list(skip))) if skip else out


def number_kind_series(values: pl.Series) -> pl.Series:
    """Kind (or null) of each candidate number in ``values`` — convenience for tests and surrogates."""
    df = pl.DataFrame({"cand": values.cast(pl.Utf8)}).with_row_index("_i")
    hits = number_kinds(df, "cand").select("_i", "kind").unique("_i", keep="first", maintain_order=True)  # KIND_PRIORITY
    return df.join(hits, on="_i", how="left").sort("_i").get_column("kind")


# ---------------------------------------------------------------------------------------------
# Number spans inside text
# ---------------------------------------------------------------------------------------------

SEP = r"[ \-)]"
TOKEN_RE = rf"[0-9](?:{SEP}?[0-9])*[Xx]?"
PIECE_RE = rf"{TOKEN_RE}|[^0-9]+"
GROUP_RE = rf"[0-9]+[Xx]?{SEP}?"
MAX_GROUPS = 5


def _groups(tokens: pl.DataFrame) -> pl.DataFrame:
    """``tokens(tok, text)`` → one row per group: tok, g (index), raw (digits+sep), digits."""
    return (
        tokens.lazy()
        .select("tok", raw=pl.col("text").str.extract_all(GROUP_RE))
        .with_columns(g=pl.int_ranges(0, pl.col("raw").list.len()), ng=pl.col("raw").list.len())
        .explode("raw", "g")
        .with_columns(digits=pl.col("raw").str.replace(rf"{SEP}$", ""))
        .collect()
    )


# A span of several groups must be the whole token, or be written in its kind's usual grouping and
# sit at an end of the token (cards: at the end) — so fragments of longer grouped numbers
# (vouchers, card numbers) are not read as mobiles or landlines.
_SHAPES = {
    "cn_mobile": r"^(?:3,4,4|2,3,4,4|4,3,4,4|2,11|4,11|2,3,8)$",
    "bank_card": r"^(?:4,){3,4}[1-4]$|^4,6,5$|^6,1[23]$",
    "cn_resident_id": r"^(?:6,8,4|6,6,3)$",
    "cn_landline": r"^[34],[78]$|^3,4,4$|^4,3,4$",
    "cn_uscc": r"^$",
}


_ends_x = (pl.col("cand").str.ends_with("X") | pl.col("cand").str.ends_with("x")).cast(pl.UInt32)


def _spans(groups: pl.DataFrame) -> pl.DataFrame:
    """Valid spans over consecutive groups of one token: tok, g0, L, kind, nd (digit count).
    Of overlapping valid spans only the longest is kept."""
    frames = []
    for L in range(1, MAX_GROUPS + 1):
        same = pl.lit(True)
        parts, lens = [], []
        for k in range(L):
            parts.append(pl.col("digits").shift(-k))
            lens.append(pl.col("digits").shift(-k).str.len_bytes().cast(pl.Utf8))
            if k:
                same = same & (pl.col("tok").shift(-k) == pl.col("tok"))
        frames.append(
            groups.lazy()
            .select("tok", "ng", g0="g", L=pl.lit(L, dtype=pl.Int64), cand=pl.concat_str(parts),
                    shape=pl.concat_str(lens, separator=","), same=same)
            .filter(pl.col("same").fill_null(False) & (pl.col("cand").str.len_bytes() - _ends_x).is_between(10, 19)
                    & ~pl.col("cand").str.slice(0, pl.col("cand").str.len_bytes() - 1).str.contains("[Xx]"))
        )
    shape_ok = pl.lit(False)
    for kind, rx in _SHAPES.items():
        shape_ok = shape_ok | ((pl.col("kind") == kind) & pl.col("shape").str.contains(rx))
    at_end = (pl.col("g0") + pl.col("L")) == pl.col("ng")
    at_start = pl.col("g0") == 0
    edge_ok = pl.when(pl.col("kind") == "bank_card").then(at_end).otherwise(at_end | at_start)
    valid = (
        number_kinds(pl.concat(frames).collect(), "cand")
        .filter((pl.col("L") == 1) | (at_start & at_end) | (shape_ok & edge_ok))
        .with_columns(nd=pl.col("cand").str.len_bytes().cast(pl.Int64), g0=pl.col("g0").cast(pl.Int64))
        .select("tok", "g0", "L", "kind", "nd")
    )
    if valid.height < 2:
        return valid
    valid = valid.with_row_index("sid")
    pairs = valid.join(valid, on="tok", suffix="_o").filter(
        (pl.col("sid") != pl.col("sid_o"))
        & (pl.col("g0") < pl.col("g0_o") + pl.col("L_o")) & (pl.col("g0_o") < pl.col("g0") + pl.col("L"))
        & ((pl.col("nd_o") > pl.col("nd")) | ((pl.col("nd_o") == pl.col("nd")) & (pl.col("sid_o") < pl.col("sid")))))
    return valid.join(pairs.select("sid").unique(), on="sid", how="anti").drop("sid")


def number_hits(text: pl.Series, scanned: tuple[np.ndarray, np.ndarray] | None = None) -> pl.DataFrame:
    """(row, kind) for every validated number in a Utf8 column. The compiled scan (``cellscan``)
    validates a cell's only candidate (the whole cell, or its single digit run); cells with several
    number tokens go through the token path here."""
    flags, kinds = scanned if scanned is not None else cell_scan(text)
    out = [pl.DataFrame(schema={"row": pl.UInt32, "kind": pl.Utf8})]
    for kind, bit in CS.KIND_BITS.items():
        rows = np.flatnonzero(kinds & bit)
        if rows.size:
            out.append(pl.DataFrame({"row": rows.astype(np.uint32), "kind": pl.repeat(kind, rows.size, eager=True)}))
    rest = np.flatnonzero(flags & CS.F_TOKEN)
    if rest.size:
        out.append(token_hits(text, rest))
    return pl.concat(out)


def token_hits(text: pl.Series, rows: np.ndarray) -> pl.DataFrame:
    """(row, kind) of the validated numbers in ``text[rows]``: every number token cut into groups, every
    run of 1–5 groups a candidate span (the general path; any cell gives the same result here)."""
    tokens = (pl.DataFrame({"row": rows.astype(np.uint32), "s": as_text(text.gather(rows))})
              .select("row", text=pl.col("s").str.extract_all(TOKEN_RE)).explode("text")
              .filter(pl.col("text").str.len_bytes() >= 10).with_row_index("tok"))
    if tokens.height == 0:
        return pl.DataFrame(schema={"row": pl.UInt32, "kind": pl.Utf8})
    spans = _spans(_groups(tokens.select("tok", "text")))
    return spans.join(tokens.select("tok", "row"), on="tok").select("row", "kind").unique()


# ---------------------------------------------------------------------------------------------
# Pattern detectors
# ---------------------------------------------------------------------------------------------

_HAN = r"\p{Han}"
SURNAME_RE = "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + SINGLE_SURNAMES + "])"
_NOT_GIVEN = "电手身先女同等的在于已和及与为是户住地址号码性别年龄联系办理领取申请身份证件息签字未待补数人"
GIVEN_RE = rf"[{_HAN}--[{_NOT_GIVEN}]]"
NAME_CELL_RE = rf"^\s*{SURNAME_RE}{GIVEN_RE}{{1,2}}\s*$"
_NAME_STOP_SUFFIX = r"(?:省|市|区|县|镇|乡|村|路|街|局|院|所|站|部|处|科|厅|委|会|司|厂|店|组|队|类|型|费|险|款|额|期)$"
NAME_CONTEXT_RE = rf"(?:{'|'.join(NAME_CONTEXT_WORDS)})(?:[:：]|为|是)?\s*{SURNAME_RE}{GIVEN_RE}{{1,2}}"
EMAIL_RE = r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
IP_RE = rf"(?:^|[^0-9A-Za-z.]){_OCTET}(?:\.{_OCTET}){{3}}(?:$|[^0-9.])"
_H16 = "[0-9A-Fa-f]{1,4}"
IPV6_BODY = (rf"(?:{_H16}:){{7}}{_H16}|(?:{_H16}:){{1,6}}(?::{_H16}){{1,6}}|(?:{_H16}:){{2,7}}:|::(?:{_H16}:){{1,6}}{_H16}"
             rf"|::ffff:{_OCTET}(?:\.{_OCTET}){{3}}")
IPV6_RE = rf"(?:^|[^0-9A-Za-z:])(?:{IPV6_BODY})(?:$|[^0-9A-Za-z:.])"
"""IPv6: eight groups, or ``::`` with at least two groups (``fe80::1``, ``2001:db8::8a2e:370:7334``)."""
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_RE = rf"[{PLATE_PROVINCES}][A-HJ-NP-Z][·•]?[A-HJ-NP-Z0-9]{{4,5}}[0-9DF](?:$|[^A-Za-z0-9])"
PASSPORT_RE = (r"^(?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}|[DSP][0-9]{7,8}|[CW][0-9]{8}|C[A-HJ-NP-Z][0-9]{7}"
               r"|[HM][0-9]{8}(?:[0-9]{2})?)$")
ALNUM_RUN_RE = r"[A-Za-z0-9]+"
_PERMIT_WORDS = "台胞证|台湾居民来往大陆通行证|台湾通行证|护照|旅行证"
PERMIT_CONTEXT_RE = (rf"(?:{_PERMIT_WORDS})(?:号码|号)?(?:[:：]|为|是)?\s*"
                     r"(?:[0-9]{8}|[0-9]{10}(?:\([A-Z]\))?|[A-Z]{1,2}[0-9]{6,9}|[0-9]{6,9}[A-Z]?)(?:$|[^A-Za-z0-9])")
"""Taiwan compatriot permits (8 digits, or 10 digits and a letter) and foreign passports (letters and
digits of any country's format) only after a context word: alone they are ordinary numbers."""
_CN_NUM = "0-9一二三四五六七八九十百零〇"
ADDRESS_RE = (rf"(?:路|街|巷|弄|胡同|道|村|里|苑|园|院|庄|屯|小区|社区|大厦|公寓|花园)[{_CN_NUM}]+(?:-[0-9]+)?"
              rf"(?:号|弄|栋|幢|座|单元|室|组|楼)|[0-9]+(?:栋|幢|号楼|座)[0-9]+(?:单元)?(?:[0-9]+室)?")


ADDRESS_MARKS = "号弄栋幢座室组楼"
"""A detailed address (ADDRESS_RE) ends its number with one of these."""
_CHECKS = {
    # kind[/variant]: (cell flag from the compiled scan — a superset —, validating regular expression)
    "email": (CS.F_AT, EMAIL_RE),
    "ip_address": (CS.F_DOTS, IP_RE),
    "ip_address/v6": (CS.F_V6, IPV6_RE),
    # passports, permits and USCCs with letters are whole alphanumeric runs (see pattern_hits)
    "_runs": (CS.F_RUNS, None),
    "licence_plate": (CS.F_PLATE, PLATE_RE),
    "address": (CS.F_ADDR, ADDRESS_RE),
    "person_name": (CS.F_NAMECTX, NAME_CONTEXT_RE),
    "passport/context": (CS.F_PERMIT, PERMIT_CONTEXT_RE),
}
_ANY_CHECK = 0
for _bit, _ in _CHECKS.values():
    _ANY_CHECK |= _bit


def _class_table() -> np.ndarray:
    return CS.class_table(PLATE_PROVINCES, ADDRESS_MARKS, "".join(w[0] for w in NAME_CONTEXT_WORDS),
                          "".join(w[0] for w in _PERMIT_WORDS.split("|")))


def cell_scan(text: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(flags, number kinds) per cell from the compiled scan (see ``cellscan``)."""
    return CS.scan(text, _class_table(), PROVINCE_PREFIXES)


def pattern_hits(text: pl.Series, scanned: tuple[np.ndarray, np.ndarray] | None = None) -> pl.DataFrame:
    """(row, kind) for the regular-expression kinds in free text (names only after context words).

    The compiled scan flags the cells each kind could match; its regular expression then runs only
    on those (normalized) cells."""
    flags = (scanned if scanned is not None else cell_scan(text))[0]
    idx = np.flatnonzero(flags & _ANY_CHECK)
    parts = [pl.DataFrame(schema={"row": pl.UInt32, "kind": pl.Utf8})]
    if idx.size == 0:
        return parts[0]
    df = pl.DataFrame({"row": idx.astype(np.uint32), "s": as_text(text.gather(idx))})
    sub_flags = flags[idx]
    for check, (bit, rx) in _CHECKS.items():
        sel = (sub_flags & bit) != 0
        if not sel.any():
            continue
        sub = df.filter(pl.Series(sel))
        if rx is not None:
            parts.append(sub.filter(pl.col("s").str.contains(rx)).select("row", kind=pl.lit(check.split("/")[0])))
            continue
        runs = (sub.select("row", run=pl.col("s").str.extract_all(ALNUM_RUN_RE)).explode("run")
                .filter(pl.col("run").str.len_bytes().is_between(8, 18)))
        run = pl.col("run")
        parts.append(runs.filter(run.str.contains(PASSPORT_RE)).select("row", kind=pl.lit("passport")))
        lettered = runs.filter((run.str.len_bytes() == 18) & run.str.contains("[A-Z]")
                               & ~(run.str.contains(r"^[0-9]{17}X$") & id_shaped18(run)).fill_null(False))
        parts.append(lettered.filter(uscc_valid(lettered.get_column("run"))).select("row", kind=pl.lit("cn_uscc")))
    return pl.concat(parts)


def name_cells(text: pl.Series) -> pl.Series:
    """Boolean per row: the whole cell is name-shaped (surname + 1–2 given characters)."""
    shaped = text.str.contains(NAME_CELL_RE).fill_null(False)
    idx = shaped.arg_true()
    if idx.len():  # the stop-suffix test only on the name-shaped cells
        stop = text.gather(idx).str.strip_chars().str.contains(_NAME_STOP_SUFFIX)
        shaped = shaped.scatter(idx.filter(stop), False)
    return shaped


def header_hint(name: str) -> bool:
    """True when a column header names people (姓名, 联系人, 申请人 …)."""
    low = name.lower()
    return any(h in low for h in NAME_HEADER_HINTS)


def is_name_column(header: str, nonempty: int, named: int, distinct: int) -> bool:
    """Column-level person-name decision from ``nonempty`` cells, ``named`` name-shaped cells and their
    ``distinct`` values: header hint and ≥30 % name-shaped cells, or ≥80 % name-shaped cells with high
    cardinality (status words and categories are few and repeat)."""
    if nonempty == 0:
        return False
    share = named / nonempty
    if header_hint(header):
        return share >= 0.3
    if share < 0.8:
        return False
    return nonempty < 20 or distinct / max(1, named) >= 0.3


DEDUP_SAMPLE = 20_000
"""Scan distinct values instead of cells when at most half of the first ``DEDUP_SAMPLE`` candidate
cells are distinct (categories, dates, codes, templated remarks); the result is the same."""


def mostly_repeated(values: pl.Series) -> bool:
    """At most half of the first ``DEDUP_SAMPLE`` values are distinct (worth working on distinct values)."""
    sample = values.head(DEDUP_SAMPLE)
    return sample.len() >= 1000 and sample.n_unique() * 2 <= sample.len()


def detect_series(series: pl.Series, *, header: str = "", names: str = "auto",
                  skip: frozenset[str] | set[str] = frozenset(), distinct: bool | None = None) -> pl.DataFrame:
    """All (row, kind) detections in one column. ``names``: ``auto`` (column-level decision), ``cells``
    (every name-shaped cell counts), ``context`` (only names after context words). ``skip``: kinds not
    to report. ``distinct``: scan distinct values (default: decided from a sample; same result)."""
    # numbers and dates are grouped on their own values and only the distinct ones formatted as text
    # (formatting a million dates costs more than scanning them); other types are scanned as text
    key = series if series.dtype == pl.Utf8 or series.dtype.is_numeric() or series.dtype.is_temporal() else series.cast(pl.Utf8)
    empty = pl.DataFrame(schema={"row": pl.UInt32, "kind": pl.Utf8})
    grouped = distinct if distinct is not None else mostly_repeated(key)
    values = key.unique().to_frame("s") if grouped else key.to_frame("s")  # unique: a third of group_by's memory
    s = values.get_column("s")
    if s.dtype != pl.Utf8:
        s = s.cast(pl.Utf8)
    scanned = cell_scan(s)
    flags = scanned[0]
    # every detector needs a digit, an '@', a Han character or '::': cells without one are clean
    if not (flags & CS.F_MAY_HOLD).any():
        return empty
    parts = [number_hits(s, scanned), pattern_hits(s, scanned)]
    han = np.flatnonzero(flags & CS.F_HAN)
    if names != "context" and han.size:
        text = as_text(s.gather(han))
        shaped = name_cells(text).to_numpy()
        rows = han[shaped]
        if rows.size:
            found = names == "cells"  # every name-shaped cell counts; else a column-level decision
            if not found:
                raw = key if key.dtype == pl.Utf8 else key.cast(pl.Utf8)
                named = int(raw.is_in(s.gather(rows).implode()).sum()) if grouped else int(rows.size)  # rows, not values
                found = is_name_column(header, int(raw.str.strip_chars().ne("").sum()), named, text.filter(pl.Series(shaped)).n_unique())
            if found:
                parts.append(pl.DataFrame({"row": rows.astype(np.uint32), "kind": pl.repeat("person_name", rows.size, eager=True)}))
    hits = pl.concat([p.select(pl.col("row").cast(pl.UInt32), "kind") for p in parts])
    if skip:
        hits = hits.filter(~pl.col("kind").is_in(list(skip)))
    if hits.height == 0:
        return empty
    if not grouped:
        return hits
    found = pl.DataFrame({"s": values.get_column("s").gather(hits.get_column("row")), "kind": hits.get_column("kind")})
    return key.to_frame("s").with_row_index("row").join(found, on="s").select("row", "kind")


def findings_from_hits(field: str, hits: pl.DataFrame) -> list[Finding]:
    """Group (row, kind) hits into findings: count of rows, first ≤20 Frictionless row numbers."""
    if hits.height == 0:
        return []
    agg = (hits.lazy().group_by("kind").agg(count=pl.col("row").n_unique(),
                                             rows=(pl.col("row").unique().bottom_k(MAX_ROWS).sort() + 2).cast(pl.Int64))
           .sort("kind").collect())
    return [Finding(field, k, int(c), [int(r) for r in rows], personal=k in PERSONAL_KINDS)
            for k, c, rows in agg.iter_rows()]


def map_columns(fn, items: list) -> list:
    """Run ``fn`` over columns in threads (polars releases the GIL; columns are independent)."""
    if len(items) < 2:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(len(items), os.cpu_count() or 1)) as pool:
        return list(pool.map(fn, items))


def scannable(col: pl.Series) -> bool:
    """Columns that can hold identifiers (floats and booleans cannot)."""
    return not (col.dtype in (pl.Boolean, pl.Null) or col.dtype.is_float())


def scan_frame(frame: pl.DataFrame) -> list[Finding]:
    """Scan every column (any dtype) for every kind. Findings name field, kind, count, rows — never values."""
    names = [n for n in frame.columns if scannable(frame.get_column(n))]
    results = map_columns(lambda n: findings_from_hits(n, detect_series(frame.get_column(n), header=n)), names)
    return [f for fs in results for f in fs]


# ---------------------------------------------------------------------------------------------
# Files (CSV / XLSX) for `kaifang scan`
# ---------------------------------------------------------------------------------------------


def read_table(path: str | Path) -> pl.DataFrame:
    """Read a CSV (any common encoding) or XLSX sheet as all-Utf8 columns. Raises ``SourceError``."""
    path = Path(path)
    if not path.is_file():
        raise SourceError("file not found", file=path, fix="check the path")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raw = path.read_bytes()
    text = _decode(raw, path)
    try:
        return pl.read_csv(text.encode("utf-8"), infer_schema=False, truncate_ragged_lines=False)
    except Exception as exc:  # noqa: BLE001 — polars raises several types for malformed CSV
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise SourceError(f"not a readable CSV: {type(exc).__name__}", file=path,
                          fix=f"save it as comma-separated UTF-8 with one header row ({_no_values(first)})") from None


def _no_values(msg: str) -> str:
    # parser messages may quote a line of data: keep only the reason before any quoted content
    return msg.split("\"")[0].split("'")[0].strip().rstrip(":") or "parse error"


def _decode(raw: bytes, path: Path) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise SourceError("cannot determine the text encoding", file=path, fix="save the file as UTF-8")
    return str(best)


def _read_xlsx(path: Path) -> pl.DataFrame:
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises zipfile/KeyError/InvalidFileException
        raise SourceError(f"not a readable XLSX workbook: {type(exc).__name__}", file=path,
                          fix="open and re-save it in Excel/LibreOffice as .xlsx") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        wb.close()
        return pl.DataFrame()
    names = [str(h) if h is not None else f"column_{i + 1}" for i, h in enumerate(header)]
    cols: list[list[Any]] = [[] for _ in names]
    for r in rows:
        for i in range(len(names)):
            v = r[i] if i < len(r) else None
            cols[i].append(None if v is None else _cell_text(v))
    wb.close()
    return pl.DataFrame({n: pl.Series(n, c, dtype=pl.Utf8) for n, c in zip(names, cols)})


def _cell_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, _dt.datetime) and v.time() == _dt.time():
        return v.date().isoformat()
    return str(v)


def scan_file(path: str | Path) -> dict[str, Any]:
    """Scan a CSV or XLSX: ``{"file", "rows", "findings": [{"field", "kind", "count", "rows", "personal"}]}``."""
    frame = read_table(path)
    findings = scan_frame(frame)
    return {"file": str(path), "rows": frame.height,
            "findings": [f.to_dict(full=False) | {"personal": f.personal} for f in findings]}
