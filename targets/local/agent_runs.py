"""Local durable runs of OpenAI Agents SDK agent systems (``runtime_shims/openai_agents_replay``).

A run is driven by the SDK's own ``Runner.run`` under journaling: every model turn, tool
call and guardrail result is committed to the SQLite journal as it completes. Driving the
run again (after a crash, or to continue after a tool-approval pause) replays the journal,
so the SDK reaches the same point without calling a model or a tool twice. Approvals are
the SDK's own: the run stops with ``result.interruptions``; ``agentc resume RUN_ID --value
'{"approve": [...], "reject": [...]}'`` records the decisions (tool names or call ids) and
the next drive applies them with ``RunState.approve``/``reject`` at that pause.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Callable

from agentc.errors import AgentcError, Code
from agentc.ir import Workflow
from agentc.runtime_shims import agent_failures, agent_fanout, external_steps, policy_gate
from agentc.runtime_shims import openai_agents_replay as replay

from . import compensation, external_deadlines
from .effect_calls import EffectCalls
from .executor import NO_VALUE, RunOutcome
from .journal import Journal
from .lease import LeaseLost


class AgentRunner:
    admit = staticmethod(replay.admit_all)
    """Who runs a step the journal lacks (``agentc replay`` counts or refuses live ones)."""
    steps_class = replay.Steps
    """``agentc replay`` uses one that notes the order steps are asked for (docs/replay.md)."""

    def __init__(
        self,
        wf: Workflow,
        entry_obj: Any,
        journal: Journal,
        *,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.wf, self.agent, self.journal = wf, entry_obj, journal
        self.on_event = on_event or (lambda kind, info: None)
        self.run_id = ""

    # ------------------------------------------------------------ public API
    def start(
        self,
        input: Any,
        *,
        run_id: str | None = None,
        context: Any = None,
        max_turns: int | None = None,
        context_factory: str | None = None,
        full_result: bool = False,
    ) -> RunOutcome:
        """``context_factory``: a REF called with ``context`` (its arguments) at every drive;
        ``full_result``: the output holds the whole ``RunResult`` (``runtime_shims/run_result``)."""
        self.run_id = run_id or uuid.uuid4().hex

        def create() -> None:
            self.journal.create_run(
                self.run_id, self.wf.entry, self.wf.name, self.wf.model_dump_json(), context
            )
            self.journal.save_step(
                self.run_id,
                "input",
                "input",
                {
                    "input": input,
                    "max_turns": max_turns,
                    "context_factory": context_factory,
                    **({"result": "full"} if full_result else {}),
                },
            )

        with self.journal.driving(self.run_id, create):
            return self._drive()

    def resume(self, run_id: str, value: Any = NO_VALUE) -> RunOutcome:
        with self.journal.driving(run_id):  # read the run only once no other process drives it
            return self._resume(run_id, value)

    def _resume(self, run_id: str, value: Any) -> RunOutcome:
        run = self.journal.resumable(run_id)
        self.run_id = run_id
        if run["status"] == "compensating":  # cut off while compensating: finish that
            return compensation.finish(self.journal, run_id, self.on_event)
        if run["status"] == "waiting":
            self._decide(run_id, run["interrupts"], value)
        elif value is not NO_VALUE:
            raise AgentcError(
                Code.INVALID_RESUME,
                f"run {run_id} is {run['status']}, not waiting for approvals",
                construct=run_id,
                hint="resume it without --value",
            )
        return self._drive()

    # ------------------------------------------------------------ approvals
    def _decide(self, run_id: str, pending: list[dict[str, Any]], value: Any) -> None:
        decisions = replay.decide(run_id, pending, value)
        with self.journal.tx() as j:  # decided: a crash from here on resumes without a value
            j.add_resume(run_id, "agents", f"pause:{pending[0]['pause']}", decisions)
            j.set_status(run_id, "running")

    # ------------------------------------------------------------ driving
    def _drive(self) -> RunOutcome:
        self.lost: LeaseLost | None = None
        try:
            try:
                status, payload = asyncio.run(self._run())
            finally:
                self._settle_late_threads()
            if self.lost is not None:  # the SDK may have caught it as a tool error: still stop
                raise self.lost
        except LeaseLost:
            raise  # another process drives the run now: write nothing
        except AgentcError as exc:
            with self.journal.tx() as j:
                j.set_status(self.run_id, "failed", error=exc.diagnostic.render())
            err = compensation.after_failure(self.journal, self.run_id, exc, self.on_event)
            if err is exc:
                raise
            raise err from None
        with self.journal.tx() as j:
            if status == "waiting":
                j.set_status(self.run_id, "waiting", interrupts=payload)
                external_deadlines.stamp(j.db, self.run_id, payload)  # an external tool's timeout
            else:
                j.set_status(self.run_id, "done", output=payload)
        if status == "waiting":
            self.on_event("paused", {"interrupts": payload})
            return RunOutcome(self.run_id, "waiting", interrupts=payload)
        self.on_event("done", {})
        return RunOutcome(self.run_id, "done", output=payload)

    def _settle_late_threads(self) -> None:
        """A sync tool whose ``await`` was cancelled while its thread ran (a sibling failed
        the run) may still have done its effect: the loop has closed and joined the
        threads, so record what each returned in the ledger, before the failure's
        compensation reads it (``agent_fanout.thread_to_end``; docs/effects.md "Late
        effects"). A lost lease writes nothing."""
        steps = getattr(self, "steps", None)
        if steps is None or self.lost is not None:
            return
        for fut, hooks, row in steps.late_threads:
            if hooks is None or fut.cancelled() or fut.exception() is not None:
                continue
            hooks.after(row, fut.result())
        steps.late_threads.clear()

    async def _run(self) -> tuple[str, Any]:
        # sync tools' threads, each known to the call that started it (thread_to_end)
        asyncio.get_running_loop().set_default_executor(agent_fanout.ThreadRecorder())
        run = self.journal.run(self.run_id)
        done = self.journal.load_steps(self.run_id)
        first = done.pop("input")
        # an external tool call is reported, never run (docs/policies.md "External completion")
        admit = external_steps.local_admit(self.admit, self.wf)
        self.steps = steps = self.steps_class(done, self._sink, admit)  # replay reads which it used
        steps.run_id, steps.effects = (
            self.run_id,
            EffectCalls(self.wf, self.journal, self.run_id, self.on_event),
        )
        steps.policy = policy_gate.gate_for(self.wf)
        steps.fanout = agent_fanout.for_drive(self.wf)  # docs/policies.md "Fan-outs"

        def decisions_at(pause: str) -> Any:
            found = self.journal.resume_values(self.run_id, "agents", f"pause:{pause}")
            return found[-1] if found else None

        context = run["context"]
        if first.get("context_factory"):
            from agentc.agent_context import call_factory

            context = call_factory(first["context_factory"], context)
        try:
            with replay.journaled(self.agent, steps):
                status, result = await external_steps.until_external(
                    steps,
                    self.wf,
                    replay.run_with_decisions(
                        self.agent,
                        first["input"],
                        replay.run_kwargs(steps, context, first.get("max_turns"), self.wf),
                        decisions_at,
                    ),
                )
        except AgentcError:
            raise
        except Exception as exc:  # noqa: BLE001 - the SDK stopped the run, or the user's code raised
            failed = agent_failures.failure(exc, self.wf)
            d = failed.diagnostic  # name this run in the hint, as a failed graph run's does
            raise type(failed)(
                d.code,
                d.message,
                construct=d.construct,
                file=d.file,
                line=d.line,
                hint=d.hint.replace("RUN_ID", self.run_id),
                details=failed.details,
            ) from None
        return status, (result if status == "waiting" else replay.final_result(result, first))

    def _sink(self, key: str, kind: str, value: Any) -> None:
        try:
            with self.journal.tx() as j:
                j.save_step(self.run_id, key, kind, value)
        except LeaseLost as exc:
            self.lost = exc
            raise
        self.on_event("step", {"key": key, "kind": kind})
