"""An agent for the Temporal crash test (tests/test_temporal_agents.py).

Each tool appends ``"<tool> <pid>"`` to ``$AGENTC_CRASH_LOG`` (when set) as soon as it
starts executing; ``slow`` and ``after`` then sleep ``$AGENTC_CRASH_SLEEP`` seconds
(``temporal_crash_graph``'s helpers), long
enough to SIGKILL the worker while one of them runs. Without the variables it is an
ordinary fast agent: ``Runner.run`` is the oracle. The model calls ``first``, then
``slow`` and ``after`` in parallel, then ``last``, then answers with every output.

The answering model call waits while ``$AGENTC_CRASH_GATE`` names a file that does not
exist yet (the test creates it once the first worker is killed): "kill right after
``last`` completed" is then a state the test reaches every time, not a race against a
fast final model call.
"""
from __future__ import annotations

import os
import time

from agents import Agent, function_tool
from temporal_crash_graph import _executed, _nap  # the same log and sleep as the crash graph

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

TOOLS = ("first", "slow", "after", "last")
GATE_ENV = "AGENTC_CRASH_GATE"


def _gate() -> None:
    gate = os.environ.get(GATE_ENV)
    deadline = time.monotonic() + 120
    while gate and not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.05)


@function_tool
def first(text: str) -> str:
    """Step one.

    Args:
        text: Input text.
    """
    _executed("first")
    return text.upper()


@function_tool
def slow(text: str) -> str:
    """A slow step.

    Args:
        text: Input text.
    """
    _executed("slow")
    _nap()
    return text[::-1]


@function_tool
def after(text: str) -> str:
    """Another slow step.

    Args:
        text: Input text.
    """
    _executed("after")
    _nap()
    return f"<{text}>"


@function_tool
def last(text: str) -> str:
    """The last step.

    Args:
        text: Input text.
    """
    _executed("last")
    return text + "!"


agent = Agent(
    name="Crash Agent",
    instructions="Run the four steps.",
    tools=[first, slow, after, last],
    model=FakeModel("Crash Agent", [
        Rule("first", lambda r: not r.called("first"), lambda r: [call("first", text=r.last_user_text)]),
        Rule("middle", lambda r: not r.called("slow"),
             lambda r: [call("slow", text=r.output_of("first")), call("after", text=r.output_of("first"))]),
        Rule("last", lambda r: not r.called("last"),
             lambda r: [call("last", text=r.output_of("slow") + r.output_of("after"))]),
        Rule("answer", ALWAYS, lambda r: (_gate(), [say("done: " + r.output_of("last"))])[1]),
    ]),
)
