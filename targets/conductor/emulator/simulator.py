"""Run Conductor WorkflowDefs offline, by the server's runtime semantics (docs/conductor.md
"Conductor semantics the emulator follows").

No Conductor server can run here, so this is how agentc tests the workflows it emits (and how
users test theirs with ``agentc simulate``). It executes *any* WorkflowDef JSON, not only
agentc's, and it is a port of the conductor-oss decider (``DeciderService.decide``,
``WorkflowExecutorOps.decide``/``scheduleTask``/``updateTask``/``terminate``), the task
mappers (``core/…/execution/mapper/*``) and the system tasks (``core/…/execution/tasks/*``)
at commit ``b54f0d4``; each method names the Java it follows.

The model, in short:

* Every workflow keeps a task list in scheduling order. A *decide* pass (docs/conductor.md
"Scheduling (the decider)") retries or
  fails terminal-unsuccessful tasks (docs/conductor.md "Retries", docs/conductor.md "Timeouts and
  failure workflows"), schedules the successors of terminal
  tasks (dedup by reference name), runs the synchronous system tasks (SWITCH, INLINE,
  DO_WHILE, SET_VARIABLE, TERMINATE …) and checks for completion (docs/conductor.md "Workflow output
  and status"). It repeats while
  the state changes.
* Asynchronous system tasks (JOIN, WAIT, SUB_WORKFLOW, START_WORKFLOW) are evaluated by the
  driver (:meth:`Simulator.run`), as Conductor's system-task workers would.
* SIMPLE / DYNAMIC / unknown-type tasks go to the ``worker`` callback, in process and
  synchronously (docs/conductor.md "Worker tasks"); each result is applied like ``POST /api/tasks``
  and the workflow is
  decided again.
* Time is a virtual clock (milliseconds): retry delays, ``startDelay``, WAIT and timeouts
  never sleep. ``run`` can jump the clock to the next timer when nothing else can move
  (``auto_advance``), or the caller moves it with :meth:`Simulator.advance`.
* Ids come from counters (``wf-1``, ``t-7``), so two runs give identical executions.
* :meth:`Simulator.to_json` / :meth:`Simulator.from_json` save and resume a paused
  simulation (definitions included); :meth:`Simulator.run_test_request` is the server's
  ``POST /api/workflow/test`` with mocked task outputs (docs/conductor.md "The test endpoint").

Deliberate differences: a worker may answer IN_PROGRESS without ``callback_after_seconds``
to leave its task waiting for :meth:`Simulator.complete_task` (Conductor would re-queue it);
a FORK_JOIN_DYNAMIC listing the same reference name twice fails the workflow (Conductor
silently keeps one); a worker that raises gives a FAILED task with ``str(exc)`` as the
reason, as the Python SDK's task runner does. After a :class:`SimulationError` the
simulation is in an undefined state and should be discarded.

Not simulated (and why): HTTP, EVENT, KAFKA_PUBLISH, JSON_JQ_TRANSFORM, LLM_* and the MCP /
agent task types need outside systems — scheduling one raises :class:`SimulationUnsupported`
(see :data:`UNSUPPORTED`; pass ``worker_types=`` to hand such types to the worker instead).
The ``python`` evaluator (GraalPy) raises it too. Task ``responseTimeoutSeconds`` is
checked, with ``extendLease`` updates (``leases.py``), but not on a worker task left
IN_PROGRESS for :meth:`complete_task`, which that timeout would break (task ``timeoutSeconds``,
``pollTimeoutSeconds``, ``totalTimeoutSeconds`` — ``task_timeouts.py`` — and workflow
``timeoutSeconds`` *are* checked; a task no worker polls is the one a poll timeout
catches). Retry jitter (``backoffJitterMs``) is taken as 0 to stay deterministic.
Rate limits, concurrency limits, domains, priorities, idempotency, external payload
storage, pause/resume/rerun/skip APIs are out of scope.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .expressions import (
    build_document,
    resolve_input,
    strip_iteration,
)
from .model import (
    UNSUPPORTED,
    COMPLETED,
    DEFAULT_CLOCK_START_MS,
    FORMAT,
    IN_PROGRESS,
    RUNNING,
    SimulationError,
    SimulationUnsupported,
    TaskCall,
    TaskResult,
    Worker,
    _Kind,
    _TERMINAL,
    _TEST_MAX_LOOPS,
    _TEST_OPERATORS,
    _WF_TERMINAL,
)
from .utils import _int, _mentions_reference, _public
from .decider import Decider
from .do_while import DoWhile
from .mappers import TaskMappers
from .system_tasks import SystemTasks
from .parallel_polls import ParallelPolls
from .leases import Leases
from .workflow_ops import WorkflowOps

__all__ = [
    "UNSUPPORTED",
    "SimulationError",
    "SimulationUnsupported",
    "Simulator",
    "TaskCall",
    "TaskResult",
    "Worker",
]


# --------------------------------------------------------------------------------------
# The simulator
# --------------------------------------------------------------------------------------


class Simulator(WorkflowOps, ParallelPolls, Leases, Decider, TaskMappers, DoWhile, SystemTasks):
    """Executes WorkflowDefs the way a conductor-oss server would (docs/conductor.md "Conductor
    semantics the emulator follows").

    ``definitions`` maps a workflow name to its WorkflowDef JSON (or to a list of them, one
    per version; ``version`` defaults to 1). ``task_defs`` maps a task name to its TaskDef
    JSON. ``worker`` serves every SIMPLE / DYNAMIC / unknown-type task.

    Options: ``auto_advance`` (default True) lets :meth:`run` move the virtual clock to the
    next timer (retry delay, WAIT, startDelay, timeout) when nothing else can progress;
    ``clock_start_ms`` is where the clock starts; ``env`` holds the variables
    ``${workflow.env.X}`` reads (a default server has an empty set); ``worker_types`` lists
    otherwise-unsupported task types to send to the worker; ``unpolled`` lists worker task
    types no worker polls (they stay SCHEDULED until :meth:`complete_task`); ``max_tasks`` bounds
    the tasks one call may create (a runaway DO_WHILE raises :class:`SimulationError`);
    ``parallel_workers`` (default 1: one task after another) polls the worker tasks due together
    at once, in up to that many threads, as concurrent workers would (``parallel_polls.py``)."""

    def __init__(
        self,
        definitions: Mapping[str, Any],
        task_defs: Mapping[str, Mapping[str, Any]] | None = None,
        worker: Worker | None = None,
        *,
        auto_advance: bool = True,
        clock_start_ms: int = DEFAULT_CLOCK_START_MS,
        env: Mapping[str, Any] | None = None,
        worker_types: Iterable[str] = (),
        max_tasks: int = 10_000,
        parallel_workers: int = 1,
        unpolled: Iterable[str] = (),
    ) -> None:
        self._state: dict[str, Any] = {
            "format": FORMAT,
            "clock": int(clock_start_ms),
            "counters": {"workflow": 0, "task": 0},
            "options": {
                "autoAdvance": bool(auto_advance),
                "env": dict(env or {}),
                "workerTypes": sorted(set(worker_types)),
                "maxTasks": int(max_tasks),
                **({"parallelWorkers": int(parallel_workers)} if parallel_workers > 1 else {}),
                "unpolled": sorted(set(unpolled)),
            },
            "definitions": _normalize_definitions(definitions),
            "taskDefs": {name: copy.deepcopy(dict(td)) for name, td in (task_defs or {}).items()},
            "workflows": {},
        }
        self._worker = worker
        self._setup()

    @classmethod
    def from_json(cls, data: Mapping[str, Any], worker: Worker | None = None) -> Simulator:
        """Resume a simulation saved with :meth:`to_json` (possibly in another process)."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise SimulationError(f"not a saved simulation (expected format {FORMAT!r})")
        sim = cls.__new__(cls)
        sim._state = json.loads(json.dumps(data))
        sim._worker = worker
        sim._setup()
        return sim

    def to_json(self) -> dict:
        """The whole simulation — definitions, clock, counters, executions — as JSON data."""
        return copy.deepcopy(self._state)

    def _setup(self) -> None:
        self._version = 0  # bumped on every state change; the driver stops when it stands still
        self._created = 0  # tasks created by the current public call (see max_tasks)
        k = _Kind
        self._kinds: dict[str, _Kind] = {
            "SIMPLE": k(map=self._map_simple, worker=True),
            "DYNAMIC": k(map=self._map_dynamic, worker=True),
            "USER_DEFINED": k(map=self._map_user_defined, worker=True),
            "SWITCH": k(map=self._map_switch, execute=self._exec_complete),
            "DECISION": k(map=self._map_decision, execute=self._exec_complete),
            "INLINE": k(
                map=functools.partial(self._map_script, task_type="INLINE"),
                execute=self._exec_inline,
            ),
            "LAMBDA": k(
                map=functools.partial(self._map_script, task_type="LAMBDA"),
                execute=self._exec_lambda,
            ),
            "FORK_JOIN": k(map=self._map_fork_join),
            "FORK_JOIN_DYNAMIC": k(map=self._map_fork_join_dynamic),
            "FORK": k(),  # the record FORK_JOIN / FORK_JOIN_DYNAMIC create; already COMPLETED
            "JOIN": k(map=self._map_join, execute=self._exec_join, async_=True),
            "EXCLUSIVE_JOIN": k(
                map=self._map_exclusive_join, execute=self._exec_exclusive_join, async_=True
            ),
            "DO_WHILE": k(map=self._map_do_while, execute=self._exec_do_while),
            "WAIT": k(map=self._map_wait, execute=self._exec_wait, async_=True),
            "HUMAN": k(map=self._map_human),
            "TERMINATE": k(map=self._map_terminate, execute=self._exec_terminate),
            "SET_VARIABLE": k(map=self._map_set_variable, execute=self._exec_set_variable),
            "NOOP": k(map=self._map_noop, execute=self._exec_complete),
            "SUB_WORKFLOW": k(
                map=self._map_sub_workflow,
                start=self._start_sub_workflow,
                execute=self._exec_sub_workflow,
                cancel=self._cancel_sub_workflow,
                async_=True,
            ),
            "START_WORKFLOW": k(
                map=self._map_start_workflow, start=self._start_start_workflow, async_=True
            ),
        }

    # ---------------------------------------------------------------- public API

    def register(
        self,
        definitions: Iterable[Mapping[str, Any]] = (),
        task_defs: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Add or replace WorkflowDefs (by name and version) and TaskDefs (by name), as the
        server's metadata endpoints store them (``http_api.py``); running workflows keep the
        definition they started with."""
        for name, versions in _normalize_definitions(
            {str(i): d for i, d in enumerate(definitions)}
        ).items():
            self._state["definitions"].setdefault(name, {}).update(versions)
        for td in task_defs:
            self._state["taskDefs"][td["name"]] = copy.deepcopy(dict(td))

    @property
    def now(self) -> int:
        """The virtual clock, epoch milliseconds."""
        return self._state["clock"]

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward; the next :meth:`run` acts on what fell due."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._state["clock"] += round(seconds * 1000)

    def start(
        self,
        name: str,
        input: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        correlation_id: str | None = None,
    ) -> str:
        """Start a workflow (``POST /api/workflow``) and return its id. The first decide
        runs now (synchronous system tasks execute); workers run in :meth:`run`."""
        self._created = 0
        return self._start_workflow(name, version, dict(input or {}), correlation_id=correlation_id)

    def run(
        self,
        workflow_id: str,
        *,
        auto_advance: bool | None = None,
        hold: Callable[[], bool] | None = None,
    ) -> str:
        """Drive ``workflow_id`` — and the workflows it started — until it is terminal or
        blocked, and return its status. Only a HUMAN task, a WAIT without duration/until, or a
        worker task left IN_PROGRESS can block it, unless ``auto_advance`` is off (then any
        future timer blocks until :meth:`advance`). ``hold``: when it answers True, the clock
        does not jump (a task waiting for a human decision, not for time)."""
        self._workflow(workflow_id)
        auto = self._state["options"]["autoAdvance"] if auto_advance is None else auto_advance
        self._created = 0
        while True:
            before = self._version
            self._step(workflow_id)
            if self._version != before:
                continue
            timer = self._next_timer(workflow_id) if auto and not (hold and hold()) else None
            if timer is None:
                break
            self._state["clock"] = max(self._state["clock"], timer)
        return self._workflow(workflow_id)["status"]

    def terminate(self, workflow_id: str, reason: str) -> None:
        """``DELETE /api/workflow/{id}?reason=`` (``terminateWorkflow(id, reason)``): end a
        running workflow as TERMINATED; a manual terminate starts no failureWorkflow."""
        self._terminate_workflow(self._workflow(workflow_id), reason)
        self._version += 1

    def execution(self, workflow_id: str) -> dict:
        """The workflow as ``GET /api/workflow/{id}`` shows it: status, input, output,
        reasonForIncompletion, variables, tasks (referenceTaskName, taskType, status,
        inputData, outputData, retryCount, iteration, seq …)."""
        wf = self._workflow(workflow_id)
        out = _public(wf)
        out["tasks"] = [dict(_public(t), loopOverTask=t["iteration"] > 0) for t in wf["tasks"]]
        return out

    def pending_human(self, workflow_id: str) -> list[dict]:
        """HUMAN and WAIT tasks waiting (IN_PROGRESS) in this workflow and in the workflows
        it started, as ``{workflowId, taskId, ref, taskType, input}``."""
        out = []
        for wf in self._family(workflow_id):
            if wf["status"] != RUNNING:
                continue
            for t in wf["tasks"]:
                if t["_kind"] in ("HUMAN", "WAIT") and t["status"] == IN_PROGRESS:
                    out.append(
                        {
                            "workflowId": wf["workflowId"],
                            "taskId": t["taskId"],
                            "ref": t["referenceTaskName"],
                            "taskType": t["taskType"],
                            "input": copy.deepcopy(t["inputData"]),
                        }
                    )
        return out

    def complete_task(
        self,
        workflow_id: str,
        task_id_or_ref: str,
        output: Mapping[str, Any] | None = None,
        status: str = COMPLETED,
        *,
        reason: str = "",
    ) -> None:
        """An external task update (``POST /api/tasks``, docs/conductor.md "WAIT and HUMAN"):
        ``status`` is COMPLETED,
        FAILED, FAILED_WITH_TERMINAL_ERROR or IN_PROGRESS; ``output`` *replaces* the task's
        outputData. The task is found by id anywhere under ``workflow_id``, or by reference
        name in ``workflow_id`` (the latest attempt; ``ref`` also matches ``ref__N``). The
        workflow is then decided once; call :meth:`run` to carry on."""
        wf, task = self._find_task(workflow_id, task_id_or_ref)
        if task["status"] in _TERMINAL:
            raise SimulationError(
                f"task {task['taskId']} ({task['referenceTaskName']}) is already {task['status']}"
            )
        if wf["status"] != RUNNING:
            raise SimulationError(f"workflow {wf['workflowId']} is {wf['status']}")
        self._created = 0
        self._apply_update(wf, task, status, output, reason, None)
        self._decide(wf)

    def run_test_request(self, request: Mapping[str, Any]) -> dict:
        """``POST /api/workflow/test`` (docs/conductor.md "The test endpoint"): start ``request`` (a
        WorkflowTestRequest:
        ``name``/``version`` or an inline ``workflowDef``, ``input``, ``correlationId``) and
        answer every pending non-operator task — worker tasks, but also HUMAN, WAIT,
        START_WORKFLOW — with the next mock in ``taskRefToMockOutput[ref as scheduled]``
        (``{status: COMPLETED, output: {}}``; loop tasks are ``ref__N``). Sub-workflows
        started by a SUB_WORKFLOW task ``ref`` get ``subWorkflowTestRequest[ref]``. Stops when
        the workflow is terminal, when a pending task has no mock, or when the mocks run
        out; the worker is not used. Returns the execution, as the endpoint does."""
        self._created = 0
        definition = request.get("workflowDef")
        name = request.get("name") or (definition or {}).get("name")
        version = request.get("version")
        wid = self._start_workflow(
            name,
            int(version) if isinstance(version, int) else None,
            copy.deepcopy(dict(request.get("input") or {})),
            definition=definition,
            correlation_id=request.get("correlationId"),
        )
        self._test_workflow(request, wid)
        return self.execution(wid)

    def _test_workflow(self, request: Mapping[str, Any], wid: str) -> None:
        """``WorkflowTestService.testWorkflow(request, workflowId)``, loop for loop."""
        mocks = {
            ref: list(copy.deepcopy(items or []))
            for ref, items in (request.get("taskRefToMockOutput") or {}).items()
        }
        subs = request.get("subWorkflowTestRequest") or {}
        self._settle(wid)
        for _ in range(_TEST_MAX_LOOPS):
            snapshot = [dict(t) for t in self._workflow(wid)["tasks"]]
            if any(
                t["taskType"] not in _TEST_OPERATORS
                and t["status"] not in _TERMINAL
                and t["referenceTaskName"] not in mocks
                for t in snapshot
            ):
                return
            for running in (t for t in snapshot if t["status"] not in _TERMINAL):
                ref = running["referenceTaskName"]
                if (
                    running["taskType"] == "SUB_WORKFLOW"
                    and running.get("subWorkflowId")
                    and ref in subs
                ):
                    self._test_workflow(subs[ref], running["subWorkflowId"])
                queue = mocks.get(ref)
                if not queue or running["taskType"] in _TEST_OPERATORS:
                    mocks.pop(ref, None)
                    self._settle(wid)
                    continue
                self._apply_mock(wid, running["taskId"], queue.pop(0))
            wf = self._workflow(wid)
            if wf["status"] in _WF_TERMINAL or not mocks:
                return

    def _apply_mock(self, wid: str, task_id: str, mock: Mapping[str, Any]) -> None:
        """One TaskMock as the endpoint applies it: a task update whose output is *added* to
        the task's output (``new TaskResult(task)`` starts from it), or — with
        ``executionTime``/``queueWaitTime`` — a direct edit of the times and status."""
        wf, task = self._find_task(wid, task_id)
        if task["status"] in _TERMINAL or wf["status"] != RUNNING:
            return  # updateTask ignores these
        status = mock.get("status") or COMPLETED
        output = {**task["outputData"], **copy.deepcopy(dict(mock.get("output") or {}))}
        exec_ms = _int(mock.get("executionTime"))
        wait_ms = _int(mock.get("queueWaitTime"))
        if exec_ms > 0 or wait_ms > 0:
            task["scheduledTime"] = self.now - (exec_ms + wait_ms)
            task["startTime"] = self.now - exec_ms
            task["outputData"] = output
            self._set_status(task, status)
        else:
            self._apply_update(
                wf,
                task,
                status,
                output,
                task["reasonForIncompletion"],
                task["callbackAfterSeconds"],
            )
        self._settle(wid)

    def _settle(self, root_id: str) -> None:
        """Decide and run the due asynchronous system tasks until nothing changes — what the
        server's decider and system-task workers do on their own between test updates."""
        while True:
            before = self._version
            for wf in self._family(root_id):
                if wf["status"] == RUNNING:
                    self._decide(wf)
            self._run_due_system_tasks(root_id)
            if self._version == before:
                return

    # ---------------------------------------------------------------- bookkeeping

    def _workflow(self, workflow_id: str) -> dict:
        try:
            return self._state["workflows"][workflow_id]
        except KeyError:
            raise SimulationError(f"no workflow {workflow_id!r} in this simulation") from None

    def _family(self, root_id: str) -> list[dict]:
        """The workflow and, transitively, every workflow it started (sub-workflows,
        START_WORKFLOW, failure workflows), in creation order."""
        self._workflow(root_id)
        members = {root_id}
        out = []
        for wid, wf in self._state["workflows"].items():
            if wid == root_id or wf.get("_startedBy") in members:
                members.add(wid)
                out.append(wf)
        return out

    def _spend(self) -> None:
        """Count one task creation or worker poll against ``max_tasks``."""
        self._created += 1
        if self._created > self._state["options"]["maxTasks"]:
            raise SimulationError(
                f"more than {self._state['options']['maxTasks']} tasks created or polled in one "
                "call; a DO_WHILE that never ends, or a worker that always answers IN_PROGRESS? "
                "(raise max_tasks if this is intended)"
            )

    def _next_task_id(self) -> str:
        self._spend()
        self._state["counters"]["task"] += 1
        return f"t-{self._state['counters']['task']}"

    def _bump(self) -> None:
        self._version += 1

    def _set_status(self, task: dict, status: str) -> None:
        """Status change; a terminal one stamps endTime (``ExecutionDAOFacade.updateTask``)."""
        if task["status"] != status:
            task["status"] = status
            self._bump()
        task["updateTime"] = self.now
        if status in _TERMINAL and not task["endTime"]:
            task["endTime"] = self.now

    def _set_wf_status(self, wf: dict, status: str) -> None:
        if wf["status"] != status:
            wf["status"] = status
            wf["updateTime"] = self.now
            self._bump()

    def _registered_def(self, name: Any) -> dict | None:
        td = self._state["taskDefs"].get(name) if isinstance(name, str) else None
        return copy.deepcopy(td) if td is not None else None

    def _lookup_definition(self, name: str, version: int | None) -> dict | None:
        versions = self._state["definitions"].get(name)
        if not versions:
            return None
        if version is None:
            version = max(int(v) for v in versions)
        found = versions.get(str(version))
        return copy.deepcopy(found) if found is not None else None

    def _resolve(
        self,
        wf: dict,
        params: Any,
        *,
        task_id: str | None = None,
        task_def: Mapping[str, Any] | None = None,
    ) -> dict:
        """A task input resolved against ``wf`` (docs/conductor.md "Input resolution"); the document
        is only built when the
        template (or the TaskDef's inputTemplate) has a reference in it."""
        params = params if isinstance(params, Mapping) else {}
        needed = _mentions_reference(params) or _mentions_reference(
            (task_def or {}).get("inputTemplate")
        )
        return resolve_input(
            params,
            build_document(wf) if needed else {},
            task_id=task_id,
            task_def=task_def,
            env=self._state["options"]["env"],
        )

    def _find_task(self, workflow_id: str, key: str) -> tuple[dict, dict]:
        for wf in self._family(workflow_id):
            for t in wf["tasks"]:
                if t["taskId"] == key:
                    return wf, t
        wf = self._workflow(workflow_id)
        exact = [t for t in wf["tasks"] if t["referenceTaskName"] == key]
        if exact:
            return wf, exact[-1]
        loose = [
            t
            for t in wf["tasks"]
            if strip_iteration(t["referenceTaskName"]) == key and t["status"] not in _TERMINAL
        ]
        if loose:
            return wf, loose[-1]
        raise SimulationError(f"no task {key!r} in workflow {workflow_id}")


# --------------------------------------------------------------------------------------
# Module helpers that need the constants above
# --------------------------------------------------------------------------------------


def _normalize_definitions(definitions: Mapping[str, Any]) -> dict[str, dict[str, dict]]:
    """name → {"<version>": WorkflowDef}. A value may be one WorkflowDef or a list of them."""
    out: dict[str, dict[str, dict]] = {}
    for key, value in definitions.items():
        for definition in value if isinstance(value, list) else [value]:
            definition = copy.deepcopy(dict(definition))
            name = definition.get("name") or key
            definition["name"] = name
            version = definition.get("version", 1)
            out.setdefault(name, {})[str(0 if version is None else int(version))] = definition
    return out
