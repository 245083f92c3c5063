"""Vectorized fake-data generator for realistic Chinese public-service records.

Everything is built from numpy integer/byte matrices and polars string expressions — no per-row
Python loop — so millions of rows take seconds. All values are synthetic: resident ID numbers carry
a valid GB 11643 check character over real GB/T 2260 region prefixes, bank cards are Luhn-valid
UnionPay numbers, but none belongs to a real person.

Main entry points:

* ``social_security_frame(n, seed=0) -> pl.DataFrame`` — the ``social-security-pension`` table,
  all columns Utf8, as a department would hand it over.
* helpers ``resident_ids``, ``mobiles``, ``bank_cards``, ``names``, ``addresses``,
  ``landlines``, ``birth_dates`` taking ``(n, rng)`` and returning a ``pl.Series`` of strings.
* ``write_csv(frame, path, encoding="utf-8")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.privacy.checksums import ascii_rows, id_check_chars, luhn_check_digits

# ---------------------------------------------------------------------------------------------
# Reference vocabularies (real GB/T 2260 county-level codes with their names)
# ---------------------------------------------------------------------------------------------

#: (code, province, city, district) — real administrative divisions.
REGIONS: tuple[tuple[str, str, str, str], ...] = (
    ("110101", "北京市", "北京市", "东城区"),
    ("110102", "北京市", "北京市", "西城区"),
    ("110105", "北京市", "北京市", "朝阳区"),
    ("110106", "北京市", "北京市", "丰台区"),
    ("110108", "北京市", "北京市", "海淀区"),
    ("120101", "天津市", "天津市", "和平区"),
    ("120103", "天津市", "天津市", "河西区"),
    ("130102", "河北省", "石家庄市", "长安区"),
    ("140105", "山西省", "太原市", "小店区"),
    ("210102", "辽宁省", "沈阳市", "和平区"),
    ("210202", "辽宁省", "大连市", "中山区"),
    ("230102", "黑龙江省", "哈尔滨市", "道里区"),
    ("310101", "上海市", "上海市", "黄浦区"),
    ("310104", "上海市", "上海市", "徐汇区"),
    ("310105", "上海市", "上海市", "长宁区"),
    ("310115", "上海市", "上海市", "浦东新区"),
    ("320102", "江苏省", "南京市", "玄武区"),
    ("320106", "江苏省", "南京市", "鼓楼区"),
    ("320508", "江苏省", "苏州市", "姑苏区"),
    ("330102", "浙江省", "杭州市", "上城区"),
    ("330106", "浙江省", "杭州市", "西湖区"),
    ("330108", "浙江省", "杭州市", "滨江区"),
    ("340104", "安徽省", "合肥市", "蜀山区"),
    ("350102", "福建省", "福州市", "鼓楼区"),
    ("350203", "福建省", "厦门市", "思明区"),
    ("360102", "江西省", "南昌市", "东湖区"),
    ("370102", "山东省", "济南市", "历下区"),
    ("370202", "山东省", "青岛市", "市南区"),
    ("410105", "河南省", "郑州市", "金水区"),
    ("420102", "湖北省", "武汉市", "江岸区"),
    ("420106", "湖北省", "武汉市", "武昌区"),
    ("420111", "湖北省", "武汉市", "洪山区"),
    ("430102", "湖南省", "长沙市", "芙蓉区"),
    ("430104", "湖南省", "长沙市", "岳麓区"),
    ("440104", "广东省", "广州市", "越秀区"),
    ("440106", "广东省", "广州市", "天河区"),
    ("440304", "广东省", "深圳市", "福田区"),
    ("440305", "广东省", "深圳市", "南山区"),
    ("450103", "广西壮族自治区", "南宁市", "青秀区"),
    ("500103", "重庆市", "重庆市", "渝中区"),
    ("510104", "四川省", "成都市", "锦江区"),
    ("510107", "四川省", "成都市", "武侯区"),
    ("520102", "贵州省", "贵阳市", "南明区"),
    ("530102", "云南省", "昆明市", "五华区"),
    ("610113", "陕西省", "西安市", "雁塔区"),
    ("620102", "甘肃省", "兰州市", "城关区"),
)

REGION_CODES = tuple(r[0] for r in REGIONS)

SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤") + ("欧阳", "司马", "诸葛", "上官")
#: rough weights: the first ten surnames cover ~40 % of the population.
_SURNAME_W = np.array([7.0, 7.0, 7.0, 5.5, 4.5, 3.1, 2.2, 2.0, 2.0, 1.9] + [0.8] * (len(SURNAMES) - 14) + [0.05] * 4)
_SURNAME_W /= _SURNAME_W.sum()
GIVEN_CHARS = tuple("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉玉萍红林俊峰婷雪梅琳晨宇浩然子涵欣怡佳豪思雨梓轩一诺晓东海波志刚凤丽春燕金凤德胜永福淑珍秀珍桂芝玉兰")

STREET_ROADS = tuple("人民路 解放路 中山路 建设路 和平路 胜利路 文化路 新华路 青年路 长江路 黄河路 光明路 朝阳路 幸福路 团结路 民主路 工农路 学院路 滨江路 友谊路".split())
STREET_TOWNS = tuple("新华街道 城关街道 东风街道 南湖街道 北苑街道 西城街道 花园街道 龙山街道 翠苑街道 江滨街道".split())

MOBILE_PREFIXES = tuple(
    str(p) for p in (130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159,
                     166, 170, 171, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 198, 199)
)
#: real UnionPay debit BINs (6 digits, prefix 62)
CARD_BINS = ("622202", "622848", "621700", "622588", "621661", "623062", "622700", "621226", "622609", "621483")

INSURANCE_TYPES = ("城镇职工基本养老保险", "城乡居民基本养老保险", "机关事业单位养老保险")
STATUSES = ("已发放", "暂停发放", "待审核", "已终止")
_PLAIN_REMARKS = ("", "", "", "按时发放", "已核实", "本人领取", "待遇资格认证已通过", "补发上月待遇", "银行账户已变更", "已办理待遇资格认证", "待核实居住地")


# ---------------------------------------------------------------------------------------------
# Low-level vectorized helpers
# ---------------------------------------------------------------------------------------------


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers → (n, width) uint8 digit matrix (most significant first)."""
    values = np.asarray(values, dtype=np.int64)
    out = np.empty((len(values), width), dtype=np.uint8)
    for i in range(width - 1, -1, -1):  # loop over columns only
        values, out[:, i] = np.divmod(values, 10)
    return out


def _pick(choices: tuple[str, ...], idx: np.ndarray, name: str = "") -> pl.Series:
    return pl.Series(name, list(choices), dtype=pl.Utf8).gather(pl.Series(idx.astype(np.uint32)))


# ---------------------------------------------------------------------------------------------
# Person attributes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    """Consistent person attributes: ID number, its region index, birth date and sex."""

    person_id: pl.Series
    region_idx: np.ndarray
    birth_date: pl.Series  # YYYY-MM-DD text
    sex: pl.Series  # 男 / 女
    male: np.ndarray


def people(n: int, rng: np.random.Generator | int | None = None, *, born_from: str = "1940-01-01",
           born_to: str = "2005-12-31") -> People:
    """Draw ``n`` people with resident IDs whose region, birth date and sex digit agree."""
    rng = _rng(rng)
    region_idx = rng.integers(0, len(REGIONS), n)
    region_num = np.array([int(c) for c in REGION_CODES], dtype=np.int64)[region_idx]
    lo = np.datetime64(born_from, "D").astype(np.int64)
    hi = np.datetime64(born_to, "D").astype(np.int64)
    days = rng.integers(lo, hi + 1, n)
    birth = days.astype("datetime64[D]")
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    seq = rng.integers(1, 1000, n)  # 001–999
    male = (seq % 2) == 1
    ymd = years * 10000 + months * 100 + mdays
    first17 = np.concatenate([_digits(region_num, 6), _digits(ymd, 8), _digits(seq, 3)], axis=1)
    check = id_check_chars(first17)
    mat = np.concatenate([(first17 + 48).astype(np.uint8), check[:, None]], axis=1)
    birth_s = pl.Series("birth_date", days.astype(np.int32)).cast(pl.Date).cast(pl.Utf8)
    sex = _pick(("女", "男"), male.astype(np.uint32), "sex")
    return People(ascii_rows(mat, "person_id"), region_idx, birth_s, sex, male)


def resident_ids(n: int, rng: np.random.Generator | int | None = None, **kw) -> pl.Series:
    """18-character resident ID numbers with valid check character (incl. ``X``)."""
    return people(n, rng, **kw).person_id


def birth_dates(n: int, rng: np.random.Generator | int | None = None, **kw) -> pl.Series:
    """Birth dates (YYYY-MM-DD text); use ``people`` when they must agree with an ID number."""
    return people(n, rng, **kw).birth_date


def mobiles(n: int, rng: np.random.Generator | int | None = None) -> pl.Series:
    """11-digit mainland mobile numbers with real operator prefixes."""
    rng = _rng(rng)
    prefix = np.array([[int(c) for c in p] for p in MOBILE_PREFIXES], dtype=np.uint8)[rng.integers(0, len(MOBILE_PREFIXES), n)]
    rest = rng.integers(0, 10, (n, 8), dtype=np.uint8)
    return ascii_rows((np.concatenate([prefix, rest], axis=1) + 48).astype(np.uint8), "mobile")


def landlines(n: int, rng: np.random.Generator | int | None = None) -> pl.Series:
    """Landline numbers such as ``010-62345678`` / ``0571-8765432``."""
    rng = _rng(rng)
    area = _pick(("010", "021", "022", "023", "020", "025", "027", "028", "029", "0571", "0591", "0731", "0851"), rng.integers(0, 13, n))
    local = pl.Series(rng.integers(2_000_000, 89_999_999, n)).cast(pl.Utf8)
    return pl.select(pl.concat_str([pl.lit(area), pl.lit("-"), pl.lit(local)]).alias("landline")).to_series()


def _cards(n: int, length: int, rng: np.random.Generator) -> np.ndarray:
    bins = np.array([[int(c) for c in b] for b in CARD_BINS], dtype=np.uint8)[rng.integers(0, len(CARD_BINS), n)]
    body = np.concatenate([bins, rng.integers(0, 10, (n, length - 7), dtype=np.uint8)], axis=1)
    check = luhn_check_digits(body)
    return (np.concatenate([body, check[:, None]], axis=1) + 48).astype(np.uint8)


def bank_cards(n: int, rng: np.random.Generator | int | None = None, *, share_19: float = 0.6) -> pl.Series:
    """UnionPay card numbers, 16 or 19 digits, prefix 62, Luhn-valid."""
    rng = _rng(rng)
    is19 = rng.random(n) < share_19
    n19 = int(is19.sum())
    s19 = ascii_rows(_cards(n19, 19, rng), "bank_card")
    s16 = ascii_rows(_cards(n - n19, 16, rng), "bank_card")
    # scatter back in the drawn order: position of each row within its group
    order = np.empty(n, dtype=np.int64)
    order[is19] = np.arange(n19)
    order[~is19] = n19 + np.arange(n - n19)
    return pl.concat([s19, s16]).gather(pl.Series(order))


def names(n: int, rng: np.random.Generator | int | None = None) -> pl.Series:
    """Chinese personal names: weighted surname + one or two given-name characters."""
    rng = _rng(rng)
    sur = _pick(SURNAMES, rng.choice(len(SURNAMES), n, p=_SURNAME_W))
    g1 = _pick(GIVEN_CHARS, rng.integers(0, len(GIVEN_CHARS), n))
    g2 = _pick(GIVEN_CHARS, rng.integers(0, len(GIVEN_CHARS), n))
    two = pl.Series(rng.random(n) < 0.7)
    return pl.select(
        pl.concat_str([pl.lit(sur), pl.lit(g1), pl.when(pl.lit(two)).then(pl.lit(g2)).otherwise(pl.lit(""))]).alias("name")
    ).to_series()


def addresses(n: int, rng: np.random.Generator | int | None = None, region_idx: np.ndarray | None = None) -> pl.Series:
    """Full addresses 省市区街道路号 (optionally in the given regions)."""
    rng = _rng(rng)
    if region_idx is None:
        region_idx = rng.integers(0, len(REGIONS), n)
    prov = _pick(tuple(r[1] for r in REGIONS), region_idx)
    city = _pick(tuple("" if r[1] == r[2] else r[2] for r in REGIONS), region_idx)
    dist = _pick(tuple(r[3] for r in REGIONS), region_idx)
    town = _pick(STREET_TOWNS, rng.integers(0, len(STREET_TOWNS), n))
    road = _pick(STREET_ROADS, rng.integers(0, len(STREET_ROADS), n))
    num = pl.Series(rng.integers(1, 400, n)).cast(pl.Utf8)
    unit = pl.Series(rng.integers(1, 30, n)).cast(pl.Utf8)
    room = pl.Series(rng.integers(101, 2300, n)).cast(pl.Utf8)
    return pl.select(
        pl.concat_str([pl.lit(prov), pl.lit(city), pl.lit(dist), pl.lit(town), pl.lit(road), pl.lit(num),
                       pl.lit("号"), pl.lit(unit), pl.lit("栋"), pl.lit(room), pl.lit("室")]).alias("address")
    ).to_series()


def _money(cents: np.ndarray) -> pl.Series:
    c = pl.Series(cents.astype(np.int64))
    return pl.select(pl.concat_str([(pl.lit(c) // 100).cast(pl.Utf8), pl.lit("."),
                                    (pl.lit(c) % 100).cast(pl.Utf8).str.zfill(2)])).to_series()


def _remarks(n: int, rng: np.random.Generator, *, share_hidden: float = 0.03) -> pl.Series:
    """Free text; in ``share_hidden`` of rows a mobile or ID number is hidden inside a sentence."""
    out = _pick(_PLAIN_REMARKS, rng.integers(0, len(_PLAIN_REMARKS), n)).alias("remarks")
    kind = rng.random(n)
    mob_rows = np.flatnonzero(kind < share_hidden / 2)
    id_rows = np.flatnonzero((kind >= share_hidden / 2) & (kind < share_hidden))
    if len(mob_rows):
        text = pl.select(pl.concat_str([pl.lit("家属代办，联系电话"), pl.lit(mobiles(len(mob_rows), rng)), pl.lit("，请回访核实")])).to_series()
        out = out.scatter(mob_rows, text)
    if len(id_rows):
        text = pl.select(pl.concat_str([pl.lit("代领人身份证号"), pl.lit(resident_ids(len(id_rows), rng)), pl.lit("已登记")])).to_series()
        out = out.scatter(id_rows, text)
    return out


# ---------------------------------------------------------------------------------------------
# Dataset frames
# ---------------------------------------------------------------------------------------------

SOCIAL_SECURITY_COLUMNS = (
    "record_id", "person_id", "name", "sex", "birth_date", "mobile", "bank_card", "address",
    "district_code", "street_code", "insurance_type", "benefit_month", "amount", "paid_date", "status", "remarks",
)


def social_security_privacy_schema(**override: dict) -> dict:
    """A desensitization policy for ``social_security_frame`` (every column text): pseudonymized ID,
    masked name and mobile, surrogate card, generalized birth date and address, free-text masking of
    remarks, quasi-identifiers kept, street code dropped. ``override``: field name → keys to set
    (a ``None`` value removes the key, e.g. to test fail-closed handling of a missing tag)."""
    fields = [
        {"name": "record_id", "type": "string", "sensitivity": "public"},
        {"name": "person_id", "type": "string", "sensitivity": "direct-identifier", "pii": "cn_resident_id", "desensitize": {"method": "pseudonymize"}},
        {"name": "name", "type": "string", "sensitivity": "direct-identifier", "pii": "person_name", "desensitize": {"method": "mask"}},
        {"name": "sex", "type": "string", "sensitivity": "quasi-identifier", "desensitize": {"method": "keep"}},
        {"name": "birth_date", "type": "string", "sensitivity": "quasi-identifier", "desensitize": {"method": "generalize", "to": "year"}},
        {"name": "mobile", "type": "string", "sensitivity": "direct-identifier", "pii": "cn_mobile", "desensitize": {"method": "mask"}},
        {"name": "bank_card", "type": "string", "sensitivity": "sensitive-personal", "pii": "bank_card", "desensitize": {"method": "surrogate"}},
        {"name": "address", "type": "string", "sensitivity": "personal", "pii": "address", "desensitize": {"method": "generalize", "to": "district"}},
        {"name": "district_code", "type": "string", "sensitivity": "quasi-identifier", "desensitize": {"method": "keep"}},
        {"name": "street_code", "type": "string", "sensitivity": "quasi-identifier", "desensitize": {"method": "drop"}},
        {"name": "insurance_type", "type": "string", "sensitivity": "public"},
        {"name": "benefit_month", "type": "string", "sensitivity": "public"},
        {"name": "amount", "type": "string", "sensitivity": "public"},
        {"name": "paid_date", "type": "string", "sensitivity": "public"},
        {"name": "status", "type": "string", "sensitivity": "public"},
        {"name": "remarks", "type": "string", "sensitivity": "personal", "desensitize": {"method": "mask", "free_text": True}},
    ]
    for f in fields:
        for key, value in override.get(f["name"], {}).items():
            if value is None:
                f.pop(key, None)
            else:
                f[key] = value
    return {"fields": fields}


def social_security_frame(n: int, seed: int = 0, *, year: int = 2024, remarks_hidden_share: float = 0.03) -> pl.DataFrame:
    """Pension payment records as a social-security bureau hands them over (all columns Utf8).

    Columns: see ``SOCIAL_SECURITY_COLUMNS`` (schema of ``datasets/social-security-pension``).
    Deterministic for a given ``(n, seed)``.
    """
    rng = np.random.default_rng(seed)
    ppl = people(n, rng, born_from="1935-01-01", born_to="1964-12-31")
    width = max(6, len(str(n)))
    record_id = pl.select(
        pl.concat_str([pl.lit(f"SS{year}"), pl.int_range(1, n + 1, dtype=pl.Int64).cast(pl.Utf8).str.zfill(width)])
    ).to_series() if n else pl.Series([], dtype=pl.Utf8)
    street = _digits(rng.integers(1, 4, n), 2), _digits(rng.integers(1, 13, n), 2), _digits(rng.integers(1, 30, n), 2)
    street_code = ascii_rows((np.concatenate(street, axis=1) + 48).astype(np.uint8))
    month = rng.integers(1, 13, n)
    benefit_month = pl.Series(month).cast(pl.Utf8).str.zfill(2)
    first = np.array([np.datetime64(f"{year}-{m:02d}-01") for m in range(1, 13)])[month - 1]
    paid = (first + rng.integers(4, 25, n).astype("timedelta64[D]")).astype(np.int64)
    ins_idx = rng.choice(len(INSURANCE_TYPES), n, p=[0.62, 0.3, 0.08])
    base = np.array([320000, 21000, 560000])[ins_idx]  # cents
    amount = base + rng.integers(0, 250000, n) * (ins_idx != 1) + rng.integers(0, 30000, n)
    status_idx = rng.choice(len(STATUSES), n, p=[0.93, 0.03, 0.03, 0.01])
    frame = pl.DataFrame({
        "record_id": record_id,
        "person_id": ppl.person_id,
        "name": names(n, rng),
        "sex": ppl.sex,
        "birth_date": ppl.birth_date,
        "mobile": mobiles(n, rng),
        "bank_card": bank_cards(n, rng),
        "address": addresses(n, rng, ppl.region_idx),
        "district_code": _pick(REGION_CODES, ppl.region_idx),
        "street_code": street_code,
        "insurance_type": _pick(INSURANCE_TYPES, ins_idx),
        "benefit_month": pl.select(pl.concat_str([pl.lit(f"{year}-"), pl.lit(benefit_month)])).to_series() if n else pl.Series([], dtype=pl.Utf8),
        "amount": _money(amount),
        "paid_date": pl.Series(paid.astype(np.int32)).cast(pl.Date).cast(pl.Utf8),
        "status": _pick(STATUSES, status_idx),
        "remarks": _remarks(n, rng, share_hidden=remarks_hidden_share),
    })
    return frame.select([pl.col(c).cast(pl.Utf8) for c in SOCIAL_SECURITY_COLUMNS])


def write_csv(frame: pl.DataFrame, path: str | Path, *, encoding: str = "utf-8") -> Path:
    """Write ``frame`` as CSV (header row, comma, ``\\n``). ``encoding`` may be utf-8, utf-8-sig or gbk/gb18030."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    enc = encoding.lower().replace("_", "-")
    if enc in ("utf-8", "utf8"):
        frame.write_csv(path)
    else:
        text = frame.write_csv()
        path.write_bytes(text.encode(encoding))
    return path
