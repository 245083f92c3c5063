"""The compiled cell scan (``_scan.pyx``) against the polars rules it stands in for.

* The kinds it gives a cell's only number candidate equal ``detect.number_kinds`` (exhaustively over
  birth dates, and on random numbers of every kind, with and without a trailing X).
* Its only-candidate shortcut equals the general token path on every cell it decides.
* Every pre-filter flag is a superset of what its detector's regular expression matches.
"""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest

from pipelines.privacy import cellscan as CS
from pipelines.privacy import detect as D
from pipelines.privacy.kinds import PROVINCE_PREFIXES
from tests.privacy import gen

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id18(body17: str) -> str:
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, _W)) % 11]


def _luhn(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        v = int(c) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return body + str((10 - total % 10) % 10)


def _kernel_kinds(cands: list[str]) -> list[set[str]]:
    _, kinds = D.cell_scan(pl.Series(cands))
    return [{k for k, bit in CS.KIND_BITS.items() if b & bit} for b in kinds.tolist()]


def _polars_kinds(cands: list[str]) -> list[set[str]]:
    df = pl.DataFrame({"cand": cands}).with_row_index("i")
    out: list[set[str]] = [set() for _ in cands]
    for i, kind in D.number_kinds(df, "cand").select("i", "kind").iter_rows():
        out[i].add(kind)
    return out


def _compare(cands: list[str]) -> dict[str, int]:
    """Assert equal kinds per candidate; return how many candidates each kind was found in."""
    got, expected = _kernel_kinds(cands), _polars_kinds(cands)
    bad = [(c, g, e) for c, g, e in zip(cands, got, expected) if g != e]
    assert not bad, bad[:5]
    return {k: sum(1 for e in expected if k in e) for k in CS.KIND_BITS}


def test_birth_dates_every_day_month_and_year_edge():
    r = random.Random(1)
    cands = []
    for year in list(range(1795, 1805)) + list(range(1895, 1905)) + list(range(1990, 2031)) + [2095, 2099, 2100, 2400]:
        for month in range(0, 14):
            for day in range(0, 33):
                region = r.choice(["110101", "530102", "990101", "650104"])
                body = f"{region}{year:04d}{month:02d}{day:02d}{r.randint(0, 999):03d}"
                cands.append(_id18(body))
                cands.append(f"{region}{year % 100:02d}{month:02d}{day:02d}{r.randint(0, 999):03d}")  # 15-digit legacy
                cands.append(_luhn(f"{region}{year:04d}{month:02d}{day:02d}{r.randint(0, 999):03d}"))  # 18-digit card or ID look-alike
    found = _compare(cands)
    assert found["cn_resident_id"] > 5_000 and found["bank_card"] > 1_000


def test_numbers_of_every_kind_with_and_without_x():
    r = random.Random(2)
    prefixes = ["62", "4", "51", "55", "22", "27", "34", "37", "35", "300", "305", "36", "38", "60", "65", "644", "649", "9",
                "1", "8", "3", "64"]
    cands = []
    for _ in range(30_000):
        pick = r.random()
        if pick < 0.2:
            v = gen.resident_id(r)
            if r.random() < 0.3:
                v = v[:17] + r.choice("0123456789Xx")
        elif pick < 0.45:
            v = _luhn(r.choice(prefixes) + "".join(r.choice("0123456789") for _ in range(r.randint(10, 17))))[:r.randint(13, 20)]
        elif pick < 0.6:
            v = r.choice(["", "86", "0086"]) + "1" + "".join(r.choice("0123456789") for _ in range(10))
        elif pick < 0.7:
            v = "0" + "".join(r.choice("0123456789") for _ in range(r.randint(9, 11)))
        elif pick < 0.8:  # all-digit USCC candidates: region at positions 2-3, MOD 31 check
            body = f"{r.randint(1, 9)}{r.randint(1, 9)}{r.choice(PROVINCE_PREFIXES)}" + "".join(r.choice("0123456789") for _ in range(13))
            total = sum(int(c) * w for c, w in zip(body, (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)))
            v = body + D.USCC_ALPHABET[(31 - total % 31) % 31]
            if not v[-1].isdigit() and v[-1] != "X":
                v = body + "0"
        else:
            v = "".join(r.choice("0123456789") for _ in range(r.randint(10, 19)))
        if r.random() < 0.15 and v[-1] not in "Xx":  # candidates are [0-9]+[Xx]?
            v += r.choice("Xx")
        cands.append(v)
    found = _compare(cands)
    assert min(found.values()) > 300, found


def _random_cells(n: int, seed: int) -> list[str | None]:
    r = random.Random(seed)
    alphabet = list("0123456789") * 5 + list(" -)xX.:@") + list("０１２３４５６７８９－（）　．＠") + list("ABCEGHMPSWZab")
    alphabet += list("姓名联系人王张欧阳路号栋室京沪台胞证护照省市区") + ["\u00a0", "\n", "，", "𠀀"]

    def noise(k: int) -> str:
        return "".join(r.choice(alphabet) for _ in range(r.randint(0, k)))

    def number() -> str:
        v = r.choice([gen.resident_id, gen.mobile, gen.bank_card])(r)
        if r.random() < 0.3:
            step = r.randint(2, 6)
            v = r.choice([" ", "-", ")"]).join(v[i:i + step] for i in range(0, len(v), step))
        return v + (r.choice("xX") if r.random() < 0.1 else "")

    out: list[str | None] = []
    for _ in range(n):
        pick = r.random()
        if pick < 0.05:
            out.append(None)
        elif pick < 0.3:
            out.append(number())
        elif pick < 0.7:
            out.append(noise(6) + number() + noise(6))
        elif pick < 0.8:
            out.append(noise(8) + number() + noise(3) + number())
        else:
            out.append(noise(40))
    return out


@pytest.mark.parametrize("seed", [3, 4])
def test_only_candidate_shortcut_equals_the_token_path(seed):
    text = pl.Series("c", _random_cells(20_000, seed))
    flags, kinds = D.cell_scan(text)
    decided = np.flatnonzero((flags & CS.F_TOKEN) == 0)
    general = D.token_hits(text, decided)
    shortcut = D.number_hits(text.gather(decided))
    shortcut = shortcut.with_columns(row=pl.Series(decided.astype(np.uint32)).gather(shortcut.get_column("row")))
    assert shortcut.height > 3000
    assert shortcut.unique().sort("row", "kind").equals(general.unique().sort("row", "kind"))


@pytest.mark.parametrize("seed", [5, 6])
def test_every_flag_is_a_superset_of_its_detector(seed):
    cells = _random_cells(20_000, seed) + ["a@b.cn", "1.2.3.4", "fe80::1", "1:2:3:4:5:6:7:8", "E12345678", "京A12345",
                                           "中山路5号", "联系人王小明", "护照E12345678", "91350100M000100Y43"]
    text = pl.Series("c", cells)
    flags, _ = D.cell_scan(text)
    norm = D.as_text(text)

    def flagged(bit: int) -> np.ndarray:
        return (flags & bit) != 0

    may = norm.str.contains(r"[0-9@\p{Han}]|::").fill_null(False).to_numpy()
    assert may.sum() > 10_000 and not (may & ~flagged(CS.F_MAY_HOLD)).any()
    for check, (bit, rx) in D._CHECKS.items():
        if rx is None:
            continue
        hits = norm.str.contains(rx).fill_null(False).to_numpy()
        assert hits.any(), check
        assert not (hits & ~flagged(bit)).any(), check
    runs = D.pattern_hits(text, (np.full(len(cells), CS.F_RUNS, dtype=np.uint16), None))  # every cell through the runs check
    rows = runs.get_column("row").to_numpy()
    assert rows.size and ((flags[rows] & CS.F_RUNS) != 0).all()
    han = pl.Series([chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF])
    is_han = han.str.contains(r"^\p{Han}$").to_numpy()
    table = D._class_table()
    code_points = np.array([ord(c) for c in han.filter(pl.Series(is_han)).to_list()])
    assert code_points.size > 90_000 and (table[code_points] & 1).all()


def test_digit_only_cells_get_the_flags_and_kinds_of_the_general_loop():
    """The shortcut for cells of ASCII digits gives exactly what the per-character loop gives."""
    from pipelines.privacy import _scan

    r = random.Random(7)
    cells: list[str | None] = [None, "", "0", "7" * 9, "1" * 10, "9" * 19, "9" * 20, "12345678901234567890123"]
    for _ in range(20_000):
        pick = r.random()
        if pick < 0.5:
            cells.append(r.choice([gen.resident_id, gen.mobile, gen.bank_card])(r).rstrip("Xx") or "1")
        elif pick < 0.9:
            cells.append("".join(r.choice("0123456789") for _ in range(r.randint(1, 25))))
        else:  # cells the shortcut must leave to the loop
            cells.append(r.choice(["", " ", "Ｘ", "x", "X", "-", "１"]).join(
                ["".join(r.choice("0123456789") for _ in range(r.randint(1, 12))) for _ in range(2)]))
    text = pl.Series("c", cells)
    try:
        _scan.set_digit_cell_path(False)
        loop = D.cell_scan(text)
    finally:
        _scan.set_digit_cell_path(True)
    fast = D.cell_scan(text)
    assert np.array_equal(fast[0], loop[0]) and np.array_equal(fast[1], loop[1])
    assert (fast[1] != 0).sum() > 5_000 and ((fast[0] & CS.F_TOKEN) != 0).sum() > 1_000


def test_scanning_in_slices_equals_one_pass(monkeypatch):
    text = pl.Series("c", _random_cells(5_000, 8))
    whole = D.cell_scan(text)
    monkeypatch.setattr(CS, "SLICE_ROWS", 333)
    sliced = D.cell_scan(text)
    assert np.array_equal(whole[0], sliced[0]) and np.array_equal(whole[1], sliced[1])
    assert (whole[1] != 0).sum() > 500
