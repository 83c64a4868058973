"""Run Conductor WorkflowDefs offline, by the server's runtime semantics (conductor.md §C).

No Conductor server can run here, so this is how agentc tests the workflows it emits (and how
users test theirs with ``agentc simulate``). It executes *any* WorkflowDef JSON, not only
agentc's, and it is a port of the conductor-oss decider (``DeciderService.decide``,
``WorkflowExecutorOps.decide``/``scheduleTask``/``updateTask``/``terminate``), the task
mappers (``core/…/execution/mapper/*``) and the system tasks (``core/…/execution/tasks/*``)
at commit ``b54f0d4``; each method names the Java it follows.

The model, in short:

* Every workflow keeps a task list in scheduling order. A *decide* pass (§C.2) retries or
  fails terminal-unsuccessful tasks (§C.10, §C.11), schedules the successors of terminal
  tasks (dedup by reference name), runs the synchronous system tasks (SWITCH, INLINE,
  DO_WHILE, SET_VARIABLE, TERMINATE …) and checks for completion (§C.9). It repeats while
  the state changes.
* Asynchronous system tasks (JOIN, WAIT, SUB_WORKFLOW, START_WORKFLOW) are evaluated by the
  driver (:meth:`Simulator.run`), as Conductor's system-task workers would.
* SIMPLE / DYNAMIC / unknown-type tasks go to the ``worker`` callback, in process and
  synchronously (§C.15); each result is applied like ``POST /api/tasks`` and the workflow is
  decided again.
* Time is a virtual clock (milliseconds): retry delays, ``startDelay``, WAIT and timeouts
  never sleep. ``run`` can jump the clock to the next timer when nothing else can move
  (``auto_advance``), or the caller moves it with :meth:`Simulator.advance`.
* Ids come from counters (``wf-1``, ``t-7``), so two runs give identical executions.
* :meth:`Simulator.to_json` / :meth:`Simulator.from_json` save and resume a paused
  simulation (definitions included); :meth:`Simulator.run_test_request` is the server's
  ``POST /api/workflow/test`` with mocked task outputs (§C.16).

Deliberate differences: a worker may answer IN_PROGRESS without ``callback_after_seconds``
to leave its task waiting for :meth:`Simulator.complete_task` (Conductor would re-queue it);
a FORK_JOIN_DYNAMIC listing the same reference name twice fails the workflow (Conductor
silently keeps one); a worker that raises gives a FAILED task with ``str(exc)`` as the
reason, as the Python SDK's task runner does. After a :class:`SimulationError` the
simulation is in an undefined state and should be discarded.

Not simulated (and why): HTTP, EVENT, KAFKA_PUBLISH, JSON_JQ_TRANSFORM, LLM_* and the MCP /
agent task types need outside systems — scheduling one raises :class:`SimulationUnsupported`
(see :data:`UNSUPPORTED`; pass ``worker_types=`` to hand such types to the worker instead).
The ``python`` evaluator (GraalPy) raises it too. Task ``responseTimeoutSeconds``,
``pollTimeoutSeconds`` and ``totalTimeoutSeconds`` are not checked: with an in-process
worker a task is only IN_PROGRESS while it deliberately waits for :meth:`complete_task`,
which those timeouts would break (task ``timeoutSeconds`` and workflow ``timeoutSeconds``
*are* checked). Retry jitter (``backoffJitterMs``) is taken as 0 to stay deterministic.
Rate limits, concurrency limits, domains, priorities, idempotency, external payload
storage, pause/resume/rerun/skip APIs are out of scope.
"""
from __future__ import annotations

import copy
import functools
import datetime as _dt
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentc.targets.conductor import js
from agentc.targets.conductor.expressions import (
    build_document,
    java_string,
    resolve_input,
    strip_iteration,
)

__all__ = [
    "UNSUPPORTED",
    "SimulationError",
    "SimulationUnsupported",
    "Simulator",
    "TaskCall",
    "TaskResult",
    "Worker",
]

#: Task types the simulator refuses to run (they need HTTP endpoints, brokers, jq, LLMs …).
UNSUPPORTED: tuple[str, ...] = (
    "HTTP",
    "EVENT",
    "KAFKA_PUBLISH",
    "JSON_JQ_TRANSFORM",
    "LLM_TEXT_COMPLETE",
    "LLM_CHAT_COMPLETE",
    "LLM_INDEX_TEXT",
    "LLM_SEARCH_INDEX",
    "LLM_GENERATE_EMBEDDINGS",
    "LLM_STORE_EMBEDDINGS",
    "LLM_GET_EMBEDDINGS",
    "LIST_MCP_TOOLS",
    "CALL_MCP_TOOL",
    "PULL_WORKFLOW_MESSAGES",
    "AGENT",
    "GET_AGENT_CARD",
    "CANCEL_AGENT",
)

FORMAT = "agentc.conductor-simulation/1"
#: 2026-01-01T00:00:00Z: where the virtual clock starts unless told otherwise.
DEFAULT_CLOCK_START_MS = 1_767_225_600_000
_MAX_INT = 2**31 - 1

# TaskModel.Status flags (terminal, successful, retriable) — model/TaskModel.java
SCHEDULED = "SCHEDULED"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
COMPLETED_WITH_ERRORS = "COMPLETED_WITH_ERRORS"
FAILED = "FAILED"
FAILED_WITH_TERMINAL_ERROR = "FAILED_WITH_TERMINAL_ERROR"
TIMED_OUT = "TIMED_OUT"
CANCELED = "CANCELED"
SKIPPED = "SKIPPED"
_TERMINAL = {COMPLETED, COMPLETED_WITH_ERRORS, FAILED, FAILED_WITH_TERMINAL_ERROR, TIMED_OUT, CANCELED, SKIPPED}
_UNSUCCESSFUL = {FAILED, FAILED_WITH_TERMINAL_ERROR, TIMED_OUT, CANCELED}
_RETRIABLE = {FAILED, TIMED_OUT}  # among the terminal-unsuccessful statuses
_WORKER_RESULT_STATUSES = {COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR, IN_PROGRESS}
# TaskType.isBuiltIn: never retried
_BUILT_IN = {"DECISION", "SWITCH", "FORK", "JOIN", "EXCLUSIVE_JOIN", "DO_WHILE"}

# WorkflowModel.Status
RUNNING = "RUNNING"
TERMINATED = "TERMINATED"
_WF_TERMINAL = {COMPLETED, FAILED, TIMED_OUT, TERMINATED}

# TaskDef defaults (common/…/metadata/tasks/TaskDef.java, conductor.md §A.4)
_TASKDEF_DEFAULTS: dict[str, Any] = {
    "retryCount": 3,
    "timeoutSeconds": 0,
    "timeoutPolicy": "TIME_OUT_WF",
    "retryLogic": "FIXED",
    "retryDelaySeconds": 60,
    "maxRetryDelaySeconds": 0,
    "backoffScaleFactor": 1,
    "responseTimeoutSeconds": 3600,
}
# WorkflowTestService.operators: task types the test endpoint never mocks (§C.16)
_TEST_OPERATORS = {"JOIN", "DO_WHILE", "SET_VARIABLE", "FORK", "INLINE", "TERMINATE", "DECISION",
                   "DYNAMIC", "FORK_JOIN", "FORK_JOIN_DYNAMIC", "SWITCH", "SUB_WORKFLOW"}
_TEST_MAX_LOOPS = 20_000
# ConductorProperties.maxWorkflowVariablesPayloadSizeThreshold
_MAX_VARIABLES_BYTES = 256 * 1024
_SCRIPT_LOCATION = re.compile(r"^undefined:(\d+): (.*)$", re.DOTALL)
_DURATION = re.compile(
    r"\s*(?:([0-9]+)\s*(?:days?|d))?"
    r"\s*(?:([0-9]+)\s*(?:hours?|hrs?|h))?"
    r"\s*(?:([0-9]+)\s*(?:minutes?|mins?|m))?"
    r"\s*(?:([0-9]+)\s*(?:seconds?|secs?|s))?\s*",
    re.IGNORECASE,
)
_UNTIL = re.compile(r"([0-9]+)-([0-9]+)-([0-9]+)(?: ([0-9]+):([0-9]+)(?: (\S.*))?)?")


# --------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------


class SimulationError(Exception):
    """The simulation cannot go on: a definition that would crash Conductor's decider, an
    unknown workflow or task, a runaway loop, a bad worker result."""


class SimulationUnsupported(SimulationError):
    """A task whose type the simulator does not run (see :data:`UNSUPPORTED`)."""

    def __init__(self, task_type: str, ref: str | None, detail: str = "") -> None:
        self.task_type = task_type
        self.ref = ref
        text = f"task type {task_type} (taskReferenceName {ref!r}) cannot be simulated"
        super().__init__(text + (f": {detail}" if detail else ""))


class _NotFound(SimulationError):
    """``NotFoundException``: no such workflow definition."""


@dataclass
class TaskCall:
    """What a worker polls: one SIMPLE / DYNAMIC / unknown-type task attempt."""

    task_type: str
    ref: str
    input: dict
    retry_count: int
    workflow_id: str
    task_id: str
    iteration: int


@dataclass
class TaskResult:
    """A worker's answer, applied like ``POST /api/tasks`` (outputData is replaced).

    ``IN_PROGRESS`` with ``callback_after_seconds`` set puts the task back in the queue for
    that many (virtual) seconds, as Conductor does. ``IN_PROGRESS`` without it is this
    simulator's way for a worker to say "an outside event will finish this": the task
    stays IN_PROGRESS until :meth:`Simulator.complete_task`."""

    status: str
    output: dict = field(default_factory=dict)
    reason: str = ""
    callback_after_seconds: int | None = None


Worker = Callable[[TaskCall], TaskResult]


# --------------------------------------------------------------------------------------
# Internal helpers
# --------------------------------------------------------------------------------------


class _Terminate(Exception):
    """``TerminateWorkflowException``: ends the workflow (FAILED unless told otherwise)."""

    def __init__(self, message: str, status: str = FAILED, task: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.task = task


class _ScriptFailure(Exception):
    """A script did not evaluate; ``str()`` is the server's message for it."""


@dataclass
class _Kind:
    """How one task type behaves. ``map`` is its TaskMapper (None: cannot be scheduled by
    that type name); ``start``/``execute``/``cancel`` are its WorkflowSystemTask hooks;
    ``async_`` tasks are run by the driver, the others inside the decide loop; ``worker``
    tasks go to the worker callback."""

    map: Callable[[_Ctx], list[dict]] | None = None
    execute: Callable[[dict, dict], bool] | None = None
    start: Callable[[dict, dict], None] | None = None
    cancel: Callable[[dict, dict], None] | None = None
    async_: bool = False
    worker: bool = False


@dataclass
class _Outcome:
    to_schedule: list[dict] = field(default_factory=list)
    complete: bool = False
    terminate_task: dict | None = None


class _Ctx:
    """``TaskMapperContext``: what a mapper gets. The task id is drawn on first use so that
    a mapping whose result is dropped does not use up an id."""

    def __init__(self, sim: Simulator, wf: dict, wt: dict, task_input: dict,
                 retry_count: int, retried_task_id: str | None, kind: str) -> None:
        self.sim = sim
        self.wf = wf
        self.wt = wt
        self.input = task_input
        self.retry_count = retry_count
        self.retried_task_id = retried_task_id
        self.kind = kind
        self._task_id: str | None = None

    @property
    def task_id(self) -> str:
        if self._task_id is None:
            self._task_id = self.sim._next_task_id()
        return self._task_id

    @property
    def task_def(self) -> dict | None:
        return self.wt.get("taskDefinition")


def _wt_type(wt: Mapping[str, Any]) -> str:
    t = wt.get("type")
    return "SIMPLE" if t is None else t


def _ref(item: Mapping[str, Any]) -> str:
    return item.get("taskReferenceName") if "taskReferenceName" in item else item.get("referenceTaskName")


def _children(wt: Mapping[str, Any]) -> list[list[dict]]:
    """``WorkflowTask.children``."""
    t = _wt_type(wt)
    if t in ("DECISION", "SWITCH"):
        return [*(wt.get("decisionCases") or {}).values(), wt.get("defaultCase") or []]
    if t == "FORK_JOIN":
        return list(wt.get("forkTasks") or [])
    if t == "DO_WHILE":
        return [wt.get("loopOver") or []]
    return []


def _collect_tasks(tasks: Iterable[dict]) -> list[dict]:
    """``WorkflowDef.collectTasks``: every WorkflowTask, nested ones included."""
    out: list[dict] = []
    for wt in tasks:
        out.append(wt)
        for branch in _children(wt):
            out.extend(_collect_tasks(branch))
    return out


def _subtree_refs(wt: Mapping[str, Any]) -> set[str]:
    """Every taskReferenceName in ``wt``'s subtree, itself included (``has`` for many refs)."""
    return {t.get("taskReferenceName") for t in _collect_tasks([wt])}


def _has(wt: Mapping[str, Any], ref: str) -> bool:
    """``WorkflowTask.has``."""
    if wt.get("taskReferenceName") == ref:
        return True
    if _wt_type(wt) in ("DECISION", "SWITCH", "DO_WHILE", "FORK_JOIN"):
        return any(_has(child, ref) for branch in _children(wt) for child in branch)
    return False


def _next_in(wt: dict, ref: str, parent: dict | None) -> dict | None:
    """``WorkflowTask.next``: the successor of ``ref`` inside ``wt``'s subtree, with its
    quirks kept (the end of a loop body answers the DO_WHILE itself; the end of a fork branch
    answers nothing new)."""
    t = _wt_type(wt)
    if t in ("DO_WHILE", "DECISION", "SWITCH"):
        for branch in _children(wt):
            after, _ = _after_in_branch(branch, ref, wt)
            if after is not None:
                return after
        if t == "DO_WHILE" and _has(wt, ref):
            return wt
        return None
    if t == "FORK_JOIN":
        for branch in _children(wt):
            after, found = _after_in_branch(branch, ref, wt)
            if after is not None:
                return after
            if found and parent is not None:
                return _next_in(parent, wt.get("taskReferenceName"), parent)
        return None
    return None


def _after_in_branch(branch: list[dict], ref: str, wt: dict) -> tuple[dict | None, bool]:
    """One branch's part of ``WorkflowTask.next``: the successor found inside a task of the
    branch, else the task after ``ref`` (or after the task holding it), if any; and whether
    ``ref`` itself is a task of this branch."""
    for i, task in enumerate(branch):
        after = branch[i + 1] if i + 1 < len(branch) else None
        if task.get("taskReferenceName") == ref:
            return after, True
        nxt = _next_in(task, ref, wt)
        if nxt is not None:
            return nxt, False
        if _has(task, ref):
            return after, False
    return None, False


def _get_task_by_ref(definition: Mapping[str, Any], ref: str) -> dict | None:
    for wt in _collect_tasks(definition.get("tasks") or []):
        if wt.get("taskReferenceName") == ref:
            return wt
    return None


def _get_next_task(definition: Mapping[str, Any], ref: str) -> dict | None:
    """``WorkflowDef.getNextTask``: the WorkflowTask to schedule after ``ref`` (§C.2)."""
    wt = _get_task_by_ref(definition, ref)
    if wt is not None and _wt_type(wt) == "TERMINATE":
        return None
    tasks = definition.get("tasks") or []
    i = 0
    while i < len(tasks):
        task = tasks[i]
        i += 1
        if task.get("taskReferenceName") == ref:
            break
        nxt = _next_in(task, ref, None)
        if nxt is not None:
            return nxt
        if _wt_type(task) == "DO_WHILE" and task.get("taskReferenceName") != ref and _has(task, ref):
            return None
        if _has(task, ref):
            break
    return tasks[i] if i < len(tasks) else None


def _td(task_def: Mapping[str, Any] | None, key: str) -> Any:
    """A TaskDef field with the Java default; JSON null on a primitive reads as 0."""
    default = _TASKDEF_DEFAULTS[key]
    value = task_def.get(key, default) if task_def else default
    if value is None:
        return 0 if isinstance(default, int) else default
    return value


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _int32(value: int) -> int:
    """Java int overflow."""
    return (value + 2**31) % 2**32 - 2**31


def _to_boolean(value: Any) -> bool:
    """``ScriptEvaluator.toBoolean``: booleans as is, numbers > 0, anything else false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value > 0
    return False


def _script_message(engine_message: str) -> str:
    """``ScriptEvaluator.handlePolyglotException``'s text. js.evaluate puts one line of
    its own before the script, hence the ``- 1``."""
    m = _SCRIPT_LOCATION.match(engine_message)
    if m:
        return f"Error evaluating the script `{m.group(2)}` at line {max(int(m.group(1)) - 1, 1)}"
    return f"Error evaluating the script `{engine_message}`"


def _parse_duration(text: str) -> int:
    """``DateTimeUtils.parseDuration`` in seconds (§C.7)."""
    m = _DURATION.fullmatch(text)
    if m is None:
        raise SimulationError(f"Not valid duration: {text}")
    d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return d * 86400 + (h * 60 + mi) * 60 + s


def _parse_until(text: str) -> int | None:
    """``DateTimeUtils.parseDate`` (``yyyy-MM-dd HH:mm[ z]`` or ``yyyy-MM-dd``, lenient:
    out-of-range fields roll over) in epoch ms; the server's zone is taken as UTC."""
    m = _UNTIL.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, zone = m.groups()
    tz = _zone(zone.strip()) if zone is not None else _dt.timezone.utc
    if tz is None:
        return None
    y = int(year) + (int(month) - 1) // 12
    mo = (int(month) - 1) % 12 + 1
    try:
        local = _dt.datetime(y, mo, 1) + _dt.timedelta(
            days=int(day) - 1, hours=int(hour or 0), minutes=int(minute or 0))
    except (ValueError, OverflowError):
        return None
    return int(local.replace(tzinfo=tz).timestamp() * 1000)


def _zone(name: str) -> _dt.tzinfo | None:
    """SimpleDateFormat ``z``, best effort: GMT/UTC, ``GMT±h[h][:mm]``, RFC 822 ``±hhmm``,
    or a zone id the platform knows (``EST``, ``CET``, ``Europe/Paris`` …)."""
    if name in ("GMT", "UTC", "UT", "Z"):
        return _dt.timezone.utc
    m = re.fullmatch(r"(?:GMT|UTC)?([+-])([0-9]{1,2}):?([0-9]{2})?", name)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return _dt.timezone(sign * _dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0)))
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _mentions_reference(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, Mapping):
        return any(_mentions_reference(v) for v in value.values())
    if isinstance(value, list):
        return any(_mentions_reference(v) for v in value)
    return False


def _public(record: Mapping[str, Any]) -> dict:
    """A copy without the simulator's own bookkeeping keys (those starting with ``_``)."""
    return {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}


# --------------------------------------------------------------------------------------
# The simulator
# --------------------------------------------------------------------------------------


class Simulator:
    """Executes WorkflowDefs the way a conductor-oss server would (conductor.md §C).

    ``definitions`` maps a workflow name to its WorkflowDef JSON (or to a list of them, one
    per version; ``version`` defaults to 1). ``task_defs`` maps a task name to its TaskDef
    JSON. ``worker`` serves every SIMPLE / DYNAMIC / unknown-type task.

    Options: ``auto_advance`` (default True) lets :meth:`run` move the virtual clock to the
    next timer (retry delay, WAIT, startDelay, timeout) when nothing else can progress;
    ``clock_start_ms`` is where the clock starts; ``env`` holds the variables
    ``${workflow.env.X}`` reads (a default server has an empty set); ``worker_types`` lists
    otherwise-unsupported task types to send to the worker; ``max_tasks`` bounds the tasks
    one call may create (a runaway DO_WHILE raises :class:`SimulationError`)."""

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
            "INLINE": k(map=functools.partial(self._map_script, task_type="INLINE"), execute=self._exec_inline),
            "LAMBDA": k(map=functools.partial(self._map_script, task_type="LAMBDA"), execute=self._exec_lambda),
            "FORK_JOIN": k(map=self._map_fork_join),
            "FORK_JOIN_DYNAMIC": k(map=self._map_fork_join_dynamic),
            "FORK": k(),  # the record FORK_JOIN / FORK_JOIN_DYNAMIC create; already COMPLETED
            "JOIN": k(map=self._map_join, execute=self._exec_join, async_=True),
            "EXCLUSIVE_JOIN": k(map=self._map_exclusive_join, execute=self._exec_exclusive_join, async_=True),
            "DO_WHILE": k(map=self._map_do_while, execute=self._exec_do_while),
            "WAIT": k(map=self._map_wait, execute=self._exec_wait, async_=True),
            "HUMAN": k(map=self._map_human),
            "TERMINATE": k(map=self._map_terminate, execute=self._exec_terminate),
            "SET_VARIABLE": k(map=self._map_set_variable, execute=self._exec_set_variable),
            "NOOP": k(map=self._map_noop, execute=self._exec_complete),
            "SUB_WORKFLOW": k(map=self._map_sub_workflow, start=self._start_sub_workflow,
                              execute=self._exec_sub_workflow, cancel=self._cancel_sub_workflow,
                              async_=True),
            "START_WORKFLOW": k(map=self._map_start_workflow, start=self._start_start_workflow,
                                async_=True),
        }

    # ---------------------------------------------------------------- public API

    @property
    def now(self) -> int:
        """The virtual clock, epoch milliseconds."""
        return self._state["clock"]

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward; the next :meth:`run` acts on what fell due."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._state["clock"] += round(seconds * 1000)

    def start(self, name: str, input: Mapping[str, Any] | None = None, *,
              version: int | None = None, correlation_id: str | None = None) -> str:
        """Start a workflow (``POST /api/workflow``) and return its id. The first decide
        runs now (synchronous system tasks execute); workers run in :meth:`run`."""
        self._created = 0
        return self._start_workflow(name, version, dict(input or {}), correlation_id=correlation_id)

    def run(self, workflow_id: str, *, auto_advance: bool | None = None) -> str:
        """Drive ``workflow_id`` — and the workflows it started — until it is terminal or
        blocked, and return its status. Only a HUMAN task, a WAIT without duration/until, or a
        worker task left IN_PROGRESS can block it, unless ``auto_advance`` is off (then any
        future timer blocks until :meth:`advance`)."""
        self._workflow(workflow_id)
        auto = self._state["options"]["autoAdvance"] if auto_advance is None else auto_advance
        self._created = 0
        while True:
            before = self._version
            self._step(workflow_id)
            if self._version != before:
                continue
            timer = self._next_timer(workflow_id) if auto else None
            if timer is None:
                break
            self._state["clock"] = max(self._state["clock"], timer)
        return self._workflow(workflow_id)["status"]

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
                    out.append({
                        "workflowId": wf["workflowId"],
                        "taskId": t["taskId"],
                        "ref": t["referenceTaskName"],
                        "taskType": t["taskType"],
                        "input": copy.deepcopy(t["inputData"]),
                    })
        return out

    def complete_task(self, workflow_id: str, task_id_or_ref: str,
                      output: Mapping[str, Any] | None = None, status: str = COMPLETED,
                      *, reason: str = "") -> None:
        """An external task update (``POST /api/tasks``, §C.7): ``status`` is COMPLETED,
        FAILED, FAILED_WITH_TERMINAL_ERROR or IN_PROGRESS; ``output`` *replaces* the task's
        outputData. The task is found by id anywhere under ``workflow_id``, or by reference
        name in ``workflow_id`` (the latest attempt; ``ref`` also matches ``ref__N``). The
        workflow is then decided once; call :meth:`run` to carry on."""
        wf, task = self._find_task(workflow_id, task_id_or_ref)
        if task["status"] in _TERMINAL:
            raise SimulationError(
                f"task {task['taskId']} ({task['referenceTaskName']}) is already {task['status']}")
        if wf["status"] != RUNNING:
            raise SimulationError(f"workflow {wf['workflowId']} is {wf['status']}")
        self._created = 0
        self._apply_update(wf, task, status, output, reason, None)
        self._decide(wf)

    def run_test_request(self, request: Mapping[str, Any]) -> dict:
        """``POST /api/workflow/test`` (§C.16): start ``request`` (a WorkflowTestRequest:
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
        wid = self._start_workflow(name, int(version) if isinstance(version, int) else None,
                                   copy.deepcopy(dict(request.get("input") or {})),
                                   definition=definition, correlation_id=request.get("correlationId"))
        self._test_workflow(request, wid)
        return self.execution(wid)

    def _test_workflow(self, request: Mapping[str, Any], wid: str) -> None:
        """``WorkflowTestService.testWorkflow(request, workflowId)``, loop for loop."""
        mocks = {ref: list(copy.deepcopy(items or []))
                 for ref, items in (request.get("taskRefToMockOutput") or {}).items()}
        subs = request.get("subWorkflowTestRequest") or {}
        self._settle(wid)
        for _ in range(_TEST_MAX_LOOPS):
            snapshot = [dict(t) for t in self._workflow(wid)["tasks"]]
            if any(t["taskType"] not in _TEST_OPERATORS and t["status"] not in _TERMINAL
                   and t["referenceTaskName"] not in mocks for t in snapshot):
                return
            for running in (t for t in snapshot if t["status"] not in _TERMINAL):
                ref = running["referenceTaskName"]
                if running["taskType"] == "SUB_WORKFLOW" and running.get("subWorkflowId") and ref in subs:
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
            self._apply_update(wf, task, status, output, task["reasonForIncompletion"],
                               task["callbackAfterSeconds"])
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
                "(raise max_tasks if this is intended)")

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

    def _resolve(self, wf: dict, params: Any, *, task_id: str | None = None,
                 task_def: Mapping[str, Any] | None = None) -> dict:
        """A task input resolved against ``wf`` (§C.1); the document is only built when the
        template (or the TaskDef's inputTemplate) has a reference in it."""
        params = params if isinstance(params, Mapping) else {}
        needed = _mentions_reference(params) or _mentions_reference((task_def or {}).get("inputTemplate"))
        return resolve_input(params, build_document(wf) if needed else {},
                             task_id=task_id, task_def=task_def, env=self._state["options"]["env"])

    def _find_task(self, workflow_id: str, key: str) -> tuple[dict, dict]:
        for wf in self._family(workflow_id):
            for t in wf["tasks"]:
                if t["taskId"] == key:
                    return wf, t
        wf = self._workflow(workflow_id)
        exact = [t for t in wf["tasks"] if t["referenceTaskName"] == key]
        if exact:
            return wf, exact[-1]
        loose = [t for t in wf["tasks"]
                 if strip_iteration(t["referenceTaskName"]) == key and t["status"] not in _TERMINAL]
        if loose:
            return wf, loose[-1]
        raise SimulationError(f"no task {key!r} in workflow {workflow_id}")

    # ---------------------------------------------------------------- starting workflows

    def _start_workflow(self, name: str | None, version: int | None, input: dict, *,
                        definition: dict | None = None, parent: dict | None = None,
                        parent_task: dict | None = None, correlation_id: str | None = None,
                        started_by: str | None = None) -> str:
        """``WorkflowExecutorOps.startWorkflow``: create the workflow, then decide it."""
        if definition is None:
            definition = self._lookup_definition(name, version) if name is not None else None
            if definition is None:
                raise _NotFound(
                    f"No such workflow defined. name={java_string(name)}, version={java_string(version)}")
        else:
            definition = copy.deepcopy(definition)
        self._populate(definition)
        self._state["counters"]["workflow"] += 1
        wid = f"wf-{self._state['counters']['workflow']}"
        def_version = definition.get("version", 1)
        if input:  # §C.1: the inputTemplate only fills in a non-empty input
            for key, value in copy.deepcopy(definition.get("inputTemplate") or {}).items():
                input.setdefault(key, value)
        wf = {
            "workflowId": wid,
            "workflowName": definition.get("name"),
            "workflowVersion": 0 if def_version is None else def_version,
            "status": RUNNING,
            "input": copy.deepcopy(input),
            "output": {},
            "variables": copy.deepcopy(definition.get("variables") or {}),
            "reasonForIncompletion": None,
            "correlationId": correlation_id,
            "parentWorkflowId": parent["workflowId"] if parent else None,
            "parentWorkflowTaskId": parent_task["taskId"] if parent_task else None,
            "createTime": self.now,
            "startTime": self.now,
            "updateTime": self.now,
            "endTime": 0,
            "failedReferenceTaskNames": [],
            "failedTaskNames": [],
            "failedTaskId": None,
            "workflowDefinition": definition,
            "tasks": [],
            "_startedBy": started_by,
        }
        self._state["workflows"][wid] = wf
        self._bump()
        self._decide(wf)
        return wid

    def _populate(self, definition: dict) -> None:
        """``MetadataMapperService.populateWorkflowTaskWithDefinition``: every WorkflowTask
        without an inline ``taskDefinition`` gets the registered TaskDef, or an ad-hoc one
        (retryCount 3 for SIMPLE; retryCount 0 and responseTimeout 0 for other types, §C.10)."""
        for wt in _collect_tasks(definition.get("tasks") or []):
            name = wt.get("name")
            if wt.get("taskDefinition") is not None or not isinstance(name, str) or not name.strip():
                continue
            td = self._registered_def(name)
            if td is None:
                td = {"name": name}
                if _wt_type(wt) != "SIMPLE":
                    td.update(retryCount=0, responseTimeoutSeconds=0)
            wt["taskDefinition"] = td

    # ---------------------------------------------------------------- the driver

    def _step(self, root_id: str) -> None:
        """One round: decide every running workflow, run the due asynchronous system tasks,
        then hand every due queued task to the worker."""
        for wf in self._family(root_id):
            if wf["status"] == RUNNING:
                self._decide(wf)
        self._run_due_system_tasks(root_id)
        for wf in self._family(root_id):
            for task in list(wf["tasks"]):
                if wf["status"] != RUNNING:
                    break
                kind = self._kinds[task["_kind"]]
                if (kind.worker and task["status"] == SCHEDULED
                        and task["_due"] is not None and task["_due"] <= self.now):
                    self._poll_worker(wf, task)

    def _run_due_system_tasks(self, root_id: str) -> None:
        """The system-task workers: run every due JOIN / WAIT / SUB_WORKFLOW / START_WORKFLOW
        once, deciding its workflow after a change."""
        for wf in self._family(root_id):
            for task in list(wf["tasks"]):
                if wf["status"] != RUNNING:
                    break
                kind = self._kinds[task["_kind"]]
                if (kind.async_ and task["status"] not in _TERMINAL
                        and task["_due"] is not None and task["_due"] <= self.now):
                    before = self._version
                    self._run_async(wf, task, kind)
                    if self._version != before:
                        self._decide(wf)

    def _next_timer(self, root_id: str) -> int | None:
        """The earliest future moment at which something becomes due."""
        now = self.now
        times: list[int] = []
        for wf in self._family(root_id):
            if wf["status"] != RUNNING:
                continue
            definition = wf["workflowDefinition"]
            timeout = _int(definition.get("timeoutSeconds"))
            if timeout > 0 and definition.get("timeoutPolicy") == "TIME_OUT_WF":
                times.append(wf["createTime"] + timeout * 1000)
            for t in wf["tasks"]:
                if t["status"] in _TERMINAL:
                    continue
                kind = self._kinds[t["_kind"]]
                waiting = (kind.worker and t["status"] == SCHEDULED) or kind.async_
                if waiting and t["_due"] is not None:
                    times.append(t["_due"])
                td = self._task_def_of(wf, t)
                task_timeout = _int(_td(td, "timeoutSeconds")) if td else 0
                if task_timeout > 0 and t["startTime"] > 0 and _td(td, "timeoutPolicy") != "ALERT_ONLY":
                    times.append(t["startTime"] + (t.get("startDelayInSeconds") or 0) * 1000
                                 + task_timeout * 1000)
        future = [t for t in times if t > now]
        return min(future) if future else None

    def _run_async(self, wf: dict, task: dict, kind: _Kind) -> None:
        """``AsyncSystemTaskExecutor.execute``: a SCHEDULED task is started, an IN_PROGRESS
        one is executed."""
        if task["status"] == SCHEDULED:
            task["startTime"] = self.now
            if kind.start is not None:
                kind.start(wf, task)
        elif task["status"] == IN_PROGRESS and kind.execute is not None:
            kind.execute(wf, task)

    def _poll_worker(self, wf: dict, task: dict) -> None:
        """A worker polls the task, runs it and posts the result; the workflow is decided."""
        if self._worker is None:
            raise SimulationError(
                f"task {task['referenceTaskName']} ({task['taskType']}) needs a worker and none was given")
        self._spend()
        task["pollCount"] += 1
        if not task["startTime"]:
            task["startTime"] = self.now
        task["workerId"] = "simulator"
        self._set_status(task, IN_PROGRESS)
        if self._oversized(wf, task, "input"):  # the server's payload maximum (payload_thresholds)
            return
        call = TaskCall(
            task_type=task["taskType"],
            ref=task["referenceTaskName"],
            input=copy.deepcopy(task["inputData"]),
            retry_count=task["retryCount"],
            workflow_id=wf["workflowId"],
            task_id=task["taskId"],
            iteration=task["iteration"],
        )
        try:
            result = self._worker(call)
        except SimulationError:
            raise
        except Exception as exc:  # noqa: BLE001 -- what the SDK's task runner does with a raising worker
            result = TaskResult(FAILED, {}, str(exc) or type(exc).__name__)
        if not isinstance(result, TaskResult):
            raise SimulationError(
                f"the worker returned {type(result).__name__} for {task['referenceTaskName']}, "
                "not a TaskResult")
        self._apply_update(wf, task, result.status, result.output, result.reason,
                           result.callback_after_seconds)
        self._oversized(wf, task, "output")
        self._decide(wf)

    def _oversized(self, wf: dict, task: dict, kind: str) -> bool:
        """A default server fails a task whose input or output passes its payload maximum
        (``payload_thresholds``): FAILED_WITH_TERMINAL_ERROR, that payload emptied."""
        from .payload_thresholds import task_rejection

        reason = task_rejection(task, kind)
        if reason is None:
            return False
        task["inputData" if kind == "input" else "outputData"] = {}
        task["reasonForIncompletion"] = reason
        self._set_status(task, FAILED_WITH_TERMINAL_ERROR)
        self._bump()
        self._decide(wf)
        return True

    def _apply_update(self, wf: dict, task: dict, status: str, output: Mapping[str, Any] | None,
                      reason: str | None, callback_after: int | None) -> None:
        """``WorkflowExecutorOps.updateTask``: the output is replaced, not merged. A worker
        task updated to IN_PROGRESS goes back to the queue (SCHEDULED) for
        ``callback_after`` seconds; with no callback it waits for :meth:`complete_task`."""
        if status not in _WORKER_RESULT_STATUSES:
            raise SimulationError(
                f"task result status must be one of {sorted(_WORKER_RESULT_STATUSES)}, not {status!r}")
        if output is not None and not isinstance(output, Mapping):
            raise SimulationError(f"task output must be a JSON object, not {type(output).__name__}")
        worker_task = self._kinds[task["_kind"]].worker
        new_status = status
        task["_due"] = None
        if worker_task and status == IN_PROGRESS and callback_after is not None:
            new_status = SCHEDULED
            task["_due"] = self.now + int(callback_after) * 1000
        task["reasonForIncompletion"] = reason or None
        task["callbackAfterSeconds"] = int(callback_after or 0)
        task["outputData"] = copy.deepcopy(dict(output or {}))
        self._set_status(task, new_status)
        self._bump()

    # ---------------------------------------------------------------- decide (§C.2)

    def _decide(self, wf: dict) -> None:
        """``WorkflowExecutorOps.decide``: decide, add the new tasks, start them, execute the
        synchronous system tasks; again while anything changed."""
        if wf["status"] in _WF_TERMINAL:
            if wf["status"] != COMPLETED:
                self._cancel_non_terminal(wf)
            return
        try:
            while True:
                outcome = self._decide_once(wf)
                if outcome.complete:
                    self._end_execution(wf, outcome.terminate_task)
                    return
                added = self._dedup_and_add(wf, outcome.to_schedule)
                changed = self._schedule(wf, added)
                present = {id(t) for t in wf["tasks"]}
                for task in outcome.to_schedule:
                    kind = self._kinds[task["_kind"]]
                    if (id(task) in present and not kind.worker and not kind.async_
                            and task["status"] not in _TERMINAL and kind.execute is not None
                            and kind.execute(wf, task)):
                        changed = True
                if not changed:
                    return
        except _Terminate as exc:
            self._terminate(wf, exc)

    def _decide_once(self, wf: dict) -> _Outcome:
        """``DeciderService.decide``."""
        outcome = _Outcome()
        self._check_workflow_timeout(wf)
        definition = wf["workflowDefinition"]
        tasks = wf["tasks"]
        to_schedule: dict[str, dict] = {}
        if not any(t["status"] != SKIPPED and not t["executed"] for t in tasks):
            first_tasks = definition.get("tasks") or []
            if not first_tasks:
                raise _Terminate("No tasks found to be executed", COMPLETED)
            first = first_tasks[0]
            if not any(t["referenceTaskName"] == first.get("taskReferenceName") for t in tasks):
                for t in self._tasks_to_schedule(wf, first, 0):
                    to_schedule[t["referenceTaskName"]] = t
        pending = [t for t in tasks if not t["retried"] and t["status"] != SKIPPED and not t["executed"]]
        executed_refs = {t["referenceTaskName"] for t in tasks if t["executed"]}
        terminate_task = None
        for t in tasks:
            if t["_kind"] == "TERMINATE" and t["status"] in (COMPLETED, COMPLETED_WITH_ERRORS, SKIPPED):
                terminate_task = t
        for t in pending:
            ref = t["referenceTaskName"]
            if not self._kinds[t["_kind"]].worker and t["status"] not in _TERMINAL:
                to_schedule.setdefault(ref, t)
                executed_refs.discard(ref)
            task_def = self._task_def_of(wf, t)
            if task_def is not None:
                self._check_task_timeout(task_def, t)
            if t["status"] in _UNSUCCESSFUL:
                wt = t.get("workflowTask") or _get_task_by_ref(definition, ref)
                retry = self._retry(task_def, wt, t, wf)
                if retry is not None:
                    to_schedule[ref] = retry
                    executed_refs.discard(ref)
                elif not (wt and wt.get("permissive") and not wt.get("optional")):
                    self._set_status(t, COMPLETED_WITH_ERRORS)
            if not t["executed"] and not t["retried"] and t["status"] in _TERMINAL:
                t["executed"] = True
                self._bump()
                for nxt in self._next_tasks(wf, t):
                    to_schedule.setdefault(nxt["referenceTaskName"], nxt)
        outcome.to_schedule = [t for t in to_schedule.values()
                               if t["referenceTaskName"] not in executed_refs]
        if terminate_task is not None or (not outcome.to_schedule and self._check_completion(wf)):
            self._check_permissive_failures(wf)
            outcome.complete = True
            outcome.terminate_task = terminate_task
        return outcome

    def _check_permissive_failures(self, wf: dict) -> None:
        """A workflow about to complete fails if a permissive task (not optional) failed."""
        latest: dict[str, dict] = {}
        for t in wf["tasks"]:
            wt = t.get("workflowTask") or {}
            if wt.get("permissive") and not wt.get("optional"):
                prev = latest.get(t["referenceTaskName"])
                latest[t["referenceTaskName"]] = prev if prev and prev["retryCount"] > t["retryCount"] else t
        bad = [t for t in latest.values() if t["status"] in _UNSUCCESSFUL]
        if bad:
            raise _Terminate(". ".join(
                f"Task {t['taskId']} failed with status: {t['status']} and reason: "
                f"'{java_string(t['reasonForIncompletion'])}'" for t in bad))

    def _check_completion(self, wf: dict) -> bool:
        """``DeciderService.checkForWorkflowCompletion``."""
        status_by_ref: dict[str, str] = {}
        unfinished: list[dict] = []
        for t in wf["tasks"]:
            status_by_ref[t["referenceTaskName"]] = t["status"]
            if t["status"] not in _TERMINAL:
                return False
            if t["_kind"] == "TERMINATE" and t["status"] not in _UNSUCCESSFUL:
                return True
            if not t["retried"] or not t["executed"]:
                unfinished.append(t)
        if not status_by_ref:
            return False
        definition = wf["workflowDefinition"]
        for wt in definition.get("tasks") or []:
            status = status_by_ref.get(wt.get("taskReferenceName"))
            if status is None or status not in _TERMINAL:
                return False
        for t in unfinished:
            nxt = _get_next_task(definition, t["referenceTaskName"])
            if nxt is not None and nxt.get("taskReferenceName") not in status_by_ref:
                return False
        return True

    def _next_tasks(self, wf: dict, task: dict) -> list[dict]:
        """``DeciderService.getNextTask`` (+ ``filterNextLoopOverTasks``): what to schedule
        after ``task``. A SWITCH that started a branch has none (the branch's end does)."""
        if task["_kind"] in ("SWITCH", "DECISION") and task["inputData"].get("hasChildren") is not None:
            return []
        iteration = task["iteration"]
        ref = strip_iteration(task["referenceTaskName"]) if iteration > 0 else task["referenceTaskName"]
        nxt = _get_next_task(wf["workflowDefinition"], ref)
        if nxt is None:
            return []
        nxt_ref = nxt.get("taskReferenceName")
        if _wt_type(nxt) == "DO_WHILE" and any(t["referenceTaskName"] == nxt_ref for t in wf["tasks"]):
            return []  # the end of a loop body: the DO_WHILE re-evaluates itself
        in_loop = iteration > 0 and task["_kind"] != "DO_WHILE"
        target = f"{nxt_ref}__{iteration}" if in_loop else nxt_ref
        if any(t["referenceTaskName"] == target for t in wf["tasks"]):
            return []  # already scheduled (e.g. the JOIN after a fork branch): dedup by ref
        mapped = self._tasks_to_schedule(wf, nxt, 0)
        if in_loop:
            for m in mapped:
                m["referenceTaskName"] = f"{m['referenceTaskName']}__{iteration}"
                m["iteration"] = iteration
            active = self._active_refs(wf)
            mapped = [m for m in mapped if m["referenceTaskName"] not in active]
        return mapped

    def _active_refs(self, wf: dict) -> set[str]:
        return {t["referenceTaskName"] for t in wf["tasks"]
                if t["status"] == IN_PROGRESS or t["status"] in _TERMINAL}

    def _tasks_to_schedule(self, wf: dict, wt: dict, retry_count: int,
                           retried_task_id: str | None = None) -> list[dict]:
        """``DeciderService.getTasksToBeScheduled``: map one WorkflowTask to task records
        (a SWITCH or a FORK gives several), minus refs already IN_PROGRESS or terminal."""
        type_ = _wt_type(wt)
        kind = self._kind_name(type_, wt)
        task_input = self._resolve(wf, wt.get("inputParameters"))
        mapped = self._kinds[kind].map(_Ctx(self, wf, wt, task_input, retry_count, retried_task_id, kind))
        active = self._active_refs(wf)
        return [t for t in mapped if t["referenceTaskName"] not in active]

    def _kind_name(self, type_: str, wt: Mapping[str, Any]) -> str:
        if type_ in self._state["options"]["workerTypes"]:
            return "USER_DEFINED"
        if type_ in UNSUPPORTED or type_.startswith("LLM_"):
            raise SimulationUnsupported(type_, wt.get("taskReferenceName"))
        kind = self._kinds.get(type_)
        return type_ if kind is not None and kind.map is not None else "USER_DEFINED"

    def _is_system_type(self, type_: str) -> bool:
        """``SystemTaskRegistry.isSystemTask`` for a type name."""
        kind = self._kinds.get(type_)
        return (kind is not None and not kind.worker) or type_ in UNSUPPORTED or type_.startswith("LLM_")

    def _dedup_and_add(self, wf: dict, tasks: list[dict]) -> list[dict]:
        """``dedupAndAddTasks``: append the tasks whose (ref, retryCount) is new."""
        seen = {(t["referenceTaskName"], t["retryCount"]) for t in wf["tasks"]}
        added = []
        for t in tasks:
            key = (t["referenceTaskName"], t["retryCount"])
            if key not in seen:
                seen.add(key)
                added.append(t)
        wf["tasks"].extend(added)
        if added:
            self._bump()
        return added

    def _schedule(self, wf: dict, tasks: list[dict]) -> bool:
        """``WorkflowExecutorOps.scheduleTask``: number the tasks (seq), start synchronous
        system tasks, queue the rest (``_due`` = when a worker / system-task worker may take
        it). True when a synchronous system task was started."""
        if not tasks:
            return False
        seq = max((t["seq"] for t in wf["tasks"]), default=0)
        started = False
        for t in tasks:
            if not t["seq"]:
                seq += 1
                t["seq"] = seq
        for t in tasks:
            kind = self._kinds[t["_kind"]]
            if kind.worker:
                t["_due"] = self.now + t["callbackAfterSeconds"] * 1000
                continue
            if t["status"] not in _TERMINAL and not t["startTime"]:
                t["startTime"] = self.now
            if kind.async_:
                if t["_kind"] == "WAIT":
                    t["_due"] = t.get("waitTimeout") or None
                else:
                    t["_due"] = self.now + min(t["callbackAfterSeconds"], _MAX_INT) * 1000
            else:
                if kind.start is not None:
                    kind.start(wf, t)
                started = True
        self._bump()
        return started

    def _task_def_of(self, wf: dict, task: dict) -> dict | None:
        wt = task.get("workflowTask")
        if wt is None:
            wt = _get_task_by_ref(wf["workflowDefinition"], task["referenceTaskName"]) or {}
        return wt.get("taskDefinition")

    # ---------------------------------------------------------------- retries (§C.10)

    def _retry(self, task_def: dict | None, wt: dict | None, task: dict, wf: dict) -> dict | None:
        """``DeciderService.retry``: a new attempt of a failed task, None when an optional or
        permissive task has run out of retries; otherwise the workflow ends (§C.9)."""
        if task_def is None:
            task_def = self._registered_def(task["taskDefName"])
        allowed = 0
        if task_def is not None:
            override = wt.get("retryCount") if wt else None
            allowed = _int(override) if override is not None else _int(_td(task_def, "retryCount"))
        if (task["status"] not in _RETRIABLE or task["taskType"] in _BUILT_IN
                or allowed <= task["retryCount"]):
            if wt and (wt.get("optional") or wt.get("permissive")):
                return None
            status = {CANCELED: TERMINATED, TIMED_OUT: TIMED_OUT}.get(task["status"], FAILED)
            self._update_output(wf, task)
            raise _Terminate(
                f"Task {task['taskId']} failed with status: {status} and reason: "
                f"'{java_string(task['reasonForIncompletion'])}'", status, task)
        delay = self._retry_delay(task_def, task["retryCount"])
        task["retried"] = True
        new = copy.deepcopy(task)
        new.update(
            taskId=self._next_task_id(),
            retriedTaskId=task["taskId"],
            retryCount=task["retryCount"] + 1,
            retried=False,
            executed=False,
            status=SCHEDULED,
            pollCount=0,
            seq=0,
            scheduledTime=self.now,
            startTime=0,
            endTime=0,
            updateTime=0,
            workerId=None,
            outputData={},
            subWorkflowId=None,
            startDelayInSeconds=delay,
            callbackAfterSeconds=delay,
        )
        new["inputData"].pop("subWorkflowId", None)
        if wt is not None and _int(wf["workflowDefinition"].get("schemaVersion", 2)) > 1:
            new["inputData"].update(self._resolve(
                wf, wt.get("inputParameters"), task_id=new["taskId"], task_def=task_def))
        self._bump()
        return new

    @staticmethod
    def _retry_delay(task_def: dict, attempt: int) -> int:
        """Seconds before the retry; ``attempt`` is the failing attempt's retryCount."""
        base = _int(_td(task_def, "retryDelaySeconds"))
        logic = _td(task_def, "retryLogic")
        if logic == "LINEAR_BACKOFF":
            delay = _int32(base * _int(_td(task_def, "backoffScaleFactor")) * (attempt + 1))
            delay = _MAX_INT if delay < 0 else delay
        elif logic == "EXPONENTIAL_BACKOFF":
            delay = _int32(base * min(2**attempt, _MAX_INT))
            delay = _MAX_INT if delay < 0 else delay
        else:
            delay = base
        cap = _int(_td(task_def, "maxRetryDelaySeconds"))
        return cap if 0 < cap < delay else delay

    # ---------------------------------------------------------------- timeouts (§C.11)

    def _check_workflow_timeout(self, wf: dict) -> None:
        definition = wf["workflowDefinition"]
        timeout = _int(definition.get("timeoutSeconds"))
        if timeout <= 0:
            return
        elapsed = self.now - wf["createTime"]
        if elapsed < timeout * 1000:
            return
        policy = definition.get("timeoutPolicy") or "ALERT_ONLY"
        if policy == "TIME_OUT_WF":
            raise _Terminate(
                f"Workflow timed out after {elapsed // 1000} seconds. Timeout configured as "
                f"{timeout} seconds. Timeout policy configured to {policy}", TIMED_OUT)

    def _check_task_timeout(self, task_def: dict, task: dict) -> None:
        timeout = _int(_td(task_def, "timeoutSeconds"))
        if task["status"] in _TERMINAL or timeout <= 0 or task["startTime"] <= 0:
            return
        elapsed = self.now - (task["startTime"] + (task.get("startDelayInSeconds") or 0) * 1000)
        if elapsed < timeout * 1000:
            return
        policy = _td(task_def, "timeoutPolicy")
        reason = (f"Task timed out after {elapsed // 1000} seconds. Timeout configured as "
                  f"{timeout} seconds. Timeout policy configured to {policy}")
        if policy == "ALERT_ONLY":
            return
        task["reasonForIncompletion"] = reason
        self._set_status(task, TIMED_OUT)
        if policy == "TIME_OUT_WF":
            raise _Terminate(reason, TIMED_OUT, task)

    # ---------------------------------------------------------------- ending (§C.9, §C.11)

    def _update_output(self, wf: dict, task: dict | None) -> None:
        """``DeciderService.updateWorkflowOutput``: a successful TERMINATE's output, else the
        resolved outputParameters, else the output of ``task`` / the last task."""
        tasks = wf["tasks"]
        if not tasks:
            return
        terminate = next((t for t in tasks if t["_kind"] == "TERMINATE"
                          and t["status"] in (COMPLETED, COMPLETED_WITH_ERRORS, SKIPPED)), None)
        definition = wf["workflowDefinition"]
        if terminate is not None:
            output = copy.deepcopy(terminate["outputData"]) if terminate["outputData"] else {}
        elif definition.get("outputParameters"):
            output = self._resolve(wf, definition["outputParameters"])
        else:
            output = copy.deepcopy((task or tasks[-1])["outputData"])
        wf["output"] = output

    def _end_execution(self, wf: dict, terminate_task: dict | None) -> None:
        """``WorkflowExecutorOps.endExecution`` (§C.8 TERMINATE, §C.9)."""
        if terminate_task is not None:
            status = terminate_task["inputData"].get("terminationStatus")
            reason = terminate_task["inputData"].get("terminationReason")
            reason = None if reason is None else java_string(reason)
            if reason is None or not reason.strip():
                reason = f"Workflow is {java_string(status)} by TERMINATE task: {terminate_task['taskId']}"
            if status in (FAILED, TERMINATED):
                self._set_wf_status(wf, status)
                self._terminate(wf, _Terminate(reason, status, terminate_task))
            else:
                wf["reasonForIncompletion"] = reason
                self._complete_workflow(wf)
        else:
            self._complete_workflow(wf)
        self._cancel_non_terminal(wf)

    def _complete_workflow(self, wf: dict) -> None:
        if wf["status"] == COMPLETED:
            return
        self._update_output(wf, None)
        self._set_wf_status(wf, COMPLETED)
        self._record_failed_tasks(wf)
        wf["endTime"] = self.now

    def _record_failed_tasks(self, wf: dict) -> None:
        failed = [t for t in wf["tasks"] if t["status"] in (FAILED, FAILED_WITH_TERMINAL_ERROR)]
        wf["failedReferenceTaskNames"] = sorted(
            set(wf["failedReferenceTaskNames"]) | {t["referenceTaskName"] for t in failed})
        wf["failedTaskNames"] = sorted(
            set(wf["failedTaskNames"]) | {t["taskDefName"] for t in failed if t["taskDefName"]})

    def _terminate(self, wf: dict, exc: _Terminate) -> None:
        """``WorkflowExecutorOps.terminate``: the system ends the workflow (task failure,
        TERMINATE, timeout) and starts its failureWorkflow, if any."""
        if wf["status"] not in _WF_TERMINAL:
            self._set_wf_status(wf, exc.status)
        if exc.task is not None and wf["failedTaskId"] is None:
            wf["failedTaskId"] = exc.task["taskId"]
        definition = wf["workflowDefinition"]
        failure = definition.get("failureWorkflow")
        if isinstance(failure, str) and failure.startswith("$"):
            # quirk kept from the Java: the 3rd dot-separated piece is an input key, verbatim
            pieces = [p for p in failure.split(".")]
            while pieces and pieces[-1] == "":
                pieces.pop()
            if len(pieces) < 3:
                raise SimulationError(f"failureWorkflow {failure!r} crashes the server (no 3rd piece)")
            failure = wf["input"].get(pieces[2])
        self._terminate_workflow(wf, exc.message, failure, definition.get("failureWorkflowVersion"))

    def _terminate_workflow(self, wf: dict, reason: str, failure_workflow: Any = None,
                            failure_version: Any = None) -> None:
        """``WorkflowExecutorOps.terminateWorkflow``."""
        if wf["status"] not in _WF_TERMINAL:
            self._set_wf_status(wf, TERMINATED)
        self._update_output(wf, None)
        self._record_failed_tasks(wf)
        wf["reasonForIncompletion"] = reason
        self._cancel_non_terminal(wf)
        wf["endTime"] = self.now
        if isinstance(failure_workflow, str) and failure_workflow.strip():
            inp = copy.deepcopy(wf["input"])
            inp.update(workflowId=wf["workflowId"], reason=reason, failureStatus=wf["status"])
            if wf["failedTaskId"] is not None:
                inp["failureTaskId"] = wf["failedTaskId"]
            inp["failedWorkflow"] = self.execution(wf["workflowId"])
            try:
                fid = self._start_workflow(
                    failure_workflow, _int(failure_version) or None, inp,
                    correlation_id=wf["correlationId"], started_by=wf["workflowId"])
                wf["output"]["conductor.failure_workflow"] = fid
            except _NotFound as err:
                wf["output"]["conductor.failure_workflow"] = (
                    f"Error workflow {failure_workflow} failed to start.  reason: {err}")

    def _cancel_non_terminal(self, wf: dict) -> None:
        """``cancelNonTerminalTasks``: everything still running is CANCELED (a running
        sub-workflow is terminated)."""
        for t in wf["tasks"]:
            if t["status"] not in _TERMINAL:
                self._set_status(t, CANCELED)
                kind = self._kinds[t["_kind"]]
                if kind.cancel is not None:
                    kind.cancel(wf, t)

    # ---------------------------------------------------------------- task records

    def _task_model(self, ctx: _Ctx, **fields: Any) -> dict:
        """``TaskMapperContext.createTaskModel`` plus the mapper's own settings."""
        wt = ctx.wt
        wf = ctx.wf
        task = {
            "taskId": ctx.task_id,
            "taskType": _wt_type(wt),
            "status": None,
            "referenceTaskName": wt.get("taskReferenceName"),
            "taskDefName": wt.get("name"),
            "inputData": {},
            "outputData": {},
            "retryCount": ctx.retry_count,
            "retriedTaskId": ctx.retried_task_id,
            "iteration": 0,
            "seq": 0,
            "scheduledTime": self.now,
            "startTime": 0,
            "endTime": 0,
            "updateTime": 0,
            "workflowInstanceId": wf["workflowId"],
            "workflowType": wf["workflowName"],
            "correlationId": wf["correlationId"],
            "reasonForIncompletion": None,
            "callbackAfterSeconds": 0,
            "startDelayInSeconds": 0,
            "pollCount": 0,
            "retried": False,
            "executed": False,
            "subWorkflowId": None,
            "workerId": None,
            "workflowTask": copy.deepcopy(wt),
            "_kind": ctx.kind,
            "_due": None,
        }
        task.update(fields)
        if task["status"] in _TERMINAL and not task["endTime"]:
            task["endTime"] = self.now
        return task

    # ---------------------------------------------------------------- SIMPLE / DYNAMIC / USER_DEFINED (§C.15)

    def _map_simple(self, ctx: _Ctx) -> list[dict]:
        """``SimpleTaskMapper``: queued for the worker polling ``name``."""
        wt = ctx.wt
        task_def = ctx.task_def or {}
        delay = _int(wt.get("startDelay"))
        return [self._task_model(
            ctx,
            taskType=wt.get("name"),
            status=SCHEDULED,
            inputData=self._resolve(ctx.wf, wt.get("inputParameters"), task_id=ctx.task_id, task_def=task_def),
            startDelayInSeconds=delay,
            callbackAfterSeconds=delay,
            responseTimeoutSeconds=_td(task_def, "responseTimeoutSeconds"),
        )]

    def _map_dynamic(self, ctx: _Ctx) -> list[dict]:
        """``DynamicTaskMapper``: the task name comes from ``input[dynamicTaskNameParam]``;
        the TaskDef stays the one of the DYNAMIC WorkflowTask itself."""
        param = ctx.wt.get("dynamicTaskNameParam")
        value = ctx.input.get(param) if isinstance(param, str) else None
        if value is None:
            raise _Terminate(
                "Cannot map a dynamic task based on the parameter and input. "
                f"Parameter= {java_string(param)}, input= {java_string(ctx.input)}")
        name = java_string(value)
        ctx.wt = wt = dict(ctx.wt, name=name)
        task_def = wt.get("taskDefinition") or self._registered_def(name)
        if task_def is None:
            raise _Terminate(
                f"Invalid task specified.  Cannot find task by name {name} in the task definitions")
        wt["taskDefinition"] = task_def
        delay = _int(wt.get("startDelay"))
        return [self._task_model(
            ctx,
            taskType=name,
            status=SCHEDULED,
            inputData=self._resolve(ctx.wf, wt.get("inputParameters"), task_id=ctx.task_id, task_def=task_def),
            startDelayInSeconds=delay,
            callbackAfterSeconds=delay,
            responseTimeoutSeconds=_td(task_def, "responseTimeoutSeconds"),
        )]

    def _map_user_defined(self, ctx: _Ctx) -> list[dict]:
        """``UserDefinedTaskMapper``: any other type string, queued under the type name."""
        wt = ctx.wt
        task_def = ctx.task_def or self._registered_def(wt.get("name"))
        if task_def is None:
            raise _Terminate(
                f"Invalid task specified. Cannot find task by name {java_string(wt.get('name'))} "
                "in the task definitions")
        return [self._task_model(
            ctx,
            status=SCHEDULED,
            inputData=self._resolve(ctx.wf, wt.get("inputParameters"), task_id=ctx.task_id, task_def=task_def),
            callbackAfterSeconds=_int(wt.get("startDelay")),
        )]

    # ---------------------------------------------------------------- scripts

    def _evaluate(self, evaluator: str, expression: Any, dollar: dict, task_type: str, ref: str | None) -> Any:
        """One evaluator call (``evaluators/*``): value-param reads a key, javascript and
        graaljs run the script with ``$`` = a copy of the input."""
        if evaluator == "value-param":
            return dollar.get(expression) if isinstance(expression, str) else None
        if evaluator == "python":
            raise SimulationUnsupported(task_type, ref, "the python evaluator (GraalPy) is not available")
        if not isinstance(expression, str):
            raise _ScriptFailure("Error evaluating the script: the expression is null")
        return self._eval_js(expression, dollar)

    @staticmethod
    def _eval_js(script: str, dollar: Any) -> Any:
        try:
            return js.evaluate(script, dollar)
        except js.ScriptError as exc:
            raise _ScriptFailure(_script_message(str(exc))) from None

    # ---------------------------------------------------------------- SWITCH / DECISION (§C.3)

    def _map_switch(self, ctx: _Ctx) -> list[dict]:
        """``SwitchTaskMapper``: evaluate, then schedule the first task of the chosen branch.
        A case key that is present with an empty list runs nothing; an absent key runs
        ``defaultCase``. An unknown evaluator fails the workflow; a script error fails the
        SWITCH task (and so the workflow: built-ins are never retried)."""
        wt = ctx.wt
        evaluator = wt.get("evaluatorType")
        if evaluator not in ("value-param", "javascript", "graaljs", "python"):
            raise _Terminate(f"No evaluator registered for type: {java_string(evaluator)}")
        try:
            result = self._evaluate(evaluator, wt.get("expression"), copy.deepcopy(ctx.input),
                                    "SWITCH", wt.get("taskReferenceName"))
        except _ScriptFailure as exc:
            return [self._task_model(ctx, taskType="SWITCH", taskDefName="SWITCH",
                                     inputData=copy.deepcopy(ctx.input), startTime=self.now,
                                     status=FAILED, reasonForIncompletion=str(exc))]
        case = java_string(result)
        task = self._task_model(
            ctx, taskType="SWITCH", taskDefName="SWITCH",
            inputData={**copy.deepcopy(ctx.input), "case": case},
            outputData={"evaluationResult": [case], "selectedCase": case},
            startTime=self.now, status=IN_PROGRESS)
        out = [task]
        selected = (wt.get("decisionCases") or {}).get(case)
        if selected is None:
            selected = wt.get("defaultCase")
        if selected:
            out += self._tasks_to_schedule(ctx.wf, selected[0], ctx.retry_count, ctx.retried_task_id)
            task["inputData"]["hasChildren"] = "true"
        return out

    def _map_decision(self, ctx: _Ctx) -> list[dict]:
        """``DecisionTaskMapper`` (deprecated): ``caseExpression`` JS or ``caseValueParam``;
        an empty case list falls back to the default; a script error fails the workflow."""
        wt = ctx.wt
        expression = wt.get("caseExpression")
        if isinstance(expression, str) and expression.strip():
            try:
                value = self._eval_js(expression, ctx.input)
            except _ScriptFailure:
                raise _Terminate(f"Error while evaluating script: {expression}") from None
            case = "null" if value is None else java_string(value)
        else:
            case = java_string(ctx.input.get(wt.get("caseValueParam")))
        task = self._task_model(ctx, taskType="DECISION", taskDefName="DECISION",
                                inputData={"case": case}, outputData={"caseOutput": [case]},
                                startTime=self.now, status=IN_PROGRESS)
        out = [task]
        selected = (wt.get("decisionCases") or {}).get(case)
        if not selected:
            selected = wt.get("defaultCase")
        if selected:
            out += self._tasks_to_schedule(ctx.wf, selected[0], ctx.retry_count, ctx.retried_task_id)
            task["inputData"]["hasChildren"] = "true"
        return out

    def _exec_complete(self, wf: dict, task: dict) -> bool:
        """SWITCH, DECISION, NOOP: COMPLETED on execution."""
        self._set_status(task, COMPLETED)
        return True

    # ---------------------------------------------------------------- INLINE / LAMBDA (§C.4)

    def _map_script(self, ctx: _Ctx, task_type: str) -> list[dict]:
        """INLINE and LAMBDA: IN_PROGRESS with the resolved input (TaskDef template applied)."""
        wt = ctx.wt
        task_def = ctx.task_def or self._registered_def(wt.get("name"))
        return [self._task_model(
            ctx, taskType=task_type, startTime=self.now, status=IN_PROGRESS,
            inputData=self._resolve(ctx.wf, wt.get("inputParameters"), task_id=ctx.task_id, task_def=task_def))]

    def _exec_inline(self, wf: dict, task: dict) -> bool:
        """``Inline.execute``: evaluatorType and expression come from the *resolved* input,
        and ``$`` is that whole input. Any evaluation error is FAILED_WITH_TERMINAL_ERROR."""
        data = task["inputData"]
        evaluator = data.get("evaluatorType", None)
        evaluator = "javascript" if evaluator is None else evaluator
        expression = data.get("expression")
        try:
            if not isinstance(evaluator, str) or not evaluator.strip():
                raise _ScriptFailure("Empty 'evaluatorType' in INLINE task's input parameters. "
                                     "A non-empty String value must be provided.")
            if evaluator not in ("javascript", "graaljs", "value-param", "python"):
                raise _ScriptFailure(f"Unknown evaluator '{evaluator}' in INLINE task.")
            if not isinstance(expression, str) or not expression.strip():
                raise _ScriptFailure("Empty 'expression' in Inline task's input parameters. "
                                     "A non-empty String value must be provided.")
            result = self._evaluate(evaluator, expression, copy.deepcopy(data), "INLINE",
                                    task["referenceTaskName"])
        except _ScriptFailure as exc:
            task["reasonForIncompletion"] = str(exc)
            task["outputData"]["error"] = str(exc)
            self._set_status(task, FAILED_WITH_TERMINAL_ERROR)
            return True
        task["outputData"]["result"] = result
        self._set_status(task, COMPLETED)
        return True

    def _exec_lambda(self, wf: dict, task: dict) -> bool:
        """``Lambda.execute`` (deprecated): ``scriptExpression`` is a function body; errors
        are FAILED (retriable)."""
        script = task["inputData"].get("scriptExpression")
        if not isinstance(script, str) or not script.strip():
            task["reasonForIncompletion"] = ("Empty 'scriptExpression' in Lambda task's input parameters. "
                                             "A non-empty String value must be provided.")
            self._set_status(task, FAILED)
            return True
        try:
            result = self._eval_js("function scriptFun(){" + script + "} scriptFun();", task["inputData"])
        except _ScriptFailure as exc:
            task["reasonForIncompletion"] = str(exc)
            task["outputData"]["error"] = str(exc)
            self._set_status(task, FAILED)
            return True
        task["outputData"]["result"] = result
        self._set_status(task, COMPLETED)
        return True

    # ---------------------------------------------------------------- FORK / JOIN (§C.5)

    def _join_after(self, wf: dict, fork_ref: str, message: str) -> dict:
        join = _get_next_task(wf["workflowDefinition"], fork_ref)
        if join is None or _wt_type(join) != "JOIN":
            raise _Terminate(message)
        return join

    def _map_fork_join(self, ctx: _Ctx) -> list[dict]:
        """``ForkJoinTaskMapper``: a COMPLETED ``FORK`` record, the first task of every
        branch, and the JOIN that must come next in the definition."""
        wt = ctx.wt
        fork = self._task_model(ctx, taskType="FORK", taskDefName="FORK", _kind="FORK",
                                startTime=self.now, endTime=self.now,
                                inputData=copy.deepcopy(ctx.input), status=COMPLETED)
        out = [fork]
        for branch in wt.get("forkTasks") or []:
            if not branch:
                raise SimulationError(
                    f"FORK_JOIN {wt.get('taskReferenceName')!r} has an empty branch, which crashes "
                    "Conductor's decider (IndexOutOfBoundsException)")
            out += self._tasks_to_schedule(ctx.wf, branch[0], ctx.retry_count)
        join = self._join_after(ctx.wf, wt.get("taskReferenceName"),
                                "Fork task definition is not followed by a join task.  Check the blueprint")
        out += self._tasks_to_schedule(ctx.wf, join, ctx.retry_count)
        return out

    def _map_join(self, ctx: _Ctx) -> list[dict]:
        """``JoinTaskMapper``: the input is only ``joinOn``; inputParameters are ignored."""
        return [self._task_model(ctx, taskType="JOIN", taskDefName="JOIN", startTime=self.now,
                                 inputData={"joinOn": copy.deepcopy(ctx.wt.get("joinOn") or [])},
                                 status=IN_PROGRESS)]

    def _latest(self, wf: dict, ref: str) -> dict | None:
        """``WorkflowModel.getTaskByRefName``: the last task with exactly this ref."""
        found = None
        for t in wf["tasks"]:
            if t["referenceTaskName"] == ref:
                found = t
        return found

    def _exec_join(self, wf: dict, task: dict) -> bool:
        """``Join.execute``: done when every joinOn task is terminal; output = the non-empty
        outputs by ref; a failed joined task (not optional; permissive ones once all are
        terminal) fails the JOIN, and only-CANCELED failures cancel it."""
        join_on = list(task["inputData"].get("joinOn") or [])
        if task["iteration"] > 0:
            join_on = [f"{r}__{task['iteration']}" for r in join_on]
        joined = {r: self._latest(wf, r) for r in join_on}
        all_terminal = all(t is not None and t["status"] in _TERMINAL for t in joined.values())
        agent = _is_agent(wf["workflowDefinition"])
        optional_failures: list[str] = []
        for ref in join_on:
            forked = joined[ref]
            if forked is None:
                continue
            fwt = forked.get("workflowTask") or {}
            if forked["outputData"]:
                out = _agent_output(forked) if agent else forked["outputData"]
                task["outputData"][ref] = copy.deepcopy(out)
            if (forked["status"] in _UNSUCCESSFUL and not fwt.get("optional")
                    and (not fwt.get("permissive") or all_terminal)):
                failures = [t for t in joined.values() if t is not None and t["status"] in _UNSUCCESSFUL]
                task["reasonForIncompletion"] = " ".join(
                    t["reasonForIncompletion"] for t in failures if t["reasonForIncompletion"] is not None)
                real = any(not (t.get("workflowTask") or {}).get("optional") and t["status"] != CANCELED
                           for t in failures)
                self._set_status(task, FAILED if real else CANCELED)
                return True
            if fwt.get("optional") and forked["status"] == COMPLETED_WITH_ERRORS:
                optional_failures.append(f"{forked['taskDefName']}/{forked['taskId']}")
        if all_terminal:
            if optional_failures:
                task["reasonForIncompletion"] = " ".join(optional_failures) + " completed with errors"
                self._set_status(task, COMPLETED_WITH_ERRORS)
            else:
                self._set_status(task, COMPLETED)
            return True
        return False

    def _map_exclusive_join(self, ctx: _Ctx) -> list[dict]:
        data = {"joinOn": copy.deepcopy(ctx.wt.get("joinOn") or [])}
        if ctx.wt.get("defaultExclusiveJoinTask", []) is not None:
            data["defaultExclusiveJoinTask"] = copy.deepcopy(ctx.wt.get("defaultExclusiveJoinTask", []))
        return [self._task_model(ctx, taskType="EXCLUSIVE_JOIN", taskDefName="EXCLUSIVE_JOIN",
                                 startTime=self.now, inputData=data, status=IN_PROGRESS)]

    def _exec_exclusive_join(self, wf: dict, task: dict) -> bool:
        """``ExclusiveJoin.execute``: the output of the first joinOn task that ran."""
        join_on = list(task["inputData"].get("joinOn") or [])
        if task["iteration"] > 0:
            join_on = [f"{r}__{task['iteration']}" for r in join_on]
        found = False
        failed = False
        reason = ""
        chosen = None
        for ref in join_on:
            chosen = self._latest(wf, ref)
            if chosen is None or chosen["status"] == SKIPPED:
                continue
            found = chosen["status"] in _TERMINAL
            others = [self._latest(wf, r) for r in join_on]
            failed = chosen["status"] in _UNSUCCESSFUL and (
                not (chosen.get("workflowTask") or {}).get("permissive")
                or all(o is not None and o["status"] in _TERMINAL for o in others))
            if failed:
                reason += " ".join(java_string(o["reasonForIncompletion"]) for o in others
                                   if o is not None and o["status"] in _UNSUCCESSFUL)
            break
        if not found:
            for ref in task["inputData"].get("defaultExclusiveJoinTask") or []:
                chosen = self._latest(wf, ref)
                if chosen is None or chosen["status"] == SKIPPED:
                    continue
                found = chosen["status"] in _TERMINAL
                failed = chosen["status"] in _UNSUCCESSFUL
                if failed:
                    reason += java_string(chosen["reasonForIncompletion"]) + " "
                break
        if found or failed:
            if failed:
                task["reasonForIncompletion"] = reason
                self._set_status(task, FAILED)
            else:
                task["outputData"] = copy.deepcopy(chosen["outputData"])
                self._set_status(task, COMPLETED)
            return True
        return False

    def _map_fork_join_dynamic(self, ctx: _Ctx) -> list[dict]:
        """``ForkJoinDynamicTaskMapper``: the forked tasks come from the input, in one of
        three forms (simple ``forkTaskInputs``; ``dynamicForkTasksParam`` +
        ``dynamicForkTasksInputParamName``; legacy ``dynamicForkJoinTasksParam``). Each
        task's inputParameters, merged with its input entry, are resolved as expressions
        when it is scheduled. The JOIN that must follow waits on the forked refs."""
        wf, wt = ctx.wf, ctx.wt
        task_input = self._resolve(wf, wt.get("inputParameters"))
        nested = any(_wt_type(t.get("workflowTask") or {}) == "FORK_JOIN_DYNAMIC" for t in wf["tasks"])
        pair = self._dynamic_simple(wt, task_input, nested)
        if pair is None:
            if wt.get("dynamicForkTasksParam") is not None:
                pair = self._dynamic_tasks_and_input(wt, task_input)
            else:
                pair = self._dynamic_legacy(wt, task_input)
        dyn_tasks, tasks_input = pair
        fork = self._task_model(
            ctx, taskType="FORK", taskDefName="FORK", _kind="FORK", startTime=self.now,
            endTime=self.now, executed=True, status=COMPLETED,
            inputData={"forkedTasks": [d.get("taskReferenceName") for d in dyn_tasks],
                       "forkedTaskDefs": copy.deepcopy(dyn_tasks)})
        fork["inputData"].update(copy.deepcopy(ctx.input))
        out = [fork]
        join_on: list[str] = []
        if not any(t["referenceTaskName"] == wt.get("taskReferenceName") for t in wf["tasks"]):
            for dyn in dyn_tasks:
                dref = dyn.get("taskReferenceName")
                extra = tasks_input.get(dref)
                if extra is not None and not isinstance(extra, Mapping):
                    raise _Terminate("Tasks could not be dynamically forked due to invalid input: "
                                     f"{java_string(extra)} is not a map")
                dyn["inputParameters"] = {**(dyn.get("inputParameters") or {}), **(extra or {})}
                taken = any(t["referenceTaskName"] == dref for t in wf["tasks"]) or any(
                    t["referenceTaskName"] == dref for t in out)
                forked = [] if taken else self._tasks_to_schedule(wf, dyn, ctx.retry_count)
                if not forked:
                    raise _Terminate(
                        f"No dynamic tasks could be created for the Workflow: {_short(wf)}, "
                        f"Dynamic Fork Task: {java_string(dyn.get('name'))}/{dref} attempted to "
                        f"create a duplicate task reference name: {dref}")
                out += forked
                join_on.append(forked[-1]["referenceTaskName"])
        join_wt = self._join_after(
            wf, wt.get("taskReferenceName"),
            "Dynamic join definition is not followed by a join task.  Check the workflow definition.")
        join = self._task_model(
            _Ctx(self, wf, join_wt, {}, 0, None, "JOIN"), taskType="JOIN", taskDefName="JOIN",
            startTime=self.now, status=IN_PROGRESS,
            inputData={**copy.deepcopy(join_wt.get("inputParameters") or {}), "joinOn": join_on})
        out.append(join)
        return out

    def _dynamic_simple(self, wt: dict, task_input: dict, nested: bool) -> tuple[list[dict], dict] | None:
        """The simple form: one task per element of ``forkTaskInputs``, refs
        ``_<forkTaskName>_<i>`` (``_<parentRef>_<forkTaskName>_<i>`` once a dynamic fork
        already ran), ``__index`` added to each input."""
        def text(key: str) -> str | None:
            value = task_input.get(key)
            if value is not None and not isinstance(value, str):
                raise SimulationError(
                    f"FORK_JOIN_DYNAMIC {wt.get('taskReferenceName')!r}: input {key} must be a string "
                    f"(the server casts it to String), got {java_string(value)}")
            return value

        sub_name = text("forkTaskWorkflow")
        version_text = text("forkTaskWorkflowVersion")
        sub_version = int(version_text) if version_text is not None and version_text.strip().lstrip("+-").isdigit() else None
        fork_type = text("forkTaskType")
        fork_name = text("forkTaskName")
        if fork_type is not None and self._is_system_type(fork_type) and fork_name is None:
            fork_name = fork_type
        if fork_name is None:
            fork_name = wt.get("taskReferenceName")
        if fork_type is None:
            fork_type = "SIMPLE"
        inputs = task_input.get("forkTaskInputs")
        if not isinstance(inputs, list):
            return None
        parent = wt.get("taskReferenceName")
        tasks: list[dict] = []
        by_ref: dict[str, dict] = {}
        for i, item in enumerate(inputs):
            params = dict(copy.deepcopy(item)) if isinstance(item, Mapping) else {"input": copy.deepcopy(item)}
            if sub_name is not None:
                dyn = {"name": sub_name, "type": "SUB_WORKFLOW",
                       "subWorkflowParam": {"name": sub_name, "version": sub_version}}
                if isinstance(item, Mapping) and item.get("taskToDomain") is not None:
                    dyn["subWorkflowParam"]["taskToDomain"] = copy.deepcopy(item["taskToDomain"])
            else:
                dyn = {"name": fork_name, "type": fork_type,
                       "taskDefinition": self._registered_def(fork_name)}
            dyn["taskReferenceName"] = f"_{parent}_{fork_name}_{i}" if nested else f"_{fork_name}_{i}"
            params["__index"] = i
            dyn["inputParameters"] = params
            if wt.get("optional"):
                dyn["optional"] = True
            tasks.append(dyn)
            by_ref[dyn["taskReferenceName"]] = params
        return tasks, by_ref

    def _dynamic_tasks_and_input(self, wt: dict, task_input: dict) -> tuple[list[dict], dict]:
        """``dynamicForkTasksParam``: a list of WorkflowTasks, and a map ref → input."""
        param = wt.get("dynamicForkTasksParam")
        value = task_input.get(param)
        if not isinstance(value, list) or not all(
                isinstance(d, Mapping) and d.get("taskReferenceName") is not None for d in value):
            raise _Terminate(f"Input '{param}' is invalid. Cannot deserialize a list of Workflow Tasks "
                             f"from '{java_string(value)}'")
        tasks = [dict(copy.deepcopy(d)) for d in value]
        for dyn in tasks:
            name = dyn.get("name")
            if dyn.get("taskDefinition") is None and isinstance(name, str) and name.strip():
                dyn["taskDefinition"] = self._registered_def(name)
        inputs = task_input.get(wt.get("dynamicForkTasksInputParamName"))
        if not isinstance(inputs, Mapping):
            raise _Terminate("Input to the dynamically forked tasks is not a map -> expecting a map of "
                             f"K,V  but found {java_string(inputs)}")
        return tasks, dict(inputs)

    def _dynamic_legacy(self, wt: dict, task_input: dict) -> tuple[list[dict], dict]:
        """Legacy ``dynamicForkJoinTasksParam``: ``{dynamicTasks: [{taskName, referenceName,
        type, input}]}``."""
        param = wt.get("dynamicForkJoinTasksParam")
        value = task_input.get(param) if param is not None else None
        if not isinstance(value, Mapping):
            raise _Terminate(f"Dynamic tasks could not be created. The value of {java_string(param)} "
                             f"from task's input {java_string(task_input)} has no dynamic tasks to be scheduled")
        tasks, inputs = [], {}
        for item in value.get("dynamicTasks") or []:
            ref = item.get("referenceName")
            inputs[ref] = copy.deepcopy(item.get("input") or {})
            name = item.get("taskName")
            dyn = {"taskReferenceName": ref, "name": name, "type": item.get("type") or "SIMPLE"}
            if isinstance(name, str) and name.strip():
                dyn["taskDefinition"] = self._registered_def(name)
            tasks.append(dyn)
        return tasks, inputs

    # ---------------------------------------------------------------- DO_WHILE (§C.6)

    def _map_do_while(self, ctx: _Ctx) -> list[dict]:
        wt = ctx.wt
        existing = self._latest(ctx.wf, wt.get("taskReferenceName"))
        if existing is not None and existing["status"] in _TERMINAL:
            return []
        task_def = ctx.task_def or self._registered_def(wt.get("name")) or {}
        return [self._task_model(
            ctx, taskType="DO_WHILE", status=IN_PROGRESS, startTime=self.now,
            inputData=self._resolve(ctx.wf, wt.get("inputParameters"), task_id=ctx.task_id, task_def=task_def))]

    def _exec_do_while(self, wf: dict, task: dict) -> bool:
        """``DoWhile.execute``: record the iteration's outputs under ``output["<n>"]``; fail
        if a body task failed; wait until the iteration is complete; then evaluate the
        condition and either schedule iteration n+1 (refs ``<ref>__<n+1>``) or complete."""
        wt = task["workflowTask"]
        body = _subtree_refs(wt)
        relevant: dict[str, dict] = {}
        for t in wf["tasks"]:
            if (t["iteration"] == task["iteration"]
                    and t["referenceTaskName"] != task["referenceTaskName"]
                    and strip_iteration(t["referenceTaskName"]) in body):
                current = relevant.get(t["referenceTaskName"])
                if current is None or t["retryCount"] > current["retryCount"]:
                    relevant[t["referenceTaskName"]] = t
        if not relevant:
            if self._is_list_iteration(wt) and not self._items(wf, task):
                task["outputData"]["iteration"] = 0
                self._set_status(task, COMPLETED)
                return True
            task["iteration"] = 1
            task["outputData"]["iteration"] = 1
            self._inject_loop_variables(wf, task)
            return self._schedule_next_iteration(wf, task)
        failed = False
        reasons = ""
        outputs: dict[str, Any] = {}
        for t in relevant.values():
            failed = t["status"] in _UNSUCCESSFUL
            if failed:
                reasons += java_string(t["reasonForIncompletion"]) + " "
            outputs[strip_iteration(t["referenceTaskName"])] = copy.deepcopy(t["outputData"])
            if failed:
                break
        task["outputData"][str(task["iteration"])] = outputs
        self._keep_last_n(wf, task)
        if failed:
            task["reasonForIncompletion"] = reasons
            self._set_status(task, FAILED)
            return True
        if not self._iteration_complete(task, relevant):
            return False
        try:
            again = self._loop_condition(wf, task)
        except _ScriptFailure as exc:
            task["reasonForIncompletion"] = (
                f"Unable to evaluate condition {java_string(wt.get('loopCondition'))}, exception {exc}")
            self._set_status(task, FAILED_WITH_TERMINAL_ERROR)
            return True
        if again:
            task["iteration"] += 1
            task["outputData"]["iteration"] = task["iteration"]
            self._inject_loop_variables(wf, task)
            return self._schedule_next_iteration(wf, task)
        self._set_status(task, COMPLETED)
        return True

    def _keep_last_n(self, wf: dict, task: dict) -> None:
        """``inputParameters.keepLastN`` (an int): drop older iterations' outputs and tasks."""
        keep = (task["workflowTask"].get("inputParameters") or {}).get("keepLastN")
        if keep is None:
            return
        if not isinstance(keep, int) or isinstance(keep, bool):
            raise SimulationError(
                f"DO_WHILE {task['referenceTaskName']}: keepLastN must be an int, not "
                f"{java_string(keep)} (the server casts it to Integer)")
        iteration = task["iteration"]
        if iteration <= keep:
            return
        drop = iteration - keep
        for i in range(1, drop + 1):
            task["outputData"].pop(str(i), None)
        body = _subtree_refs(task["workflowTask"])
        before = len(wf["tasks"])
        wf["tasks"][:] = [
            t for t in wf["tasks"]
            if not (t["iteration"] <= drop
                    and t["referenceTaskName"] != task["referenceTaskName"]
                    and strip_iteration(t["referenceTaskName"]) in body)]
        if len(wf["tasks"]) != before:
            self._bump()

    def _iteration_complete(self, task: dict, relevant: dict[str, dict]) -> bool:
        """``DoWhile.isIterationComplete``: every direct loopOver task of this iteration
        exists and is terminal, so is every task of the iteration, and each terminal task's
        successor inside the loop has been scheduled."""
        wt = task["workflowTask"]
        iteration = task["iteration"]
        for child in wt.get("loopOver") or []:
            t = relevant.get(f"{child.get('taskReferenceName')}__{iteration}")
            if t is None or t["status"] not in _TERMINAL:
                return False
        if any(t["status"] not in _TERMINAL for t in relevant.values()):
            return False
        loop_ref = wt.get("taskReferenceName")
        for t in relevant.values():
            nxt = _next_in(wt, strip_iteration(t["referenceTaskName"]), None)
            if (nxt is not None and nxt.get("taskReferenceName") != loop_ref
                    and _has(wt, nxt.get("taskReferenceName"))
                    and f"{nxt.get('taskReferenceName')}__{iteration}" not in relevant):
                return False
        return True

    def _schedule_next_iteration(self, wf: dict, task: dict) -> bool:
        """``WorkflowExecutorOps.scheduleNextIteration``: the first loopOver task, renamed
        ``<ref>__<n>``; the rest follow by the successor rules."""
        loop_over = task["workflowTask"].get("loopOver") or []
        if not loop_over:
            raise SimulationError(
                f"DO_WHILE {task['referenceTaskName']} has an empty loopOver, which crashes the server")
        iteration = task["iteration"]
        mapped = self._tasks_to_schedule(wf, loop_over[0], task["retryCount"])
        for m in mapped:
            m["referenceTaskName"] = f"{m['referenceTaskName']}__{iteration}"
            m["iteration"] = iteration
        self._schedule(wf, mapped)
        wf["tasks"].extend(mapped)
        self._bump()
        return True

    def _loop_condition(self, wf: dict, task: dict) -> bool:
        """``DoWhile.evaluateCondition``: ``$`` = resolved inputParameters, plus
        ``$[loopRef]`` = the DO_WHILE's output, plus ``$[bodyRef]`` = each body task's
        outputData (latest wins). Truthiness per ``ScriptEvaluator.toBoolean``."""
        wt = task["workflowTask"]
        dollar = self._resolve(wf, wt.get("inputParameters"), task_id=task["taskId"],
                               task_def=wt.get("taskDefinition"))
        dollar[task["referenceTaskName"]] = task["outputData"]
        body = _subtree_refs(wt)
        for t in wf["tasks"]:
            stripped = strip_iteration(t["referenceTaskName"])
            if stripped in body and t["referenceTaskName"] != task["referenceTaskName"]:
                dollar[stripped] = t["outputData"]
        condition = wt.get("loopCondition")
        if self._is_list_iteration(wt):
            items = self._items(wf, task)
            index = task["iteration"] - 1
            dollar["loopIndex"] = index
            if 0 <= index < len(items):
                dollar["loopItem"] = items[index]
            more = index < len(items) - 1
            if isinstance(condition, str) and condition.strip():
                return _to_boolean(self._eval_js(condition, dollar)) and more
            return more
        if condition is None:
            return False
        return _to_boolean(self._eval_js(condition, dollar))

    @staticmethod
    def _is_list_iteration(wt: Mapping[str, Any]) -> bool:
        items = wt.get("items")
        if isinstance(items, str) and items.strip():
            return True
        params = wt.get("inputParameters") or {}
        value = params.get("_items")
        return (isinstance(value, str) and bool(value.strip())) or isinstance(value, list)

    def _items(self, wf: dict, task: dict) -> list:
        """``DoWhile.evaluateItemsList``: ``items`` (or Orkes-style ``inputParameters._items``)
        resolved; a scalar becomes a one-element list."""
        wt = task["workflowTask"]
        td = wt.get("taskDefinition")
        value = None
        items = wt.get("items")
        if isinstance(items, str) and items.strip():
            value = self._resolve(wf, {"items": items}, task_id=task["taskId"], task_def=td).get("items")
        if value is None:
            resolved = self._resolve(wf, wt.get("inputParameters"), task_id=task["taskId"], task_def=td)
            value = resolved.get("_items")
        if isinstance(value, list):
            return value
        return [] if value is None else [value]

    def _inject_loop_variables(self, wf: dict, task: dict) -> None:
        if not self._is_list_iteration(task["workflowTask"]):
            return
        items = self._items(wf, task)
        index = task["iteration"] - 1
        task["outputData"]["loopIndex"] = index
        if 0 <= index < len(items):
            task["outputData"]["loopItem"] = copy.deepcopy(items[index])

    # ---------------------------------------------------------------- WAIT / HUMAN (§C.7)

    def _map_wait(self, ctx: _Ctx) -> list[dict]:
        """``WaitTaskMapper``: ``duration`` or ``until`` set the wake-up time on the virtual
        clock; neither waits forever; both (or a bad ``until``) is FAILED_WITH_TERMINAL_ERROR."""
        data = self._resolve(ctx.wf, ctx.wt.get("inputParameters"), task_id=ctx.task_id)
        task = self._task_model(ctx, taskType="WAIT", inputData=data, startTime=self.now,
                                status=IN_PROGRESS, waitTimeout=0)
        duration = "" if data.get("duration") is None else java_string(data["duration"])
        until = "" if data.get("until") is None else java_string(data["until"])
        if duration.strip() and until.strip():
            task["status"] = FAILED_WITH_TERMINAL_ERROR
            task["reasonForIncompletion"] = "Both 'duration' and 'until' specified. Please provide only one input"
        elif duration.strip():
            seconds = _parse_duration(duration)
            task["waitTimeout"] = self.now + seconds * 1000
            task["callbackAfterSeconds"] = seconds
        elif until.strip():
            moment = _parse_until(until)
            if moment is None:
                task["status"] = FAILED_WITH_TERMINAL_ERROR
                task["reasonForIncompletion"] = f"Invalid/Unsupported Wait Until format.  Provided: {until}"
            else:
                task["callbackAfterSeconds"] = max(int((moment - self.now) / 1000), 0)
                task["waitTimeout"] = moment
        else:
            task["callbackAfterSeconds"] = _MAX_INT
        if task["status"] in _TERMINAL:
            task["endTime"] = self.now
        return [task]

    def _exec_wait(self, wf: dict, task: dict) -> bool:
        timeout = task.get("waitTimeout") or 0
        if timeout and self.now >= timeout:
            self._set_status(task, COMPLETED)
            return True
        return False

    def _map_human(self, ctx: _Ctx) -> list[dict]:
        """``HumanTaskMapper``: IN_PROGRESS until :meth:`complete_task`."""
        return [self._task_model(
            ctx, taskType="HUMAN", startTime=self.now, status=IN_PROGRESS,
            inputData=self._resolve(ctx.wf, ctx.wt.get("inputParameters"), task_id=ctx.task_id))]

    # ---------------------------------------------------------------- TERMINATE / SET_VARIABLE / NOOP (§C.8)

    def _map_terminate(self, ctx: _Ctx) -> list[dict]:
        return [self._task_model(
            ctx, taskType="TERMINATE", startTime=self.now, status=IN_PROGRESS,
            inputData=self._resolve(ctx.wf, ctx.wt.get("inputParameters"), task_id=ctx.task_id))]

    def _exec_terminate(self, wf: dict, task: dict) -> bool:
        """``Terminate.execute``: the output becomes ``workflowOutput`` (a map as is, anything
        else under ``output``); the decider then ends the workflow with that output."""
        status = task["inputData"].get("terminationStatus")
        if status in (COMPLETED, FAILED, TERMINATED):
            value = task["inputData"].get("workflowOutput")
            if value is None:
                output = {}
            elif isinstance(value, Mapping):
                output = copy.deepcopy(dict(value))
            else:
                output = {"output": copy.deepcopy(value)}
            task["outputData"] = output
            self._set_status(task, COMPLETED)
            return True
        task["reasonForIncompletion"] = "given termination status is not valid"
        self._set_status(task, FAILED)
        return False

    def _map_set_variable(self, ctx: _Ctx) -> list[dict]:
        return [self._task_model(ctx, startTime=self.now, status=IN_PROGRESS,
                                 inputData=copy.deepcopy(ctx.input))]

    def _exec_set_variable(self, wf: dict, task: dict) -> bool:
        """``SetVariable.execute``: a shallow put of each input key into
        ``workflow.variables``, rolled back if the variables exceed 256 KB."""
        data = task["inputData"]
        if data:
            before = copy.deepcopy(wf["variables"])
            wf["variables"].update(copy.deepcopy(data))
            size = len(json.dumps(wf["variables"], separators=(",", ":")).encode())
            if size > _MAX_VARIABLES_BYTES:
                wf["variables"] = before
                task["reasonForIncompletion"] = (
                    f"The variables payload size: {size} of workflow: {wf['workflowId']} is greater "
                    f"than the permissible limit: {_MAX_VARIABLES_BYTES // 1024} kilobytes")
                self._set_status(task, FAILED_WITH_TERMINAL_ERROR)
                return True
        self._set_status(task, COMPLETED)
        return True

    def _map_noop(self, ctx: _Ctx) -> list[dict]:
        return [self._task_model(ctx, taskType="NOOP", startTime=self.now, status=IN_PROGRESS)]

    # ---------------------------------------------------------------- SUB_WORKFLOW / START_WORKFLOW (§C.12)

    def _map_sub_workflow(self, ctx: _Ctx) -> list[dict]:
        """``SubWorkflowTaskMapper``: subWorkflowParam fields are resolved as expressions;
        the task input wraps the resolved inputParameters under ``workflowInput``."""
        wt = ctx.wt
        params = wt.get("subWorkflowParam")
        if not isinstance(params, Mapping):
            raise _Terminate(f"Task {java_string(wt.get('name'))} is defined as sub-workflow and is missing "
                             "subWorkflowParams. Please check the workflow definition")
        inline = params.get("workflowDefinition")
        p: dict[str, Any] = {"name": params.get("name"), "priority": params.get("priority")}
        if isinstance(inline, Mapping):  # SubWorkflowParams takes name/version from the def
            p["name"] = inline.get("name")
            if inline.get("version") is not None:
                p["version"] = inline.get("version")
        elif params.get("version") is not None:
            p["version"] = params["version"]
        for key in ("taskToDomain", "idempotencyKey", "idempotencyStrategy"):
            if params.get(key) is not None:
                p[key] = params[key]
        if isinstance(inline, str):
            p["workflowDefinition"] = inline
            p = self._resolve(ctx.wf, p)
        else:
            p = self._resolve(ctx.wf, p)
            if inline is not None:
                p["workflowDefinition"] = copy.deepcopy(inline)
        if p.get("name") is None and p.get("workflowDefinition") is None:
            raise SimulationError(f"SUB_WORKFLOW {wt.get('taskReferenceName')!r} has no name "
                                  "(NullPointerException in the server's mapper)")
        name = java_string(p.get("name")) if p.get("name") is not None else None
        definition = p.get("workflowDefinition")
        version = None
        if definition is None:
            raw = p.get("version")
            if raw is not None:
                try:
                    version = int(raw) if isinstance(raw, (int, float)) else int(java_string(raw))
                except ValueError:
                    raise SimulationError(f"SUB_WORKFLOW {wt.get('taskReferenceName')!r}: version "
                                          f"{java_string(raw)} is not a number") from None
            else:
                found = self._lookup_definition(name, None)
                if found is None:
                    raise _Terminate(f"The Task {name} defined as a sub-workflow has no workflow "
                                     "definition available ")
                version = found.get("version", 1)
        task_to_domain = p.get("taskToDomain") if isinstance(p.get("taskToDomain"), Mapping) else None
        return [self._task_model(
            ctx, taskType="SUB_WORKFLOW", status=SCHEDULED,
            callbackAfterSeconds=_int(wt.get("startDelay")),
            inputData={
                "subWorkflowName": name,
                "priority": p.get("priority"),
                "subWorkflowVersion": version,
                "subWorkflowTaskToDomain": task_to_domain,
                "subWorkflowDefinition": definition,
                "idempotencyKey": p.get("idempotencyKey"),
                "idempotencyStrategy": p.get("idempotencyStrategy"),
                "workflowInput": copy.deepcopy(ctx.input),
            })]

    def _start_sub_workflow(self, wf: dict, task: dict) -> None:
        """``SubWorkflow.start``: the child's input is ``workflowInput`` (the whole task input
        if that is empty); an inline definition is marked ``_systemMetadata.dynamic``."""
        data = task["inputData"]
        version = data.get("subWorkflowVersion")
        version = int(version) if isinstance(version, (int, float)) and int(version) != 0 else None
        definition = data.get("subWorkflowDefinition")
        name = None if data.get("subWorkflowName") is None else java_string(data["subWorkflowName"])
        if definition is not None:
            if not isinstance(definition, Mapping):
                task["reasonForIncompletion"] = f"workflowDefinition is not a WorkflowDef: {java_string(definition)}"
                self._set_status(task, FAILED)
                return
            name = definition.get("name")
        child_input = data.get("workflowInput")
        if not child_input:
            child_input = data
        child_input = copy.deepcopy(dict(child_input))
        if definition is not None:
            meta = child_input.get("_systemMetadata")
            meta = dict(meta) if isinstance(meta, Mapping) else {}
            meta["dynamic"] = True
            child_input["_systemMetadata"] = meta
        try:
            child_id = self._start_workflow(
                name, version, child_input, definition=dict(definition) if definition is not None else None,
                parent=wf, parent_task=task, correlation_id=wf["correlationId"],
                started_by=wf["workflowId"])
        except _NotFound as exc:
            task["reasonForIncompletion"] = str(exc)
            self._set_status(task, FAILED)
            return
        task["reasonForIncompletion"] = None
        task["subWorkflowId"] = child_id
        task["outputData"]["subWorkflowId"] = child_id
        self._sync_sub_workflow(self._workflow(child_id), task)

    def _exec_sub_workflow(self, wf: dict, task: dict) -> bool:
        child_id = task.get("subWorkflowId")
        if not child_id:
            return False
        child = self._workflow(child_id)
        if child["status"] not in _WF_TERMINAL:
            return False
        self._sync_sub_workflow(child, task)
        return True

    def _sync_sub_workflow(self, child: dict, task: dict) -> None:
        """``SubWorkflow.updateTaskStatus``: the child's status mapped onto the task, and the
        child's output merged into the task output (next to ``subWorkflowId``)."""
        status = {RUNNING: IN_PROGRESS, "PAUSED": IN_PROGRESS, COMPLETED: COMPLETED, FAILED: FAILED,
                  TERMINATED: CANCELED, TIMED_OUT: TIMED_OUT}[child["status"]]
        if child["status"] in _WF_TERMINAL:
            task["outputData"].update(copy.deepcopy(child["output"]))
            if status != COMPLETED:
                task["reasonForIncompletion"] = (
                    f"Sub workflow {_short(child)} failure reason: "
                    f"{java_string(child['reasonForIncompletion'])}")
        self._set_status(task, status)

    def _cancel_sub_workflow(self, wf: dict, task: dict) -> None:
        """Canceling the task terminates the running child workflow."""
        child_id = task.get("subWorkflowId")
        child = self._state["workflows"].get(child_id) if child_id else None
        if child is None or child["status"] in _WF_TERMINAL:
            return
        self._set_wf_status(child, TERMINATED)
        reason = (f"Parent workflow has been terminated with reason: {wf['reasonForIncompletion']}"
                  if wf["reasonForIncompletion"]
                  else f"Parent workflow has been terminated with status {wf['status']}")
        self._terminate_workflow(child, reason)

    def _map_start_workflow(self, ctx: _Ctx) -> list[dict]:
        return [self._task_model(ctx, taskType="START_WORKFLOW", status=SCHEDULED,
                                 inputData=copy.deepcopy(ctx.input),
                                 callbackAfterSeconds=_int(ctx.wt.get("startDelay")))]

    def _start_start_workflow(self, wf: dict, task: dict) -> None:
        """``StartWorkflow.start``: fire and forget; output ``{workflowId}``."""
        request = task["inputData"].get("startWorkflow")
        if request is None:
            task["reasonForIncompletion"] = "Missing 'startWorkflow' in input data."
            self._set_status(task, FAILED)
            return
        if not isinstance(request, Mapping):
            task["reasonForIncompletion"] = f"Error reading StartWorkflowRequest. {java_string(request)}"
            self._set_status(task, FAILED)
            return
        if request.get("name") is None:
            task["reasonForIncompletion"] = (
                "startWorkflow validation failed. 'name' -> Workflow name cannot be null or empty. ")
            self._set_status(task, FAILED)
            return
        correlation = request.get("correlationId")
        if not (isinstance(correlation, str) and correlation.strip()):
            correlation = wf["correlationId"]
        version = request.get("version")
        try:
            child_id = self._start_workflow(
                java_string(request["name"]), int(version) if isinstance(version, (int, float)) else None,
                copy.deepcopy(dict(request.get("input") or {})),
                definition=request.get("workflowDef"), correlation_id=correlation,
                started_by=wf["workflowId"])
        except _NotFound as exc:
            task["reasonForIncompletion"] = str(exc)
            self._set_status(task, FAILED)
            return
        task["outputData"]["workflowId"] = child_id
        self._set_status(task, COMPLETED)


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


def _short(wf: Mapping[str, Any]) -> str:
    """``WorkflowModel.toShortString``: ``name.version/id``."""
    definition = wf.get("workflowDefinition") or {}
    return f"{definition.get('name')}.{definition.get('version')}/{wf.get('workflowId')}"


def _is_agent(definition: Mapping[str, Any]) -> bool:
    """``WorkflowDef.isAgent``: metadata ``agent_sdk`` or ``agentDef`` present (§C.5)."""
    meta = definition.get("metadata") or {}
    return meta.get("agent_sdk") is not None or meta.get("agentDef") is not None


def _agent_output(task: Mapping[str, Any]) -> dict:
    """``Join.prepareAgentOutput``: tool branches wrapped, state branches trimmed."""
    output = task["outputData"]
    tool = task["inputData"].get("_agent_tool_name")
    if tool is not None:
        return {"_agent_tool_name": tool, "_agent_tool_output": output}
    if any(k in output for k in ("_state_updates", "state")):
        return {k: output[k] for k in ("_state_updates", "state") if k in output}
    return output
