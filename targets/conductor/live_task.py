"""One task run by ``agentc worker conductor`` against a live server, as ``agentc simulate``
runs it (``simulate.Simulation._serve``): the step under its fan-out watcher
(``fanout.watched``), then a failing tool's session settle (``session_failures.py``), then the
payload bound. What the simulation reads from the simulator, the worker reads from the
server, through conductor-python's clients:

* the watcher's status: ``GET /api/tasks/{taskId}`` and ``GET /api/workflow/{id}``
  (``fanout.server_status``), so a running sibling of a failing call is cancelled;
* the settle's execution: ``GET /api/workflow/{id}?includeTasks=true``, as JSON (the
  server's camelCase: ``status``, ``tasks[].inputData``/``outputData``).

Also which task types a worker serves (``served_types``): the plan's, and the failure
workflow's compensation task (``saga.py``) when the agent has one; the external steps'
types are completed by task updates, never polled (``external_tasks.py``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from agentc.runtime_shims import payload_limits
from agentc.runtime_shims.protocol import Outcome

from . import fanout, late_effects, wire


@dataclass(frozen=True)
class Server:
    """How a worker process reaches the server (picklable: the SDK spawns worker
    processes). Without credentials the SDK reads CONDUCTOR_AUTH_KEY/SECRET itself."""

    url: str
    auth_key: str | None = None
    auth_secret: str | None = None


_CLIENTS: dict[Server, dict[str, Any]] = {}
_LOCK = threading.Lock()


def clients(server: Server) -> dict[str, Any]:
    """conductor-python's task and workflow APIs for ``server`` (one set per process)."""
    with _LOCK:
        found = _CLIENTS.get(server)
        if found is None:
            from conductor.client.http.api.task_resource_api import TaskResourceApi
            from conductor.client.http.api.workflow_resource_api import WorkflowResourceApi
            from conductor.client.http.api_client import ApiClient

            from .server import _configuration

            api = ApiClient(
                configuration=_configuration(server.url, server.auth_key, server.auth_secret)
            )
            found = _CLIENTS[server] = {
                "api": api,
                "tasks": TaskResourceApi(api),
                "workflows": WorkflowResourceApi(api),
            }
        return found


def execution(server: Server | None, workflow_id: str) -> dict[str, Any]:
    """The execution with its tasks, as the server's JSON; ``{}`` without a server (no
    settle: ``session_failures.settle_failed`` needs a RUNNING execution)."""
    if server is None or not workflow_id:
        return {}
    c = clients(server)
    wf = c["workflows"].get_execution_status(workflow_id, include_tasks=True)
    data = c["api"].sanitize_for_serialization(wf)
    return data if isinstance(data, dict) else {}


def served_types(worker: Any) -> list[str]:
    """Every task type a worker of ``worker``'s agent polls: the TaskDefs the lowering
    registers (``agentc deploy``), without the external steps' types."""
    from agentc.runtime_shims.external_steps import is_external_type

    from .server import definitions

    _, task_defs = definitions(worker.wf)
    types = {*worker.layout.task_kinds, *task_defs}
    return sorted(t for t in types if not is_external_type(t))


@dataclass
class _Call:
    """What ``session_failures.settle_failed`` reads of the task (the simulator's
    ``TaskCall`` fields it uses)."""

    input: dict[str, Any]
    workflow_id: str


def run(
    worker: Any,
    task_type: str,
    input: dict[str, Any],
    *,
    retry_count: int,
    workflow_id: str,
    task_id: str,
    server: Server | None,
) -> Outcome:
    """The task's outcome, in Conductor's wire format and within the payload bound."""
    from .session_failures import settle_failed

    def step() -> Outcome:
        return wire.execute(
            worker,
            task_type,
            input,
            retry_count=retry_count,
            workflow_id=workflow_id,
            task_id=task_id,
        )

    spec = input.get("fanout")
    status: fanout.Status = (
        fanout.server_status(clients(server), workflow_id, task_id)
        if server is not None and spec is not None and workflow_id and task_id
        else lambda: None
    )
    o = wire.outcome(fanout.watched(worker.wf, spec, step, status))
    o = settle_failed(worker, _Call(input, workflow_id), o, lambda: execution(server, workflow_id))
    # an oversized output fails the task: its effect stays known (late_effects.py)
    return late_effects.keep(o, payload_limits.bounded(o, task_type))


__all__ = ["Server", "clients", "execution", "run", "served_types"]
