"""The emulator's data model: task and workflow statuses, the public result types, the
exceptions, and the per-task-type behaviour record (``_Kind``) the simulator dispatches on.

Mirrors conductor-oss ``core/…/model/TaskModel.java`` and ``WorkflowModel.java`` (the status
flags) and ``execution/mapper/TaskMapperContext.java`` (``_Ctx``). See docs/conductor.md
("The simulator").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .simulator import Simulator

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
_TERMINAL = {
    COMPLETED,
    COMPLETED_WITH_ERRORS,
    FAILED,
    FAILED_WITH_TERMINAL_ERROR,
    TIMED_OUT,
    CANCELED,
    SKIPPED,
}
_UNSUCCESSFUL = {FAILED, FAILED_WITH_TERMINAL_ERROR, TIMED_OUT, CANCELED}
_RETRIABLE = {FAILED, TIMED_OUT}  # among the terminal-unsuccessful statuses
_WORKER_RESULT_STATUSES = {COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR, IN_PROGRESS}
# TaskType.isBuiltIn: never retried
_BUILT_IN = {"DECISION", "SWITCH", "FORK", "JOIN", "EXCLUSIVE_JOIN", "DO_WHILE"}

# WorkflowModel.Status
RUNNING = "RUNNING"
TERMINATED = "TERMINATED"
_WF_TERMINAL = {COMPLETED, FAILED, TIMED_OUT, TERMINATED}

# TaskDef defaults (common/…/metadata/tasks/TaskDef.java, docs/conductor.md "TaskDef defaults")
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
# WorkflowTestService.operators: task types the test endpoint never mocks (docs/conductor.md "The
# test endpoint")
_TEST_OPERATORS = {
    "JOIN",
    "DO_WHILE",
    "SET_VARIABLE",
    "FORK",
    "INLINE",
    "TERMINATE",
    "DECISION",
    "DYNAMIC",
    "FORK_JOIN",
    "FORK_JOIN_DYNAMIC",
    "SWITCH",
    "SUB_WORKFLOW",
}
_TEST_MAX_LOOPS = 20_000
# ConductorProperties.maxWorkflowVariablesPayloadSizeThreshold
_MAX_VARIABLES_BYTES = 256 * 1024


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

    def __init__(
        self,
        sim: Simulator,
        wf: dict,
        wt: dict,
        task_input: dict,
        retry_count: int,
        retried_task_id: str | None,
        kind: str,
    ) -> None:
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
