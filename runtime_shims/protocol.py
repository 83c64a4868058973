"""The step protocol, engine-neutral and typed (docs/architecture.md, "The step protocol").

Every engine runs an agentc workflow as a sequence of steps; a step worker
(``steps.StepWorker``, ``agent_steps.AgentStepper``) answers each with an ``Outcome``:
a ``Status`` and an output. This module says what those carry, in terms of no engine:

* ``StepOutput`` — a graph step's output (a finished superstep, one task of a parallel
  step, a pause, the END read-out);
* ``SendTask`` / ``SendGroup`` — the ``Send`` packets a superstep fans out, per Send key;
* ``CallTask`` — one reported call of an agent's model step (a tool activity or an
  agent-as-tool child workflow).

``to_dict``/``from_dict`` give the JSON every engine stores between steps. How an engine
spells them is the target's business: Conductor's dynamic forks, input expressions and
task statuses are made from these in ``targets/conductor/wire.py``; the Temporal workflow
(``temporal_runtime.py``) reads them as they are.

Plain Python (no imports beyond the standard library), so workflow code (Temporal's
sandbox) and workers share it — ``pick`` above all: among the outputs of the steps that
may have run just before, the one to continue from is the latest that finished a
superstep — the highest ``step`` with a ``next``. Stale outputs (earlier loop iterations)
and paused attempts (no ``next``) lose. Conductor evaluates the same rule in JavaScript
(``targets/conductor/lowering.py`` ``pick_js``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Iterable


class Status(Enum):
    """How one attempt of a step ended. Each target maps it to its engine's terms (Conductor:
    ``targets/conductor/wire.py``; Temporal: ``temporal_runtime._activity_fn``)."""

    COMPLETED = "completed"
    FAILED = "failed"
    """Failed; the engine may run the step again (a retry policy decides)."""
    TERMINAL = "terminal"
    """Failed for good: retrying cannot help."""


@dataclass
class Outcome:
    """What a step worker answers for one task (graph steps and agent steps alike); it lives
    here, not in ``steps.py``, so ``agent_steps.py`` need not import ``steps.py``, which
    dispatches to it."""

    status: Status
    output: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.status, Status):
            raise ValueError(f"unknown step status {self.status!r}")


PROTOCOL = 1
"""``StepOutput.agentc``: marks a step output (and its protocol version) among other JSON."""

DONE, INTERRUPTED = "done", "interrupted"
STEP_STATES = (DONE, INTERRUPTED)


FORK_FIELD = "fork"
"""A step input's graph fork record (``graph_fork.FIELD``)."""


class _Absent:
    """A field the output does not carry (``None`` is a value: an END read-out's ``state``)."""

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class SendTask:
    """One ``Send`` packet's task: the step type ``task_type`` runs the pushed task ``push``
    of the superstep whose output is the step ``source``'s (the task's input ``prev``);
    ``context``: the run's context goes along; ``fork``: a graph fork's record
    (``graph_fork.py``), passed on as it is; ``fanout``: the group's fan-out policy, which
    each packet's task carries too (Conductor's worker-side watcher reads it)."""

    ref: str
    task_type: str
    push: int
    source: str
    plan: str
    context: bool = False
    fork: Any = None
    fanout: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "ref": self.ref,
            "type": self.task_type,
            "push": self.push,
            "source": self.source,
            "plan": self.plan,
            "context": self.context,
        }
        if self.fork is not None:
            out["fork"] = self.fork
        if self.fanout is not None:
            out["fanout"] = self.fanout
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SendTask:
        return cls(
            d["ref"],
            d["type"],
            d["push"],
            d["source"],
            d["plan"],
            bool(d.get("context")),
            d.get("fork"),
            d.get("fanout"),
        )

    def input(self, source_output: Any, context: Any = ABSENT) -> dict[str, Any]:
        """The task's input, given the source step's output (and the run's context)."""
        inp: dict[str, Any] = {
            "plan": self.plan,
            "self": self.ref,
            "push": self.push,
            "prev": {self.source: source_output},
        }
        if self.context:
            inp["context"] = context
        if self.fork is not None:
            inp[FORK_FIELD] = self.fork
        if self.fanout is not None:
            inp["fanout"] = self.fanout
        return inp


@dataclass
class SendGroup:
    """The packets of one Send key (in packet order) and the fan-out policy that governs
    them (docs/policies.md: ``{node, mode, deadline}``; None: none)."""

    tasks: list[SendTask] = field(default_factory=list)
    fanout: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tasks": [t.to_dict() for t in self.tasks]}
        if self.fanout is not None:
            out["fanout"] = self.fanout
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SendGroup:
        return cls([SendTask.from_dict(t) for t in d.get("tasks") or ()], d.get("fanout"))


@dataclass(frozen=True)
class CallTask:
    """One call an agent's model step reported: a step of type ``task_type`` (a function
    tool or an output guardrail), or, ``child``, an agent-as-tool child workflow of that
    type; ``input`` is the step's (or the child workflow's) input."""

    ref: str
    task_type: str
    input: dict[str, Any]
    child: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "type": self.task_type, "child": self.child, "input": self.input}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CallTask:
        return cls(d["ref"], d["type"], d["input"], bool(d.get("child")))


CALLS_KEY = "fork"
"""The key of a model step's output that lists its ``CallTask``s (in call order)."""


@dataclass
class StepOutput:
    """A graph step's output. Which fields it carries says what it is:

    * a finished superstep (a single-task step, a barrier, START): ``step``, ``next`` (the
      id of the next superstep's schedule in the compiled plan; -1: the run ends), ``frame``
      (the Pregel frame), ``sends`` (the next step's Send packets), and from a node its
      ``writes``;
    * one task of a parallel step: ``step``, ``task``, ``stop``, ``writes``;
    * a pause (``status`` interrupted): ``step``, ``interrupts``, ``carry``;
    * a subgraph that ended with ``Command(graph=PARENT)``: ``next`` -1, ``parent_command``;
    * the END read-out: ``state`` (the graph's output; may be None).

    A node's output may also carry ``chat``, ``forked`` and ``effect`` (below). The field
    order is the order of the keys in the JSON."""

    status: str = DONE
    step: Any = ABSENT
    next: Any = ABSENT
    task: Any = ABSENT
    stop: Any = ABSENT
    frame: Any = ABSENT
    sends: Any = ABSENT
    """Per Send key, a ``SendGroup`` as JSON (``groups()`` reads them): it stays JSON because
    an engine may store it in its own format (Conductor's dynamic fork inputs, made by
    ``targets/conductor/wire.py``), and the next steps read this output back."""
    writes: Any = ABSENT
    """The task's writes (``pregel.encode_writes``)."""
    interrupts: Any = ABSENT
    carry: Any = ABSENT
    parent_command: Any = ABSENT
    state: Any = ABSENT
    update: Any = ABSENT
    """Outputs of older agentc versions only (the node's update; ``writes`` replaced it)."""
    chat: Any = ABSENT
    """The node's chat-model calls (``chat_capture.OUTPUT_KEY``)."""
    forked: Any = ABSENT
    """Answered by a graph fork's record, not run (``graph_fork.MARK``)."""
    effect: Any = ABSENT
    """The run's ledger record of a node with a declared effect (docs/effects.md)."""
    audit: Any = ABSENT
    """The run's audit log head, on a finished superstep (``step_audit.FIELD``)."""
    node: Any = ABSENT
    """One task of a parallel step: its node's name, for the audit log (``step_audit.NODE``)."""
    agentc: int = PROTOCOL

    def __post_init__(self) -> None:
        if self.status not in STEP_STATES:
            raise ValueError(
                f"unknown step status {self.status!r} (expected one of {', '.join(STEP_STATES)})"
            )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"agentc": self.agentc}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "agentc" or value is ABSENT:
                continue
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepOutput:
        """Keys of no field are ignored: an engine may add its own (Conductor adds
        ``subWorkflowId`` to a sub-workflow's output)."""
        if not is_step_output(d):
            raise ValueError(f"not a step output: {sorted(d) if isinstance(d, dict) else d!r}")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def set_sends(self, groups: dict[str, SendGroup]) -> None:
        self.sends = {k: g.to_dict() for k, g in groups.items()}

    def groups(self) -> dict[str, SendGroup]:
        """The Send groups of a neutral output."""
        return {k: SendGroup.from_dict(g) for k, g in (self.sends or {}).items()}


def is_step_output(value: Any) -> bool:
    return isinstance(value, dict) and bool(value.get("agentc"))


def pick(outputs: Iterable[Any]) -> dict[str, Any] | None:
    best = None
    for o in outputs:
        if isinstance(o, dict) and o.get("next") is not None and o.get("step") is not None:
            if best is None or o["step"] > best["step"]:
                best = o
    return best


# ---------------------------------------------------------------- an agent step's model turn
class TurnNext(Enum):
    """What an agent run does after a model turn (``ModelTurn.next``)."""

    MODEL = "model"
    """Another model call (the turn ended at a handoff or a tool result the model reads)."""
    STEPS = "steps"
    """The reported calls (``ModelTurn.tasks``), in parallel."""
    APPROVAL = "approval"
    """Wait for a human's decisions on the pending tool approvals."""
    FINAL = "final"
    """The run ended: ``ModelTurn.result``."""


@dataclass(frozen=True)
class ReportedCall:
    """One call a model turn reports, as the replayed run asked for it: a function tool
    (``kind`` tool), an agent used as a tool (``agent_tool``) or an output guardrail
    (``guardrail``) of agent ``agent``; ``path``: its journal key under the nesting scopes;
    ``task_type``: the step (or child workflow) type that runs it."""

    kind: str
    agent: str
    name: str
    call_id: str | None
    arguments: Any
    path: tuple[str, ...]
    task_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "kind": self.kind,
            "agent": self.agent,
            "name": self.name,
            "call_id": self.call_id,
            "arguments": self.arguments,
            "path": list(self.path),
        }
        if self.task_type is not None:
            out["type"] = self.task_type
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReportedCall:
        return cls(
            d["kind"],
            d["agent"],
            d["name"],
            d.get("call_id"),
            d.get("arguments"),
            tuple(d["path"]),
            d.get("type"),
        )


@dataclass(frozen=True)
class ModelTurn:
    """An agent model step's output: one model turn of the run and what comes next.

    ``agent``: the agent that answered; ``journal`` the run's journal after the turn (a
    claim-check text, ``claim_check.save_journal``) and ``journal_size`` its entries;
    ``calls``/``tasks``: the calls to make (``next`` steps) as the run reported them and as
    steps to run (``CallTask``, under ``CALLS_KEY``); ``approvals``/``pause``: the tool
    approvals a human decides (``next`` approval; ``agent_approvals.py``); ``result``: the
    run's result (``next`` final; ``claim_check.result_value``).

    Fields only an engine's step carries are absent from the JSON when None: ``effects``
    (Conductor: the run's effect records so far, packed; ``agent_effects.carry``), ``plan``
    and ``tasks`` (every engine step), ``fanout`` (the answering agent's fan-out policy,
    ``agent_fanout.spec``), ``session`` (true when the run has a session and the turn makes
    calls: a failed call's completed siblings are saved to it, ``session_failures``). The JSON's
    keys are in the order of the fields, as agentc
    has always written them (journals, histories and goldens read back unchanged)."""

    agent: str | None
    journal_size: int
    journal: str
    next: TurnNext
    calls: tuple[ReportedCall, ...] = ()
    approvals: tuple[dict[str, Any], ...] = ()
    pause: Any = None
    result: Any = None
    effects: str | None = None
    plan: str | None = None
    tasks: tuple[CallTask, ...] | None = None
    fanout: dict[str, Any] | None = None
    session: bool = False
    audit: str | None = None
    """The run's audit log head when its tools' effects are chained (``step_audit.FIELD``;
    ``agent_effects.stamp_turn``)."""

    def __post_init__(self) -> None:
        if not isinstance(self.next, TurnNext):
            raise ValueError(f"unknown next step of a model turn {self.next!r}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "agent": self.agent,
            "journal_size": self.journal_size,
            "journal": self.journal,
            "calls": [c.to_dict() for c in self.calls],
            "approvals": list(self.approvals),
            "pause": self.pause,
            "result": self.result,
            "next": self.next.value,
        }
        if self.effects is not None:
            out["effects"] = self.effects
        if self.plan is not None:
            out["plan"] = self.plan
        if self.tasks is not None:
            out[CALLS_KEY] = [t.to_dict() for t in self.tasks]
        if self.fanout is not None:
            out["fanout"] = self.fanout
        if self.session:
            out["session"] = True
        if self.audit is not None:
            out["audit"] = self.audit
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelTurn:
        """Keys of no field are ignored (an engine may add its own)."""
        if not is_model_turn(d):
            raise ValueError(f"not a model turn: {sorted(d) if isinstance(d, dict) else d!r}")
        tasks = d.get(CALLS_KEY)
        return cls(
            d.get("agent"),
            d["journal_size"],
            d["journal"],
            TurnNext(d["next"]),
            tuple(ReportedCall.from_dict(c) for c in d.get("calls") or ()),
            tuple(d.get("approvals") or ()),
            d.get("pause"),
            d.get("result"),
            d.get("effects"),
            d.get("plan"),
            None if tasks is None else tuple(CallTask.from_dict(t) for t in tasks),
            d.get("fanout"),
            bool(d.get("session")),
            d.get("audit"),
        )


def is_model_turn(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("next"), str)
        and "journal" in value
        and "journal_size" in value
    )


def journal_text(output: Any) -> str | None:
    """The journal text an agent step's output carries: a model turn's ``journal``, a tool
    or guardrail step's (or an agent-as-tool child's) ``entries``; None for anything else."""
    if not isinstance(output, dict):
        return None
    text = output.get("journal") or output.get("entries")
    return text if isinstance(text, str) and text else None


# ---------------------------------------------------------------- effects and compensation
@dataclass
class EffectLog:
    """The effect records of a run (docs/effects.md: key, compensator REF, arguments,
    result, ``class``), in completion order. Each engine fills it from its own history:
    the Temporal saga from its steps' outputs (``temporal_saga.SagaRun``), Conductor's
    failure workflow from the failed execution (``targets/conductor/effects.py``); both
    undo ``to_undo()`` in that order. Its JSON is the list of records."""

    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, rec: dict[str, Any]) -> None:
        """A completed step's record: a step re-run (a node after ``interrupt()``) reports
        its key again, and the latest record wins and moves last."""
        self.records = [r for r in self.records if r["key"] != rec["key"]] + [rec]

    def to_undo(self, done: Iterable[str] = ()) -> list[dict[str, Any]]:
        """The compensable records not in ``done`` (keys), in the order to undo them: the
        reverse of completion order."""
        skip = set(done)
        return [
            r
            for r in reversed(self.records)
            if r.get("class") == "compensable" and r["key"] not in skip
        ]

    def __iter__(self) -> Any:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def to_list(self) -> list[dict[str, Any]]:
        return list(self.records)

    @classmethod
    def from_list(cls, records: Iterable[dict[str, Any]] | None) -> EffectLog:
        return cls(list(records or ()))


COMPENSATE_FIELD = "compensate"
"""The key of a compensation step's input (``Compensation``)."""


@dataclass(frozen=True)
class Compensation:
    """A compensation step: undo the effects of the failed (or cancelled) run ``run_id``
    (the compensators' keys derive from it). Conductor's failure workflow task becomes one
    in the worker (``targets/conductor/wire.py`` ``step_input``); the step worker runs it
    (``agent_effects.compensate_task``)."""

    run_id: str
    effects: EffectLog
    audit: str | None = None
    """The run's audit log head (``step_audit``), when it keeps one: the step appends a
    ``compensated`` record per effect it undid and returns the new head (``audit``)."""

    def to_input(self, plan: str | None = None) -> dict[str, Any]:
        inner = {"run_id": self.run_id, "effects": self.effects.to_list()}
        if self.audit:
            inner["audit"] = self.audit
        return {"plan": plan, COMPENSATE_FIELD: inner}

    @classmethod
    def from_input(cls, input: dict[str, Any]) -> Compensation:
        inner = input[COMPENSATE_FIELD]
        return cls(
            inner.get("run_id") or "", EffectLog.from_list(inner.get("effects")), inner.get("audit")
        )


def is_compensation(input: Any) -> bool:
    return isinstance(input, dict) and isinstance(input.get(COMPENSATE_FIELD), dict)
