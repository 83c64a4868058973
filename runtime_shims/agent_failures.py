"""How an agent run that stops on an exception is reported: the SDK's own stop conditions
(guardrail tripwires, ``max_turns``) by their codes, anything else as a failure of the
user's code (AC300) that names the user's function and its file:line — the model, the
instructions, a tool, a guardrail — found in the exception's traceback (and in the
exceptions it was raised from: the SDK re-raises a tool's error as ``UserError``).
Every target reports the same diagnostic; the run stays resumable."""

from __future__ import annotations

from typing import Any

from agentc.ir.model import agent_system


def _sources(wf: Any) -> tuple[Any, list[Any]]:
    """The starting agent's source and every agent spec of the IR (``wf`` may be None)."""
    system = agent_system(wf)
    specs = list(system.agents) if system is not None else []
    start = next((a for a in specs if a.name == system.start), None) if system is not None else None
    return getattr(start, "source", None), specs


def _guardrail_source(specs: list[Any], name: str, run: Any = None) -> Any:
    """``run``: the IR's ``Runner.run`` options, whose RunConfig may hold the guardrail."""
    for g in (*run.input_guardrails, *run.output_guardrails) if run is not None else ():
        if g.name == name:
            return g.source
    for a in specs:
        for g in (*a.input_guardrails, *a.output_guardrails):
            if g.name == name:
                return g.source
        for t in a.tools:
            if name in (*t.input_guardrails, *t.output_guardrails):
                return t.source
    return None


def _at(source: Any) -> dict[str, Any]:
    return {"file": source.file, "line": source.line} if source is not None else {}


def user_failure(exc: BaseException, wf: Any = None) -> Any:
    """AC300 for an exception of the user's code (model, instructions, tool, guardrail),
    at its deepest frame in the user's files (``agentc.locate``; the files the IR names)."""
    from agentc.errors import Code, RunFailed
    from agentc.locate import source_files, user_frame

    where = user_frame(exc, source_files(wf) if wf is not None else ())
    root = exc
    while root.__cause__ is not None:  # the SDK's UserError wraps the tool's own exception
        root = root.__cause__
    what = f"{type(root).__name__}: {root}"
    if where is None:
        start, _ = _sources(wf)
        return RunFailed(
            Code.NODE_FAILED,
            f"the agent run failed: {what}",
            construct=type(root).__name__,
            **_at(start),
            hint="fix the cause, then `agentc resume RUN_ID`; completed model turns and tool calls "
            "are not repeated",
        )
    name = where.function
    return RunFailed(
        Code.NODE_FAILED,
        f"{name} raised {what}",
        construct=name,
        file=where.file,
        line=where.line,
        hint="the agents' own code failed (model, instructions, tool or guardrail); fix it, then "
        "`agentc resume RUN_ID`: completed model turns and tool calls are not repeated",
    )


def failure(exc: BaseException, wf: Any = None) -> Any:
    """The diagnostic for an exception that ends the run (``RunFailed``): the SDK's stop
    conditions by their codes, pointing at the guardrail or the starting agent; anything
    else as the user's code failing. ``wf``: the IR, for those source positions."""
    from agents import (
        InputGuardrailTripwireTriggered,
        MaxTurnsExceeded,
        OutputGuardrailTripwireTriggered,
        ToolInputGuardrailTripwireTriggered,
        ToolOutputGuardrailTripwireTriggered,
    )

    from agentc.errors import AgentcError, Code, RunFailed

    cause: BaseException | None = exc
    while cause is not None:  # agentc's own verdict (a policy denial) raised inside the SDK's loop
        if isinstance(cause, AgentcError):
            return cause
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered)):
        name = exc.guardrail_result.guardrail.get_name()
        kind = "input" if isinstance(exc, InputGuardrailTripwireTriggered) else "output"
        return RunFailed(
            Code.GUARDRAIL_TRIPPED,
            f"{kind} guardrail {name!r} tripped: the run stopped, as Runner.run "
            f"raises {type(exc).__name__}",
            construct=f"guardrail {name!r}",
            **_at(_guardrail_source(_sources(wf)[1], name, getattr(agent_system(wf), "run", None))),
            hint="the guardrail rejected this input/output; change the input or the guardrail",
        )
    if isinstance(exc, (ToolInputGuardrailTripwireTriggered, ToolOutputGuardrailTripwireTriggered)):
        name = exc.guardrail.get_name()
        return RunFailed(
            Code.GUARDRAIL_TRIPPED,
            f"tool guardrail {name!r} tripped ({type(exc).__name__})",
            construct=f"guardrail {name!r}",
            **_at(_guardrail_source(_sources(wf)[1], name)),
            hint="the tool call was refused by its guardrail",
        )
    if isinstance(exc, MaxTurnsExceeded):
        return RunFailed(
            Code.MAX_TURNS,
            f"max_turns exceeded: {exc}",
            construct="max_turns",
            **_at(_sources(wf)[0]),
            hint="raise it with --recursion-limit (max_turns for agents) or check why the agent "
            "loops",
        )
    return user_failure(exc, wf)
