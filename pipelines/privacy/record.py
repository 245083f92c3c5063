"""The de-identification record (GB/T 37964-2019 steps), published with each release.

Steps: 1 goals (disclosure model and thresholds) → 2 identifiers found (per field, kinds, counts) →
3 de-identification (method and parameters per field — never keys) → 4 disclosure control (k achieved,
cells suppressed, records touched) → 5 verification (re-scan, residual findings).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from kaifang.problems import Problem
from pipelines.privacy.kinds import Finding

RECORD_SHAPE = "kaifang.deid-record/1"
_SECRET_WORDS = ("key", "secret", "token", "password", "salt")


def safe_params(params: dict[str, Any]) -> dict[str, Any]:
    """Method parameters for the record, without anything that looks like a secret."""
    return {k: v for k, v in params.items() if not any(w in k.lower() for w in _SECRET_WORDS)}


@dataclass
class FieldAction:
    """What happened to one field."""

    field: str
    sensitivity: str
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    pii: str | None = None
    declared: bool = True
    keyed: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = {"field": self.field, "sensitivity": self.sensitivity, "method": self.method,
             "params": safe_params(self.params), "pii": self.pii, "declared": self.declared}
        if self.keyed:
            d["keyed"] = "HMAC-SHA256 with the key named by settings (key not recorded)"
        return d


@dataclass
class DeidRecord:
    """De-identification record of one release. Holds counts, field names and row numbers only."""

    dataset: str | None = None
    disclosure: dict[str, Any] = field(default_factory=dict)
    identifiers: list[Finding] = field(default_factory=list)
    actions: list[FieldAction] = field(default_factory=list)
    control: dict[str, Any] = field(default_factory=dict)
    residual: list[Finding] = field(default_factory=list)
    rows_in: int = 0
    rows_out: int = 0
    columns_out: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    created: str = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))

    @property
    def passed(self) -> bool:
        return not self.residual

    def to_dict(self) -> dict[str, Any]:
        return {
            "shape": RECORD_SHAPE,
            "standard": "GB/T 37964-2019",
            "dataset": self.dataset,
            "created": self.created,
            "steps": {
                "1_goals": {"disclosure": self.disclosure},
                "2_identifiers": [f.to_dict() for f in self.identifiers],
                "3_deidentification": [a.to_dict() for a in self.actions],
                "4_disclosure_control": self.control,
                "5_verification": {"passed": self.passed, "rows_in": self.rows_in, "rows_out": self.rows_out,
                                    "columns_out": self.columns_out,
                                    "residual_findings": [f.to_dict() for f in self.residual]},
            },
            "k_achieved": self.control.get("k_achieved"),
            "cells_suppressed": self.control.get("cells_suppressed", 0),
            "problems": [p.to_dict() for p in self.problems],
        }
