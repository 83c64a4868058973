"""Which blobs each run uses, and whether it finished: the index ``agentc gc`` reads.

Blobs are content-addressed and shared between runs (two runs that write the same page
write one blob), and the store alone cannot tell a blob of a run finished a month ago from
one a paused run will read tomorrow. So every step a worker runs for an engine (Conductor
task, Temporal activity, simulated task) records, next to the blobs, the digests it wrote
or read and — when the step ended its run — that the run finished::

    <store>/runs/<run id, quoted>/<unix ms>-<random>.json
        {"run": id, "at": seconds, "refs": [digest, ...], "status": null | "done" | "failed"}

A run's status is the status of its newest record: ``done`` when the step produced the
run's final result (a graph's END read-out, an agent's final output), ``failed`` when the
step failed for good (the engine fails the run), else the run is in flight — running,
waiting for a human, or stopped in a way no step saw (a terminated Temporal workflow).
The record is written before the step's outcome reaches the engine, so no engine ever
holds a reference its run's index lacks. ``blob_gc.py`` keeps every blob any run not
finished long enough ago names. The local target keeps its values in its SQLite journal
and writes nothing here.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

from agentc.errors import AgentcError
from agentc.runtime_shims.protocol import Outcome, Status, TurnNext, is_model_turn
from agentc.semantics import blobs

RUNS = "runs"


def folder(store: blobs.Store, run_id: str) -> str:
    return f"{store.root}/{RUNS}/{urllib.parse.quote(run_id, safe='')}"


def record(store: blobs.Store, run_id: str, refs: set[str], status: str | None) -> None:
    now = time.time()
    body = {"run": run_id, "at": now, "refs": sorted(refs), "status": status}
    path = f"{folder(store, run_id)}/{int(now * 1000):013d}-{uuid.uuid4().hex[:8]}.json"
    try:
        store.fs.makedirs(folder(store, run_id), exist_ok=True)
        store.fs.pipe_file(path, json.dumps(body, sort_keys=True).encode("utf-8"))
    except AgentcError:
        raise
    except Exception as exc:  # noqa: BLE001 - fsspec backends raise many types
        raise blobs.unreachable(store.url, exc) from None


@dataclass
class Run:
    id: str
    status: str | None = None  # of the newest record
    last: float = 0.0  # when the newest record was written
    refs: set[str] = field(default_factory=set)
    files: list[str] = field(default_factory=list)


def runs(store: blobs.Store) -> dict[str, Run]:
    """Every indexed run of the store with the union of its records."""
    out: dict[str, Run] = {}
    base = f"{store.root}/{RUNS}"
    try:
        found = store.fs.find(base) if store.fs.exists(base) else []
    except Exception as exc:  # noqa: BLE001
        raise blobs.unreachable(store.url, exc) from None
    records = []
    for path in found:
        if not path.endswith(".json"):
            continue
        records.append((path.rsplit("/", 1)[-1], path, json.loads(store.fs.cat_file(path))))
    for _name, path, body in sorted(records, key=lambda r: (r[2].get("at", 0.0), r[0])):
        run = out.setdefault(body["run"], Run(body["run"]))
        run.refs.update(body.get("refs") or ())
        run.files.append(path)
        run.status, run.last = body.get("status"), float(body.get("at", 0.0))
    return out


def final_status(output: Any, status: Status) -> str | None:
    """Whether a step's outcome ends its run: ``done`` (a graph's END read-out carries the
    final ``state``; an agent step's ``next`` is ``final``), ``failed`` (a terminal failure)."""
    if status is Status.TERMINAL:
        return "failed"
    if status is not Status.COMPLETED or not isinstance(output, dict):
        return None
    if output.get("status") == "done" and "state" in output:
        return "done"
    if is_model_turn(output) and output["next"] == TurnNext.FINAL.value:
        return "done"
    return None


class Indexed:
    """A step worker (``steps.worker_for``) whose every step records its refs and, when
    it ends the run, the run's status in the run's index before the outcome is returned."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def execute(
        self, task_type: str, input: dict[str, Any], *, workflow_id: str = "", **kw: Any
    ) -> Any:
        with blobs.recording() as refs:
            outcome = self.inner.execute(task_type, input, workflow_id=workflow_id, **kw)
        status = final_status(outcome.output, outcome.status)
        if workflow_id and (refs or status):
            try:
                record(blobs.store(), workflow_id, refs, status)
            except AgentcError as exc:
                text = exc.diagnostic.render()
                return Outcome(Status.TERMINAL, {"error": text}, text)
        return outcome
