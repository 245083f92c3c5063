"""pipelines.synth: identifiers valid by independent oracles (python-stdnum), attributes consistent."""

from __future__ import annotations

import numpy as np
import polars as pl
from stdnum import luhn
from stdnum.cn import ric

from pipelines import synth
from pipelines.descriptor import load_dataset

from .conftest import DATASETS


def test_frame_matches_bundled_schema_all_utf8():
    f = synth.social_security_frame(500, seed=1)
    schema = load_dataset(DATASETS / "social-security-pension").schema
    assert f.columns == [x["name"] for x in schema["fields"]]
    assert set(f.dtypes) == {pl.Utf8}
    assert f.height == 500


def test_deterministic_per_seed():
    assert synth.social_security_frame(300, seed=5).equals(synth.social_security_frame(300, seed=5))
    assert not synth.social_security_frame(300, seed=5).equals(synth.social_security_frame(300, seed=6))


def test_resident_ids_valid_and_consistent():
    f = synth.social_security_frame(20_000, seed=2)
    ids = f["person_id"].to_list()
    assert all(len(i) == 18 for i in ids)
    assert all(ric.calc_check_digit(i) == i[17] for i in ids)  # independent oracle for ISO 7064 MOD 11-2
    assert sum(i.endswith("X") for i in ids) > 0
    codes = set(synth.REGION_CODES)
    assert {i[:6] for i in ids} <= codes
    checks = f.select(
        (pl.col("person_id").str.slice(6, 8) == pl.col("birth_date").str.replace_all("-", "")).all().alias("birth"),
        ((pl.col("person_id").str.slice(16, 1).cast(pl.Int32) % 2 == 1) == (pl.col("sex") == "男")).all().alias("sex"),
        (pl.col("person_id").str.slice(0, 6) == pl.col("district_code")).all().alias("region"),
    ).row(0)
    assert checks == (True, True, True)


def test_bank_cards_luhn_prefix_lengths():
    cards = synth.bank_cards(5000, np.random.default_rng(3)).to_list()
    assert all(luhn.is_valid(c) and c.startswith("62") and len(c) in (16, 19) for c in cards)
    assert {len(c) for c in cards} == {16, 19}


def test_mobiles_names_addresses_codes():
    f = synth.social_security_frame(5000, seed=4)
    assert f["mobile"].str.contains(r"^1[3-9]\d{9}$").all()
    assert f["name"].str.len_chars().is_between(2, 4).all()
    assert f["address"].str.contains(r"(省|市).*(区|县).*街道.*路\d+号").all()
    assert f["street_code"].str.contains(r"^0\d{5}$").all()  # leading zeros kept
    assert f["amount"].str.contains(r"^\d+\.\d{2}$").all()
    assert f["benefit_month"].str.contains(r"^\d{4}-\d{2}$").all()
    assert f["record_id"].n_unique() == 5000
    paid_month = f["paid_date"].str.slice(0, 7)
    assert (paid_month == f["benefit_month"]).all()


def test_remarks_hide_personal_data_in_a_few_percent():
    f = synth.social_security_frame(20_000, seed=9)
    hidden_mobile = f["remarks"].str.contains(r"1[3-9]\d{9}").mean()
    hidden_id = f["remarks"].str.contains(r"\d{17}[\dX]").mean()
    assert 0.005 < hidden_mobile < 0.05 and 0.005 < hidden_id < 0.05
    inside = f["remarks"].filter(f["remarks"].str.contains(r"\d{11}"))
    assert inside.str.contains(r"^[^\d]+\d").all()  # embedded in a sentence, not alone


def test_write_csv_gbk_roundtrip(tmp_path):
    f = synth.social_security_frame(50, seed=1)
    p = synth.write_csv(f, tmp_path / "x.csv", encoding="gbk")
    back = pl.read_csv(p.read_bytes().decode("gbk").encode(), infer_schema=False)
    assert back.equals(f)


def test_zero_rows():
    assert synth.social_security_frame(0).shape == (0, 16)
