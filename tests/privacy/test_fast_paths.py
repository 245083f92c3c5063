"""The speed-ups must not change results: each fast path against the plain computation it replaces."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest
from stdnum import luhn
from stdnum.cn import ric

from pipelines.privacy import checksums as CK
from pipelines.privacy import detect as D
from pipelines.privacy import methods as M
from tests.privacy import gen


def _mixed_column(n: int, seed: int) -> list[str | None]:
    """Repeating categories, identifiers, free text with embedded numbers, nulls and clean cells."""
    r = random.Random(seed)
    pool = ["已发放", "暂停", "-", "", None, "ok", "张伟", "联系人王芳", "2024-01-01"]
    out: list[str | None] = []
    for i in range(n):
        pick = r.random()
        if pick < 0.5:
            out.append(r.choice(pool))
        elif pick < 0.6:
            out.append(gen.resident_id(r))
        elif pick < 0.7:
            out.append(f"电话{gen.mobile(r)}已登记")
        elif pick < 0.8:
            out.append(gen.bank_card(r))
        else:
            out.append(f"备注{i % 37}")
    return out


@pytest.mark.parametrize("names", ["auto", "cells", "context"])
@pytest.mark.parametrize("header", ["remarks", "姓名"])
def test_scanning_distinct_values_equals_scanning_every_cell(names, header):
    col = pl.Series("c", _mixed_column(5000, seed=len(names) + len(header)), dtype=pl.Utf8)
    by_cell = D.detect_series(col, header=header, names=names, distinct=False).sort("row", "kind")
    by_value = D.detect_series(col, header=header, names=names, distinct=True).sort("row", "kind")
    assert by_cell.height > 500
    assert by_cell.equals(by_value)


def test_numbers_and_dates_grouped_on_their_values_equal_their_text_scanned_cell_by_cell():
    """Integer and date columns are grouped on their own values and only the distinct ones formatted:
    the same detections as scanning every cell's text (numbers stored as integers are found)."""
    import datetime as dt
    import random

    r = random.Random(12)
    ids = [int(gen.resident_id(r).rstrip("Xx")[:17] + "1") for _ in range(40)]
    pool = ids + [int(gen.mobile(r)) for _ in range(40)] + [int(gen.bank_card(r)) for _ in range(40)] + list(range(200))
    ints = pl.Series("n", [r.choice(pool) if r.random() > 0.05 else None for _ in range(6000)], dtype=pl.Int64)
    dates = pl.Series("d", [dt.date(1940, 1, 1) + dt.timedelta(days=r.randint(0, 30000)) if r.random() > 0.05 else None
                            for _ in range(6000)], dtype=pl.Date)
    for col in (ints, dates, ints.cast(pl.UInt64), pl.Series("t", dates).cast(pl.Datetime)):
        by_value = D.detect_series(col, header=col.name, distinct=True).sort("row", "kind")
        by_cell = D.detect_series(col.cast(pl.Utf8), header=col.name, distinct=False).sort("row", "kind")
        assert by_value.equals(by_cell), col.dtype
    found = D.detect_series(ints, header="n", distinct=True)
    assert set(found.get_column("kind")) >= {"cn_mobile", "bank_card"} and found.height > 1000


def test_skip_drops_only_the_skipped_kind():
    col = pl.Series("c", _mixed_column(3000, seed=9), dtype=pl.Utf8)
    every = D.detect_series(col, names="context")
    skipped = D.detect_series(col, names="context", skip={"bank_card"})
    assert every.filter(pl.col("kind") == "bank_card").height > 100
    assert skipped.sort("row", "kind").equals(every.filter(pl.col("kind") != "bank_card").sort("row", "kind"))


def test_numpy_checksums_agree_with_stdnum():
    r = random.Random(4)
    bodies = ["".join(str(r.randint(0, 9)) for _ in range(r.randint(12, 18))) for _ in range(2000)]
    digits = CK.digit_matrix(pl.Series(bodies), 19)
    n = np.array([len(b) + 1 for b in bodies])
    checks = CK.luhn_check_digits(digits, n)
    assert [b + str(c) for b, c in zip(bodies, checks)] == [b + luhn.calc_check_digit(b) for b in bodies]
    first17 = [gen.resident_id(r)[:17] for _ in range(2000)]
    assert CK.id18_check_char(pl.Series(first17)).to_list() == [ric.calc_check_digit(b + "0") for b in first17]  # stdnum reads the first 17 of 18
    ids = [b + r.choice("0123456789X") for b in first17]
    assert CK.id18_check_ok(pl.Series(ids)).tolist() == [ric.calc_check_digit(v) == v[-1] for v in ids]


def test_in_set_equals_is_in():
    r = random.Random(6)
    pool = pl.Series([str(r.randint(0, 5000)) for _ in range(3000)] + [None])
    values = pl.Series([str(r.randint(0, 10000)) for _ in range(5000)] + [None, None])
    expected = values.is_in(pool.drop_nulls().implode()).fill_null(False)
    assert M.in_set(values, pool).to_list() == expected.to_list()
    assert 0 < int(expected.sum()) < values.len()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_u64_set_equals_a_python_set(seed):
    r = np.random.default_rng(seed)
    # low-entropy and colliding words: small integers, multiples of 2^40 (same low bits), 0, the maximum
    u = np.uint64
    pool = np.concatenate([r.integers(0, 3000, 2000, dtype=u), r.integers(0, 50, 300, dtype=u) << u(40), np.array([0, 2**64 - 1], dtype=u)])
    values = np.concatenate([r.integers(0, 6000, 4000, dtype=u), r.integers(0, 100, 300, dtype=u) << u(40),
                             np.array([0, 2**64 - 1, 2**64 - 2], dtype=u)])
    got = M._methods.u64_in_pool(values, pool)
    members = set(pool.tolist())
    assert got.tolist() == [v in members for v in values.tolist()]
    assert not M._methods.u64_in_pool(values, np.zeros(0, dtype=np.uint64)).any()


def _mask_expr(e: pl.Expr, keep_first: int | pl.Expr, keep_last: int) -> pl.Expr:
    """The plain polars mask: keep first/last characters, every other one but space and dash → ``*``;
    values no longer than keep_first + keep_last masked whole."""
    n = e.str.len_chars()
    kf = pl.lit(keep_first) if isinstance(keep_first, int) else keep_first
    short = n <= kf + keep_last
    kf = pl.when(short).then(0).otherwise(kf)
    kl = pl.when(short).then(0).otherwise(keep_last)
    return pl.concat_str([e.str.slice(0, kf), e.str.slice(kf, n - kf - kl).str.replace_all(r"[^ \-]", "*"),
                          e.str.slice(n - kl, kl)])


def test_compiled_mask_equals_the_polars_expression():
    r = random.Random(8)
    alphabet = "0123456789 -欧阳王张伟abc\t\u3000\u00a0é𠀀"
    vals = [gen.mobile(r) for _ in range(300)] + ["张伟", "欧阳娜娜", " 欧阳娜 ", "王", "", None, "1", "138 0013 8000", "\u3000张三\u3000"]
    vals += ["".join(r.choice(alphabet) for _ in range(r.randint(0, 14))) for _ in range(3000)]
    series = pl.Series("v", vals)
    e = pl.col("v").str.strip_chars()
    for kf, kl in ((3, 4), (1, 0), (0, 2), (6, 4), (0, 0)):
        expected = series.to_frame().select(_mask_expr(e, kf, kl)).to_series()
        got = M.mask_cells(series, np.full(series.len(), kf, dtype=np.uint8), kl, "*", "v")
        assert got.to_list() == expected.to_list()
    normalized = D.as_text(series).alias("v")  # mask works on normalized text (full-width → ASCII, U+3000 → space)
    compound = normalized.str.contains(M._COMPOUND_RE).fill_null(False)
    expected = normalized.to_frame().select(_mask_expr(e, pl.when(pl.lit(compound)).then(2).otherwise(1), 0)).to_series()
    assert M.mask(series, {}, kind="person_name", field="v").to_list() == expected.to_list()
    assert M.mask_cells(pl.Series(["张伟"]), np.array([1], dtype=np.uint8), 0, "●", "v").to_list() == ["张●"]


def _card_surrogates_numpy(orig: pl.Series, digits: np.ndarray, kb: int) -> list[str]:
    """The card surrogate as numpy matrix operations (the computation the compiled one replaces)."""
    o = pl.col("o")
    df = orig.to_frame("o")
    frame = df.select(ln=o.str.len_bytes().clip(16, 19).fill_null(16).cast(pl.Int64),
                      keep=o.str.contains(r"^[0-9]{13,19}$").fill_null(False) & pl.lit(kb > 0))
    ln, keep = frame.get_column("ln").to_numpy(), frame.get_column("keep")
    bins = df.select(pl.when(pl.lit(keep)).then(o.str.slice(0, kb)).otherwise(pl.lit("622202"))).to_series()
    pos = np.arange(19)
    head = digits[:, :6]
    np.copyto(head, CK.digit_matrix(bins, 6), where=pos[:6] < np.where(keep.to_numpy(), kb, 6)[:, None])
    digits[pos >= (ln - 1)[:, None]] = 0
    digits[np.arange(len(ln)), ln - 1] = CK.luhn_check_digits(digits, ln)
    return [("".join(map(str, row[:k]))) for row, k in zip(digits, ln)]


@pytest.mark.parametrize("kb", [6, 4, 0])
def test_compiled_card_surrogates_equal_the_numpy_computation(kb):
    r = random.Random(kb)
    orig = pl.Series("o", [gen.bank_card(r) for _ in range(500)] + ["", None, "12345", "6" * 25, "62220212345678901234", "abc4567890123"])
    digits = np.random.default_rng(kb).integers(0, 10, size=(orig.len(), 19), dtype=np.uint8)
    expected = _card_surrogates_numpy(orig, digits.copy(), kb)
    offsets, data = CK.buffers(orig)
    got = CK.strings(*M._methods.card_surrogates(offsets, data, digits, kb))
    assert got.to_list() == expected
    assert all(luhn.is_valid(v) for v in expected)


def test_random_digits_unpack_each_word_and_are_uniform():
    words = np.array([[1234567890123, 654321], [2**64 - 1, 0]], dtype=np.uint64)
    d = M._methods.random_digits(words)
    assert d.shape == (2, 19)
    assert "".join(map(str, d[0, :13][::-1])) == "1234567890123" and "".join(map(str, d[0, 13:][::-1])) == "654321"
    assert "".join(map(str, d[1, :13][::-1])) == str((2**64 - 1) % 10**13).zfill(13) and not d[1, 13:].any()
    many = M._methods.random_digits(np.random.default_rng(5).integers(0, 2**64 - 1, size=(50_000, 2), dtype=np.uint64, endpoint=True))
    for column in many.T:  # every position: each digit 10 % ± 0.6 % (≫ 4 sigma of 50k draws)
        share = np.bincount(column, minlength=10) / column.size
        assert share.shape == (10,) and np.abs(share - 0.1).max() < 0.006


def test_per_value_methods_on_repeated_values_equal_the_plain_computation():
    r = random.Random(10)
    series = pl.Series("addr", [r.choice(["北京市朝阳区建国路1号", "河南省郑州市金水区中山路2号3栋", None, "上海市"]) for _ in range(4000)])
    params = {"to": "district"}
    assert M.apply_method(series, "generalize", params, kind="address", key=None, field="addr").to_list() == \
        M.generalize(series, params, kind="address", field="addr").to_list()
    # templated remarks, a few holding an ID number (only those rows change), and a column nothing changes in
    ids = [gen.resident_id(r) for _ in range(40)]
    remarks = pl.Series("remarks", [r.choice(["本人领取", "已核实", None, f"代领人身份证号{r.choice(ids)}已登记"]) for _ in range(4000)])
    before = remarks.to_list()
    masked = M.apply_method(remarks, "mask", {"free_text": True}, kind=None, key=None, field="remarks")
    assert masked.to_list() == M.mask_free_text(remarks).to_list() and remarks.to_list() == before
    assert 0 < sum(a != b for a, b in zip(masked.to_list(), before)) < 4000 and not any(i in str(v) for v in masked.to_list() for i in ids)
    plain = pl.Series("remarks", [r.choice(["本人领取", "已核实", None]) for _ in range(4000)])
    assert M.apply_method(plain, "mask", {"free_text": True}, kind=None, key=None, field="remarks") is plain


@pytest.mark.parametrize("to", ["district", "city", "province"])
def test_compiled_address_cut_equals_the_regular_expression(to):
    r = random.Random(12)
    heads = ["云南省昆明市五华区", "内蒙古自治区呼和浩特市新城区", "北京市朝阳区", "广西壮族自治区南宁市青秀区", "新疆维吾尔自治区",
             "某某路", "香港特别行政区", "湖北省恩施土家族苗族自治州恩施市", "内蒙古自治区锡林郭勒盟", "西藏自治区那曲地区",
             "省", "区", " 上海市\n浦东新区", "浙江省\n杭州市", "\u3000河北省石家庄市长安区 ", ""]
    text = pl.Series("a", [None if r.random() < 0.02 else r.choice(heads) + r.choice(["", "幸福路12号", "市", "县城"])
                           for _ in range(5000)])
    g = text.str.strip_chars().to_frame("s").select(pl.col("s").str.extract_groups(M.ADDRESS_LEVELS_RE)).to_series()
    p, ci, di = (pl.col("g").struct.field(x) for x in ("1", "2", "3"))
    expected = g.to_frame("g").select({
        "district": pl.when(di.is_not_null()).then(pl.concat_str([p.fill_null(""), ci.fill_null(""), di])),
        "city": pl.when(ci.is_not_null()).then(pl.concat_str([p.fill_null(""), ci])),
        "province": pl.when(p.is_not_null()).then(p).otherwise(ci)}[to]).to_series()
    got = M.address_prefix(text, to)
    assert got.to_list() == expected.to_list()
    assert got.null_count() < text.len() // 2


def test_compiled_canonical_numbers_equal_the_polars_expressions():
    r = random.Random(16)
    alphabet = "0123456789" * 3 + " -()+xX\t" + "０１２３４５６７８９－（）　"
    values = [r.choice(["", "+86 ", "0086", "86", " "]) + "".join(r.choice(alphabet) for _ in range(r.randint(0, 20)))
              for _ in range(4000)] + [None, "", "86 138 0013 8000", "(0086)13800138000", "11010119900307123x"]
    # digits and capitals only (copied as they are by the kernel), mobile prefixes included
    values += [r.choice(["", "86", "0086", "E", "X"]) + "".join(r.choice("0123456789") for _ in range(r.randint(0, 19)))
               for _ in range(3000)]
    values += ["8613800138000", "008613800138000", "861380013800", "8612800138000", "11010119900307123X", "E12345678"]
    series = pl.Series("v", values)
    for kind in ("cn_resident_id", "cn_mobile", "bank_card", "passport"):
        assert M.canonical(series, kind).to_list() == M.canonical_polars(series, kind).to_list()
    offsets, data = CK.buffers(pl.Series(["e12345678", "straße"]))
    assert M._scan.canonical_numbers(offsets, data, False) is None  # non-ASCII: the polars path (Unicode case)


def test_a_column_already_canonical_is_kept_and_equals_the_polars_expressions():
    r = random.Random(19)
    digits = [r.choice(["", "E", "X", "G"]) + "".join(r.choice("0123456789") for _ in range(r.randint(0, 19))) for _ in range(3000)]
    for values in (digits + [None], digits + ["8613800138000"], digits + ["13800138000 "], digits + ["e1234"]):
        series = pl.Series("v", values)
        for kind in ("cn_resident_id", "cn_mobile", "bank_card"):
            got = M.canonical(series, kind)
            assert got.to_list() == M.canonical_polars(series, kind).to_list()
            offsets, data = CK.buffers(series)
            kept = M._scan.already_canonical(offsets, data, kind == "cn_mobile")
            assert kept == (values[-1] is None or (values[-1] == "8613800138000" and kind != "cn_mobile"))
            assert (got is series) == kept


def test_compiled_normalization_check_equals_the_regular_expression():
    r = random.Random(18)
    chars = "a1 中\u3000\uff01\uff5e\uff5f\u2010\u2012\u2014\u2015\u300c\uff00"
    for _ in range(300):
        s = pl.Series([ "".join(r.choice(chars) for _ in range(r.randint(0, 4))) for _ in range(r.randint(1, 4))])
        assert M._scan.any_normalizable(CK.buffers(s)[1]) == bool(s.str.contains(D._NEEDS_NORMALIZING).any())


@pytest.mark.parametrize("method,params,kind", [("pseudonymize", {}, "cn_mobile"), ("mask", {}, "cn_mobile"),
                                                ("generalize", {"to": "district"}, "address")])
def test_methods_on_slices_equal_the_whole_column(monkeypatch, method, params, kind):
    r = random.Random(14)
    if kind == "address":
        values = [f"河南省郑州市金水区中山路{i}号" if i % 7 else None for i in range(5000)]
    else:
        values = [gen.mobile(r) if i % 9 else None for i in range(5000)]
    series = pl.Series("c", values)
    key = b"0123456789abcdef0123"
    whole = M.apply_method(series, method, params, kind=kind, key=key, field="c")
    monkeypatch.setattr(M, "CHUNK_ROWS", 700)
    sliced = M.apply_method(series, method, params, kind=kind, key=key, field="c")
    assert sliced.n_chunks() > 1 and sliced.to_list() == whole.to_list()


@pytest.mark.parametrize("key", [b"0123456789abcdef", b"k" * 64, "密钥".encode() * 12, bytes(range(1, 100))])
def test_compiled_pseudonyms_equal_polars_hash(monkeypatch, key):
    assert M._hmac is not None, "the compiled HMAC module was not built (libcrypto.so.3 missing?)"
    r = random.Random(len(key))
    values = [None, "", "x", "张三", "a" * 200] + ["".join(r.choice("0123456789Xx -中") for _ in range(r.randint(0, 40))) for _ in range(3000)]
    series = pl.Series("c", values)
    for kind, length in ((None, 16), ("cn_resident_id", 8), ("cn_mobile", 64), ("person_name", 33)):
        compiled = M.pseudonymize(series, {"length": length}, kind=kind, key=key, field="c")
        monkeypatch.setattr(M, "_hmac", None)
        reference = M.pseudonymize(series, {"length": length}, kind=kind, key=key, field="c")
        monkeypatch.undo()
        assert compiled.to_list() == reference.to_list()
        assert compiled.null_count() == 1
