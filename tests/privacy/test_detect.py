"""Detectors: validation rules against python-stdnum, formats, free text, findings without values."""

from __future__ import annotations

import random

import polars as pl
import pytest
from stdnum import luhn
from stdnum.cn import ric, uscc

from kaifang.errors import SourceError
from pipelines.privacy import checksums as CK
from pipelines.privacy import detect as D
from tests.privacy import gen


def kinds_of(texts: list[str | None], names: str = "context") -> list[set[str]]:
    hits = D.detect_series(pl.Series("t", texts, dtype=pl.Utf8), names=names)
    out: list[set[str]] = [set() for _ in texts]
    for row, kind in hits.iter_rows():
        out[row].add(kind)
    return out


def test_id_validation_agrees_with_stdnum_on_random_18_digit_strings():
    r = random.Random(1)
    vals = []
    for _ in range(3000):
        body = gen.resident_id(r)[:17]
        vals.append(body + r.choice("0123456789X"))
    got = D.number_kind_series(pl.Series(vals)).to_list()
    # the bodies have valid regions and dates, so only the check character decides; stdnum's
    # is_valid is stricter (region vintage), its check-digit function is the oracle
    for v, k in zip(vals, got):
        assert (k == "cn_resident_id") == (ric.calc_check_digit(v) == v[-1]), v
    assert 150 < sum(k == "cn_resident_id" for k in got) < 600


def test_luhn_matches_stdnum_for_all_lengths():
    r = random.Random(2)
    vals = ["".join(str(r.randint(0, 9)) for _ in range(r.randint(13, 19))) for _ in range(3000)]
    got = CK.luhn_valid(pl.Series(vals)).tolist()
    assert got == [luhn.is_valid(v) for v in vals]


def test_uscc_check_matches_stdnum():
    r = random.Random(3)
    vals = []
    for _ in range(2000):
        body = r.choice("159Y") + r.choice("123") + r.choice(["110101", "330102", "440305"]) + "".join(
            r.choice(D.USCC_ALPHABET) for _ in range(9))
        vals.append(body + r.choice(D.USCC_ALPHABET))
    got = D.uscc_valid(pl.Series(vals)).to_list()
    # stdnum.uscc.is_valid wants 8 leading digits (GB 32100 also allows e.g. Y as the first character):
    # its check-digit function is the oracle
    assert got == [uscc.calc_check_digit(v[:17]) == v[-1] for v in vals]
    assert sum(got) > 20  # some valid ones were drawn


@pytest.mark.parametrize("text,kind", [
    ("11010519491231002X", "cn_resident_id"),
    ("11010519491231002x", "cn_resident_id"),
    ("１１０１０５１９４９１２３１００２Ｘ", "cn_resident_id"),
    ("代领人身份证号11010519491231002X已登记", "cn_resident_id"),
    ("110105491231002", "cn_resident_id"),  # legacy 15-digit
    ("+86 138 0013 8000", "cn_mobile"),
    ("(+86)13800138000", "cn_mobile"),
    ("0086-13800138000", "cn_mobile"),
    ("联系电话１３８００１３８０００谢谢", "cn_mobile"),
    ("金额 100 138 0013 8000", "cn_mobile"),
    ("订单20231105 13800138000", "cn_mobile"),
    ("13800138000x", "cn_mobile"),  # a trailing x that is no ID check character
    ("分机13800138000X转8", "cn_mobile"),
    ("卡号6222 0212 3456 7890 128x", "bank_card"),
    ("6222021234567890128X", "bank_card"),
    ("6222 0212 3456 7890 128", "bank_card"),
    ("6222-0212-3456-7890-128", "bank_card"),
    ("(010)62345678", "cn_landline"),
    ("0571-87654321", "cn_landline"),
    ("邮箱 zhang.wei@example.com", "email"),
    ("统一社会信用代码91350100M000100Y43", "cn_uscc"),
    ("护照E12345678", "passport"),
    ("回乡证H1234567890", "passport"),
    ("台胞证号码12345678", "passport"),  # Taiwan permits and foreign passports: after a context word
    ("台湾居民来往大陆通行证：0123456789(B)", "passport"),
    ("美国护照 531234567", "passport"),
    ("IP 192.168.1.20 登录", "ip_address"),
    ("登录IP 2001:db8:85a3::8a2e:370:7334 成功", "ip_address"),
    ("fe80::1", "ip_address"),
    ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ip_address"),
    ("dead::beef", "ip_address"),
    ("车牌京A12345", "licence_plate"),
    ("粤BD12345", "licence_plate"),
    ("联系人：欧阳娜娜", "person_name"),
    ("北京市朝阳区建国路88号3单元201室", "address"),
])
def test_detects_kind(text, kind):
    assert kind in kinds_of([text])[0]


@pytest.mark.parametrize("text", [
    "110101199003071234",          # wrong check character
    "110101199013071239",          # month 13
    "6222021234567890127",         # Luhn fails
    "20231123140533",              # timestamp
    "1700745933123",               # epoch millis
    "邮编100101",
    "金额13800.50元",
    "12345678901",                 # 11 digits, not a mobile prefix
    "91350100M000100Y44",          # USCC wrong check
    "北京市朝阳区",                 # district only
    "王府井大街",
    "版本1.2.3",
    "时间 12:30:45",
    "std::vector",
    "10:20:30:40",
    "兑换码 6228 4839 1727 5896 269",  # fragment of a grouped voucher is not a mobile
])
def test_look_alikes_are_not_personal(text):
    assert not (kinds_of([text])[0] & {"cn_resident_id", "cn_mobile", "bank_card", "cn_landline", "person_name",
                                       "address", "ip_address", "cn_uscc"})


def test_several_identifiers_in_one_cell_and_adjacent():
    got = kinds_of(["13800138000,13900139000", "身份证11010519491231002X电话13800138000卡号6222021234567890128"])
    assert got[0] == {"cn_mobile"}
    assert got[1] == {"cn_resident_id", "cn_mobile", "bank_card"}


def test_scan_frame_findings_have_rows_and_no_values():
    r = random.Random(5)
    ids = [gen.resident_id(r) for _ in range(30)]
    frame = pl.DataFrame({"证件": ids, "备注": ["无"] * 29 + [f"手机{gen.mobile(r)}"], "n": list(range(30))})
    findings = D.scan_frame(frame)
    by = {(f.field, f.kind): f for f in findings}
    assert by[("证件", "cn_resident_id")].count == 30
    assert by[("证件", "cn_resident_id")].rows == list(range(2, 22))  # header = row 1, at most 20
    assert by[("备注", "cn_mobile")].rows == [31]
    text = str([f.to_dict() for f in findings])
    assert not any(v in text for v in ids)


def test_typed_columns_are_scanned_as_text():
    frame = pl.DataFrame({"phone": pl.Series([13800138000, 13900139000], dtype=pl.Int64),
                          "when": pl.Series(["2024-01-01", "2024-02-01"]).str.to_date()})
    findings = D.scan_frame(frame)
    assert [(f.field, f.kind, f.count) for f in findings] == [("phone", "cn_mobile", 2)]


def test_name_columns_need_a_hint_or_many_distinct_names():
    names = ["张伟", "李娜", "王芳", "刘洋", "陈静", "杨磊", "黄勇", "赵敏", "吴杰", "周涛"] * 3
    assert D.findings_from_hits("姓名", D.detect_series(pl.Series(names), header="姓名"))[0].count == 30
    status = ["正常", "已发放", "暂停", "待审核"] * 10
    assert D.detect_series(pl.Series(status), header="status").height == 0


def test_scan_file_csv_gbk_and_xlsx(tmp_path):
    from openpyxl import Workbook

    csv = tmp_path / "a.csv"
    csv.write_bytes("姓名,手机\n张伟,13800138000\n李娜,13900139000\n".encode("gb18030"))
    res = D.scan_file(csv)
    assert res["rows"] == 2
    assert {(f["field"], f["kind"]) for f in res["findings"]} == {("姓名", "person_name"), ("手机", "cn_mobile")}
    wb = Workbook()
    ws = wb.active
    ws.append(["证件号码", "金额"])
    ws.append(["11010519491231002X", 12.5])
    ws.append([None, 3])
    xlsx = tmp_path / "b.xlsx"
    wb.save(xlsx)
    res = D.scan_file(xlsx)
    assert res["rows"] == 2 and res["findings"] == [
        {"field": "证件号码", "kind": "cn_resident_id", "count": 1, "rows": [2], "personal": True}]


def test_unreadable_files_raise_source_error(tmp_path):
    with pytest.raises(SourceError) as e:
        D.scan_file(tmp_path / "missing.csv")
    assert "missing.csv" in str(e.value)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SourceError, match="XLSX"):
        D.scan_file(bad)
