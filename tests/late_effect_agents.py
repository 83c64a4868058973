"""A compensable tool call that finishes after its sibling failed the run
(tests/test_conductor_live.py, docs/effects.md "Late effects on a live Conductor server").

The model asks for two calls at once: ``hold_seat`` (sync, compensable: it waits
``$AGENTC_SLOW_S`` seconds — 1.5 by default — then reserves a flight on the booking service
of ``$AGENTC_BOOKING_URL`` with the call's idempotency key) and ``verify_payment`` (fails at
once unless the input says "paid"; ``failure_error_function=None``, so the failure ends the
run). A sync tool cannot be
interrupted, so on Conductor the reservation happens after the workflow failed and the
server ignores the hold's task update; its compensator ``release_seat`` releases it.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from agents import Agent, RunContextWrapper, function_tool

from agentc.effects import effect, effect_key
from agentc.fixtures.booking_http import post
from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

HERE = "late_effect_agents"


@effect("compensable", compensator=f"{HERE}:release_seat")
@function_tool(failure_error_function=None)
def hold_seat(ctx: RunContextWrapper[Any], flight: str) -> str:
    """Hold a seat on a flight (slow).

    Args:
        flight: The flight number.
    """
    time.sleep(float(os.environ.get("AGENTC_SLOW_S", "1.5")))
    return post("/flights/reserve", {"trip": flight}, effect_key(ctx))["id"]


@function_tool(failure_error_function=None)
async def verify_payment(card: str) -> str:
    """Verify the traveler's card.

    Args:
        card: The card's last digits.
    """
    await asyncio.sleep(0.05)
    if card != "ok":
        raise RuntimeError(f"card {card} declined")
    return "card verified"


def release_seat(args: dict[str, Any], result: str) -> None:
    post("/flights/release", {"id": result}, effect_key())


agent = Agent(
    name="Late Hold",
    instructions="Hold the seat and verify the card, at once.",
    tools=[hold_seat, verify_payment],
    model=FakeModel(
        "Late Hold",
        [
            Rule(
                "both",
                lambda r: not r.called("hold_seat"),
                lambda r: [
                    call("hold_seat", flight="AC1"),
                    call("verify_payment", card="ok" if r.mentions("paid") else "4242"),
                ],
            ),
            Rule("done", ALWAYS, lambda r: [say("Held.")]),
        ],
    ),
)
