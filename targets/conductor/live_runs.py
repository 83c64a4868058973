"""``agentc effects`` and ``agentc cancel`` for a run on a live Conductor server
(``--engine conductor --server URL``; docs/effects.md "Other targets"), the run id being
the workflow id. The same readings and steps as for a saved simulation (``effects.py``),
through conductor-python's clients:

* the ledger: the execution's effect records (``GET /api/workflow/{id}?includeTasks=true``),
  compensated by its failure workflow (``conductor.failure_workflow`` in its output, set
  by the server; or the one ``cancel`` started, noted in the payload store) and by the
  workers of late siblings (``late_effects.py``);
* cancel: a terminate through the API (``DELETE /api/workflow/{id}?reason=``, the server's
  ``terminateWorkflow(id, reason)``) never starts the failure workflow, so ``cancel``
  terminates the run, then starts the failure workflow itself (``POST /api/workflow``) with
  the input the server would give it (``effects.failure_input``), and waits — for at most
  ``wait_s`` — until a worker (``agentc worker conductor``) has run its compensation task.
  A task that was running when the run was terminated is CANCELED; if its step completes
  a compensable effect anyway, its worker compensates it (``late_effects.py``).
"""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.semantics import blobs

from . import effects, late_effects, live_task
from .server import api_url

NOTES = "conductor_cancels"
"""The payload store's folder of the failure workflows ``cancel`` started, by run id."""


def _clients(url: str) -> dict[str, Any]:
    return live_task.clients(live_task.Server(api_url(url)))


def _execution(url: str, workflow_id: str) -> dict[str, Any]:
    from conductor.client.http.rest import ApiException

    try:
        ex = live_task.execution(live_task.Server(api_url(url)), workflow_id)
    except ApiException as exc:
        status = getattr(exc, "status", 0) or 0
        raise AgentcError(
            Code.CONFIG,
            f"the Conductor server at {url} has no run {workflow_id!r} (HTTP {status})"
            if status == 404
            else f"cannot read run {workflow_id!r} from the Conductor server at {url}: "
            f"{getattr(exc, 'reason', exc)}",
            construct=workflow_id,
            hint="pass the workflow id `agentc` or the server gave the run, and the server's "
            "API URL (--server http://HOST:8080/api)",
        ) from None
    if not ex:
        raise AgentcError(
            Code.CONFIG,
            f"the Conductor server at {url} answered nothing for run {workflow_id!r}",
            construct=workflow_id,
            hint="check the --server URL",
        )
    return ex


def _note_path(store: blobs.Store, workflow_id: str) -> str:
    return f"{store.root}/{NOTES}/{urllib.parse.quote(workflow_id, safe='')}.json"


def _noted_failure(workflow_id: str) -> str | None:
    store = blobs.store()
    path = _note_path(store, workflow_id)
    try:
        if not store.fs.exists(path):
            return None
        return json.loads(store.fs.cat_file(path)).get("failure_workflow")
    except Exception as exc:  # noqa: BLE001 - fsspec backends raise many types
        raise blobs.unreachable(store.url, exc) from None


def _note_failure(workflow_id: str, failure_id: str) -> None:
    store = blobs.store()
    path = _note_path(store, workflow_id)
    try:
        store.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        store.fs.pipe_file(path, json.dumps({"failure_workflow": failure_id}).encode())
    except Exception as exc:  # noqa: BLE001
        raise blobs.unreachable(store.url, exc) from None


def failure_id(ex: dict[str, Any], workflow_id: str) -> str | None:
    """The failure workflow that compensated the run, if any."""
    fid = (ex.get("output") or {}).get("conductor.failure_workflow")
    if isinstance(fid, str) and fid and not fid.startswith("Error workflow"):
        return fid
    return _noted_failure(workflow_id)


def ledger(url: str, workflow_id: str) -> list[dict[str, Any]]:
    """The run's effects, as ``agentc effects`` shows them (the local ledger's fields)."""
    ex = _execution(url, workflow_id)
    rows = effects.record_rows(ex)
    fid = failure_id(ex, workflow_id)
    effects.compensated_rows(rows, _execution(url, fid) if fid else None)
    late_effects.ledger_rows(workflow_id, rows)
    return list(rows.values())


def cancel(url: str, workflow_id: str, *, wait_s: float = 120.0) -> Any:
    """Terminate the running run ``workflow_id`` and compensate it (see the module's
    docstring); returns the outcome (``cancelled``, the names compensated in order)."""
    from conductor.client.http.models.start_workflow_request import StartWorkflowRequest

    from agentc.targets.local.executor import RunOutcome

    ex = _execution(url, workflow_id)
    if ex["status"] in effects.TERMINAL:
        raise AgentcError(
            Code.RUN_NOT_RESUMABLE,
            f"run {workflow_id} already ended ({ex['status']})",
            construct=workflow_id,
            hint="only a running or paused run can be cancelled; a failed run was compensated "
            f"by its failure workflow (`agentc effects {workflow_id} --engine conductor "
            "--server URL`)",
        )
    c = _clients(url)
    meta = _workflow_def(c, ex)
    c["workflows"].terminate(workflow_id, reason=effects.CANCEL_REASON)
    failure = meta.get("failureWorkflow")
    if not failure:  # nothing compensable in this workflow
        return RunOutcome(workflow_id, "cancelled", compensated=[])
    ended = _execution(url, workflow_id)
    request = StartWorkflowRequest(
        name=failure,
        input=effects.failure_input(ended, workflow_id),
        correlation_id=ended.get("correlationId"),
    )
    fid = c["workflows"].start_workflow(request)
    _note_failure(workflow_id, fid)
    end = time.monotonic() + wait_s
    done = _execution(url, fid)
    while done["status"] not in effects.TERMINAL and time.monotonic() < end:
        time.sleep(0.2)
        done = _execution(url, fid)
    if done["status"] != "COMPLETED":
        waiting = done["status"] not in effects.TERMINAL
        raise AgentcError(
            Code.NODE_FAILED,
            f"the compensation of run {workflow_id} "
            + (
                f"did not finish within {wait_s:g} s (failure workflow {fid})"
                if waiting
                else f"{done['status']}: {done.get('reasonForIncompletion') or ''}"
            ),
            construct=failure,
            hint=(
                "a worker must serve the compensation task: `agentc worker conductor REF "
                "--server URL`; the failure workflow goes on once one polls it"
                if waiting
                else f"see `agentc effects {workflow_id} --engine conductor --server URL`; the "
                "compensator's error is in its task output"
            ),
        )
    return RunOutcome(
        workflow_id,
        "cancelled",
        compensated=list((done.get("output") or {}).get("compensated") or []),
    )


def _workflow_def(c: dict[str, Any], ex: dict[str, Any]) -> dict[str, Any]:
    """The run's WorkflowDef as the server stores it (``GET /api/metadata/workflow/{name}``)."""
    from conductor.client.http.api.metadata_resource_api import MetadataResourceApi

    api = MetadataResourceApi(c["api"])
    found = api.get(ex["workflowName"], version=ex.get("workflowVersion"))
    data = c["api"].sanitize_for_serialization(found)
    return data if isinstance(data, dict) else {}


__all__ = ["cancel", "failure_id", "ledger"]
