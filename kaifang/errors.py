"""One base exception for Kaifang, split into transient (retried) and terminal (not retried).

Messages name the object with ``key=value`` context and state the fix. They never carry raw
values of non-public fields: callers pass row numbers and field names, not cell contents.
"""

from __future__ import annotations

from typing import Any

ERROR_SHAPE_VERSION = "kaifang.error/1"


class KaifangError(Exception):
    """Base of every error Kaifang raises on purpose."""

    #: stable machine-readable code (kebab-case)
    code: str = "kaifang-error"
    #: True when a retry may succeed (network blips, 5xx, timeouts)
    transient: bool = False
    #: process exit code the CLI uses for this error
    exit_code: int = 1

    def __init__(self, message: str, *, fix: str | None = None, code: str | None = None, **context: Any):
        self.message = message
        self.fix = fix
        self.context = {k: v for k, v in context.items() if v is not None}
        if code:
            self.code = code
        super().__init__(self.render())

    def render(self) -> str:
        parts = [self.message]
        if self.context:
            parts.append("(" + " ".join(f"{k}={v}" for k, v in self.context.items()) + ")")
        text = " ".join(parts)
        if self.fix:
            text += f". Fix: {self.fix}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "shape": ERROR_SHAPE_VERSION,
            "code": self.code,
            "message": self.message,
            "fix": self.fix,
            "context": {k: (v if isinstance(v, (int, float, bool)) else str(v)) for k, v in self.context.items()},
            "transient": self.transient,
        }

    # Prefect/pickling support: rebuild from the rendered parts.
    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self.fix, self.code, self.context))


def _rebuild(cls, message, fix, code, context):
    return cls(message, fix=fix, code=code, **context)


class TransientError(KaifangError):
    """A failure that may succeed on retry (Prefect retries these)."""

    code = "transient-error"
    transient = True


class TerminalError(KaifangError):
    """A failure that will not go away by retrying: bad input, bad config, conflicts."""

    code = "terminal-error"


class ConfigError(TerminalError):
    """Bad configuration or usage (CLI exit code 2)."""

    code = "config-error"
    exit_code = 2


class SourceError(TerminalError):
    """A department source could not be read or parsed."""

    code = "source-error"


class GateBlocked(TerminalError):
    """The quality or privacy gate refused to let a release through."""

    code = "gate-blocked"


class PublishConflict(TerminalError):
    """Another publish of the same dataset holds the lock or won the race."""

    code = "publish-conflict"


def is_transient(exc: BaseException) -> bool:
    """Retry condition for Prefect tasks: only KaifangError marked transient."""
    return isinstance(exc, KaifangError) and exc.transient
