"""How an agent run that stops on an exception is reported: the SDK's own stop conditions
(guardrail tripwires, ``max_turns``) by their codes, anything else as a failure of the
user's code (AC300) that names the user's function and its file:line — the model, the
instructions, a tool, a guardrail — found in the exception's traceback (and in the
exceptions it was raised from: the SDK re-raises a tool's error as ``UserError``).
Every target reports the same diagnostic; the run stays resumable."""
from __future__ import annotations

import os
import sysconfig
import traceback
from typing import Any

_LIBS: tuple[str, ...] | None = None


def _library_dirs() -> tuple[str, ...]:
    """Code that is not the user's: the standard library, installed packages (the SDK and
    its dependencies), agentc's own compiler, targets and runtime (not its fixtures)."""
    global _LIBS
    if _LIBS is None:
        import agentc
        import agentc.runtime_shims
        import agentc.targets

        paths = sysconfig.get_paths()
        dirs = {paths["stdlib"], paths["platstdlib"], paths["purelib"], paths["platlib"]}
        dirs |= {os.path.dirname(m.__file__ or "") for m in (agentc, agentc.runtime_shims, agentc.targets)}
        _LIBS = tuple(os.path.normcase(os.path.realpath(d)) + os.sep for d in sorted(dirs) if d)
    return _LIBS


def _is_library(file: str) -> bool:
    return file.startswith("<") or os.path.normcase(os.path.realpath(file)).startswith(_library_dirs())


def user_frame(exc: BaseException) -> tuple[str, str, int] | None:
    """``(qualified name, file, line)`` of the innermost frame of user code in ``exc``'s
    traceback or in those of the exceptions it was raised from."""
    seen: set[int] = set()
    todo: BaseException | None = exc
    found = None
    while todo is not None and id(todo) not in seen:
        seen.add(id(todo))
        for frame, line in traceback.walk_tb(todo.__traceback__):
            code = frame.f_code
            if not _is_library(code.co_filename):
                found = (getattr(code, "co_qualname", code.co_name), code.co_filename, line)
        todo = todo.__cause__ or todo.__context__
    return found


def user_failure(exc: BaseException) -> Any:
    """AC300 for an exception of the user's code (model, instructions, tool, guardrail)."""
    from agentc.errors import Code, RunFailed
    from agentc.refs import _rel

    frame = user_frame(exc)
    root = exc
    while root.__cause__ is not None:  # the SDK's UserError wraps the tool's own exception
        root = root.__cause__
    what = f"{type(root).__name__}: {root}"
    if frame is None:
        return RunFailed(Code.NODE_FAILED, f"the agent run failed: {what}", construct=type(root).__name__,
                         hint="fix the cause, then `agentc resume RUN_ID`; completed model turns and tool calls "
                              "are not repeated")
    name, file, line = frame
    return RunFailed(Code.NODE_FAILED, f"{name} raised {what}", construct=name, file=_rel(file), line=line,
                     hint="the agents' own code failed (model, instructions, tool or guardrail); fix it, then "
                          "`agentc resume RUN_ID`: completed model turns and tool calls are not repeated")


def failure(exc: BaseException) -> Any:
    """The diagnostic for an exception that ends the run (``RunFailed``): the SDK's stop
    conditions by their codes, anything else as the user's code failing."""
    from agents import (InputGuardrailTripwireTriggered, MaxTurnsExceeded, OutputGuardrailTripwireTriggered,
                        ToolInputGuardrailTripwireTriggered, ToolOutputGuardrailTripwireTriggered)

    from agentc.errors import Code, RunFailed

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
    return user_failure(exc)
