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


def test_mask_padding_path_equals_the_replacement_path():
    r = random.Random(8)
    vals = pl.Series([gen.mobile(r) for _ in range(300)] + ["张伟", "欧阳娜娜", "王", "", None, "1"])
    e = pl.col("v")
    frame = vals.to_frame("v")
    for kf, kl in ((3, 4), (1, 0), (0, 2), (6, 4)):
        fast = frame.select(M.mask_expr(e, kf, kl, "*", separators=False)).to_series()
        slow = frame.select(M.mask_expr(e, kf, kl, "*", separators=True)).to_series()
        assert fast.to_list() == slow.to_list()


def test_per_value_methods_on_repeated_values_equal_the_plain_computation():
    r = random.Random(10)
    series = pl.Series("addr", [r.choice(["北京市朝阳区建国路1号", "河南省郑州市金水区中山路2号3栋", None, "上海市"]) for _ in range(4000)])
    params = {"to": "district"}
    assert M.apply_method(series, "generalize", params, kind="address", key=None, field="addr").to_list() == \
        M.generalize(series, params, kind="address", field="addr").to_list()


def test_address_levels_by_prefix_equal_whole_parsing():
    r = random.Random(12)
    heads = ["云南省昆明市五华区", "内蒙古自治区呼和浩特市新城区", "北京市朝阳区", "广西壮族自治区南宁市青秀区", "新疆维吾尔自治区", "某某路"]
    text = pl.Series([None if r.random() < 0.02 else r.choice(heads) + f"幸福路{r.randint(1, 99)}号" for _ in range(5000)])
    whole = text.to_frame("s").select(pl.col("s").str.extract_groups(M.ADDRESS_LEVELS_RE)).to_series()
    assert M.address_levels(text).equals(whole)


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
