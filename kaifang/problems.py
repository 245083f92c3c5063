"""The one JSON shape for row/field problems and reports.

A ``Problem`` is a typed record with a stable Frictionless-vocabulary ``type``
(``type-error``, ``constraint-error``, ``unique-error``, ``missing-cell`` …) and positions,
never raw cell values. A report envelope wraps problems for any stage.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

REPORT_SHAPE_VERSION = "kaifang.report/1"

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem at a position. ``message`` must not contain values of non-public fields."""

    type: str
    message: str
    rowNumber: int | None = None
    fieldNumber: int | None = None
    fieldName: str | None = None
    severity: Severity = "error"
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    """Envelope shared by every stage's report (quality, scan, publish …)."""

    kind: str
    subject: str
    valid: bool
    stats: dict[str, Any] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "shape": REPORT_SHAPE_VERSION,
            "kind": self.kind,
            "subject": self.subject,
            "valid": self.valid,
            "stats": self.stats,
            "errors": [p.to_dict() for p in self.errors],
            "warnings": [p.to_dict() for p in self.warnings],
            **self.extra,
        }
