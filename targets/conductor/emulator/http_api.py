"""The simulator behind a Conductor server's REST API (``/api``), on 127.0.0.1.

No Conductor server can run where agentc is tested (docs/conductor.md "Why an emulator"), so
the code that only runs against a live server — conductor-python's worker runtime polling
and updating tasks over HTTP, ``agentc deploy``, a worker asking the server for a task's or
an execution's status — would otherwise never run. This module serves the endpoints those
clients call, over :class:`~.simulator.Simulator`, so the emulator's own decider schedules
the tasks and real workers in other processes execute them:

* registration: ``POST/PUT /metadata/taskdefs``, ``PUT /metadata/workflow`` (a JSON array:
  a BulkResponse), ``POST /metadata/workflow`` (409 when the name+version exists),
  ``GET /metadata/taskdefs/{name}``, ``GET /metadata/workflow/{name}``. Definitions are
  checked with the validator's registration rules (the ``B…``/``BV-…``/``TD…`` rules of the
  server profile, default ``3.32``; lints are not the server's): a violation is the
  server's 400 with ``validationErrors``;
* executions: ``POST /workflow/{name}`` (the body is the input) and ``POST /workflow`` (a
  StartWorkflowRequest) answer the new id as text; ``GET /workflow/{id}?includeTasks=``,
  ``DELETE /workflow/{id}?reason=`` (terminate: no failure workflow, docs/conductor.md
  "Timeouts and failure workflows"; 409 for a COMPLETED one);
* tasks: ``GET /tasks/poll/batch/{type}?count=&timeout=`` and ``GET /tasks/poll/{type}``
  (a task is handed out once, IN_PROGRESS; a batch poll waits up to ``timeout`` ms for
  one, as the server's long poll does), ``POST /tasks`` (a TaskResult: the update
  ``WorkflowExecutorOps.updateTask`` applies — ignored, with the same 200 answer, when the
  task or its workflow has already ended),
  ``POST /tasks/{workflowId}/{taskRefName}/{status}`` (the body is the output),
  ``GET /tasks/{taskId}``. ``POST /tasks/update-v2`` answers 404, as a
  conductor-oss server does (the SDK then uses ``POST /tasks``).

The clock is the wall clock (retry delays, WAIT, timeouts fall due in real time), and the
server's background work — the decider's sweeps and the system-task workers (JOIN,
SUB_WORKFLOW …) — runs at every request, before it is answered. Every request is logged
(``requests``) for tests. The simulator's state is only touched under one lock.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .model import IN_PROGRESS, RUNNING, SCHEDULED, SimulationError, TaskResult, _TERMINAL
from .simulator import Simulator
from .utils import _public

LONG_POLL_CAP_MS = 1000
"""The longest a batch poll waits for a task (the SDK asks for 100 ms)."""


class HttpError(Exception):
    """An answer other than 200: the status and the server's error body."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"status": status, "message": message, **extra}


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    text: bool = False
    """Answer ``body`` as text/plain (the ids the server answers as plain strings)."""


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class Logged:
    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    body: Any = None


def _no_worker(call: Any) -> TaskResult:
    raise SimulationError("workers take tasks over HTTP here (GET /api/tasks/poll/…)")


def _wall_ms() -> int:
    return int(time.time() * 1000)


class EmulatedServer:
    """One emulated server: a simulator with no in-process worker, and the REST API over it.
    ``start()`` serves it on a free port of 127.0.0.1; ``url`` is its API base."""

    def __init__(self, *, profile: str = "3.32") -> None:
        self.sim = Simulator({}, {}, _no_worker, auto_advance=False, clock_start_ms=_wall_ms())
        self.profile = profile
        self.requests: list[Logged] = []
        self._cond = threading.Condition()
        self._http: ThreadingHTTPServer | None = None
        self.url = ""
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Reply]]] = [
            (m, re.compile(p + r"/?$"), fn)
            for m, p, fn in (
                ("POST", r"/api/metadata/taskdefs", self._taskdefs),
                ("PUT", r"/api/metadata/taskdefs", self._taskdefs),
                ("GET", r"/api/metadata/taskdefs/(?P<name>[^/]+)", self._get_taskdef),
                ("PUT", r"/api/metadata/workflow", self._put_workflows),
                ("POST", r"/api/metadata/workflow", self._post_workflow),
                ("GET", r"/api/metadata/workflow/(?P<name>[^/]+)", self._get_workflow_def),
                ("POST", r"/api/workflow", self._start_request),
                ("GET", r"/api/workflow/(?P<wid>[^/]+)", self._get_workflow),
                ("DELETE", r"/api/workflow/(?P<wid>[^/]+)", self._terminate),
                ("POST", r"/api/workflow/(?P<name>[^/]+)", self._start_named),
                ("GET", r"/api/tasks/poll/batch/(?P<type>[^/]+)", self._batch_poll),
                ("GET", r"/api/tasks/poll/(?P<type>[^/]+)", self._poll_one),
                ("POST", r"/api/tasks/update-v2", self._no_v2),
                ("POST", r"/api/tasks", self._update),
                ("GET", r"/api/tasks/(?P<tid>[^/]+)", self._get_task),
                (
                    "POST",
                    r"/api/tasks/(?P<wid>[^/]+)/(?P<ref>[^/]+)/(?P<status>[A-Z_]+)",
                    self._update_by_ref,
                ),
            )
        ]

    # ---------------------------------------------------------------- serving
    def start(self) -> EmulatedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _do(self) -> None:
                parts = urlsplit(self.path)
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                reply = server.handle(
                    Call(self.command, unquote(parts.path), parse_qs(parts.query), body)
                )
                if reply.text:
                    data = str(reply.body).encode()
                    kind = "text/plain"
                else:
                    data = b"" if reply.body is None else json.dumps(reply.body).encode()
                    kind = "application/json"
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the worker went away while its long poll waited

            do_GET = do_POST = do_PUT = do_DELETE = _do

            def log_message(self, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/api"
        return self

    def close(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def __enter__(self) -> EmulatedServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def handle(self, call: Call) -> Reply:
        """Answer one request (what the HTTP handler calls; tests may call it directly)."""
        with self._cond:
            self.requests.append(Logged(call.method, call.path, call.query, call.body))
        for method, pattern, fn in self._routes:
            m = pattern.match(call.path)
            if method == call.method and m:
                try:
                    return fn(call, **m.groupdict())
                except HttpError as e:
                    return Reply(e.status, e.body)
                except SimulationError as e:
                    return Reply(400, {"status": 400, "message": str(e)})
        return Reply(404, {"status": 404, "message": f"no {call.method} {call.path}"})

    # ---------------------------------------------------------------- the server's sweeps
    def _sweep(self) -> None:
        """Under the lock: move the clock to now, then decide every running workflow and
        run its due system tasks until nothing changes (the decider's sweeper and the
        system-task workers of a server)."""
        sim = self.sim
        sim._state["clock"] = max(sim._state["clock"], _wall_ms())
        sim._created = 0
        workflows = sim._state["workflows"]
        roots = [w for w, wf in workflows.items() if wf.get("_startedBy") is None]
        for root in roots:
            if any(wf["status"] == RUNNING for wf in sim._family(root)):
                sim._settle(root)

    def _changed(self) -> None:
        self._sweep()
        self._cond.notify_all()

    def _find(self, task_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        for wf in self.sim._state["workflows"].values():
            for t in wf["tasks"]:
                if t["taskId"] == task_id:
                    return wf, t
        raise HttpError(404, f"No such task found by taskId: {task_id}")

    # ---------------------------------------------------------------- metadata
    def _check(self, docs: list[tuple[str, Any]]) -> None:
        """The registration rules of the server profile: 400 with ``validationErrors``."""
        from .validator import validate_documents

        registered = [("registered", list(self.sim._state["taskDefs"].values()))]
        found = [
            v
            for v in validate_documents(registered + docs, server=self.profile)
            if not v.path.startswith("registered") and v.rule[:1] in ("B", "T", "A")
        ]
        if found:
            raise HttpError(
                400,
                "Validation failed, check below errors for detail.",
                validationErrors=[
                    {"path": v.path, "message": f"{v.rule} {v.message}", "invalidValue": None}
                    for v in found
                ],
            )

    def _taskdefs(self, call: Call) -> Reply:
        defs = call.body if isinstance(call.body, list) else [call.body]
        self._check([("registerTaskDef.taskDefinitions", defs)])
        with self._cond:
            self.sim.register(task_defs=defs)
        return Reply()

    def _get_taskdef(self, call: Call, name: str) -> Reply:
        with self._cond:
            td = self.sim._state["taskDefs"].get(name)
        if td is None:
            raise HttpError(404, f"No such taskType found by name: {name}")
        return Reply(body=td)

    def _put_workflows(self, call: Call) -> Reply:
        defs = call.body if isinstance(call.body, list) else [call.body]
        self._check([("updateWorkflowDef.workflowDefs", defs)])
        with self._cond:
            self.sim.register(definitions=defs)
        return Reply(
            body={"bulkErrorResults": {}, "bulkSuccessfulResults": [d["name"] for d in defs]}
        )

    def _post_workflow(self, call: Call) -> Reply:
        d = call.body if isinstance(call.body, dict) else {}
        self._check([("create.workflowDef", d)])
        with self._cond:
            versions = self.sim._state["definitions"].get(d.get("name")) or {}
            overwrite = (call.query.get("overwrite") or ["false"])[0] == "true"
            if str(d.get("version", 1)) in versions and not overwrite:
                raise HttpError(
                    409, f"Workflow with {d.get('name')}.{d.get('version', 1)} already exists!"
                )
            self.sim.register(definitions=[d])
        return Reply()

    def _get_workflow_def(self, call: Call, name: str) -> Reply:
        version = (call.query.get("version") or [""])[0]
        with self._cond:
            found = self.sim._lookup_definition(name, int(version) if version else None)
        if found is None:
            raise HttpError(404, f"No such workflow found by name: {name}, version: {version}")
        return Reply(body=found)

    # ---------------------------------------------------------------- workflows
    def _start(self, name: str, version: Any, input: Any, correlation_id: Any) -> Reply:
        with self._cond:
            self._sweep()
            try:
                wid = self.sim.start(
                    name,
                    input if isinstance(input, Mapping) else {},
                    version=int(version) if version not in (None, "") else None,
                    correlation_id=correlation_id,
                )
            except SimulationError as e:
                raise HttpError(404, str(e)) from None
            self._changed()
        return Reply(body=wid, text=True)

    def _start_named(self, call: Call, name: str) -> Reply:
        q = {k: v[0] for k, v in call.query.items()}
        return self._start(name, q.get("version"), call.body, q.get("correlationId"))

    def _start_request(self, call: Call) -> Reply:
        req = call.body if isinstance(call.body, dict) else {}
        return self._start(
            str(req.get("name") or ""),
            req.get("version"),
            req.get("input"),
            req.get("correlationId"),
        )

    def _get_workflow(self, call: Call, wid: str) -> Reply:
        tasks = (call.query.get("includeTasks") or ["true"])[0] != "false"
        with self._cond:
            self._sweep()
            try:
                ex = self.sim.execution(wid)
            except SimulationError:
                raise HttpError(404, f"No such workflow found by id: {wid}") from None
        if not tasks:
            ex["tasks"] = []
        return Reply(body=ex)

    def _terminate(self, call: Call, wid: str) -> Reply:
        reason = (call.query.get("reason") or [""])[0]
        with self._cond:
            try:
                wf = self.sim._workflow(wid)
            except SimulationError:
                raise HttpError(404, f"No such workflow found by id: {wid}") from None
            # conductor-oss WorkflowExecutorOps.terminateWorkflow(id, reason): a COMPLETED
            # workflow is a ConflictException (409); the terminate starts no failure workflow
            if wf["status"] == "COMPLETED":
                raise HttpError(409, "Cannot terminate a COMPLETED workflow.")
            if wf["status"] == RUNNING:
                self.sim.terminate(wid, reason)
                self._changed()
        return Reply()

    # ---------------------------------------------------------------- tasks
    def _take(self, task_type: str, count: int, worker_id: str) -> list[dict[str, Any]]:
        """Hand out up to ``count`` due tasks of ``task_type`` (``POST /tasks/poll``)."""
        sim = self.sim
        out: list[dict[str, Any]] = []
        for wf in list(sim._state["workflows"].values()):
            if wf["status"] != RUNNING:
                continue
            for task in list(wf["tasks"]):
                if len(out) >= count or wf["status"] != RUNNING:
                    break
                if (
                    task["taskType"] == task_type
                    and sim._kinds[task["_kind"]].worker
                    and task["status"] == SCHEDULED
                    and task["_due"] is not None
                    and task["_due"] <= sim.now
                ):
                    call = sim._polled(wf, task)
                    if call is None:  # the server refused its input (payload_thresholds)
                        continue
                    task["workerId"] = worker_id or "worker"
                    out.append(_public(task))
        if out:
            self._changed()
        return out

    def _batch_poll(self, call: Call, type: str) -> Reply:
        q = {k: v[0] for k, v in call.query.items()}
        count = max(1, int(q.get("count") or 1))
        wait_s = min(int(q.get("timeout") or 0), LONG_POLL_CAP_MS) / 1000
        end = time.monotonic() + wait_s
        with self._cond:
            while True:
                self._sweep()
                got = self._take(type, count, q.get("workerid") or "")
                left = end - time.monotonic()
                if got or left <= 0:
                    return Reply(body=got)
                self._cond.wait(left)

    def _poll_one(self, call: Call, type: str) -> Reply:
        with self._cond:
            self._sweep()
            got = self._take(type, 1, (call.query.get("workerid") or [""])[0])
        return Reply(body=got[0]) if got else Reply(204)

    def _no_v2(self, call: Call) -> Reply:
        raise HttpError(404, "update-v2 is not a conductor-oss endpoint")

    def _apply(self, wf: dict[str, Any], task: dict[str, Any], result: Mapping[str, Any]) -> None:
        """``updateTask``: ignored for a task or workflow that has already ended.

        As conductor-oss ``WorkflowExecutorOps.updateTask``: a task already terminal ("has
        already finished execution", e.g. CANCELED by ``cancelNonTerminalTasks`` when a
        sibling failed the workflow) or a terminal workflow ("Task update ... ignored")
        leaves the stored task unchanged, and ``TaskResource.updateTask`` still answers
        200 with the task id — the same answer as an applied update, so a worker learns
        it only by reading the task back (``targets/conductor/late_effects.py``)."""
        if task["status"] in _TERMINAL or wf["status"] != RUNNING:
            return
        status = result.get("status") or "COMPLETED"
        callback = int(result.get("callbackAfterSeconds") or 0) if status == IN_PROGRESS else None
        self.sim._post(
            wf,
            task,
            TaskResult(
                status,
                dict(result.get("outputData") or {}),
                result.get("reasonForIncompletion") or "",
                callback,
            ),
        )
        self._changed()

    def _update(self, call: Call) -> Reply:
        result = call.body if isinstance(call.body, dict) else {}
        with self._cond:
            self._sweep()
            wf, task = self._find(str(result.get("taskId")))
            self._apply(wf, task, result)
        return Reply(body=task["taskId"], text=True)

    def _update_by_ref(self, call: Call, wid: str, ref: str, status: str) -> Reply:
        with self._cond:
            self._sweep()
            try:
                wf, task = self.sim._find_task(wid, ref)
            except SimulationError:
                raise HttpError(404, f"No such task {ref} in workflow {wid}") from None
            self._apply(wf, task, {"status": status, "outputData": call.body or {}})
        return Reply(body=task["taskId"], text=True)

    def _get_task(self, call: Call, tid: str) -> Reply:
        with self._cond:
            self._sweep()
            _, task = self._find(tid)
            return Reply(body=_public(task))


__all__ = ["EmulatedServer", "HttpError", "LONG_POLL_CAP_MS"]
