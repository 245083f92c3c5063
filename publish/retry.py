"""Bounded retries with exponential backoff for transient failures (5xx, timeouts, connection errors).

Only ``TransientError`` is retried; every other exception (terminal errors included) propagates at once.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from kaifang.errors import TransientError

T = TypeVar("T")
log = logging.getLogger("kaifang.publish")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a transient failure is retried."""

    attempts: int = 4
    """Total tries, the first one included."""
    base_delay: float = 0.2
    """Seconds before the first retry; doubled each time."""
    max_delay: float = 5.0
    """Upper bound of one wait, in seconds."""


def with_retries(fn: Callable[[], T], *, policy: RetryPolicy, what: str, sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``fn``; retry ``TransientError`` up to ``policy.attempts`` tries with jittered exponential backoff."""
    delay = policy.base_delay
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except TransientError as exc:
            if attempt >= policy.attempts:
                raise
            wait = min(policy.max_delay, delay) * (0.75 + random.random() / 2)
            log.warning("transient failure on %s (attempt %d/%d), retrying in %.2fs: %s", what, attempt, policy.attempts, wait, exc.message)
            sleep(wait)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
