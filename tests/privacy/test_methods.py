"""Desensitization methods: defaults, parameters, keyed hashing, generalization targets, errors."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest

from kaifang.errors import ConfigError
from pipelines.privacy import methods as M

KEY = b"unit-test-key-0123456789"


def run(values, method, params=None, kind=None, key=None, dtype=pl.Utf8):
    return M.apply_method(pl.Series("f", values, dtype=dtype), method, params or {}, kind=kind, key=key, field="f")


def test_mask_defaults_per_kind():
    assert run(["110101199003071234"], "mask", kind="cn_resident_id").to_list() == ["110101********1234"]
    assert run(["13800138000", "138 0013 8000"], "mask", kind="cn_mobile").to_list() == ["138****8000", "138 **** 8000"]
    assert run(["6222021234567890128"], "mask", kind="bank_card").to_list() == ["622202*********0128"]
    assert run(["张伟", "欧阳娜娜", None], "mask", kind="person_name").to_list() == ["张*", "欧阳**", None]
    assert run(["zhang.wei@example.com"], "mask", kind="email").to_list() == ["z***@example.com"]
    assert run(["192.168.1.20"], "mask", kind="ip_address").to_list() == ["192.168.*.*"]
    assert run(["杭州市西湖区解放路335号2栋251室"], "mask", kind="address").to_list() == ["杭州市西湖区解放路*号*栋*室"]


def test_mask_params_and_short_values():
    assert run(["abcdef"], "mask", {"keep_first": 1, "keep_last": 1, "char": "#"}).to_list() == ["a####f"]
    assert run(["ab"], "mask", {"keep_first": 1, "keep_last": 1}).to_list() == ["**"]  # would reveal everything
    with pytest.raises(ConfigError, match="keep_first"):
        run(["x"], "mask", {"keep_first": -1})
    with pytest.raises(ConfigError, match="char"):
        run(["x"], "mask", {"char": "ab"})


def test_mask_free_text_keeps_other_text():
    out = run(["代领人身份证号11010519491231002X已登记，电话13800138000", "按时发放", None], "mask", {"free_text": True}).to_list()
    assert out == ["代领人身份证号110105********002X已登记，电话138****8000", "按时发放", None]


def test_mask_free_text_leaves_the_series_it_was_given_as_it_was():
    # both number paths (a cell with one number; a cell with two, the token path) once wrote the masked
    # cells into the caller's Series object: a later scan of it found nothing
    given = pl.Series("remarks", ["代领人身份证号11010519491231002X已登记", "电话13800138000 卡号6222021234567890128", "按时发放"])
    before = given.to_list()
    masked = M.mask_free_text(given)
    assert given.to_list() == before and masked.to_list() != before


def test_mask_free_text_masks_numbers_followed_by_x():
    out = run(["电话13800138000x转8", "卡号6222 0212 3456 7890 128x"], "mask", {"free_text": True}).to_list()
    assert out == ["电话138****8000x转8", "卡号6222 02** **** ***0 128x"]


def test_mask_hides_ipv6_in_columns_and_free_text():
    assert run(["fe80::1ff:fe23:4567:890a", "192.168.1.20"], "mask", kind="ip_address").to_list() == ["****:****", "192.168.*.*"]
    out = run(["登录IP 2001:db8:85a3::8a2e:370:7334 成功", "时间 12:30:45"], "mask", {"free_text": True}).to_list()
    assert out == ["登录IP ****:**** 成功", "时间 12:30:45"]


def test_mask_free_text_masks_whole_passport_runs_only():
    out = run(["护照E12345678,G87654321", "编号SS2024000001已登记", "回乡证H1234567890 谢谢"], "mask", {"free_text": True}).to_list()
    assert out == ["护照E*****78,G*****21", "编号SS2024000001已登记", "回乡证H*****90 谢谢"]


def test_mask_free_text_masks_permits_after_context_words():
    out = run(["台胞证号码12345678", "美国护照 531234567已核验", "编号12345678"], "mask", {"free_text": True}).to_list()
    assert out == ["台胞证号码******78", "美国护照 ******67已核验", "编号12345678"]


def test_pseudonymize_is_keyed_hmac_sha256_spelled_in_letters():
    out = run(["13800138000", "+86 138-0013-8000"], "pseudonymize", {"length": 20}, kind="cn_mobile", key=KEY).to_list()
    hexd = hmac.new(KEY, b"13800138000", hashlib.sha256).hexdigest()[:20]
    assert out == [hexd.translate(str.maketrans("0123456789abcdef", "abcdefghijklmnop"))] * 2


def test_pseudonymize_without_key_is_a_config_error_naming_the_env_var():
    with pytest.raises(ConfigError) as e:
        run(["13800138000"], "pseudonymize", kind="cn_mobile", key=None)
    assert "KAIFANG_HMAC_KEY" in str(e.value) and e.value.exit_code == 2
    with pytest.raises(ConfigError, match="16 bytes"):
        run(["13800138000"], "pseudonymize", kind="cn_mobile", key=b"short")


def test_surrogate_needs_a_supported_kind():
    with pytest.raises(ConfigError, match="surrogate"):
        run(["x"], "surrogate", kind="address")
    names = run(["张伟", None], "surrogate", kind="person_name").to_list()
    assert names[0] != "张伟" and 2 <= len(names[0]) <= 3 and names[1] is None


@pytest.mark.parametrize("to,expect", [
    ("month", ["1960-12", "1990-03", None]),
    ("year", ["1960", "1990", None]),
    ("decade", ["1960s", "1990s", None]),
])
def test_generalize_dates_text_and_typed(to, expect):
    assert run(["1960-12-20", "1990/03/07", "bad"], "generalize", {"to": to}).to_list() == expect
    typed = pl.Series("f", ["1960-12-20", "1990-03-07", None]).str.to_date()
    assert M.generalize(typed, {"to": to}, kind=None, field="f").to_list() == expect


def test_generalize_age_band_regions_numbers():
    assert run(["1960-12-31", "1960-12-30", "1995-01-01"], "generalize", {"to": "age_band", "as_of": "2024-12-30"}).to_list() == \
        ["60-69", "60-69", "20-29"]
    addr = ["浙江省杭州市西湖区解放路335号", "北京市西城区胜利路154号", "广西壮族自治区南宁市青秀区民主路3号", "330108", "330108001002", "不详"]
    assert run(addr, "generalize", {"to": "district"}).to_list() == [
        "浙江省杭州市西湖区", "北京市西城区", "广西壮族自治区南宁市青秀区", "330108", "330108", None]
    assert run(addr, "generalize", {"to": "city"}).to_list() == [
        "浙江省杭州市", "北京市", "广西壮族自治区南宁市", "330100", "330100", None]
    assert run(addr, "generalize", {"to": "province"}).to_list() == [
        "浙江省", "北京市", "广西壮族自治区", "330000", "330000", None]
    # without any region code the codes are not cut (fast path): same result; spaces around a code still count
    assert run(addr[:3] + addr[5:], "generalize", {"to": "district"}).to_list() == ["浙江省杭州市西湖区", "北京市西城区", "广西壮族自治区南宁市青秀区", None]
    assert run([" 330108 ", "北京市西城区胜利路154号"], "generalize", {"to": "city"}).to_list() == ["330100", "北京市"]
    assert run(["501.94", "5841.56", None], "generalize", {"to": "range", "width": 1000}).to_list() == ["0-1000", "5000-6000", None]
    assert run([501.94, 5841.56], "generalize", {"to": "round", "base": 100}, dtype=pl.Float64).to_list() == ["500", "5800"]
    assert run(["100101"], "generalize", {"to": "prefix", "length": 3}).to_list() == ["100"]
    with pytest.raises(ConfigError, match="generalize"):
        run(["x"], "generalize", {"to": "galaxy"})


def test_suppress_drop_keep():
    assert run(["a", "b"], "suppress").to_list() == [None, None]
    assert run(["a"], "drop") is None
    assert run(["a"], "keep").to_list() == ["a"]
    with pytest.raises(ConfigError, match="method"):
        run(["a"], "shred")


def test_surrogates_are_reproducible_with_a_key_and_random_without():
    import polars as pl

    from pipelines.privacy.methods import surrogate

    ids = pl.Series("person_id", ["11010119900307803X", "440106198512120417", "310104197001010011"])
    k1 = surrogate(ids, {}, kind="cn_resident_id", field="person_id", key=b"k" * 32)
    k2 = surrogate(ids, {}, kind="cn_resident_id", field="person_id", key=b"k" * 32)
    other = surrogate(ids, {}, kind="cn_resident_id", field="person_id", key=b"z" * 32)
    assert k1.to_list() == k2.to_list()
    assert k1.to_list() != other.to_list()
    assert not set(k1.to_list()) & set(ids.to_list())
