"""Detector kinds, the ``Finding`` record, and reference lists (surnames, province codes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = (
    "cn_resident_id", "cn_mobile", "cn_landline", "bank_card", "email", "cn_uscc", "passport",
    "ip_address", "licence_plate", "person_name", "address",
)
"""Every kind a detector can report (shared with the schema's ``pii`` key)."""

ORGANIZATION_KINDS = frozenset({"cn_uscc"})
"""Kinds that identify organizations: reported, but not personal information."""

PERSONAL_KINDS = frozenset(KINDS) - ORGANIZATION_KINDS
"""Kinds that are personal information (GB/T 35273)."""

MAX_ROWS = 20
"""How many row numbers a finding cites."""


@dataclass
class Finding:
    """Where a kind of identifier was detected. Never carries values — only field, counts, row numbers.

    ``rows`` are Frictionless row numbers (header = row 1, first data row = 2), at most 20.
    """

    field: str
    kind: str
    count: int
    rows: list[int] = field(default_factory=list)
    personal: bool = True
    blocking: bool = False
    declared: str | None = None
    note: str | None = None

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "kind": self.kind, "count": self.count, "rows": list(self.rows)}
        if full:
            out["personal"] = self.personal
            if self.declared is not None:
                out["declared"] = self.declared
            if self.blocking:
                out["blocking"] = True
            if self.note:
                out["note"] = self.note
        return out


# GB/T 2260 province-level prefixes (first two digits of a region code), incl. HK/Macao/Taiwan (81/82/83/71).
PROVINCE_PREFIXES = (
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
)

SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍"
    "涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党"
    "宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈"
    "匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支"
    "卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银"
    "亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
"""Common single-character surnames (about 400; covers well over 95 % of the population)."""

COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯",
    "令狐", "轩辕", "端木", "西门", "独孤", "南宫", "百里", "呼延", "澹台", "公冶", "太史", "申屠", "万俟",
    "闻人", "拓跋", "钟离", "宗政", "濮阳", "单于", "赫连", "第五", "公羊", "左丘",
)

NAME_HEADER_HINTS = ("姓名", "名字", "联系人", "申请人", "户主", "经办人", "收件人", "领取人", "代领人", "法定代表人",
                     "法人代表", "负责人", "监护人", "患者", "学生姓名", "name")
"""Header words that make a column's name-shaped values count as person names."""

NAME_CONTEXT_WORDS = ("姓名", "联系人", "申请人", "户主", "经办人", "收件人", "领取人", "代领人", "监护人", "患者",
                      "法定代表人", "负责人", "家属", "本人", "被保险人", "参保人", "当事人")
"""Words that, directly before a name-shaped run in free text, mark it as a person name."""
