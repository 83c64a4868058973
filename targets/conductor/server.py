"""Talking to a live Conductor server: register definitions (``deploy``) and serve tasks
(``serve``), through conductor-python's own HTTP client, models and worker runtime, so
what goes over the wire is exactly what the SDK sends.

* ``deploy`` registers the TaskDefs (``POST /api/metadata/taskdefs``, one JSON list), then
  the WorkflowDefs, sub-workflows before the workflows that call them. With ``overwrite``
  (the default) all WorkflowDefs go in one ``PUT /api/metadata/workflow`` with a JSON
  array: the create-or-update call every server version has (Netflix 2.x/3.x,
  conductor-oss, Orkes), validated as a whole before anything is stored. Without it each
  WorkflowDef is a plain ``POST /api/metadata/workflow`` (no ``?overwrite``: older
  servers do not know the parameter), which answers 409 when the name+version exists.
* ``task_function`` adapts ``StepWorker.execute`` to conductor-python's worker
  interface (a callable taking a ``Task``, returning a ``TaskResult``).
* ``serve`` runs conductor-python's ``TaskHandler`` with one ``Worker`` per task type.
  The SDK runs every Worker in its own *spawned* process and pickles it there, so the
  task function pickles as (task type, REF) and rebuilds the StepWorker from the
  REF in the child process on first use.

Library code: never prints; failures are ``AgentcError`` (AC401 for server problems).
"""

from __future__ import annotations

import contextlib
import copy
import json
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.targets.conductor import late_effects, live_task, wire

API_SUFFIX = "/api"


# ---------------------------------------------------------------------------- configuration
def api_url(server_url: str) -> str:
    """The API base URL: ``http://host:8080`` and ``http://host:8080/api/`` both mean
    ``http://host:8080/api``."""
    url = (server_url or "").strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise AgentcError(
            Code.CONFIG,
            f"not a Conductor server URL: {server_url!r}",
            construct=str(server_url),
            hint="pass the server's API URL, e.g. --server http://localhost:8080/api",
        )
    return url if url.endswith(API_SUFFIX) else url + API_SUFFIX


def _configuration(server_url: str, auth_key: str | None, auth_secret: str | None) -> Any:
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.configuration.settings.authentication_settings import (
        AuthenticationSettings,
    )

    auth = None
    if auth_key or auth_secret:
        if not (auth_key and auth_secret):
            raise AgentcError(
                Code.CONFIG,
                "an auth key needs its secret (and the other way round)",
                construct="auth_key/auth_secret",
                hint="pass both, or neither (then CONDUCTOR_AUTH_KEY/CONDUCTOR_AUTH_SECRET apply)",
            )
        auth = AuthenticationSettings(key_id=auth_key, key_secret=auth_secret)
    # without explicit settings the SDK reads CONDUCTOR_AUTH_KEY / CONDUCTOR_AUTH_SECRET itself
    return Configuration(server_api_url=api_url(server_url), authentication_settings=auth)


# ---------------------------------------------------------------------------- deploy
def deploy(
    workflows: dict[str, dict[str, Any]],
    task_defs: dict[str, dict[str, Any]],
    server_url: str,
    *,
    overwrite: bool = True,
    auth_key: str | None = None,
    auth_secret: str | None = None,
) -> list[str]:
    """Register ``task_defs`` then ``workflows`` (sub-workflows first) on the server at
    ``server_url``; returns one line per registered definition."""
    from conductor.client.helpers.helper import ObjectMapper
    from conductor.client.http.api.metadata_resource_api import MetadataResourceApi
    from conductor.client.http.api_client import ApiClient
    from conductor.client.http.models.task_def import TaskDef
    from conductor.client.http.models.workflow_def import to_workflow_def

    config = _configuration(server_url, auth_key, auth_secret)
    url = config.host
    order = dependency_order(workflows)
    # parse copies: the SDK models may keep references into what they were built from
    td_models = [
        ObjectMapper().from_json(copy.deepcopy(task_defs[n]), TaskDef) for n in sorted(task_defs)
    ]
    wf_models = [to_workflow_def(json_data=copy.deepcopy(workflows[n])) for n in order]

    client = ApiClient(configuration=config)
    api = MetadataResourceApi(client)
    lines: list[str] = []
    try:
        if td_models:
            _call(
                url,
                "POST /metadata/taskdefs",
                "task definitions",
                overwrite,
                lambda: api.register_task_def(td_models),
            )
            for n in sorted(task_defs):
                d = task_defs[n]
                lines.append(
                    f"taskdef {n}: retryCount={d.get('retryCount')}, "
                    f"timeoutSeconds={d.get('timeoutSeconds')} -> {url}"
                )
        if overwrite:
            resp = _call(
                url,
                "PUT /metadata/workflow",
                "workflow definitions",
                overwrite,
                lambda: api.update1(wf_models),
            )
            errors = resp.get("bulkErrorResults") if isinstance(resp, dict) else None
            if errors:
                detail = "; ".join(f"{k}: {v}" for k, v in sorted(errors.items()))
                raise AgentcError(
                    Code.CONFIG,
                    f"the server did not store every workflow definition: {detail}",
                    construct=url,
                    details={"status": 200, "body": resp},
                    hint="fix what the server reports, then deploy again",
                )
        else:
            for n, model in zip(order, wf_models):
                _call(
                    url,
                    "POST /metadata/workflow",
                    f"workflow definition {n!r}",
                    overwrite,
                    lambda m=model: api.create(m),
                )
        for n in order:
            w = workflows[n]
            how = "PUT (create or replace)" if overwrite else "POST (create)"
            lines.append(
                f"workflow {n} v{w.get('version', 1)}: {len(w.get('tasks') or [])} top-level "
                "tasks, "
                f"{how} -> {url}"
            )
    finally:
        with contextlib.suppress(Exception):  # closing is best effort
            client.rest_client.close()
    return lines


def definitions(wf: Any) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The WorkflowDefs and TaskDefs ``agentc deploy`` registers for the IR Workflow ``wf``:
    what ``agentc compile --target conductor`` writes (a graph's or an agent system's
    lowering, by the body's kind, after the same refusals)."""
    from . import lower

    files = lower(wf).files
    workflows = {
        name.removesuffix(".workflow.json"): json.loads(text)
        for name, text in files.items()
        if name.endswith(".workflow.json")
    }
    task_defs = {d["name"]: d for d in json.loads(files["taskdefs.json"])}
    return workflows, task_defs


def dependency_order(workflows: dict[str, dict[str, Any]]) -> list[str]:
    """Workflow names with every sub-workflow (and failure workflow) before the workflows
    that run it (input order otherwise), so a server that checks SUB_WORKFLOW targets at
    registration accepts them, and the root comes last."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str) -> None:
        if state.get(name) == "done" or state.get(name) == "busy":
            return
        state[name] = "busy"
        failure = workflows[name].get("failureWorkflow")
        children = _sub_workflows(workflows[name].get("tasks") or [])
        for child in children + ([failure] if isinstance(failure, str) else []):
            if child in workflows and child != name:
                visit(child)
        state[name] = "done"
        order.append(name)

    for name in workflows:
        visit(name)
    return order


def _sub_workflows(tasks: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for t in tasks:
        if not isinstance(t, dict):
            continue
        if t.get("type") == "SUB_WORKFLOW":
            name = (t.get("subWorkflowParam") or {}).get("name")
            if name:
                found.append(name)
        for branch in (t.get("decisionCases") or {}).values():
            found += _sub_workflows(branch or [])
        found += _sub_workflows(t.get("defaultCase") or [])
        found += _sub_workflows(t.get("loopOver") or [])
        for branch in t.get("forkTasks") or []:
            found += _sub_workflows(branch or [])
    return found


def _call(url: str, endpoint: str, what: str, overwrite: bool, fn: Callable[[], Any]) -> Any:
    from conductor.client.http.rest import ApiException

    try:
        return fn()
    except ApiException as exc:
        raise _server_error(url, endpoint, what, overwrite, exc) from None


def _server_error(url: str, endpoint: str, what: str, overwrite: bool, exc: Any) -> AgentcError:
    status = getattr(exc, "status", None) or 0
    where = f"{endpoint.split()[0]} {url}{endpoint.split()[1]}"
    if status == 0:
        return AgentcError(
            Code.CONFIG,
            f"cannot reach the Conductor server at {url}: {exc.reason}",
            construct=url,
            details={"status": 0},
            hint="check the --server URL (e.g. http://localhost:8080/api) "
            "and that the server is up",
        )
    body = _body(exc)
    server_msg = body.get("message") if isinstance(body, dict) else None
    problems = (
        [
            f"{e.get('path') or '?'}: {e.get('message')}"
            + (f" (value: {e.get('invalidValue')!r})" if e.get("invalidValue") is not None else "")
            for e in (body.get("validationErrors") or [])
            if isinstance(e, dict)
        ]
        if isinstance(body, dict)
        else []
    )
    text = server_msg or (
        body if isinstance(body, str) and body.strip() else getattr(exc, "reason", "") or ""
    )
    message = f"the Conductor server refused the {what} ({where} -> HTTP {status}): {text}".rstrip(
        ": "
    )
    if problems:
        message += "; " + "; ".join(problems)
    details = {"status": status, "body": body}
    if status in (401, 403):
        hint = (
            "the server wants credentials: pass an auth key and secret "
            "(or set CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET) with the rights to register "
            "metadata"
        )
    elif status == 404:
        hint = f"no Conductor API at {url}; the URL should be the server's API base, e.g. http://localhost:8080/api"
    elif status == 409 and not overwrite:
        hint = (
            "the definition already exists on the server; "
            "deploy without --no-overwrite to replace it"
        )
    elif status == 400 and problems:
        hint = (
            "the server's registration rules rejected the compiled definitions; check them "
            "offline with "
            "`agentc validate DIR --server all` and report the mismatch (it is an agentc bug)"
        )
    elif status >= 500:
        hint = "the server failed while handling the request; check its logs, then deploy again"
    else:
        hint = "check the server URL and the server's logs"
    return AgentcError(Code.CONFIG, message, construct=url, details=details, hint=hint)


def _body(exc: Any) -> Any:
    raw = getattr(exc, "body", None)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


# ---------------------------------------------------------------------------- task function
_WORKERS: dict[str, Any] = {}
_WORKERS_LOCK = threading.Lock()


def resolve(ref: str) -> tuple[Any, Any]:
    """The IR Workflow and the live entry object behind ``ref`` (``agentc.reading``, as the
    API reads it)."""
    from agentc.reading import workflow_and_live

    return workflow_and_live(ref)


def load_worker(ref: str) -> Any:
    """A StepWorker for ``ref`` (one per process and REF)."""
    with _WORKERS_LOCK:
        worker = _WORKERS.get(ref)
        if worker is None:
            from agentc.runtime_shims.steps import worker_for

            wf, live = resolve(ref)
            worker = _WORKERS[ref] = worker_for(wf, live)
        return worker


class TaskFunction:
    """What conductor-python's ``Worker`` calls for one task type: ``fn(task) -> TaskResult``.

    Pickles as ``(task_type, ref)``: the SDK spawns one process per Worker and pickles the
    Worker into it; there the StepWorker is rebuilt from the REF on first use.
    ``copy.deepcopy`` (``Worker.__init__`` deep-copies its function) returns the object
    itself, so an in-process worker is shared rather than copied."""

    def __init__(
        self,
        task_type: str,
        worker: Any = None,
        ref: str | None = None,
        server: live_task.Server | None = None,
    ) -> None:
        if worker is None and ref is None:
            raise ValueError("TaskFunction needs a StepWorker or a REF")
        self.task_type = task_type
        self.ref = ref if ref is not None else getattr(getattr(worker, "wf", None), "entry", None)
        self.server = server
        """The server the task came from: the fan-out watcher and a failing tool's session
        settle read it (``live_task.py``); None: nothing is read back."""
        self._worker = worker
        self.__name__ = f"agentc_{task_type}"

    def __getstate__(self) -> dict[str, Any]:
        if self.ref is None:
            raise TypeError(
                f"the task function for {self.task_type!r} has no REF to rebuild its worker from "
                "in another process (the agent was loaded from an object, not a REF)"
            )
        state: dict[str, Any] = {"task_type": self.task_type, "ref": self.ref}
        if self.server is not None:
            state["server"] = self.server
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.task_type, self.ref, self._worker = state["task_type"], state["ref"], None
        self.server = state.get("server")
        self.__name__ = f"agentc_{self.task_type}"

    def __deepcopy__(self, memo: dict[int, Any]) -> TaskFunction:
        return self

    def _get_worker(self) -> Any:
        if self._worker is None:
            self._worker = load_worker(self.ref)  # type: ignore[arg-type]
        return self._worker

    # The parameter is deliberately unannotated: conductor-python passes the Task object
    # only when the sole parameter's annotation is empty, ``object`` or the Task class
    # itself (a string annotation, as ``from __future__ import annotations`` makes, would
    # make it look the parameter up in the task input instead).
    def __call__(self, task):
        from conductor.client.http.models.task_exec_log import TaskExecLog
        from conductor.client.http.models.task_result import TaskResult
        from conductor.client.http.models.task_result_status import TaskResultStatus

        started, took = time.monotonic(), time.time()
        outcome = None
        retry_count = int(getattr(task, "retry_count", None) or 0)
        try:
            outcome = live_task.run(
                self._get_worker(),
                self.task_type,
                dict(getattr(task, "input_data", None) or {}),
                retry_count=retry_count,
                workflow_id=getattr(task, "workflow_instance_id", None) or "",
                task_id=getattr(task, "task_id", None) or "",
                server=self.server,
            )
            status, output, reason = (
                wire.conductor_status(outcome.status),
                outcome.output,
                outcome.reason,
            )
        except AgentcError as exc:  # the worker could not be built (e.g. the REF no longer imports)
            status, reason = "FAILED", exc.diagnostic.render()
            output = {"error": reason}
        except Exception as exc:  # noqa: BLE001 - a bug, not the user's node: retry, keep the traceback
            status = "FAILED"
            reason = f"agentc worker error in {self.task_type!r}: {type(exc).__name__}: {exc}"
            output = {"error": reason, "traceback": traceback.format_exc()}
        result = TaskResult(
            task_id=getattr(task, "task_id", None),
            workflow_instance_id=getattr(task, "workflow_instance_id", None),
            worker_id=socket.gethostname(),
        )
        result.status = TaskResultStatus[status]
        result.output_data = output
        if reason:
            result.reason_for_incompletion = reason
        ms = int((time.monotonic() - started) * 1000)
        line = f"agentc {self.task_type}: {status} in {ms} ms (attempt {retry_count + 1})"
        if reason:
            line += " - " + reason.splitlines()[0]
        result.logs = [
            TaskExecLog(
                log=line,
                task_id=getattr(task, "task_id", None),
                created_time=int(time.time() * 1000),
            )
        ]
        if outcome is not None:  # an effect the server no longer takes is undone here
            late_effects.deliver(
                self.server,
                result,
                outcome,
                workflow_id=getattr(task, "workflow_instance_id", None) or "",
                task_id=getattr(task, "task_id", None) or "",
                started=took,
            )
        return result

    def __repr__(self) -> str:
        return f"TaskFunction({self.task_type!r}, ref={self.ref!r})"


def task_function(worker: Any, task_type: str) -> Callable[[Any], Any]:
    """The conductor-python task function (``Task -> TaskResult``) for one task type."""
    served = live_task.served_types(worker)
    if task_type not in served:
        raise AgentcError(
            Code.CONFIG,
            f"task type {task_type!r} is not one this agent's worker serves",
            construct=task_type,
            hint="serve one of: " + ", ".join(served),
        )
    return TaskFunction(task_type, worker=worker)


# ---------------------------------------------------------------------------- serve
def serve(
    ref: str,
    server_url: str,
    *,
    domain: str | None = None,
    poll_interval_ms: int = 100,
    thread_count: int = 1,
    stop_after: float | None = None,
    auth_key: str | None = None,
    auth_secret: str | None = None,
) -> None:
    """Poll the server for REF's task types and run them with the user's code, until
    interrupted (Ctrl-C, SIGTERM) or for ``stop_after`` seconds."""
    worker = load_worker(ref)  # import errors surface here, before any process starts
    config = _configuration(server_url, auth_key, auth_secret)
    # the plan's task types and the failure workflow's compensation task (live_task.py)
    types = live_task.served_types(worker)
    _preflight(config, types[0])
    server = live_task.Server(api_url(server_url), auth_key, auth_secret)

    # Importing task_handler sets the multiprocessing start method to "spawn" for the
    # whole process, so it is imported only here.
    from conductor.client.automator.task_handler import TaskHandler
    from conductor.client.worker.worker import Worker

    workers = [
        Worker(
            task_definition_name=t,
            execute_function=TaskFunction(t, worker=worker, ref=ref, server=server),
            poll_interval=poll_interval_ms,
            domain=domain,
            thread_count=thread_count,
            register_task_def=False,
        )
        for t in types
    ]
    handler = TaskHandler(
        workers=workers,
        configuration=config,
        metrics_settings=None,
        scan_for_annotated_workers=False,
    )
    previous = None
    if threading.current_thread() is threading.main_thread():

        def _terminate(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        handler.start_processes()
        if stop_after is None:
            handler.join_processes()
        else:
            time.sleep(stop_after)
    except KeyboardInterrupt:
        pass
    finally:
        handler.stop_processes()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _preflight(config: Any, task_type: str) -> None:
    """Fail fast on an unreachable server or refused credentials (workers would otherwise
    only log poll errors forever). Any HTTP answer besides 401/403 means it is there."""
    from conductor.client.http.api.metadata_resource_api import MetadataResourceApi
    from conductor.client.http.api_client import ApiClient
    from conductor.client.http.rest import ApiException

    client = ApiClient(configuration=config)
    try:
        MetadataResourceApi(client).get_task_def(task_type)
    except ApiException as exc:
        if (getattr(exc, "status", None) or 0) in (0, 401, 403):
            raise _server_error(
                config.host, f"GET /metadata/taskdefs/{task_type}", "worker's check", True, exc
            ) from None
    finally:
        with contextlib.suppress(Exception):
            client.rest_client.close()


__all__ = [
    "TaskFunction",
    "api_url",
    "dependency_order",
    "definitions",
    "deploy",
    "load_worker",
    "resolve",
    "serve",
    "task_function",
]
