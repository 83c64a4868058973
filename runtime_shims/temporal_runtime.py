"""What generated Temporal workflows import (passed through the sandbox) and what a Temporal
worker registers: the deterministic workflow-side helpers, and one activity per agentc step
type, each running ``runtime_shims.steps.StepWorker`` — the same step protocol the
Conductor target uses (see steps.py): a step gets the outputs of the steps that may have
run just before it, continues the Pregel frame of the latest, and returns ``next``.

Workflow side (``AgentWorkflow``): ``step`` runs one node as an activity and, when the node
calls ``interrupt()``, records what is pending (the ``pending`` query), waits for the
``resume`` signal and runs the node again with the answers, as LangGraph re-runs a node on
resume; ``barrier``/``sends``/``child``/``end`` are the other step kinds. Everything here is
deterministic: no clocks, no randomness, no I/O — only workflow APIs.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

from agentc.errors import AgentcError, Code
from agentc.runtime_shims import (
    graph_fork,
    temporal_fork_answers,
    payload_limits,
    temporal_agent_fanout,
    temporal_at_most_once,
    temporal_branch_fanout,
)
from agentc.runtime_shims import node_timeouts, temporal_progress
from agentc.runtime_shims import temporal_external, temporal_fanout
from agentc.runtime_shims.protocol import (
    CallTask,
    EffectLog,
    ModelTurn,
    SendGroup,
    Status,
    pick,
)
from agentc.runtime_shims.temporal_saga import SagaRun, compensate_activity

NODE_FAILED = "AgentcNodeFailed"
"""Error type of a step that failed in the user's code (AC300): a graph workflow waits for
a retry (``agentc resume``) instead of failing, so a failed run is resumable."""
STEP_FAILED = "AgentcStepFailed"
"""Any other step failure (bad input AC111, invalid update AC302, recursion limit AC301,
plan mismatch AC122): retrying the same step cannot help, the workflow fails."""

DEFAULT_MAX_EVENTS = 10_000
"""History length after which a loop iteration continues as new (Temporal's own limit is
far higher; the workflow also honours ``is_continue_as_new_suggested``)."""


def retry(
    initial_s: float, backoff: float, max_interval_s: float, attempts: int = 0
) -> RetryPolicy:
    """The worker decides retryable vs not (LangGraph's ``retry_on`` and attempt count) and
    raises a non-retryable error otherwise, so attempts are not capped here: a worker that
    dies mid-step is retried too. ``attempts``: a cap, for a node with a timeout, whose
    activity timeout would otherwise retry a node that blocks its worker forever
    (docs/policies.md "Node timeouts")."""
    return RetryPolicy(
        initial_interval=timedelta(seconds=initial_s),
        backoff_coefficient=max(backoff, 1.0),
        maximum_interval=timedelta(seconds=max(max_interval_s, initial_s)),
        maximum_attempts=attempts,
    )


class _EngineRun:
    """What every generated workflow shares: activities with their options, child
    workflows, the pause bookkeeping clients query (``pending``/``running``), and when to
    continue as new."""

    policies: dict[str, dict[str, Any]] = {}
    retry_failed_steps = True
    """A step that failed in user code (AC300) waits for ``agentc resume`` and runs again,
    rather than failing the workflow, as a failed local run is resumed (graph workflows
    and agent loops alike)."""

    def __init__(self) -> None:
        self.inp: dict[str, Any] = {}
        self.answers: dict[str, Any] = {}
        self.waiting: list[dict[str, Any]] = []
        self.activities_running = 0
        self.children_running: list[str] = []
        self.failures = 0

    def _options(self, task_type: str) -> dict[str, Any]:
        opts = dict(self.policies.get(task_type) or self.policies["*"])
        timeout = (self.inp.get("options") or {}).get("activity_timeout_s")
        if timeout:
            opts["start_to_close_timeout"] = timedelta(seconds=float(timeout))
        return opts

    async def _activity(
        self, task_type: str, payload: dict[str, Any], options_of: str | None = None
    ) -> dict[str, Any]:
        """``options_of``: the step whose options it runs with (default: its own)."""
        while True:
            self.activities_running += 1
            try:
                return await workflow.execute_activity(
                    task_type, payload, **self._options(options_of or task_type)
                )
            except ActivityError as err:
                cause = err.cause
                if not (
                    self.retry_failed_steps
                    and isinstance(cause, ApplicationError)
                    and cause.type == NODE_FAILED
                ):
                    raise
                details = (
                    cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
                )
                effect = temporal_at_most_once.uncertain_key(
                    details
                )  # AC305: a human decides, no compensation
                if effect is None and any(
                    e.get("class") == "compensable" for e in getattr(self, "effects", ())
                ):
                    raise  # a saga with completed effects: compensate (temporal_saga)
                error = cause.message
                # what the failed attempt's invoked graphs left (nested_graphs): the re-run
                # continues them
                carry = details.get("carry")
            finally:
                self.activities_running -= 1
            await self._await_retry(task_type, error, effect)
            if carry is not None:
                payload = {**payload, "carry": carry}

    async def _await_retry(self, task_type: str, error: str, effect: str | None = None) -> None:
        """A step failed in user code: list the failure with the pending items (clients see
        the run as failed, ``agentc run`` exits 1) and wait for the ``resume`` signal to run
        the step again — as LangGraph re-runs a failed node when a failed run is resumed,
        keeping the writes of the nodes that succeeded beside it."""
        self.failures += 1
        fid = f"failure-{self.failures}"
        self.waiting.append(
            {
                "kind": "failure",
                "id": fid,
                "task": task_type,
                "error": error,
                "workflow_id": workflow.info().workflow_id,
                **({"effect": effect} if effect is not None else {}),
            }
        )
        await temporal_at_most_once.wait_for_decision(self, fid, effect)
        self.waiting = [w for w in self.waiting if w.get("id") != fid]

    async def _child(self, workflow_type: str, payload: dict[str, Any], cid: str) -> Any:
        self.children_running.append(cid)
        try:
            return await workflow.execute_child_workflow(workflow_type, payload, id=cid)
        finally:
            self.children_running.remove(cid)

    def _history_full(self) -> bool:
        """Temporal suggests continuing as new, or history passed ``max_history_events``."""
        info = workflow.info()
        limit = (self.inp.get("options") or {}).get("max_history_events") or DEFAULT_MAX_EVENTS
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > limit

    # ------------------------------------------------------------ signal / query bodies
    def answer(self, answers: dict[str, Any]) -> None:
        self.answers.update(answers)

    def pending_list(self) -> list[dict[str, Any]]:
        """What waits for a human, parallel pauses in LangGraph's ``get_state().tasks`` order
        (the node's place the step worker stamped as ``order``), not in pause order."""
        ordered = sorted(self.waiting, key=lambda i: i.get("order", -1))
        return [{k: v for k, v in i.items() if k != "order"} for i in ordered]

    def activity_status(self) -> dict[str, Any]:
        """For clients: a run is paused only once nothing else runs (LangGraph pauses after
        the whole superstep), in this workflow and in its running children."""
        return {"activities": self.activities_running, "children": list(self.children_running)}


class AgentWorkflow(_EngineRun, SagaRun):
    """Base of every generated workflow class (state of one run)."""

    plan: str = ""
    root: bool = True
    uses_context: bool = False

    def __init__(self) -> None:
        super().__init__()
        self.out: dict[str, Any] = {}
        self.at = 0
        self.fork_given: set[str] = set()
        self.children = 0
        self.saga_init()

    # ------------------------------------------------------------ run bookkeeping
    def begin(self, inp: dict[str, Any]) -> None:
        self.inp = inp
        if inp.get(graph_fork.ANSWERS):  # a fork's recorded answers (graph_fork), a child's too
            self.answers.update(inp[graph_fork.ANSWERS])
            self.fork_given = temporal_fork_answers.starting(inp, inp[graph_fork.ANSWERS])
        carry = inp.get("_carry")
        if carry:  # continued as new inside a loop
            self.out, self.at = dict(carry["out"]), carry["at"]
            self.effects, self.undone = EffectLog.from_list(carry.get("effects")), []
        self.out["_input"] = (
            inp.get("input") if self.root else {k: v for k, v in inp.items() if k != "_carry"}
        )

    def _payload(self, ref: str, prev: list[str], **extra: Any) -> dict[str, Any]:
        p: dict[str, Any] = {
            "plan": self.plan,
            "self": ref,
            "prev": {r: self.out.get(r) for r in prev if r in self.out},
        }
        if self.uses_context:
            p["context"] = self.inp.get("context")
        if self.inp.get("fork"):  # a fork's record (runtime_shims/graph_fork.py)
            p["fork"] = self.inp["fork"]
        p.update(extra)
        return p

    def next_of(self, refs: list[str]) -> int | None:
        best = pick([self.out.get(r) for r in refs])
        return None if best is None else best["next"]

    def checkpoint(self, at: int) -> None:
        """Continue as new at the top of a loop iteration when history grows large."""
        if self._history_full():
            carry: dict[str, Any] = {"at": at, "out": self.out}
            if self.inp.get(graph_fork.ANSWERS):  # a fork's answers not shown yet
                carry[temporal_fork_answers.CARRY] = sorted(self.fork_given)
            if self.effects:  # a saga's completed effects (temporal_saga)
                carry["effects"] = self.effects.to_list()
            workflow.continue_as_new({**self.inp, "_carry": carry})

    # ------------------------------------------------------------ steps
    async def start(self, ref: str, task_type: str) -> dict[str, Any]:
        """START with routers: the input becomes writes and the routers choose the first step."""
        o = await self._activity(task_type, self._payload(ref, ["_input"]))
        self.out[ref] = o
        return o

    async def step(self, ref: str, task_type: str, prev: list[str], **extra: Any) -> dict[str, Any]:
        """Run one node; pause on ``interrupt()`` until answered, then run it again."""
        resumes: list[Any] = []
        carry = None
        while True:
            payload = self._payload(ref, prev, **extra)
            if resumes:  # the answers so far, and what the paused attempt left (nested_graphs)
                payload["resume"] = resumes
                payload["carry"] = carry
            o = await self._activity(task_type, payload)
            if o.get("status") != "interrupted":
                self.out[ref] = o
                self.keep_effect(o)
                return o
            carry = o.get("carry")
            self.keep_effect(o)
            if temporal_external.is_external(
                o["interrupts"]
            ):  # an async-completed activity (temporal_external)
                resumes.append(
                    {"resume": await temporal_external.wait(self, ref, o["interrupts"][0])}
                )
                continue
            resumes.append({"resume": await self._ask(ref, o["interrupts"])})

    async def _ask(self, ref: str, interrupts: list[dict[str, Any]]) -> Any:
        ids = [i["id"] for i in interrupts]
        wid = workflow.info().workflow_id
        self.waiting.extend(
            {"kind": "interrupt", **i, "task": ref, "workflow_id": wid} for i in interrupts
        )
        await workflow.wait_condition(lambda: all(i in self.answers for i in ids))
        temporal_fork_answers.given(self, ids)  # a fork's: shown in its history
        self.waiting = [w for w in self.waiting if w.get("id") not in ids]
        return self.answers[ids[0]]

    async def pause(self, ref: str, when: str, nodes: list[str]) -> None:
        """An ``interrupt_before/after`` breakpoint: wait for an empty resume."""
        self.waiting.append(
            {
                "kind": "breakpoint",
                "when": when,
                "nodes": nodes,
                "id": ref,
                "task": ref,
                "workflow_id": workflow.info().workflow_id,
            }
        )
        await workflow.wait_condition(lambda: ref in self.answers)
        temporal_fork_answers.given(self, [ref])
        self.waiting = [w for w in self.waiting if w.get("id") != ref]

    async def barrier(
        self, ref: str, task_type: str, prev: list[str], parts: list[str]
    ) -> dict[str, Any]:
        o = await self._activity(
            task_type, self._payload(ref, prev, parts={p: self.out.get(p) for p in parts})
        )
        self.out[ref] = o
        return o

    async def sends(self, ref: str, key: str, source: list[str]) -> None:
        """``Send`` packets: one activity per packet, in parallel (their writes are merged by
        the barrier in packet order)."""
        src = pick([self.out.get(r) for r in source])
        group = SendGroup.from_dict(((src or {}).get("sends") or {}).get(key) or {})
        pairs = [
            (t.task_type, t.input(self.out.get(t.source), self.inp.get("context")))
            for t in group.tasks
        ]
        if group.fanout:  # a fan-out policy (docs/policies.md): fail_fast / deadline
            results = await temporal_fanout.scoped_gather(self, pairs, group.fanout)
        else:
            results = await asyncio.gather(*(self._activity(name, inp) for name, inp in pairs))
        self.out[ref] = {t.ref: r for t, r in zip(group.tasks, results)}

    async def branches(self, fan: dict[str, Any], steps: list[list[Any]]) -> None:
        """Parallel branches under a fan-out policy (``temporal_branch_fanout``,
        docs/policies.md)."""
        await temporal_branch_fanout.scoped_steps(self, fan, steps)

    async def child(self, ref: str, workflow_type: str, prev: list[str]) -> dict[str, Any]:
        payload = self._payload(ref, prev)
        if payload.pop(graph_fork.FIELD, None):  # a fork may answer it (graph_fork.py), or
            o = await self._activity(  # give its child a record of its own (a fork point inside)
                graph_fork.probe_type(workflow_type),
                self._payload(ref, prev, **{graph_fork.PROBE: 1}),
                next(k for k in self.policies if k.endswith("-_end")),  # as this level's END
            )
            if o.get(graph_fork.MARK):
                self.out[ref] = o
                return o
            if o.get(graph_fork.FIELD):
                payload[graph_fork.FIELD] = o[graph_fork.FIELD]
        if self.inp.get(graph_fork.ANSWERS):  # its pauses get the original's answers too
            payload[graph_fork.ANSWERS] = graph_fork.child_answers(self.inp[graph_fork.ANSWERS])
        self.children += 1
        o = await self._child(
            workflow_type,
            payload,
            f"{workflow.info().workflow_id}.{ref}.{self.children}",
        )
        self.out[ref] = o
        return o

    async def end(self, ref: str, task_type: str, prev: list[str]) -> dict[str, Any]:
        extra = {} if self.root else {"parent": self.out["_input"]}
        o = await self._activity(task_type, self._payload(ref, prev, **extra))
        return o if not self.root else {"state": o.get("state")}


class AgentLoopWorkflow(_EngineRun, SagaRun):
    """Base of generated OpenAI Agents SDK workflows: the agent loop's state and steps
    (``runtime_shims/agent_steps.py`` runs them in activities). The workflow carries the
    run's journal (packed, opaque here) from step to step; the model activity merges the
    outputs of the steps that ran since and reports the next ones."""

    plan: str = ""
    model_type: str = ""
    root: bool = True

    def __init__(self) -> None:
        super().__init__()
        self.journal: str | None = None
        self.added: dict[str, Any] = {}
        self.decision: dict[str, Any] | None = None
        self.audit: str | None = None  # the run's audit log head (agent_effects.stamp_turn)
        self.saga_init()

    def begin(self, inp: dict[str, Any]) -> None:
        self.inp = {k: v for k, v in inp.items() if k != "_carry"}
        carry = inp.get("_carry")
        if carry:  # continued as new
            self.journal, self.added, self.decision = (
                carry["journal"],
                carry["added"],
                carry["decision"],
            )
            self.effects = EffectLog.from_list(carry.get("effects"))
            self.audit = carry.get("audit")

    async def model_step(self) -> ModelTurn:
        """Replay the run to its next model call, make it, and report what comes next."""
        out = await self._activity(
            self.model_type,
            {
                "plan": self.plan,
                "run": self.inp,
                "journal": self.journal,
                "added": [self.added],
                "decision": self.decision,
                **({"audit": self.audit} if self.audit else {}),  # agent_effects.stamp_turn
            },
        )
        turn = ModelTurn.from_dict(out)
        self.journal, self.added = turn.journal, {}
        self.audit = turn.audit or self.audit
        return turn

    async def run_steps(self, turn: ModelTurn) -> None:
        """The reported calls, in parallel: an activity per function-tool call or output
        guardrail (named after it), a child workflow per agent-as-tool call."""
        wid = workflow.info().workflow_id
        if turn.fanout:  # a fan-out policy of the agent (docs/policies.md): fail_fast / deadline
            self.added = await temporal_agent_fanout.scoped_run_steps(self, turn)
            return

        calls = list(turn.tasks or ())

        async def one(call: CallTask) -> Any:
            if temporal_external.is_external_type(
                call.task_type
            ):  # an external tool call (temporal_external)
                return await temporal_external.tool(self, call.ref, call.input)
            if not call.child:
                return await self._activity(call.task_type, call.input)
            return await self._child(call.task_type, call.input, f"{wid}.{call.ref}")

        # every call's outcome, so a sibling's failure does not hide completed effects
        # (temporal_saga)
        results = await asyncio.gather(*(one(c) for c in calls), return_exceptions=True)
        for r in results:
            self.keep_effect(r)
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            raise failed
        self.added = {c.ref: r for c, r in zip(calls, results)}

    async def approvals(self, turn: ModelTurn) -> None:
        """Tool approvals: wait for the ``resume`` signal with the decisions."""
        wid = workflow.info().workflow_id
        self.answers = {}
        self.waiting = [{**a, "workflow_id": wid} for a in turn.approvals]
        await workflow.wait_condition(lambda: "decisions" in self.answers)
        self.decision = {"pause": turn.pause, "decisions": self.answers["decisions"]}
        self.waiting = []

    def finish(self, turn: ModelTurn) -> dict[str, Any]:
        if self.root:
            return {"state": turn.result}
        return {"result": turn.result, "entries": turn.journal}

    def checkpoint(self) -> None:
        if self._history_full():
            carry: dict[str, Any] = {
                "journal": self.journal,
                "added": self.added,
                "decision": self.decision,
            }
            if self.effects:  # a saga's completed effects (temporal_saga)
                carry["effects"] = self.effects.to_list()
            if self.audit:
                carry["audit"] = self.audit
            workflow.continue_as_new({**self.inp, "_carry": carry})


# ---------------------------------------------------------------- worker side


def activities_for(worker: Any) -> list[Any]:
    """One Temporal activity per step type of the agent, named after it."""
    out = []
    for task_type in sorted(worker.layout.task_kinds):
        out.append(activity.defn(name=task_type)(_activity_fn(worker, task_type)))
    if any(e.kind == "compensable" for e in worker.wf.effects):  # a saga (temporal_saga)
        out.append(compensate_activity())
    if temporal_external.needed(
        worker.wf
    ):  # external steps complete asynchronously (temporal_external)
        out.append(temporal_external.activity_defn())
    return out


def _activity_fn(worker: Any, task_type: str) -> Any:
    def run(payload: dict) -> dict:
        info = activity.info()
        try:
            payload_limits.check(payload, task_type, "input")

            def call() -> Any:
                return worker.execute(
                    task_type,
                    payload,
                    retry_count=info.attempt - 1,
                    workflow_id=info.workflow_id,
                    task_id=info.activity_id,
                    first_attempt_time=info.scheduled_time.timestamp()
                    if info.scheduled_time
                    else None,
                )

            # an idle-timed node's progress heartbeats the activity (temporal_progress)
            with node_timeouts.reporting(temporal_progress.heartbeat()):
                if payload.get("fanout"):  # a fan-out policy's task (temporal_fanout)
                    o = payload_limits.bounded(temporal_fanout.run_cancellable(call), task_type)
                else:
                    o = payload_limits.bounded(call(), task_type)
        except CancelledError:  # its fan-out cancelled it (temporal_fanout)
            raise
        except AgentcError as exc:  # an oversized input (AC312), an unreachable store (AC313)
            raise ApplicationError(
                exc.diagnostic.render(), type=STEP_FAILED, non_retryable=True
            ) from None
        except Exception as exc:  # noqa: BLE001 - the worker reports failures as outcomes; anything
            # else is a bug no retry fixes: fail loudly, never retry forever in silence
            raise ApplicationError(
                f"{type(exc).__name__}: {exc}", type=STEP_FAILED, non_retryable=True
            ) from exc
        if o.status is Status.COMPLETED:
            return o.output
        terminal = o.status is Status.TERMINAL
        user_code = (o.output or {}).get("code") in (
            Code.NODE_FAILED.value,
            Code.EFFECT_UNCERTAIN.value,
        ) or o.reason.startswith(
            Code.NODE_FAILED.value
        )  # AC305 waits for a human too (at_most_once.py)
        kind = NODE_FAILED if terminal and user_code else STEP_FAILED
        raise ApplicationError(o.reason, o.output, type=kind, non_retryable=terminal)

    run.__name__ = run.__qualname__ = "step_" + "".join(
        c if c.isalnum() else "_" for c in task_type
    )
    return run
