"""Prefect flows. Flows only compose tasks; tasks are thin wrappers over `pipelines.stages`.

Raw data never reaches Prefect's result storage: every task runs with ``persist_result=False``
and no cache policy, flows return only outcome summaries, and stage errors are value-free.
Only transient errors (network, 5xx, timeouts) are retried.
"""

from __future__ import annotations

from kaifang import _alloc  # noqa: F401 — first, before anything loads polars (see the module)

import os
from typing import Any

from kaifang.settings import Settings

# Prefect keeps its database, logs and result storage under the state dir unless told otherwise.
os.environ.setdefault("PREFECT_HOME", str(Settings().state_dir / "prefect"))
os.makedirs(os.environ["PREFECT_HOME"], exist_ok=True)  # Prefect creates only the last level
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# a fresh PREFECT_HOME migrates its database on first start; on a busy 2-core machine that takes > 20 s
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")  # no telemetry from a closed network

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from kaifang.errors import TransientError, is_transient
from pipelines import stages


def retry_transient(task_, task_run, state) -> bool:
    """Retry condition: only KaifangError marked transient is worth another try."""
    try:
        state.result(raise_on_failure=True)
    except Exception as exc:  # noqa: BLE001
        return is_transient(exc)
    return False


_NO_PERSIST = {"persist_result": False, "cache_policy": NO_CACHE}
_RETRY = {"retries": 3, "retry_delay_seconds": [2, 10, 30], "retry_condition_fn": retry_transient}

TASKS = {
    stages.load_dataset: task(stages.load_dataset, name="load-definition", **_NO_PERSIST),
    stages.extract: task(stages.extract, name="extract", **_NO_PERSIST, **_RETRY),
    stages.validate: task(stages.validate, name="validate", **_NO_PERSIST),
    stages.classify: task(stages.classify, name="scan-classify", **_NO_PERSIST),
    stages.desensitize: task(stages.desensitize, name="desensitize", **_NO_PERSIST),
    stages.build_bundle: task(stages.build_bundle, name="build-release", **_NO_PERSIST),
    stages.publish: task(stages.publish, name="publish", **_NO_PERSIST, **_RETRY),
}


def _as_task(stage, *args, **kwargs):
    return TASKS[stage](*args, **kwargs)


def _artifact(outcome: stages.Outcome) -> None:
    lines = [
        f"# {outcome.dataset}",
        "",
        "| | |",
        "|---|---|",
        f"| status | {outcome.status} |",
        f"| version | {outcome.version or '—'} |",
        f"| visibility | {outcome.visibility or '—'} |",
        f"| quality score | {outcome.quality_score if outcome.quality_score is not None else '—'} |",
        f"| personal-data findings handled | {outcome.findings_handled} |",
        f"| content sha256 | `{outcome.content_sha256 or '—'}` |",
    ]
    if outcome.url:
        lines.append(f"| portal page | [{outcome.url}]({outcome.url}) |")
    if outcome.message:
        lines += ["", outcome.message]
    create_markdown_artifact(
        key=f"release-{outcome.dataset}".lower(), markdown="\n".join(lines), description=f"Kaifang run of {outcome.dataset}"
    )


@flow(name="publish-dataset", persist_result=False, log_prints=False)
def publish_dataset(dataset_id: str) -> dict[str, Any]:
    """extract → validate → scan/classify → desensitize → build release → publish, for one dataset."""
    outcome = stages.run_pipeline(dataset_id, Settings(), call=_as_task)
    get_run_logger().info("dataset=%s status=%s version=%s", outcome.dataset, outcome.status, outcome.version)
    _artifact(outcome)
    return outcome.to_dict()


@task(name="publish-one", persist_result=False, cache_policy=NO_CACHE)
def publish_one(dataset_id: str, settings_json: str) -> dict[str, Any]:
    """One dataset's whole pipeline on a worker (thread or Dask process); never raises."""
    settings = Settings.model_validate_json(settings_json)
    try:
        outcome = stages.run_pipeline(dataset_id, settings)
    except Exception as exc:  # one dataset failing does not stop the others
        render = getattr(exc, "render", None)
        outcome = stages.Outcome(
            dataset=dataset_id, status="failed", message=render() if render else f"{type(exc).__name__} (message withheld)"
        )
    return outcome.to_dict()


def _task_runner(dask_address: str | None, concurrency: int):
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    return ThreadPoolTaskRunner(max_workers=concurrency)


@flow(name="publish-catalog", persist_result=False)
def publish_catalog_flow(dataset_ids: list[str], settings_json: str) -> list[dict[str, Any]]:
    """Submit one publish-one task per dataset to the flow's task runner; collect every outcome."""
    futures = [publish_one.submit(i, settings_json) for i in dataset_ids]
    outcomes = [f.result() for f in futures]
    for o in outcomes:
        _artifact(stages.Outcome(**o))
    return outcomes


def publish_catalog(datasets: list[str] | None = None, *, dask_address: str | None = None, concurrency: int = 4) -> list[dict]:
    """Fan out over datasets (threads by default, a Dask cluster with an address); every outcome listed."""
    settings = Settings()
    if not datasets:
        from pipelines.descriptor import load_registry

        datasets = sorted(load_registry(settings.datasets_dir))
    runner = _task_runner(dask_address or os.environ.get("KAIFANG_DASK_ADDRESS"), concurrency)
    try:
        return publish_catalog_flow.with_options(task_runner=runner)(datasets, settings.model_dump_json())
    except RuntimeError as exc:
        if "Prefect API" not in str(exc):
            raise
        raise TransientError(
            "the Prefect API did not answer",
            fix="retry; or start a Prefect server and set PREFECT_API_URL (see README)",
            prefect_home=os.environ.get("PREFECT_HOME"),
        ) from None
