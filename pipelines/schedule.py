"""Schedules: a cron per dataset derived from its update_frequency (the descriptor may override it).

Runs are spread over the night (02:00–05:59) by a stable hash of the dataset id, so a catalogue
of thousands does not start all at once. ``irregular`` datasets get no schedule (run on demand).
"""

from __future__ import annotations

import hashlib

#: update_frequency → cron template; {m} minute, {h} hour, {d} day of month, {w} weekday
CRON_TEMPLATES = {
    "daily": "{m} {h} * * *",
    "weekly": "{m} {h} * * {w}",
    "monthly": "{m} {h} {d} * *",
    "quarterly": "{m} {h} {d} 1,4,7,10 *",
    "semiannual": "{m} {h} {d} 1,7 *",
    "yearly": "{m} {h} {d} 1 *",
    "irregular": None,
}


def _spread(dataset_id: str) -> dict[str, int]:
    n = int.from_bytes(hashlib.sha256(dataset_id.encode()).digest()[:4], "big")
    return {"m": n % 60, "h": 2 + (n // 60) % 4, "d": 1 + (n // 240) % 5, "w": (n // 1200) % 7}


def cron_for(descriptor) -> str | None:
    """The cron expression for a dataset: the descriptor's ``schedule`` or one from update_frequency."""
    if getattr(descriptor, "schedule", None):
        return descriptor.schedule
    template = CRON_TEMPLATES[descriptor.update_frequency]
    return template.format(**_spread(descriptor.id)) if template else None
