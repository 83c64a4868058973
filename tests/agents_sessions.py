"""An agent with conversation memory, for tests/test_run_sessions.py: ``memo`` notes what
it is told with a tool and answers from the history its session gives it; ``session_for``
(``--session``) returns the conversation's ``SQLiteSession`` from the run context (its
``chat_id`` and database path), as an application would. ``NOTED`` lists the ``note`` calls
made in this process (a replay must not repeat them)."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from agents import (Agent, RunContextWrapper, SQLiteSession, ToolGuardrailFunctionOutput, function_tool,
                    tool_input_guardrail)

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

NOTED: list[str] = []


@dataclass
class Chat:
    chat_id: str = "chat"
    db: str = ":memory:"
    events: list[str] = field(default_factory=list)


@function_tool
def note(ctx: RunContextWrapper[Chat], fact: str) -> str:
    """Note a fact.

    Args:
        fact: What to remember.
    """
    NOTED.append(fact)
    return f"noted: {fact}"


def _answer(r: Any) -> list[Any]:
    text = r.last_user_text
    if "my name is" in text and not r.called("note"):
        return [call("note", fact=text)]
    names = [m.group(1) for t in r.user_texts for m in [re.search(r"my name is (\w+)", t)] if m]
    return [say(f"You are {names[-1] if names else 'a stranger'}; I see {len(r.user_texts)} user messages")]


memo = Agent[Chat](name="Memo", instructions="Remember the user.", tools=[note],
                   model=FakeModel("Memo", [Rule("answer", ALWAYS, _answer)]))


def session_for(ctx: Chat) -> SQLiteSession:
    return SQLiteSession(ctx.chat_id, ctx.db)


NOT_A_SESSION = "sessions are objects"


# ---------------------------------------------------------------- a run that fails mid-way
class Exploded(RuntimeError):
    """The failing tool's error (``failure_error_function=None``: the run fails with it)."""


@function_tool
def step(ctx: RunContextWrapper[Chat], n: int) -> str:
    """Take a step.

    Args:
        n: The step's number.
    """
    NOTED.append(f"step {n}")
    return f"step {n} taken"


@function_tool(failure_error_function=None)
def explode(ctx: RunContextWrapper[Chat]) -> str:
    """Fail."""
    NOTED.append("explode")
    raise Exploded("the third turn's tool failed")


def _steps_then(turn3: list[Any]) -> Callable[[Any], list[Any]]:
    def respond(r: Any) -> list[Any]:
        taken = len(r.outputs_of("step"))
        if taken < 2:
            return [call("step", n=taken + 1)]
        return turn3 if not r.called("explode") else [say("unreachable")]

    return respond


stepper = Agent[Chat](name="Stepper", instructions="Take steps.", tools=[step, explode],
                      model=FakeModel("Stepper", [Rule("next", ALWAYS, _steps_then([call("explode")]))]))
"""Turns 1 and 2 call ``step``; turn 3 calls ``explode``, which raises: ``Runner.run`` has
saved the input and the first two turns' items to the session by then
(tests/test_run_sessions.py)."""

stepper_beside = Agent[Chat](name="Stepper", instructions="Take steps.", tools=[step, explode],
                             model=FakeModel("Stepper", [Rule("next", ALWAYS, _steps_then(
                                 [call("step", n=3), call("explode")]))]))
"""As ``stepper``, with a ``step`` beside the failing tool in turn 3: ``Runner.run`` also
saves that completed call and its output."""

RUNNER_KWARGS = {"conversation_id": "conv_123"}
"""``Runner.run``'s keyword arguments, named where a ``RunConfig`` is expected (refused: AC200)."""

# ------------------------------------------- a failing tool beside parallel calls (issue 17)
@function_tool
async def astep(ctx: RunContextWrapper[Chat], n: int) -> str:
    """Take a step (async: ``Runner.run`` runs the calls of a turn on its event loop, so
    which siblings complete before a failure does not depend on threads' timing).

    Args:
        n: The step's number.
    """
    NOTED.append(f"step {n}")
    return f"step {n} taken"


async def _after_siblings() -> None:
    """Wait (bounded) until the turn's sibling calls ran: on an engine each call is a step
    of its own, run in any order; under ``Runner.run`` they have run already."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 10
    while not {"step 3", "step 4"} <= set(NOTED) and loop.time() < end:
        await asyncio.sleep(0.005)


@function_tool(failure_error_function=None)
async def aexplode(ctx: RunContextWrapper[Chat]) -> str:
    """Fail, once the siblings ran."""
    await _after_siblings()
    NOTED.append("explode")
    raise Exploded("the third turn's tool failed")


FLAKY = {"fail": True}
"""``flaky_explode`` raises while ``fail`` is set (a test clears it, then resumes the run)."""


@function_tool(failure_error_function=None)
async def flaky_explode(ctx: RunContextWrapper[Chat]) -> str:
    """Fail until fixed."""
    if FLAKY["fail"]:
        await _after_siblings()
    NOTED.append("flaky_explode")
    if FLAKY["fail"]:
        raise Exploded("the third turn's tool failed")
    return "fixed"


def _three_steps(failing: str) -> Callable[[Any], list[Any]]:
    def respond(r: Any) -> list[Any]:
        taken = len(r.outputs_of("astep"))
        if taken < 2:
            return [call("astep", n=taken + 1)]
        if not r.called(failing):
            return [call("astep", n=3), call("astep", n=4), call(failing)]
        return [say("all steps taken")]

    return respond


stepper_three = Agent[Chat](name="Stepper", instructions="Take steps.", tools=[astep, aexplode],
                            model=FakeModel("Stepper", [Rule("next", ALWAYS, _three_steps("aexplode"))]))
"""Turn 3 asks for three calls at once, the last one raising: ``Runner.run`` saves the
two completed ``astep`` calls (both calls, then both outputs, in call order) before it
fails (tests/test_session_failures.py)."""

stepper_flaky = Agent[Chat](name="Stepper", instructions="Take steps.", tools=[astep, flaky_explode],
                            model=FakeModel("Stepper", [Rule("next", ALWAYS, _three_steps("flaky_explode"))]))
"""As ``stepper_three`` with a tool that fails until ``FLAKY["fail"]`` is cleared: a
resumed run finishes the turn and the run."""


@tool_input_guardrail
def _block(data: Any) -> ToolGuardrailFunctionOutput:
    return ToolGuardrailFunctionOutput.raise_exception(output_info="blocked")


@function_tool(tool_input_guardrails=[_block])
async def guarded(ctx: RunContextWrapper[Chat]) -> str:
    """Never runs: its input guardrail trips, once the siblings ran."""
    return "never"


def _guard_after_siblings(r: Any) -> list[Any]:
    taken = len(r.outputs_of("astep"))
    if taken < 2:
        return [call("astep", n=taken + 1)]
    return [call("astep", n=3), call("astep", n=4), call("guarded")]


stepper_guarded = Agent[Chat](name="Stepper", instructions="Take steps.", tools=[astep, guarded],
                              model=FakeModel("Stepper", [Rule("next", ALWAYS, _guard_after_siblings)]))
"""Turn 3's last call trips its tool input guardrail: ``Runner.run`` raises the tripwire
without saving the turn's completed calls (only a tool's own failure saves them)."""


# ------------------------------------- a run config's session fields (RunConfig rows, issue 17)
def only_user_turns(history: list[Any], new_input: list[Any]) -> list[Any]:
    """``RunConfig.session_input_callback``: keep the history's user messages only."""
    return [i for i in history if isinstance(i, dict) and i.get("role") == "user"] + list(new_input)


def _session_config() -> Any:
    from agents import RunConfig
    from agents.memory import SessionSettings

    return RunConfig(session_settings=SessionSettings(limit=4),
                     session_input_callback=only_user_turns)


SESSION_CONFIG = _session_config()
"""The session's last 4 items only (``session_settings``), then its user messages only: the
third turn of ``TURNS3`` no longer sees the first, so the name is forgotten."""


# ------------------------ RunConfig.output_guardrail_blocked_message (a blocked tool output)
@function_tool
def secret(ctx: RunContextWrapper[Chat]) -> str:
    """Read the secret."""
    NOTED.append("secret")
    return "the secret is 42"


def _no_secrets(ctx: Any, agent: Any, output: Any) -> Any:
    from agents import GuardrailFunctionOutput

    return GuardrailFunctionOutput(output_info={"blocked": True},
                                   tripwire_triggered="secret" in str(output))


def _blocker() -> Agent[Chat]:
    from agents import output_guardrail

    return Agent[Chat](name="Teller", instructions="Tell the secret.", tools=[secret],
                       tool_use_behavior="stop_on_first_tool",
                       output_guardrails=[output_guardrail(_no_secrets)],
                       model=FakeModel("Teller", [Rule("tell", ALWAYS, [call("secret")])]))


teller = _blocker()
"""Its tool's output is the final output (``stop_on_first_tool``), which the output
guardrail blocks: the SDK saves the tool call with a placeholder for its output."""


def _blocked_config() -> Any:
    from agents import RunConfig

    return RunConfig(output_guardrail_blocked_message="[withheld by policy]")


BLOCKED_CONFIG = _blocked_config()
