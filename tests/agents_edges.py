"""Agents for tests/test_openai_agents_edges.py: typed run contexts, user code that raises,
tool timeouts and failure_error_function, settings that once made the IR differ between
processes. Every model is a deterministic ``FakeModel``."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from agents import Agent, AgentOutputSchema, ModelSettings, RunContextWrapper, function_tool
from agents.retry import ModelRetrySettings

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

# ---------------------------------------------------------------- typed contexts


@dataclass
class Shop:
    owner: str
    currency: str = "EUR"


class Account(BaseModel):
    holder: str
    limit: int = 100


def shop_instructions(ctx: RunContextWrapper[Shop], agent: Agent[Shop]) -> str:
    return f"You run the shop of {ctx.context.owner}; prices in {ctx.context.currency}."


@function_tool
def price(ctx: RunContextWrapper[Shop], item: str) -> str:
    """The price of an item.

    Args:
        item: What to price.
    """
    return f"{item}: 3 {ctx.context.currency} ({ctx.context.owner})"


def _answer_with(tool: str, arg: dict[str, Any]) -> list[Rule]:
    return [Rule("call", lambda r: not r.called(tool), lambda r: [call(tool, **arg)]),
            Rule("answer", ALWAYS, lambda r: [say(f"{r.system} | {r.output_of(tool)}")])]


# the context type is the agent's generic parameter (Agent[Shop]) and the tool's annotation
shop_agent = Agent[Shop](name="Shopkeeper", instructions=shop_instructions, tools=[price],
                         model=FakeModel("Shopkeeper", _answer_with("price", {"item": "tea"})))


@function_tool
def credit(wrapper: RunContextWrapper[Account], amount: int) -> str:
    """Check credit.

    Args:
        amount: EUR.
    """
    acc = wrapper.context
    return f"{acc.holder} may spend {min(amount, acc.limit)}"


# a pydantic context, declared only by a tool's annotation (plain Agent, string instructions)
bank_agent = Agent(name="Banker", instructions="Check the credit.", tools=[credit],
                   model=FakeModel("Banker", _answer_with("credit", {"amount": 250})))


class Opaque:
    """A context that JSON cannot describe: built by a factory (--context-factory)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret


def make_opaque(secret: str = "s3cret") -> Opaque:
    return Opaque(secret)


def opaque_instructions(ctx: RunContextWrapper[Opaque], agent: Agent[Opaque]) -> str:
    return f"The secret is {ctx.context.secret}."


opaque_agent = Agent[Opaque](name="Keeper", instructions=opaque_instructions,
                             model=FakeModel("Keeper", [Rule("say", ALWAYS, lambda r: [say(r.system or "")])]))

# ---------------------------------------------------------------- user code that raises


def broken_instructions(ctx: RunContextWrapper[Any], agent: Agent[Any]) -> str:
    raise RuntimeError("instructions exploded")


broken_instructions_agent = Agent(name="Broken", instructions=broken_instructions,
                                  model=FakeModel("Broken", [Rule("say", ALWAYS, lambda r: [say("never")])]))


class ExplodingModel(FakeModel):
    async def get_response(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the model endpoint is down")


broken_model_agent = Agent(name="Unreachable", instructions="Hi.", model=ExplodingModel("Unreachable", []))


@function_tool(failure_error_function=None)
def explode(x: int) -> str:
    """Explode.

    Args:
        x: n.
    """
    raise ValueError(f"tool exploded on {x}")


broken_tool_agent = Agent(name="Exploder", instructions="Call explode.", tools=[explode],
                          model=FakeModel("Exploder", _answer_with("explode", {"x": 1})))


@function_tool(failure_error_function=None)
def fetch_report(day: str) -> str:
    """The day's report; fails until the file ``report.ready`` exists in the working folder
    (a dependency that is down, then fixed).

    Args:
        day: Which day.
    """
    from pathlib import Path

    if not Path("report.ready").exists():
        raise ConnectionError("report service is down")
    return f"report for {day}: all good"


flaky_tool_agent = Agent(name="Reporter", instructions="Fetch the report.", tools=[fetch_report],
                         model=FakeModel("Reporter", _answer_with("fetch_report", {"day": "monday"})))

# ---------------------------------------------------------------- tool timeouts, failure_error_function


@function_tool(timeout=0.2)
async def slow_lookup(x: int) -> str:
    """A lookup that takes too long.

    Args:
        x: n.
    """
    await asyncio.sleep(30)
    return "too late"


@function_tool(timeout=0.2, timeout_behavior="raise_exception")
async def slow_strict(x: int) -> str:
    """A lookup that takes too long, and fails the run when it does.

    Args:
        x: n.
    """
    await asyncio.sleep(30)
    return "too late"


@function_tool(timeout=5)
async def quick_lookup(x: int) -> str:
    """A lookup with a timeout it never reaches.

    Args:
        x: n.
    """
    return f"quick {x}"


def polite_failure(ctx: RunContextWrapper[Any], error: Exception) -> str:
    return f"the tool failed politely: {error}"


@function_tool(failure_error_function=polite_failure)
async def flaky(x: int) -> str:
    """Fails.

    Args:
        x: n.
    """
    await asyncio.sleep(0)
    raise ValueError(f"flaky {x}")


def timeout_message(ctx: RunContextWrapper[Any], error: Exception) -> str:
    return f"gave up: {error}"


@function_tool(timeout=0.2, timeout_error_function=timeout_message, failure_error_function=polite_failure)
async def slow_polite(x: int) -> str:
    """Too slow, with its own timeout message.

    Args:
        x: n.
    """
    await asyncio.sleep(30)
    return "too late"


@function_tool(timeout=5, failure_error_function=polite_failure)
async def flaky_timed(x: int) -> str:
    """Fails before its timeout.

    Args:
        x: n.
    """
    await asyncio.sleep(0)
    raise ValueError(f"flaky timed {x}")


def _both(first: str, second: str) -> list[Rule]:
    return [Rule("call", lambda r: not r.called(first), lambda r: [call(first, x=1), call(second, x=2)]),
            Rule("answer", ALWAYS,
                 lambda r: [say(f"{first}: {r.output_of(first)} | {second}: {r.output_of(second)}")])]


timeout_agent = Agent(name="Waiter", instructions="Look it up.", tools=[slow_lookup, quick_lookup],
                      model=FakeModel("Waiter", _both("slow_lookup", "quick_lookup")))
strict_timeout_agent = Agent(name="Strict", instructions="Look it up.", tools=[slow_strict],
                             model=FakeModel("Strict", _answer_with("slow_strict", {"x": 1})))
failure_function_agent = Agent(name="Polite", instructions="Try it.", tools=[flaky, quick_lookup],
                               model=FakeModel("Polite", _both("flaky", "quick_lookup")))
timed_failure_agent = Agent(name="Timed", instructions="Try both.", tools=[slow_polite, flaky_timed],
                            model=FakeModel("Timed", _both("slow_polite", "flaky_timed")))

# ---------------------------------------------------------------- settings the IR must render stably


class Loose(BaseModel):
    data: dict[str, Any]
    tags: set[str] = set()


def retry_when(*args: Any) -> bool:
    return True


loose_agent = Agent(
    name="Loose", instructions="Answer loosely.", output_type=AgentOutputSchema(Loose, strict_json_schema=False),
    model_settings=ModelSettings(retry=ModelRetrySettings(max_retries=2, policy=lambda *a: True)),
    model=FakeModel("Loose", [Rule("out", ALWAYS, lambda r: [say('{"data": {"k": 1}, "tags": ["a", "b"]}')])]))
