"""The pipeline's stages as plain functions over data, in order.

`kaifang check` calls them directly (no orchestration overhead); `flows.py` wraps each in a thin
Prefect task. Every stage turns unexpected library errors into a terminal KaifangError whose
message names the stage and dataset but never echoes the library's message (polars and pandas
errors quote cell values, which may be personal).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

from kaifang.errors import ConfigError, GateBlocked, KaifangError, TerminalError
from kaifang.settings import Settings

T = TypeVar("T")


def sanitized(stage: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Let KaifangError through; replace any other exception by a value-free terminal error."""

    def deco(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            try:
                return fn(*args, **kwargs)
            except KaifangError:
                raise
            except Exception as exc:  # noqa: BLE001 — deliberately value-free
                ds = kwargs.get("dataset") or (args[0] if args else None)
                raise TerminalError(
                    f"stage {stage} failed with {type(exc).__name__}",
                    fix="run `kaifang check DATASET` locally to see the problem report; the original message is withheld because it may quote personal values",
                    stage=stage,
                    dataset=getattr(ds, "id", ds if isinstance(ds, str) else None),
                ) from None

        return wrapper

    return deco


@dataclass
class Outcome:
    """What one dataset's run did: the summary row of `make demo` and `publish_catalog`."""

    dataset: str
    department: str = ""
    status: str = "pending"  # published | up-to-date | kept-internal | blocked | failed | checked
    version: str | None = None
    visibility: str | None = None  # public | private to organization | internal
    quality_score: float | None = None
    findings_handled: int = 0
    url: str | None = None
    content_sha256: str | None = None
    message: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


@sanitized("load")
def load_dataset(dataset_id: str, settings: Settings):
    """Read and validate one dataset definition from the registry (only its own folder when it has one)."""
    from pipelines.descriptor import load_dataset as _load, load_registry

    folder = Path(settings.datasets_dir) / dataset_id
    if dataset_id == folder.name and not dataset_id.startswith(".") and (folder / "dataset.yaml").is_file():
        return _load(folder)
    registry = load_registry(settings.datasets_dir)
    if dataset_id not in registry:
        raise ConfigError(
            "unknown dataset",
            fix=f"use one of: {', '.join(sorted(registry))}",
            dataset=dataset_id,
            datasets_dir=settings.datasets_dir,
        )
    return registry[dataset_id]


@sanitized("extract")
def extract(dataset, settings: Settings):
    """Read the department source as received; snapshot raw bytes; record lineage."""
    from pipelines.extract import extract as _extract

    return _extract(dataset, settings.state_dir)


@sanitized("validate")
def validate(dataset, extraction, settings: Settings):
    """Schema + expectations gate; returns the typed frame, report and score."""
    from quality.gate import run_quality

    return run_quality(
        dataset,
        extraction.table,
        extracted_at=extraction.lineage.extracted_at,
        raw_path=extraction.raw_path,
        quarantine_dir=settings.state_dir / "quarantine",
    )


@sanitized("classify")
def classify(dataset, frame):
    """Compare detected personal data with declared sensitivity; personal data in a public field blocks."""
    from pipelines.privacy.classify import blocking, classify as _classify

    findings = _classify(frame, dataset.schema)
    bad = blocking(findings)
    if bad:
        worst = ", ".join(f"{f.field}:{f.kind}×{f.count}" for f in bad[:5])
        raise GateBlocked(
            "personal data found in fields declared public",
            fix="tag these fields with their sensitivity and a desensitize method in schema.json",
            dataset=dataset.id,
            findings=worst,
        )
    return findings


def hmac_key(settings: Settings) -> bytes | None:
    """The pseudonymization key from the environment (never printed); None when unset."""
    value = os.environ.get(settings.hmac_key_env)
    return value.encode() if value else None


@sanitized("desensitize")
def desensitize(dataset, frame, settings: Settings, previous=None, findings=None):
    """Apply each field's declared method and disclosure control; re-scan; return frame + record.
    ``frame`` may be handed over in a one-element list (see ``privacy.desensitize.apply``)."""
    from pipelines.privacy.desensitize import apply

    return apply(frame, dataset.schema, dataset.descriptor, key=hmac_key(settings), previous=previous, findings=findings)


@sanitized("bundle")
def build_bundle(dataset, frame, quality, deid, extraction, settings: Settings, out_dir: Path | None = None):
    """Build (and verify) the release bundle in staging; None when content is unchanged."""
    from publish.release import build_release

    return build_release(
        dataset,
        frame,
        quality=quality.report,
        quality_html=quality.html,
        deid=deid.to_dict(),
        lineage=extraction.lineage.to_dict(),
        settings=settings,
        staging_dir=out_dir,
    )


@sanitized("publish")
def publish(dataset, bundle, settings: Settings):
    """Write objects, update the portal, switch the current version; returns the release result."""
    from publish.release import publish_release

    return publish_release(dataset, bundle, settings)


def previous_release_frame(dataset, settings: Settings):
    """The current published data of this dataset (for differencing), or None before the first release."""
    from publish.release import _store, previous_release

    prev = previous_release(_store(settings, None), dataset.id)
    return prev.frame if prev is not None else None


def current_release(dataset, settings: Settings) -> dict | None:
    """The release-history entry of the current version (from the object store), or None."""
    from publish import history
    from publish.release import _store

    return history.load(_store(settings, None), dataset.id).current()


def portal_page(dataset, settings: Settings) -> str:
    """The dataset's page on the portal (no request is made)."""
    from publish.ckan.client import connect
    from publish.ckan.package import package_name

    return f"{connect(settings).url.rstrip('/')}/dataset/{package_name(dataset.id)}"


def _plain(stage: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return stage(*args, **kwargs)


def run_pipeline(
    dataset_id: str,
    settings: Settings,
    *,
    publish_release: bool = True,
    out_dir: Path | None = None,
    call: Callable[..., Any] = _plain,
) -> Outcome:
    """Run every stage for one dataset. ``call(stage, *args)`` runs a stage: plainly (check, Dask
    workers) or as a Prefect task (flows.py). Gate failures become a ``blocked`` outcome."""
    dataset = call(load_dataset, dataset_id, settings)
    d = dataset.descriptor
    outcome = Outcome(dataset=dataset.id, department=d.department.name)
    try:
        # Each big intermediate is released as soon as the next stage has what it needs from it (peak
        # memory): the raw all-Utf8 table once the typed frame exists, the typed frame and the previous
        # release once desensitized, the release frame once bundled.
        extraction = call(extract, dataset, settings)
        quality = call(validate, dataset, extraction, settings)
        extraction.table = None
        outcome.quality_score = round(float(quality.score), 1)
        findings = call(classify, dataset, quality.frame)
        previous = previous_release_frame(dataset, settings) if publish_release else None
        handed, quality.frame = [quality.frame], None  # desensitization releases its input column by column
        frame, deid = call(desensitize, dataset, handed, settings, previous, findings)
        previous = None
        outcome.findings_handled = sum(f.count for f in findings if getattr(f, "kind", None) != "cn_uscc")
        bundle = call(build_bundle, dataset, frame, quality, deid, extraction, settings, out_dir)
        frame = None
    except GateBlocked as exc:
        outcome.status, outcome.message = "blocked", exc.render()
        return outcome
    if bundle is None:
        outcome.status, outcome.message = "up-to-date", "content unchanged since the current release"
        current = current_release(dataset, settings)
        if current:
            outcome.version, outcome.content_sha256 = current.get("version"), current.get("content_sha256")
        if publish_release and d.open_condition != "closed":
            outcome.url = portal_page(dataset, settings)
            outcome.visibility = "public" if d.open_condition == "unconditional" else "private to organization"
        if d.open_condition == "closed":
            outcome.status, outcome.visibility = "kept-internal", "internal"
            outcome.message = "closed dataset: unchanged, kept internal"
        return outcome
    outcome.version = bundle.version
    outcome.content_sha256 = bundle.content_sha256
    if not publish_release:
        outcome.status = "checked"
        outcome.message = f"bundle written to {bundle.dir}"
        return outcome
    result = call(publish, dataset, bundle, settings)
    if result.status == "up-to-date":
        outcome.status, outcome.message = "up-to-date", "content unchanged since the current release"
    elif d.open_condition == "closed":
        outcome.status, outcome.visibility = "kept-internal", "internal"
        outcome.message = "closed dataset: stored internally, never sent to the portal"
    else:
        outcome.status = "published"
        outcome.url = result.portal_url
        outcome.visibility = "public" if d.open_condition == "unconditional" else "private to organization"
    return outcome
