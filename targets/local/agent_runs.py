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
import json
import uuid
from typing import Any, Callable

from agentc.errors import AgentcError, Code, RunFailed
from agentc.ir import Workflow
from agentc.runtime_shims import openai_agents_replay as replay

from .executor import NO_VALUE, RunOutcome
from .journal import Journal


class AgentRunner:
    def __init__(self, wf: Workflow, entry_obj: Any, journal: Journal, *,
                 on_event: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.wf, self.agent, self.journal = wf, entry_obj, journal
        self.on_event = on_event or (lambda kind, info: None)
        self.run_id = ""

    # ------------------------------------------------------------ public API
    def start(self, input: Any, *, run_id: str | None = None, context: Any = None,
              max_turns: int | None = None) -> RunOutcome:
        self.run_id = run_id or uuid.uuid4().hex
        with self.journal.tx() as j:
            j.create_run(self.run_id, self.wf.entry, self.wf.name, self.wf.model_dump_json(), context)
            j.save_step(self.run_id, "input", "input", {"input": input, "max_turns": max_turns})
        return self._drive()

    def resume(self, run_id: str, value: Any = NO_VALUE) -> RunOutcome:
        run = self.journal.resumable(run_id)
        self.run_id = run_id
        if run["status"] == "waiting":
            self._decide(run_id, run["interrupts"], value)
        elif value is not NO_VALUE:
            raise AgentcError(Code.INVALID_RESUME, f"run {run_id} is {run['status']}, not waiting for approvals",
                              construct=run_id, hint="resume it without --value")
        return self._drive()

    # ------------------------------------------------------------ approvals
    def _decide(self, run_id: str, pending: list[dict[str, Any]], value: Any) -> None:
        """``{"approve": [...], "reject": [...]}`` (tool names or call ids; a rejection may be
        ``{"id": ..., "message": ...}``); every pending approval must be decided."""
        if not isinstance(value, dict) or not set(value) <= {"approve", "reject"}:
            raise AgentcError(Code.INVALID_RESUME, "the run waits for tool approvals",
                              construct=run_id, hint='pass --value \'{"approve": [...], "reject": [...]}\' with tool '
                                                     "names or call ids from: " + ", ".join(
                                                         f"{p['tool']} ({p['id']})" for p in pending))
        decisions: dict[str, dict[str, Any]] = {}
        for action in ("approve", "reject"):
            for entry in value.get(action) or []:
                ident, message = (entry.get("id"), entry.get("message")) if isinstance(entry, dict) else (entry, None)
                for p in pending:
                    if ident in (p["id"], p["tool"]) and p["id"] not in decisions:
                        decisions[p["id"]] = {"action": action, "message": message}
                        break
                else:
                    raise AgentcError(Code.INVALID_RESUME, f"nothing pending matches {ident!r}", construct=run_id,
                                      hint="pending: " + ", ".join(f"{p['tool']} ({p['id']})" for p in pending))
        missing = [p for p in pending if p["id"] not in decisions]
        if missing:
            raise AgentcError(Code.INVALID_RESUME, "every pending tool call needs a decision", construct=run_id,
                              hint="undecided: " + ", ".join(f"{p['tool']} ({p['id']})" for p in missing))
        with self.journal.tx() as j:  # decided: a crash from here on resumes without a value
            j.add_resume(run_id, "agents", f"pause:{pending[0]['pause']}", decisions)
            j.set_status(run_id, "running")

    # ------------------------------------------------------------ driving
    def _drive(self) -> RunOutcome:
        try:
            status, payload = asyncio.run(self._run())
        except AgentcError as exc:
            with self.journal.tx() as j:
                j.set_status(self.run_id, "failed", error=exc.diagnostic.render())
            raise
        with self.journal.tx() as j:
            if status == "waiting":
                j.set_status(self.run_id, "waiting", interrupts=payload)
            else:
                j.set_status(self.run_id, "done", output=payload)
        if status == "waiting":
            self.on_event("paused", {"interrupts": payload})
            return RunOutcome(self.run_id, "waiting", interrupts=payload)
        self.on_event("done", {})
        return RunOutcome(self.run_id, "done", output=payload)

    async def _run(self) -> tuple[str, Any]:
        from agents import AgentsException, RunConfig, Runner
        from agents.models.multi_provider import MultiProvider

        run = self.journal.run(self.run_id)
        done = self.journal.load_steps(self.run_id)
        first = done.pop("input")
        steps = replay.Steps(done, self._sink)
        context = run["context"]
        config = RunConfig(model_provider=replay.JournaledProvider(MultiProvider(), steps))
        kwargs: dict[str, Any] = {"context": context, "run_config": config}
        if first.get("max_turns") is not None:
            kwargs["max_turns"] = first["max_turns"]
        try:
            with replay.journaled(self.agent, steps):
                result = await Runner.run(self.agent, first["input"], **kwargs)
                pause = 0
                while result.interruptions:
                    decisions = self.journal.resume_values(self.run_id, "agents", f"pause:{pause}")
                    if not decisions:
                        return "waiting", [{"kind": "approval", "id": _call_id(i), "tool": i.tool_name,
                                            "arguments": _args(i.arguments), "agent": i.agent.name, "pause": pause}
                                           for i in result.interruptions]
                    state = result.to_state()
                    chosen = decisions[-1]
                    for item in state.get_interruptions():
                        d = chosen.get(_call_id(item))
                        if d is None:
                            raise AgentcError(Code.GRAPH_CHANGED, f"the replayed run paused for {item.tool_name} "
                                              "which the recorded decisions do not cover", construct=self.run_id,
                                              hint="the agent's code or model changed since the run started")
                        if d["action"] == "approve":
                            state.approve(item)
                        else:
                            state.reject(item, rejection_message=d.get("message"))
                    result = await Runner.run(self.agent, state, **{k: v for k, v in kwargs.items() if k != "context"})
                    pause += 1
        except AgentsException as exc:
            raise _failure(exc) from None
        from agentc.runtime_shims.codec import to_jsonable

        return "done", {"final_output": to_jsonable(result.final_output), "last_agent": result.last_agent.name}

    def _sink(self, key: str, kind: str, value: Any) -> None:
        with self.journal.tx() as j:
            j.save_step(self.run_id, key, kind, value)
        self.on_event("step", {"key": key, "kind": kind})


def _call_id(item: Any) -> str:
    raw = getattr(item, "raw_item", None)
    return getattr(raw, "call_id", None) or (raw.get("call_id") if isinstance(raw, dict) else None) or item.tool_name


def _args(raw: Any) -> Any:
    try:
        return json.loads(raw) if isinstance(raw, str) and raw else raw
    except json.JSONDecodeError:
        return raw


def _failure(exc: BaseException) -> AgentcError:
    from agents import (InputGuardrailTripwireTriggered, MaxTurnsExceeded, OutputGuardrailTripwireTriggered,
                        ToolInputGuardrailTripwireTriggered, ToolOutputGuardrailTripwireTriggered)

    if isinstance(exc, (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered)):
        name = exc.guardrail_result.guardrail.get_name()
        kind = "input" if isinstance(exc, InputGuardrailTripwireTriggered) else "output"
        return RunFailed(Code.GUARDRAIL_TRIPPED, f"{kind} guardrail {name!r} tripped: the run stopped, as Runner.run "
                         f"raises {type(exc).__name__}", construct=f"guardrail {name!r}",
                         hint="the guardrail rejected this input/output; change the input or the guardrail")
    if isinstance(exc, (ToolInputGuardrailTripwireTriggered, ToolOutputGuardrailTripwireTriggered)):
        name = exc.guardrail.get_name()
        return RunFailed(Code.GUARDRAIL_TRIPPED, f"tool guardrail {name!r} tripped ({type(exc).__name__})",
                         construct=f"guardrail {name!r}", hint="the tool call was refused by its guardrail")
    if isinstance(exc, MaxTurnsExceeded):
        return RunFailed(Code.MAX_TURNS, f"max_turns exceeded: {exc}", construct="max_turns",
                         hint="raise it with --recursion-limit (max_turns for agents) or check why the agent loops")
    return RunFailed(Code.NODE_FAILED, f"the agent run failed: {type(exc).__name__}: {exc}",
                     construct=type(exc).__name__, hint="fix the cause, then `agentc resume RUN_ID`; completed "
                                                        "model turns and tool calls are not repeated")
