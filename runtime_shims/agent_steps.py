"""The steps of an agent run on a workflow engine (Conductor tasks, Temporal activities).

An engine runs an agent system as one loop (``compiler/plan/agents.py``). Each step
drives the SDK's own ``Runner.run`` by journaled replay (``openai_agents_replay``), with
an admission policy that lets it run exactly its own effect:

* the **model step** replays the run, makes the first model call the journal lacks, and
  goes on until the SDK needs something else. It then reports the run's next steps:
  another model call, the function-tool calls of the response (all of them: tools of one
  response run in parallel), agent-as-tool calls (child workflows), output guardrails, an
  approval pause, or the final output. Guardrail tripwires and ``max_turns`` end the run
  with the SDK's error.
* a **tool / guardrail step** replays the run up to its own call, runs it and journals its
  output (and the run-context changes it made).
* an **agent-as-tool child** runs the same loop; its model steps replay the parent run,
  run the agent tool's own code (``Agent.as_tool``: input parsing, nested ``Runner.run``,
  output extractor), and report the nested run's steps; its result is the tool's output.

Replaying means the history each turn sees, parallel tool outputs appended in call
order, the first handoff winning, input filters, ``tool_use_behavior`` and ``max_turns``
are the SDK's own. What the engine carries between steps is the journal: step key →
value, merged by key (merging a step twice is harmless), carried as a claim check
(``claim_check.py``): a chain of manifests whose large values and links live in the blob
store, so every payload stays small however long the run.
"""

from __future__ import annotations

import asyncio
import contextvars
import traceback
from dataclasses import dataclass, field, replace
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.runtime_shims import (
    agent_effects,
    agent_failures,
    agent_fanout,
    agent_sessions,
    at_most_once,
    policy_gate,
    session_failures,
)
from agentc.runtime_shims import external_steps
from agentc.semantics import cancel_scope, claim_check
from agentc.runtime_shims import openai_agents_replay as replay
from agentc.semantics.codec import digest
from agentc.plan.agents import agent_layout
from agentc.runtime_shims.protocol import (
    CallTask,
    Compensation,
    ModelTurn,
    Outcome,
    ReportedCall,
    Status,
    TurnNext,
    is_compensation,
)

STEP_ATTEMPTS = 3
"""Attempts of a step whose user code raises (a model call may fail transiently): the
third failure is terminal, on Conductor (its TaskDefs allow 2 retries) and on Temporal
(whose retry policy leaves the decision to the worker, so a lost worker is still
retried). The workflow then fails with the AC300 diagnostic naming the user's code."""

SETTLE_ROUNDS = 100
"""Event-loop turns a model step waits, after the first tool call of a response reached
its wrapper, for the others (they start together under the SDK's ``asyncio.gather``)."""


def pack(value: Any) -> str:
    """A value for a payload: inline when small, else a claim-check reference
    (``semantics/claim_check.py``)."""
    return claim_check.put_value(value)


def unpack(text: str) -> Any:
    return claim_check.get_value(text)


_WORKFLOW_ID: contextvars.ContextVar[str] = contextvars.ContextVar(
    "agentc_agent_workflow_id", default=""
)
"""The engine's workflow id of the step being executed (tools' idempotency keys)."""
_ATTEMPT: contextvars.ContextVar[tuple[int, tuple[str, ...]]] = contextvars.ContextVar(
    "agentc_agent_attempt", default=(0, ())
)
"""The step's retry count and the keys a human forgot (``at_most_once.ToolGuard``)."""


@dataclass
class Drive:
    """What one drive of the run ended with."""

    status: str
    """``final`` | ``waiting`` | ``needs`` | ``target`` (the watched step completed)."""
    new: dict[str, Any]
    needs: list[replay.Effect]
    value: Any = None
    agent: str | None = None
    texts: dict[str, str] = field(default_factory=dict)
    """``new`` as journal entry texts (claim-check values)."""


def _park_all(effect: replay.Effect) -> str:
    return replay.WAIT


class AgentStepper:
    """Runs model, tool and guardrail steps of one agent system; engine-neutral (plain
    dicts in and out). ``run`` is the run's description: ``input``, ``context`` (packed),
    ``max_turns``, and for an agent-as-tool child the ``scope`` (path of the tool call)."""

    def __init__(self, wf: Any, agent: Any) -> None:
        self.wf, self.agent = wf, agent
        self.layout = agent_layout(wf)

    # ------------------------------------------------------------ the journal
    @staticmethod
    def journal_of(
        base: str | None, prev: str | None, added: list[Any], decision: dict[str, Any] | None
    ) -> dict:
        """The journal a model step starts from (step key → entry text, see claim_check):
        the previous one, the entries of the steps that ran since (maps of step ref →
        output: Conductor's JOIN output, the Temporal workflow's ``added``), the latest
        approval decisions."""
        journal: dict[str, str] = {}
        for text in (base, prev):
            journal.update(claim_check.load_journal(text))
        for group in added:
            for o in (group or {}).values():
                if isinstance(o, dict) and o.get("entries"):
                    journal.update(claim_check.load_journal(o["entries"]))
        if decision and decision.get("decisions") is not None and decision.get("pause") is not None:
            journal[f"pause:{decision['pause']}"] = claim_check.put_value(decision["decisions"])
        return journal

    # ------------------------------------------------------------ steps
    def model_step(
        self, run: dict[str, Any], entries: dict[str, str], base: str | None = None
    ) -> ModelTurn:
        """Replay to the next model call, make it, report what comes next. ``entries``:
        the journal (step key → entry text); ``base``: the journal text it extends."""
        scope = tuple(run.get("scope") or ())
        made = [False]

        def admit(e: replay.Effect) -> str:
            if e.scope == scope:
                if e.kind == "model":
                    if made[0]:
                        return replay.NEED
                    made[0] = True
                    return replay.RUN
                return replay.RUN if e.kind == "input_guardrail" else replay.NEED
            return replay.RUN if scope[: len(e.path)] == e.path else replay.WAIT

        if scope and scope[-1] in entries:
            # An agent-as-tool child whose tool call is already journaled: the step that ran
            # the nested run's last effect (an output guardrail) ran on to the end of the
            # tool call (its path is a prefix of that step's target, so it was admitted).
            # Driving again would replay the call whole, never reach the watch, and wait
            # forever at the parent's next step.
            d = Drive("target", {}, [])
        else:
            d = self._drive(run, entries, admit, watch=scope[-1] if scope else None)
        merged = {**entries, **d.texts}
        text = claim_check.save_journal(merged, base)
        turn = ModelTurn(d.agent, len(merged), text, TurnNext.MODEL)
        if d.status == "target":  # an agent-as-tool child: its tool call completed
            output = claim_check.get_value(merged[scope[-1]])[0]
            result = claim_check.result_value({"tool_output": _jsonable(output)})
            return replace(turn, next=TurnNext.FINAL, result=result)
        if d.status == "final":
            return replace(turn, next=TurnNext.FINAL, result=claim_check.result_value(d.value))
        if d.status == "waiting":
            approvals = tuple(d.value)
            return replace(
                turn, next=TurnNext.APPROVAL, approvals=approvals, pause=approvals[0]["pause"]
            )
        if any(e.kind == "model" for e in d.needs):
            return turn
        calls = [_call(e) for e in d.needs]
        calls = [replace(c, task_type=self.layout.step_type(c.to_dict())) for c in calls]
        return replace(turn, next=TurnNext.STEPS, calls=tuple(calls))

    def effect_step(
        self, run: dict[str, Any], entries: dict[str, str], target: list[str]
    ) -> dict[str, Any]:
        """Replay up to one reported call (a tool call or an output guardrail), run it,
        return the new journal entries."""
        path = tuple(target)

        def admit(e: replay.Effect) -> str:
            return replay.RUN if path[: len(e.path)] == e.path else replay.WAIT

        d = self._drive(run, entries, admit, watch=path[-1])
        if d.status != "target":
            raise AgentcError(
                Code.GRAPH_CHANGED,
                f"the replayed run did not reach step {path[-1]!r} ({d.status})",
                construct=path[-1],
                hint="the agents changed since the run started; start a new run",
            )
        out = {"entries": claim_check.save_journal(d.texts)}
        rec = agent_effects.tool_record(self.wf, d.value, d.texts.get(path[-1]))
        if rec is not None:  # the run's ledger in the engine's history (docs/effects.md)
            out["effect"] = rec
            out["audit"] = agent_effects.tool_link(rec)  # in the payload store (agent_effects.py)
        return out

    def child_run(self, run: dict[str, Any], call: ReportedCall) -> dict[str, Any]:
        """The run description of an agent-as-tool child for one reported call."""
        return {**run, "scope": list(call.path)}

    # ------------------------------------------------------------ driving
    def _drive(
        self, run: dict[str, Any], entries: dict[str, str], admit: Any, watch: str | None
    ) -> Drive:
        """Drive the run to where this step's work ends: on the run's warm session in this
        worker when it agrees with the journal, else from the journal's start
        (``agent_sessions.py``)."""
        workflow_id = _WORKFLOW_ID.get()
        key = (
            (workflow_id, self.layout.plan_id, id(self.agent), digest(run)) if workflow_id else None
        )
        session = agent_sessions.take(key, entries)
        guard = at_most_once.ToolGuard(self.wf, *_ATTEMPT.get())
        cancel = cancel_scope.current()  # a fan-out policy's activity (temporal_agent_fanout)
        try:
            d = session.call(
                lambda: self._serve(session, run, entries, admit, watch, workflow_id, guard, cancel)
            )
        except BaseException:
            session.close()
            raise
        agent_sessions.give_back(session)
        return d

    async def _serve(
        self,
        session: agent_sessions.Session,
        run: dict[str, Any],
        entries: dict[str, str],
        admit: Any,
        watch: str | None,
        workflow_id: str,
        guard: Any = None,
        cancel: Any = None,
    ) -> Drive:
        from agents import AgentsException

        added = {k: t for k, t in entries.items() if k not in session.texts}
        values = {k: claim_check.get_value(t) for k, t in added.items()}
        session.texts.update(added)
        steps = session.steps
        if steps is None:  # a cold drive: the run from its first turn, journaled steps replayed
            steps = session.steps = replay.Steps(values, session.record, admit, watch)
            steps.run_id = workflow_id  # the root of the tools' idempotency keys (effects.py)
            steps.changed = asyncio.Event()
            steps.policy = policy_gate.gate_for(self.wf)
            replay.activate(steps)
            session.release = replay.install(self.agent, steps)
            session.task = asyncio.ensure_future(
                replay.run_with_decisions(
                    self.agent,
                    run["input"],
                    replay.run_kwargs(steps, run_context(run), run.get("max_turns"), self.wf),
                    lambda pause: steps.done.get(f"pause:{pause}"),
                )
            )
        else:  # a warm drive: wake the parked steps with what the journal added
            steps.done.update(values)
            steps.admit, steps.watch = admit, watch
            steps.needs, steps.watched_done, steps.watched_effect = [], False, None
            steps.changed.clear()
            steps.wake()
        steps.effects = guard  # this attempt's at_most_once check (at_most_once.py)
        steps.cancel = cancel
        task = session.task
        assert task is not None and steps.changed is not None
        await self._settle(task, steps)
        steps.admit, steps.watch = _park_all, None  # what is left of this step's turn parks
        new = session.drain()
        texts = claim_check.entries_of(new)
        session.texts.update(texts)
        if steps.watched_done:
            return Drive("target", new, [], steps.watched_effect, agent=steps.agent, texts=texts)
        if not task.done():
            return Drive("needs", new, list(steps.needs), agent=steps.agent, texts=texts)
        exc = task.exception()
        if exc is not None:
            err = agent_failures.failure(exc, self.wf) if isinstance(exc, AgentsException) else exc
            if (
                texts
            ):  # what the drive journaled before the run failed (a tripped guardrail's result):
                err.journaled = texts  # the failed task's output carries it to the engine's history
            if err is exc:
                raise exc
            raise err from None
        status, value = task.result()
        if status == "waiting":
            return Drive("waiting", new, [], value, steps.agent, texts=texts)
        return Drive(
            "final", new, [], replay.final_result(value, run), value.last_agent.name, texts=texts
        )

    @staticmethod
    async def _settle(task: asyncio.Future, steps: replay.Steps) -> None:
        """Wait until the run ends, its watched step completes, or it needs steps and no
        more arrive for ``SETTLE_ROUNDS`` event-loop turns (tool calls of one response
        reach their wrappers together, after their input guardrails)."""
        assert steps.changed is not None
        while not task.done():
            waiter = asyncio.ensure_future(steps.changed.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if task.done() or steps.watched_done:
                return
            steps.changed.clear()
            if any(e.kind == "model" for e in steps.needs):
                return
            while True:
                n = len(steps.needs)
                for _ in range(SETTLE_ROUNDS):
                    await asyncio.sleep(0)
                if task.done() or len(steps.needs) == n:
                    return

    # ------------------------------------------------------------ the step protocol
    def execute(
        self,
        task_type: str,
        input: dict[str, Any],
        *,
        retry_count: int = 0,
        workflow_id: str = "",
        task_id: str = "",
        first_attempt_time: float | None = None,
    ) -> Any:
        """One engine task (``runtime_shims.protocol.Outcome``): the model step reports the
        next steps (``protocol.CallTask``s); tool and guardrail tasks run their call.
        (``first_attempt_time``: the engines pass it to every worker; agent steps ignore it.)"""
        kind = self.layout.task_kinds.get(task_type)
        _WORKFLOW_ID.set(workflow_id)
        _ATTEMPT.set((retry_count, tuple(input.get(at_most_once.FORGOTTEN) or ())))
        if kind is None and is_compensation(input):  # a failed run's compensation (docs/effects.md)
            return agent_effects.compensate_task(Compensation.from_input(input))
        try:
            if kind is None:
                raise AgentcError(
                    Code.GRAPH_CHANGED,
                    f"task type {task_type!r} is not part of this agent system",
                    construct=task_type,
                    hint="the worker and the registered workflow come from "
                    "different code; recompile and redeploy",
                )
            if input.get("plan") != self.layout.plan_id:
                raise AgentcError(
                    Code.GRAPH_CHANGED,
                    "the workflow was compiled from different agents "
                    f"(plan {input.get('plan')!r}, this worker has {self.layout.plan_id!r})",
                    construct=task_type,
                    hint="re-run `agentc deploy` or restart workers with the deployed code",
                )
            if kind["kind"] == "model" and session_failures.SETTLE_KEY in input:
                return Outcome(
                    Status.COMPLETED, session_failures.settle_step(self, input, workflow_id)
                )  # a failed turn's completed calls, saved to the session (session_failures.py)
            if kind["kind"] == "model":
                return Outcome(Status.COMPLETED, self._engine_model(input))
            return Outcome(
                Status.COMPLETED,
                self.effect_step(
                    unpack(input["run"]),
                    claim_check.load_journal(input["journal"]),
                    unpack(input["target"]),
                ),
            )
        except AgentcError as exc:
            text = exc.diagnostic.render()
            return Outcome(
                Status.TERMINAL,
                {
                    "error": text,
                    "code": exc.diagnostic.code.value,
                    **at_most_once.output_of(exc),
                    **_journaled(exc),
                },
                text,
            )
        except Exception as exc:  # noqa: BLE001 - the user's model or code failed: a bounded retry
            failed = agent_failures.failure(exc, self.wf).diagnostic
            text = failed.render()
            amo = (
                kind is not None
                and kind["kind"] == "tool"
                and at_most_once.is_at_most_once(self.wf, kind["name"])
            )
            final = (
                amo or retry_count + 1 >= STEP_ATTEMPTS
            )  # at_most_once: terminal at once (at_most_once.py)
            return Outcome(
                Status.TERMINAL if final else Status.FAILED,
                {
                    "error": text,
                    "code": failed.code.value,
                    "attempt": retry_count + 1,
                    "traceback": "".join(traceback.format_exception(exc)),
                    **_journaled(exc),
                },
                text,
            )

    def _engine_model(self, input: dict[str, Any]) -> dict[str, Any]:
        """A model step on an engine: its turn, the reported calls as ``CallTask``s
        (``protocol.CALLS_KEY``) and the responding agent's fan-out policy."""
        run = read_run(input["run"])
        base = input.get("journal") or (input["run"] or {}).get("journal")
        # completed external tool calls become their journal entries (external_steps.py)
        added = external_steps.completed_entries(input.get("added") or [])
        journal = self.journal_of(
            (input["run"] or {}).get("journal"), input.get("journal"), added, input.get("decision")
        )
        turn = self.model_step(run, journal, base)
        turn = agent_effects.stamp_turn(self.wf, turn, input)  # its effect records, chained
        tasks = [self._call_task(run, turn, i, c) for i, c in enumerate(turn.calls)]
        fan = agent_fanout.spec(self.wf, turn.agent) if tasks else None  # temporal_agent_fanout
        # Conductor: each task's input carries the policy (targets/conductor/fanout.py)
        stamped = agent_fanout.stamped(self.wf, turn.agent, {t.ref: t.input for t in tasks})
        tasks = [CallTask(t.ref, t.task_type, stamped[t.ref], t.child) for t in tasks]
        session = bool(tasks) and session_failures.has_session(self.wf)  # its settle drive
        return replace(
            turn, plan=self.layout.plan_id, tasks=tuple(tasks), fanout=fan, session=session
        ).to_dict()

    def _call_task(self, run: dict[str, Any], turn: ModelTurn, i: int, c: ReportedCall) -> CallTask:
        """The step that makes one reported call."""
        ref = f"t{turn.journal_size}_{i}"  # unique in the run: every loop iteration adds entries
        assert c.task_type is not None
        if c.name in external_steps.external_tools(self.wf):  # done outside (an agent tool too)
            timeout = external_steps.tool_timeout(self.wf, c.name)
            return CallTask(
                ref,
                external_steps.external_type(c.task_type),
                external_steps.tool_task_input(c, timeout),
            )
        if c.kind == "agent_tool":
            child = {"child": pack(self.child_run(run, c)), "journal": turn.journal}
            return CallTask(ref, c.task_type, child, child=True)
        step = {
            "plan": self.layout.plan_id,
            "run": pack(run),
            "journal": turn.journal,
            "target": pack(list(c.path)),
        }
        return CallTask(ref, c.task_type, step)


def run_input(
    input: Any,
    context: Any,
    factory: str | None = None,
    *,
    max_turns: int | None,
    full_result: bool = False,
) -> dict[str, Any]:
    """A root agent workflow's input (what ``read_run`` reads back): the context packed —
    or, with a context factory (``agentc.agent_context.run_context``), its arguments packed and its
    REF, called in every step; ``full_result``: the run returns the whole ``RunResult``
    (``run_result.py``)."""
    out = {
        "input": input,
        "context": None if context is None else pack(context),
        "context_factory": factory,
        "max_turns": max_turns,
    }
    if full_result:
        from agentc.runtime_shims.run_result import FULL

        out["result"] = FULL
    return out


def read_run(wf_input: dict[str, Any]) -> dict[str, Any]:
    """A workflow's input as the run description: the root's ``{input, context,
    context_factory, max_turns}``, or an agent-as-tool child's packed ``child``."""
    if wf_input.get("child"):
        return unpack(wf_input["child"])
    return {
        k: wf_input.get(k) for k in ("input", "context", "context_factory", "max_turns", "result")
    }


def run_context(run: dict[str, Any]) -> Any:
    """The live run context of one drive (a fresh object each time: the journal replays
    the changes tools made to it)."""
    context = unpack(run["context"]) if run.get("context") else None
    if run.get("context_factory"):
        from agentc.agent_context import call_factory

        return call_factory(run["context_factory"], context)
    return context


def _journaled(exc: BaseException) -> dict[str, Any]:
    """A failed step's output keeps the journal entries its drive added before the failure
    (``entries``, as a tool step's output does), so ``agentc history --engine ...`` lists
    them and the run replays locally up to its failure (targets/step_history.py)."""
    texts = getattr(exc, "journaled", None)
    return {"entries": claim_check.save_journal(texts)} if texts else {}


def _call(e: replay.Effect) -> ReportedCall:
    info = e.info
    if e.kind == "tool":
        return ReportedCall(
            "agent_tool" if info.get("agent_tool") else "tool",
            info["agent"],
            info["tool"],
            info["call_id"],
            replay.parse_args(info["arguments"]),
            tuple(e.path),
        )
    return ReportedCall("guardrail", info["agent"], info["guardrail"], None, None, tuple(e.path))


def _jsonable(value: Any) -> Any:
    from agentc.semantics.codec import to_jsonable

    return to_jsonable(value)
