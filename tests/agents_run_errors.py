"""Agents for tests/test_run_error_handlers.py and tests/test_sticky_approvals.py.

``poller`` never stops calling its ``poll`` tool, so ``max_turns`` ends its run: with
``HANDLERS`` (``--error-handlers``) the ``max_turns`` handler turns that into a final
output built from the run data and the run context it is given (and writes to both the
context and ``FIRED``, so a handler that ran twice shows); its output goes through the
agent's output guardrail like any final output. ``NO_ANSWER``'s handler returns None: the
SDK raises ``MaxTurnsExceeded`` as without a handler.

``payer`` pays three invoices, one per turn, with a tool that needs approval: deciding the
first call with ``always`` (approve or reject) decides the later ones for the rest of the
run, without pausing again."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents import Agent, GuardrailFunctionOutput, RunContextWrapper, function_tool, output_guardrail

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

FIRED: list[str] = []


@dataclass
class Log:
    events: list[str] = field(default_factory=list)


@function_tool
def poll(n: int) -> str:
    """Poll once more.

    Args:
        n: Which poll.
    """
    return f"poll {n}: not ready"


@output_guardrail
def checked(ctx: RunContextWrapper[Log], agent: Agent[Log], output: Any) -> GuardrailFunctionOutput:
    FIRED.append(f"guardrail:{output}")
    return GuardrailFunctionOutput(output_info={"chars": len(str(output))}, tripwire_triggered=False)


poller = Agent[Log](name="Poller", instructions="Poll until it is ready.", tools=[poll], output_guardrails=[checked],
                    model=FakeModel("Poller", [Rule("poll", ALWAYS, lambda r: [call("poll", n=len(r.outputs_of("poll")))])]))


def on_max_turns(data: Any) -> Any:
    FIRED.append("max_turns")
    data.context.context.events.append("max_turns handled")
    polls = [i for i in data.run_data.new_items if i.type == "tool_call_output_item"]
    return {"final_output": f"gave up after {len(polls)} polls ({data.error}); last agent "
                            f"{data.run_data.last_agent.name}; events {data.context.context.events}",
            "include_in_history": True}


HANDLERS = {"max_turns": on_max_turns}


def make_handlers() -> dict[str, Any]:
    return {"max_turns": on_max_turns}


NO_ANSWER = {"max_turns": lambda data: FIRED.append("max_turns:none")}

NOT_HANDLERS = {"max_turn": on_max_turns}


@function_tool(needs_approval=True)
def pay(invoice: int) -> str:
    """Pay an invoice (needs approval).

    Args:
        invoice: Which.
    """
    FIRED.append(f"pay {invoice}")
    return f"paid invoice {invoice}"


def _next(r: Any) -> list[Any]:
    outs = r.outputs_of("pay")
    if len(outs) < 3:
        return [call("pay", invoice=len(outs) + 1)]
    return [say("; ".join(str(o) for o in outs))]


payer = Agent(name="Payer", instructions="Pay the three invoices.", tools=[pay],
              model=FakeModel("Payer", [Rule("pay", ALWAYS, _next)]))
