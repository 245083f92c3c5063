"""Build the labelled detection corpus ``tests/privacy/corpus.csv`` (deterministic; seed 20261123).

Run: ``.venv/bin/python -m tests.privacy.make_corpus``. Columns: ``text``, ``kind`` (a detector kind,
or ``none`` for a look-alike negative), ``category`` (how the item was made).

Check digits come from ``python-stdnum`` (an independent implementation), never from the detector.
Every text holds at most one identifier, so a detection of another kind is a false positive.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from stdnum import luhn
from stdnum.cn import uscc

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.csv"

REGIONS = ["110101", "110105", "120103", "130102", "140105", "150102", "210102", "220102", "230102", "310101",
           "310115", "320102", "320508", "330102", "330108", "340102", "350102", "360102", "370102", "410102",
           "420102", "430102", "440106", "440305", "450103", "460105", "500103", "510104", "520102", "530102",
           "540102", "610102", "620102", "630102", "640104", "650102", "110221", "330722", "422801", "522601"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉玉萍红林俊峰婷雪梅琳晨宇浩然子涵欣怡佳豪思雨梓轩"
ROADS = ["人民路", "解放路", "中山路", "建设路", "和平路", "胜利路", "文化路", "新华路", "青年路", "长江路"]
CITIES = [("浙江省", "杭州市", "西湖区"), ("广东省", "深圳市", "南山区"), ("", "北京市", "朝阳区"), ("江苏省", "南京市", "鼓楼区"),
          ("四川省", "成都市", "武侯区"), ("", "上海市", "浦东新区"), ("湖北省", "武汉市", "江岸区")]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153", "155",
                   "156", "157", "158", "159", "166", "170", "173", "176", "177", "178", "180", "181", "182", "183", "184",
                   "185", "186", "187", "188", "189", "191", "193", "195", "198", "199"]
PLATE_PROV = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
FULLWIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def id_check(first17: str) -> str:
    v = (12 - sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11) % 11
    return "X" if v == 10 else str(v)


def birth(r: random.Random, lo: int = 1930, hi: int = 2012) -> str:
    y = r.randint(lo, hi)
    m = r.randint(1, 12)
    d = r.randint(1, 28)
    return f"{y:04d}{m:02d}{d:02d}"


def resident_id(r: random.Random) -> str:
    body = r.choice(REGIONS) + birth(r) + f"{r.randint(0, 999):03d}"
    return body + id_check(body)


def card(r: random.Random) -> str:
    kind = r.random()
    if kind < 0.7:
        body = r.choice(["622202", "622848", "621700", "622588", "623062", "621226", "622609", "620200"])
        length = r.choice([16, 19, 19, 17, 18])
    elif kind < 0.85:
        body, length = "4" + str(r.randint(10000, 99999)), 16
    else:
        body, length = "5" + str(r.randint(1, 5)) + str(r.randint(1000, 9999)), 16
    while len(body) < length - 1:
        body += str(r.randint(0, 9))
    return body + luhn.calc_check_digit(body)


def mobile(r: random.Random) -> str:
    return r.choice(MOBILE_PREFIXES) + "".join(str(r.randint(0, 9)) for _ in range(8))


def uscc_code(r: random.Random) -> str:
    body = r.choice("159Y") + r.choice("123") + r.choice(REGIONS) + "".join(r.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def name(r: random.Random) -> str:
    return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice([1, 2, 2])))


def group4(s: str, sep: str) -> str:
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def positives(r: random.Random) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for i in range(520):
        v = resident_id(r)
        fmt = i % 8
        if fmt == 0:
            out.append((v, "cn_resident_id", "id-bare"))
        elif fmt == 1:
            out.append((f"代领人身份证号{v}已登记", "cn_resident_id", "id-in-text"))
        elif fmt == 2:
            out.append((f"公民身份号码：{v.lower()}", "cn_resident_id", "id-lowercase-x"))
        elif fmt == 3:
            out.append((f"证件号{v.translate(FULLWIDTH)}", "cn_resident_id", "id-fullwidth"))
        elif fmt == 4:
            out.append((f"ID {v[:6]} {v[6:14]} {v[14:]}", "cn_resident_id", "id-grouped"))
        elif fmt == 5:
            legacy = r.choice(REGIONS) + birth(r, 1930, 1999)[2:] + f"{r.randint(0, 999):03d}"
            out.append((f"老身份证{legacy}", "cn_resident_id", "id-15-digit"))
        elif fmt == 6:
            out.append((f"订单2023110512 申请人身份证{v}，电话未留", "cn_resident_id", "id-with-other-numbers"))
        else:
            out.append((f"{v},已核实", "cn_resident_id", "id-csv-like"))
    for i in range(520):
        m = mobile(r)
        fmt = i % 9
        text = [m, f"+86 {m}", f"0086{m}", f"(+86){m}", f"{m[:3]}-{m[3:7]}-{m[7:]}", f"{m[:3]} {m[3:7]} {m[7:]}",
                f"联系电话{m.translate(FULLWIDTH)}", f"家属代办，联系电话{m}，请回访核实", f"手机：+86-{m}"][fmt]
        out.append((text, "cn_mobile", f"mobile-{fmt}"))
    for i in range(520):
        c = card(r)
        fmt = i % 6
        text = [c, group4(c, " "), group4(c, "-"), f"银行卡号{c}", f"退款至卡 {group4(c, ' ')} 请查收",
                f"账号：{c.translate(FULLWIDTH)}"][fmt]
        out.append((text, "bank_card", f"card-{fmt}"))
    for i in range(120):
        area = r.choice(["010", "021", "022", "023", "020", "0571", "0755", "0512", "0731", "0991"])
        num = str(r.randint(2, 8)) + "".join(str(r.randint(0, 9)) for _ in range(7 if len(area) == 3 else r.choice([6, 7])))
        fmt = i % 4
        text = [f"{area}-{num}", f"({area}){num}", f"办公电话 {area} {num}", f"座机{area}{num}"][fmt]
        out.append((text, "cn_landline", f"landline-{fmt}"))
    for i in range(110):
        user = r.choice(["zhang", "li.na", "wang_wei", "chen88", "liu-yang", "a1b2"]) + str(r.randint(1, 999))
        dom = r.choice(["example.com", "mail.gov.cn", "qq.com", "163.com", "edu.cn", "sub.example.org"])
        out.append((r.choice([f"{user}@{dom}", f"邮箱{user}@{dom}", f"请发送至 {user}@{dom} 谢谢"]), "email", "email"))
    for i in range(110):
        code = uscc_code(r)
        out.append((r.choice([code, f"统一社会信用代码：{code}", f"供应商{code}已登记"]), "cn_uscc", "uscc"))
    for i in range(110):
        num = "".join(str(r.randint(0, 9)) for _ in range(8))
        v = [f"E{num}", f"E{r.choice('ABCDEFGHJK')}{num[:7]}", f"G{num}", f"C{num}", f"H{num}{r.randint(10, 99)}"][i % 5]
        out.append((r.choice([v, f"护照号码 {v}", f"通行证{v}，有效期五年"]), "passport", "passport"))
    for i in range(110):
        ip = ".".join(str(r.randint(1, 254)) for _ in range(4))
        out.append((r.choice([ip, f"登录IP {ip} 异常", f"来源地址:{ip}"]), "ip_address", "ip"))
    for i in range(110):
        tail = "".join(r.choice("0123456789" * 3 + PLATE_LETTERS) for _ in range(4)) + str(r.randint(0, 9))
        v = r.choice(PLATE_PROV) + r.choice(PLATE_LETTERS) + tail
        if i % 5 == 0:
            v = r.choice(PLATE_PROV) + r.choice(PLATE_LETTERS) + "D" + "".join(str(r.randint(0, 9)) for _ in range(5))
        out.append((r.choice([v, f"车牌号{v}", f"违停车辆 {v} 已处理"]), "licence_plate", "plate"))
    for i in range(110):
        ctx = r.choice(["联系人：", "申请人", "户主 ", "经办人:", "收件人", "监护人为"])
        out.append((f"{ctx}{name(r)}，{r.choice(['已核实', '待回访', '材料齐全'])}", "person_name", "name-in-context"))
    for i in range(110):
        p, c, d = r.choice(CITIES)
        road = r.choice(ROADS)
        v = f"{p}{c}{d}{road}{r.randint(1, 999)}号" + r.choice(["", f"{r.randint(1, 30)}栋{r.randint(101, 2505)}室", f"{r.randint(1, 5)}单元"])
        out.append((r.choice([v, f"家住{v}", f"现住址：{v}，邮编待补"]), "address", "address"))
    return out


def negatives(r: random.Random) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for _ in range(300):  # order numbers
        d = birth(r, 2019, 2025)
        v = r.choice([f"DD{d}{r.randint(0, 999999):06d}", f"{d}{r.randint(0, 10**9 - 1):09d}", f"SO-{d}-{r.randint(0, 99999):05d}",
                      f"{r.randint(10**11, 10**12 - 1)}"])
        out.append((r.choice([v, f"订单号{v}", f"流水号：{v}"]), "none", "order-number"))
    for _ in range(300):  # 18-digit codes with a wrong check character
        v = resident_id(r)
        wrong = r.choice([c for c in "0123456789X" if c != v[-1]])
        out.append((r.choice([v[:-1] + wrong, f"编号{v[:-1] + wrong}"]), "none", "id-wrong-check"))
    for _ in range(250):  # impossible birth dates, correct check character
        y = r.randint(1950, 2005)
        md = r.choice(["1301", "0230", "0431", "0000", "1232", "0631", "0229" if y % 4 else "1340"])
        body = r.choice(REGIONS) + f"{y}{md}" + f"{r.randint(0, 999):03d}"
        out.append((body + id_check(body), "none", "id-impossible-date"))
    for _ in range(100):  # future birth date
        body = r.choice(REGIONS) + f"{r.randint(2031, 2099)}0101" + f"{r.randint(0, 999):03d}"
        out.append((body + id_check(body), "none", "id-future-date"))
    for _ in range(300):  # Luhn-failing 16-digit vouchers
        c = card(r)
        bad = c[:-1] + str((int(c[-1]) + r.randint(1, 9)) % 10)
        out.append((r.choice([bad[:16] if len(bad) > 16 and False else bad, f"券码{bad}", f"兑换码 {group4(bad, ' ')}"]), "none", "luhn-fail"))
    for _ in range(300):  # timestamps
        d = birth(r, 2000, 2025)
        hms = f"{r.randint(0, 23):02d}{r.randint(0, 59):02d}{r.randint(0, 59):02d}"
        v = r.choice([f"{d[:4]}-{d[4:6]}-{d[6:]} {hms[:2]}:{hms[2:4]}:{hms[4:]}", f"{d}{hms}", f"{d}{hms}{r.randint(0, 999):03d}",
                      str(r.randint(1_500_000_000, 1_800_000_000)), str(r.randint(1_500_000_000_000, 1_800_000_000_000))])
        out.append((r.choice([v, f"时间戳{v}", f"更新于 {v}"]), "none", "timestamp"))
    for _ in range(200):  # postal codes
        out.append((r.choice([f"邮编{r.randint(100000, 859999)}", f"{r.randint(100000, 859999)}", f"邮政编码：{r.randint(100000, 859999)}"]),
                    "none", "postal-code"))
    for _ in range(200):  # amounts
        v = r.choice([f"{r.randint(1, 10**8)}.{r.randint(0, 99):02d}", f"¥{r.randint(1, 10**6):,}.00", f"{r.randint(10**9, 10**10)}元",
                      f"13800.{r.randint(10, 99)}"])
        out.append((r.choice([v, f"金额{v}", f"合计 {v}"]), "none", "amount"))
    for _ in range(150):  # 11-digit numbers that are not mobiles
        v = r.choice(["10", "11", "12", "20", "99"]) + "".join(str(r.randint(0, 9)) for _ in range(9))
        out.append((r.choice([v, f"档案号{v}"]), "none", "11-digit-not-mobile"))
    for _ in range(100):  # USCC with a wrong check character
        code = uscc_code(r)
        wrong = r.choice([c for c in USCC_ALPHABET if c != code[-1]])
        out.append((code[:-1] + wrong, "none", "uscc-wrong-check"))
    for _ in range(50):
        out.append((r.choice(["user@localhost", "a@b", "@example.com", "邮箱未填写@"]), "none", "not-email"))
    for _ in range(50):
        out.append((r.choice([f"版本{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 20)}", f"{r.randint(256, 999)}.1.1.{r.randint(1, 9)}",
                              f"第{r.randint(1, 9)}.{r.randint(1, 9)}节"]), "none", "not-ip"))
    for _ in range(100):  # surname-initial words without context
        out.append((r.choice(["王府井大街", "高新区管委会", "张贴公告", "李子园", "黄金周", "周末值班", "陈列馆", "马上办理", "林业局", "钱款已退"]),
                    "none", "surname-word"))
    for _ in range(100):  # addresses without house numbers (district level)
        p, c, d = r.choice(CITIES)
        out.append((r.choice([f"{p}{c}{d}", f"{c}{d}{r.choice(ROADS)}", f"辖区：{c}{d}"]), "none", "coarse-address"))
    for _ in range(60):
        out.append((r.choice(["联系人：已离职", "申请人数：12人", "经办人签字", "户主信息待补", "联系人未填写"]), "none", "context-without-name"))
    return out


def later_kinds(r: random.Random) -> list[tuple[str, str, str]]:
    """Formats added after the first corpus (own generator, so the earlier rows stay as they were)."""
    out: list[tuple[str, str, str]] = []
    for i in range(60):  # Taiwan compatriot permits and foreign passports: after a context word
        num = "".join(str(r.randint(0, 9)) for _ in range(8))
        v = [f"台胞证号码{num}", f"台湾居民来往大陆通行证：{num}{r.randint(10, 99)}(B)", f"美国护照 {r.randint(5, 9)}{num}",
             f"护照号X{num}已核验"][i % 4]
        out.append((v, "passport", "permit-in-context"))
    for i in range(60):
        g = [f"{r.randint(0, 0xFFFF):x}" for _ in range(8)]
        v = [":".join(g), f"{g[0]}:{g[1]}::{g[2]}:{g[3]}", f"fe80::{g[4]}", f"登录IP {g[0]}:{g[1]}::{g[7]} 成功"][i % 4]
        out.append((v, "ip_address", "ipv6"))
    for i in range(60):  # numbers glued to a stray x (extensions, typos)
        if i % 2:
            out.append((f"电话{mobile(r)}{r.choice('xX')}{r.randint(1, 99)}", "cn_mobile", "mobile-then-x"))
        else:
            out.append((f"卡号{card(r)}x", "bank_card", "card-then-x"))
    for _ in range(60):
        out.append((r.choice([f"编号{r.randint(10**7, 10**8 - 1)}", f"时间 {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
                              "std::vector", f"{r.randint(10, 99)}:{r.randint(10, 99)}:{r.randint(10, 99)}:{r.randint(10, 99)}",
                              f"批次{r.randint(10**7, 10**8 - 1)}x"]), "none", "later-look-alikes"))
    return out


def build() -> list[tuple[str, str, str]]:
    r = random.Random(20261123)
    return positives(r) + negatives(r) + later_kinds(random.Random(20261124))


def main() -> None:
    rows = build()
    with CORPUS.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "kind", "category"])
        w.writerows(rows)
    pos = sum(1 for _, k, _ in rows if k != "none")
    print(f"wrote {CORPUS}: {pos} positives, {len(rows) - pos} negatives")


if __name__ == "__main__":
    main()
