"""Agents run with ``Runner.run`` options, for tests/test_run_options.py: a ``RunConfig``
(``CONFIG``) that overrides every agent's model by name through its own model provider,
sets model settings the model's answer shows, filters the handoff's input, and adds input
and output guardrails with ``output_info``; ``RunHooks`` (``Hooks``) that record each event
in the run context and in ``FIRED`` (how often the user's hook ran in this process).

The agents name a model no provider knows (``"no-such-model"``): only the config's
``model`` override and ``model_provider`` make them run. The scripted model reports token
usage derived from the request, so usage totals are comparable."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents import (Agent, GuardrailFunctionOutput, ModelProvider, ModelSettings, RunConfig, RunContextWrapper,
                    RunHooks, function_tool, input_guardrail, output_guardrail)
from agents import ToolGuardrailFunctionOutput, tool_input_guardrail, tool_output_guardrail
from agents.extensions.handoff_filters import remove_all_tools
from agents.run_config import ToolExecutionConfig
from agents.usage import Usage

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

FIRED: list[str] = []


@dataclass
class Log:
    events: list[str] = field(default_factory=list)


class Scripted(FakeModel):
    """A FakeModel whose answer shows the model settings it was given, with token usage."""

    async def get_response(self, system_instructions, input, model_settings, tools, output_schema, handoffs,
                           tracing, **kwargs: Any) -> Any:
        r = await super().get_response(system_instructions, input, model_settings, tools, output_schema, handoffs,
                                       tracing, **kwargs)
        for item in r.output:
            if getattr(item, "type", None) == "message":
                item.content[0].text += f" [temperature={model_settings.temperature}]"
        n = len(input) if isinstance(input, list) else 1
        r.usage = Usage(requests=1, input_tokens=10 * n, output_tokens=len(r.output), total_tokens=10 * n + len(r.output))
        return r


def _answer(r: Any) -> list[Any]:
    return [say(f"{r.system} | {len(r.items)} items, tools {','.join(r.outputs_of('flight') + r.outputs_of('hotel'))}")]


SCRIPTED = Scripted("scripted", [
    Rule("lookup", lambda r: r.has_tool("lookup") and not r.called("lookup"), [call("lookup", city="Oslo")]),
    Rule("handoff", lambda r: r.has_handoff("transfer_to_booker"), [call("transfer_to_booker")]),
    Rule("book", lambda r: r.has_tool("flight") and not r.called("flight"),
         [call("flight", city="Oslo"), call("hotel", city="Oslo")]),
    Rule("answer", ALWAYS, _answer)])


class Provider(ModelProvider):
    def get_model(self, model_name: str | None) -> Any:
        if model_name != "scripted":
            raise KeyError(f"no model {model_name!r}")
        return SCRIPTED


@function_tool
def lookup(city: str) -> str:
    """Look a city up.

    Args:
        city: Which.
    """
    return f"{city} is in Norway"


@function_tool
def flight(city: str) -> str:
    """Book a flight.

    Args:
        city: Where to.
    """
    return f"flight to {city}"


@function_tool
def hotel(city: str) -> str:
    """Book a hotel.

    Args:
        city: Where.
    """
    return f"hotel in {city}"


def seen(ctx: RunContextWrapper[Log], agent: Agent[Log]) -> str:
    return f"{agent.name} saw " + ",".join(ctx.context.events)


booker = Agent[Log](name="Booker", instructions=seen, tools=[flight, hotel], model="no-such-model")
desk = Agent[Log](name="Desk", instructions=seen, tools=[lookup], handoffs=[booker], model="no-such-model")


@input_guardrail
def polite(ctx: RunContextWrapper[Log], agent: Agent[Log], input: Any) -> GuardrailFunctionOutput:
    text = input if isinstance(input, str) else str(input)
    return GuardrailFunctionOutput(output_info={"length": len(text), "agent": agent.name},
                                   tripwire_triggered="rude" in text)


@output_guardrail
def short(ctx: RunContextWrapper[Log], agent: Agent[Log], output: Any) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput(output_info={"chars": len(str(output)), "agent": agent.name},
                                   tripwire_triggered="forbidden" in str(output))


CONFIG = RunConfig(model="scripted", model_provider=Provider(), model_settings=ModelSettings(temperature=0.25),
                   handoff_input_filter=remove_all_tools, input_guardrails=[polite], output_guardrails=[short],
                   tracing_disabled=True, workflow_name="Trip desk")


def make_config() -> RunConfig:
    """The same config from a zero-argument factory."""
    return RunConfig(model="scripted", model_provider=Provider(), model_settings=ModelSettings(temperature=0.25),
                     handoff_input_filter=remove_all_tools, input_guardrails=[polite], output_guardrails=[short],
                     tracing_disabled=True, workflow_name="Trip desk")


AS_DICT = {"model": "scripted", "model_provider": Provider(), "model_settings": {"temperature": 0.25},
           "handoff_input_filter": remove_all_tools, "input_guardrails": [polite],
           "output_guardrails": [short], "tracing_disabled": True, "workflow_name": "Trip desk"}
"""``CONFIG`` as the mapping ``Runner.run(run_config=...)`` also accepts (the SDK coerces it)."""

@output_guardrail
def no_booker(ctx: RunContextWrapper[Log], agent: Agent[Log],
              output: Any) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput(output_info={"agent": agent.name},
                                   tripwire_triggered="Booker" in str(output))


OUTPUT_TRIP = RunConfig(model="scripted", model_provider=Provider(), output_guardrails=[no_booker])
"""A run-config output guardrail that trips on the final output (a step of its own on the
engines)."""

MODEL_OBJECT = RunConfig(model=SCRIPTED, model_settings=ModelSettings(temperature=0.25), tracing_disabled=True)
"""The config's ``model`` as a ``Model`` object (no provider resolves it)."""

NOT_A_CONFIG = {"modle": "scripted"}
"""A mapping with a key ``RunConfig`` does not have."""

OTHER_TEMPERATURE = RunConfig(model="scripted", model_provider=Provider(), model_settings=ModelSettings(temperature=0.5))

TOOL_EXECUTION = RunConfig(model="scripted", model_provider=Provider(),
                           tool_execution=ToolExecutionConfig(max_function_tool_concurrency=1))


def _note(ctx: Any, event: str) -> None:
    FIRED.append(event)
    ctx.context.events.append(event)


class Hooks(RunHooks[Log]):
    async def on_agent_start(self, context: Any, agent: Any) -> None:
        _note(context, f"agent_start:{agent.name}")

    async def on_agent_end(self, context: Any, agent: Any, output: Any) -> None:
        _note(context, f"agent_end:{agent.name}")

    async def on_handoff(self, context: Any, from_agent: Any, to_agent: Any) -> None:
        _note(context, f"handoff:{from_agent.name}->{to_agent.name}")

    async def on_tool_start(self, context: Any, agent: Any, tool: Any) -> None:
        _note(context, f"tool_start:{tool.name}")

    async def on_tool_end(self, context: Any, agent: Any, tool: Any, result: Any) -> None:
        _note(context, f"tool_end:{tool.name}")

    async def on_llm_start(self, context: Any, agent: Any, system_prompt: Any, input_items: Any) -> None:
        _note(context, f"llm_start:{agent.name}")

    async def on_llm_end(self, context: Any, agent: Any, response: Any) -> None:
        _note(context, f"llm_end:{agent.name}")


HOOKS = Hooks()


# ------------------------------------------------ RunConfig fields the SDK applies in its loop
# ``clerk`` calls a tool that raises (the SDK's default failure handler, so the config's
# ``tool_error_formatter`` words the error) beside one that works, then a tool no agent has
# (``tool_not_found_behavior="return_error_to_model"``: an error output, the run goes on), then
# hands off to ``archivist`` with ``nest_handoff_history`` and a ``handoff_history_mapper``
# (the archivist sees the mapper's one summary message). ``call_model_input_filter`` tags
# every model call's instructions. Each field changes a model request, so the model-call
# digests show whether a target applied it as ``Runner.run`` does. ``FIELDS`` also sets the
# tracing fields (observation only) and ``tool_name_collision_policy``.
@function_tool
def broken(city: str) -> str:
    """Book a train (there are none).

    Args:
        city: Where to.
    """
    raise ValueError(f"no trains to {city}")


@tool_input_guardrail
def city_known(data: Any) -> ToolGuardrailFunctionOutput:
    return ToolGuardrailFunctionOutput.allow(output_info={"checked": data.context.tool_arguments})


@tool_output_guardrail
def short_answer(data: Any) -> ToolGuardrailFunctionOutput:
    return ToolGuardrailFunctionOutput.allow(output_info={"chars": len(str(data.output))})


@function_tool(tool_input_guardrails=[city_known], tool_output_guardrails=[short_answer])
def find(city: str) -> str:
    """Find a city (its input and output checked by tool guardrails, whose results are in
    the full ``RunResult``).

    Args:
        city: Which.
    """
    return f"{city} is in Norway"


def _clerk(r: Any) -> list[Any]:
    if not r.called("find"):
        return [call("find", city="Oslo"), call("broken", city="Oslo")]
    if not r.called("nosuch"):
        return [call("nosuch", city="Oslo")]
    return [call("transfer_to_archivist")]


class Reasoning(FakeModel):
    """A FakeModel whose every response starts with a reasoning item with an id, which
    ``reasoning_item_id_policy="omit"`` leaves out of the next turn's input."""

    async def get_response(self, *args: Any, **kwargs: Any) -> Any:
        from openai.types.responses import ResponseReasoningItem

        r = await super().get_response(*args, **kwargs)
        given = kwargs.get("input", args[1] if len(args) > 1 else None)
        n = len(given) if isinstance(given, list) else 1
        r.output.insert(0, ResponseReasoningItem(id=f"rs_{n}", summary=[], type="reasoning"))
        return r


def _archive(r: Any) -> list[Any]:
    return [say(f"{r.system} | {len(r.items)} items | {r.last_user_text}")]


archivist = Agent[Log](name="Archivist", instructions="File it.",
                       model=FakeModel("Archivist", [Rule("answer", ALWAYS, _archive)]))
clerk = Agent[Log](name="Clerk", instructions="Book what you can.", tools=[find, broken],
                   handoffs=[archivist],
                   model=Reasoning("Clerk", [Rule("clerk", ALWAYS, _clerk)]))


def tag_instructions(data: Any) -> Any:
    from agents.run_config import ModelInputData

    FIRED.append(f"filter:{data.agent.name}")
    instructions = f"{data.model_data.instructions} [filtered for {data.agent.name}]"
    return ModelInputData(input=list(data.model_data.input), instructions=instructions)


def word_tool_error(args: Any) -> str:
    return f"{args.kind} in {args.tool_name} ({args.tool_type})"


def one_line_history(transcript: list[Any]) -> list[Any]:
    calls = sum(1 for i in transcript if isinstance(i, dict) and i.get("type") == "function_call")
    return [{"role": "user", "content": f"summary: {len(transcript)} items, {calls} tool calls"}]


FIELDS = RunConfig(call_model_input_filter=tag_instructions, tool_error_formatter=word_tool_error,
                   tool_not_found_behavior="return_error_to_model", nest_handoff_history=True,
                   handoff_history_mapper=one_line_history, tool_name_collision_policy="error",
                   reasoning_item_id_policy="omit",
                   tracing_disabled=True, trace_include_sensitive_data=False,
                   workflow_name="Clerk desk",
                   trace_id="trace_clerk", group_id="chat-1", trace_metadata={"desk": "clerk"})


@dataclass
class NewerRunConfig(RunConfig):
    """A ``RunConfig`` with a field a newer SDK might add, which agentc does not know."""

    speculative_decoding: bool = False


NEWER = NewerRunConfig(model="scripted", model_provider=Provider(), speculative_decoding=True)
NEWER_UNSET = NewerRunConfig(model="scripted", model_provider=Provider())


@function_tool(name_override="transfer_to_archivist")
def fake_transfer() -> str:
    """A function tool named like the handoff to the archivist."""
    return "not a handoff"


collider = Agent[Log](name="Collider", instructions="Hand off.", tools=[fake_transfer],
                      handoffs=[archivist],
                      model=FakeModel("Collider", [Rule("go", ALWAYS, [call("transfer_to_archivist")])]))
"""A function tool and a handoff of one name: ``tool_name_collision_policy="error"`` (the
``COLLISIONS`` config) makes ``Runner.run`` raise ``UserError`` before the model is called."""

COLLISIONS = RunConfig(tool_name_collision_policy="error")


def _sandboxed() -> RunConfig:
    from agents.run_config import SandboxRunConfig

    return RunConfig(model="scripted", model_provider=Provider(), sandbox=SandboxRunConfig())


SANDBOXED = _sandboxed()


# ------------------------------------------ an agent used as a tool, for the full result's usage
def _research(r: Any) -> list[Any]:
    if r.has_tool("research") and not r.called("research"):
        return [call("research", input="Oslo")]
    return [say(f"{r.system} | {len(r.items)} items")]


_LOOKUP_ONCE = Rule("lookup", lambda r: not r.called("lookup"), [call("lookup", city="Oslo")])
researcher = Agent[Log](name="Researcher", instructions="Research it.", tools=[lookup],
                        model=Scripted("researcher", [_LOOKUP_ONCE, Rule("answer", ALWAYS, _answer)]))
_RESEARCH = researcher.as_tool(tool_name="research", tool_description="Research a city.")
chief = Agent[Log](name="Chief", instructions="Delegate.", tools=[_RESEARCH],
                   model=Scripted("chief", [Rule("chief", ALWAYS, _research)]))
"""``chief`` calls ``researcher`` as a tool (two model calls of its own): ``Runner.run``'s
usage totals count the nested run's responses too."""
