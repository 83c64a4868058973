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


# ------------------------------------------------ the other two error kinds of RunErrorHandlers
class Refusing(FakeModel):
    """A FakeModel whose message is a refusal (the SDK's ``model_refusal`` error kind)."""

    async def get_response(self, *args: Any, **kwargs: Any) -> Any:
        from openai.types.responses import ResponseOutputRefusal

        r = await super().get_response(*args, **kwargs)
        for item in r.output:
            if getattr(item, "type", None) == "message":
                refusal = ResponseOutputRefusal(refusal="I cannot grade that", type="refusal")
                item.content = [refusal]
        return r


grader = Agent[Log](name="Grader", instructions="Grade it from 1 to 10.", output_type=int,
                    output_guardrails=[checked],
                    model=FakeModel("Grader", [Rule("grade", ALWAYS, [say("seven-ish")])]))
refuser = Agent[Log](name="Refuser", instructions="Grade it from 1 to 10.",
                     output_guardrails=[checked],
                     model=Refusing("Refuser", [Rule("grade", ALWAYS, [say("7")])]))


def on_invalid_output(data: Any) -> Any:
    FIRED.append("invalid_final_output")
    data.context.context.events.append("invalid output handled")
    return {"final_output": 7, "include_in_history": True}


def on_refusal(data: Any) -> Any:
    FIRED.append("model_refusal")
    data.context.context.events.append("refusal handled")
    return f"refused: {data.error}; items {len(data.run_data.new_items)}"


OUTPUT_HANDLERS = {"invalid_final_output": on_invalid_output, "model_refusal": on_refusal}
