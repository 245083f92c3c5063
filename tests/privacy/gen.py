"""Generators for privacy tests: valid identifiers with check digits from python-stdnum (independent oracle)."""

from __future__ import annotations

import random

from stdnum import luhn

from tests.privacy.make_corpus import MOBILE_PREFIXES, REGIONS, id_check

FULLWIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def resident_id(r: random.Random) -> str:
    body = r.choice(REGIONS) + f"{r.randint(1930, 2012):04d}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(0, 999):03d}"
    return body + id_check(body)


def mobile(r: random.Random) -> str:
    return r.choice(MOBILE_PREFIXES) + f"{r.randint(0, 10**8 - 1):08d}"


def bank_card(r: random.Random) -> str:
    body = r.choice(["622202", "622848", "621700", "623062", "621226"])
    length = r.choice([16, 19])
    while len(body) < length - 1:
        body += str(r.randint(0, 9))
    return body + luhn.calc_check_digit(body)


def formats(kind: str, v: str, i: int) -> str:
    """A few real-world spellings of one identifier."""
    if kind == "cn_resident_id":
        return [v, v.lower(), v.translate(FULLWIDTH), f"{v[:6]} {v[6:14]} {v[14:]}"][i % 4]
    if kind == "cn_mobile":
        return [v, f"+86 {v}", f"0086{v}", f"(+86){v}", f"{v[:3]}-{v[3:7]}-{v[7:]}", f"{v[:3]} {v[3:7]} {v[7:]}",
                v.translate(FULLWIDTH)][i % 7]
    return [v, " ".join(v[j:j + 4] for j in range(0, len(v), 4)), "-".join(v[j:j + 4] for j in range(0, len(v), 4)),
            v.translate(FULLWIDTH)][i % 4]


GENERATORS = {"cn_resident_id": resident_id, "cn_mobile": mobile, "bank_card": bank_card}
