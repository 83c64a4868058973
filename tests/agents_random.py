"""Random OpenAI Agents SDK agent systems, for the property test (tests/test_agents_property.py).

``specs()`` is a hypothesis strategy for a plain-data *spec* (hypothesis prints it on
failure, so it is the reproduction); ``build(spec)`` turns it into live agents, and
``install(spec)`` sets ``current`` to a fresh build: every target imports the system by
the REF ``agents_random:current`` (``REF``), so each example compiles and runs what the
test just installed.

A spec has a start agent, optionally a second agent reached by a handoff ("helper"), and
optionally an agent used as a tool (``Agent.as_tool``) by the start agent or the helper —
or the helper itself, both handed off to and used as a tool. Each agent has 1-4 function
tools with deterministic bodies that combine their arguments (``name('x', 3)``); a tool
may raise (for arguments of even length), which the SDK's default
``failure_error_function`` reports to the model as the tool's output. An agent may have
an ``output_type`` (``Answer``, a strict pydantic model), a ``tool_use_behavior``
(``stop_on_first_tool`` or ``StopAtTools``), ``tool_choice="required"`` (which the SDK
resets after a tool call), an output guardrail (trips on a final output holding ``#{``);
the start agent an input guardrail (trips on an input holding ``😀``; in parallel with the
first model call or blocking), and its handoff may be ``handoff(..., input_filter=
remove_all_tools)``. Tool names may be shared between agents (each agent its own tasks).

Every agent's model is a ``FakeModel`` whose policy is a pure function of the request: the
number of calls the request already holds to the agent's *own* tools (tool names are
unique per agent, unless shared: then an agent counts the others' calls of its names too,
which only shifts where its script starts) picks the script entry — 1-3 parallel tool calls with random
arguments (strings made of ``${...}``, quotes, backslashes and unicode), at most one of
them to the agent tool (rarely two), optionally with assistant text; or one or two handoffs (the SDK
takes the first), optionally after tool calls. When no entry applies the model gives its
final answer (the outputs it saw, as text or as ``Answer`` JSON), so the policy is total
whatever path a run takes.

Two agent-tool calls in one response run as concurrent nested runs (child workflows), so
the order of their model calls is not defined: ``parallel_agent_tools(spec)`` tells the
test to compare the model calls as a multiset then. Left out on purpose: run contexts,
approvals and tool timeouts (covered by the fixtures, and being fixed elsewhere for the
known defects).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Request, Rule, call, json_out, say, transfer

REF = "agents_random:current"
current: Any = None
"""The agent system of the running example (set by ``install``)."""


class Answer(BaseModel):
    """A structured final answer."""

    text: str
    calls: int


# ----------------------------------------------------------------------------- building
def _raise_for(x: str) -> bool:
    return len(x) % 2 == 0


def _function_tool(t: dict[str, Any]) -> Any:
    from agents import function_tool

    name, raises = t["name"], t["raises"]

    def check(x: str) -> None:
        if raises and _raise_for(x):
            raise ValueError(f"{name} refuses {x!r}")

    if t["sig"] == "s":
        def fn(x: str) -> str:
            check(x)
            return f"{name}({x!r})"
    elif t["sig"] == "sn":
        def fn(x: str, n: int) -> str:  # type: ignore[misc]
            check(x)
            return f"{name}({x!r}, {n})"
    else:
        async def fn(x: str) -> str:  # type: ignore[misc]
            await asyncio.sleep(0)
            check(x)
            return f"{name}<{x}>"
    return function_tool(fn, name_override=name, description_override=f"The {name} tool.")


def _own(a: dict[str, Any]) -> set[str]:
    """The tool names whose calls advance this agent's script."""
    return {t["name"] for t in a["tools"]} | ({a["agent_tool"]["name"]} if a["agent_tool"] else set())


def _final(a: dict[str, Any], req: Request, done: list[tuple[str, Any, str]]) -> list[Any]:
    outs = req.outputs
    text = f"{a['name']}: " + "; ".join(f"{n} -> {outs.get(cid)}" for n, _, cid in done)
    return [json_out({"text": text, "calls": len(done)})] if a["output"] else [say(text)]


def _policy(a: dict[str, Any], handoff_tool: str | None):
    own = _own(a)

    def respond(req: Request) -> list[Any]:
        done = [c for c in req.function_calls if c[0] in own]
        at = 0
        for turn in a["script"]:
            if len(done) == at:
                out: list[Any] = [say(turn["say"])] if turn["say"] is not None else []
                out += [call(name, args) for name, args in turn["calls"]]
                if handoff_tool is not None:
                    out += [transfer(handoff_tool)] * turn["handoffs"]
                if out:
                    return out
            at += len(turn["calls"])
        return _final(a, req, done)

    return respond


def _no_emoji(ctx: Any, agent: Any, input: Any) -> Any:
    from agents import GuardrailFunctionOutput

    text = input if isinstance(input, str) else json.dumps(input, ensure_ascii=False)
    return GuardrailFunctionOutput(output_info={"length": len(text)}, tripwire_triggered="😀" in text)


async def _no_hash_brace(ctx: Any, agent: Any, output: Any) -> Any:
    from agents import GuardrailFunctionOutput

    text = output.text if isinstance(output, Answer) else str(output)
    return GuardrailFunctionOutput(output_info=None, tripwire_triggered="#{" in text)


def _behavior(a: dict[str, Any]) -> Any:
    from agents import StopAtTools

    b = a["behavior"]
    return "run_llm_again" if b is None else (b if isinstance(b, str) else StopAtTools(stop_at_tool_names=list(b)))


def build(spec: dict[str, Any]) -> Any:
    """The start agent of a spec's system (fresh objects on every call)."""
    from agents import Agent, ModelSettings, handoff, input_guardrail, output_guardrail
    from agents.extensions.handoff_filters import remove_all_tools

    built: dict[int, Any] = {}

    def agent(i: int) -> Any:
        if i in built:
            return built[i]
        a = spec["agents"][i]
        tools = [_function_tool(t) for t in a["tools"]]
        if a["agent_tool"]:
            nested = agent(a["agent_tool"]["agent"])
            tools.append(nested.as_tool(tool_name=a["agent_tool"]["name"],
                                        tool_description=f"Ask {nested.name}."))
        handoffs: list[Any] = []
        handoff_tool = None
        if a["handoff"] is not None:
            from agents import Handoff

            target = agent(a["handoff"])
            handoff_tool = Handoff.default_tool_name(target)
            handoffs = [handoff(target, input_filter=remove_all_tools) if a["handoff_filter"] else target]
        guards = a["guardrails"]
        built[i] = Agent(
            name=a["name"], instructions=f"You are {a['name']}.", tools=tools, handoffs=handoffs,
            output_type=Answer if a["output"] else None, handoff_description=f"{a['name']} takes over.",
            tool_use_behavior=_behavior(a), model_settings=ModelSettings(tool_choice=a["tool_choice"]),
            input_guardrails=[input_guardrail(_no_emoji, name="no_emoji", run_in_parallel=guards["input"] == "parallel")]
            if guards["input"] else [],
            output_guardrails=[output_guardrail(_no_hash_brace, name="no_hash_brace")] if guards["output"] else [],
            model=FakeModel(a["name"], [Rule("script", ALWAYS, _policy(a, handoff_tool))]))
        return built[i]

    return agent(0)


def install(spec: dict[str, Any]) -> Any:
    """Build the spec and make it the agent system ``REF`` names."""
    global current
    current = build(spec)
    return current


def parallel_agent_tools(spec: dict[str, Any]) -> bool:
    """Does some response of the spec call agent tools twice (concurrent nested runs)?"""
    return any(sum(1 for name, _ in turn["calls"] if a["agent_tool"] and name == a["agent_tool"]["name"]) > 1
               for a in spec["agents"] for turn in a["script"])


def case(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec as an oracle case (tests/openai_agents_oracle.py)."""
    return {"ref": REF, "input": spec["input"], "max_turns": spec["max_turns"]}


# ----------------------------------------------------------------------------- generating
FRAGMENTS = ["a", "b", " ", "${workflow.input}", "${x}", "$", "{}", "'", '"', "\\", "\n", "ü", "日本", "😀",
             "x'); throw 1; ('", "#{y}"]
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=4).map("".join)
NAMES = {"start": ["Alpha", "Front Desk", "Ünïcode agent"],
         "helper": ["Beta", "Billing & Co", "Beta ${x}"],
         "sub": ["Gamma", "Sub 'quoted'", "Σ researcher"]}
WORDS = ["lookup", "fmt", "count", "echo"]
SIGS = ["s", "sn", "async"]


def rarely(k: int) -> Any:
    """True about once in k draws."""
    return st.sampled_from([False] * (k - 1) + [True])


@st.composite
def _args(draw: Any, sig: str) -> dict[str, Any]:
    args: dict[str, Any] = {"x": draw(texts)}
    if sig == "sn":
        args["n"] = draw(st.integers(-5, 10**6))
    return args


@st.composite
def _script(draw: Any, a: dict[str, Any], can_hand_off: bool) -> list[dict[str, Any]]:
    script = []
    for _ in range(draw(st.integers(1 if a["role"] == "start" else 0, 3))):
        handoffs = draw(st.sampled_from([0, 0, 0, 1, 1, 2])) if can_hand_off else 0
        calls: list[tuple[str, dict[str, Any]]] = []
        agent_tools = 0
        for _ in range(draw(st.integers(0 if handoffs else 1, 3))):
            if a["agent_tool"] and draw(rarely(3 if agent_tools == 0 else 6)):
                agent_tools += 1
                calls.append((a["agent_tool"]["name"], {"input": draw(texts)}))
            else:
                t = draw(st.sampled_from(a["tools"]))
                calls.append((t["name"], draw(_args(t["sig"]))))
        script.append({"calls": calls, "handoffs": handoffs, "say": draw(st.none() | texts)})
        if handoffs:
            break  # the agent is not asked again
    return script


@st.composite
def specs(draw: Any) -> dict[str, Any]:
    helper = draw(st.booleans())
    # who uses an agent as a tool: nobody, start -> sub, helper -> sub, or start -> helper
    shapes = ["none", "start_sub"] + (["helper_sub", "start_helper"] if helper else [])
    shape = draw(st.sampled_from(shapes))
    roles = ["start"] + (["helper"] if helper else []) + (["sub"] if shape in ("start_sub", "helper_sub") else [])
    shared = draw(rarely(4))  # tool names shared between agents
    agents: list[dict[str, Any]] = []
    for i, role in enumerate(roles):
        prefix = "" if shared else "abc"[i] + "_"
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True))
        tools = [{"name": prefix + w, "sig": draw(st.sampled_from(SIGS)), "raises": draw(rarely(3))} for w in words]
        behavior = draw(st.sampled_from([None] * 6 + ["stop_on_first_tool", "stop_at"]))
        if behavior == "stop_at":
            behavior = [draw(st.sampled_from(tools))["name"]]
        agents.append({
            "name": draw(st.sampled_from(NAMES[role])), "role": role, "tools": tools,
            "output": draw(rarely(3)), "handoff": 1 if role == "start" and helper else None,
            "handoff_filter": role == "start" and helper and draw(rarely(4)), "agent_tool": None,
            "behavior": behavior, "tool_choice": "required" if draw(rarely(5)) else None,
            "guardrails": {"input": draw(st.sampled_from([None] * 4 + ["parallel", "blocking"])) if role == "start" else None,
                           "output": draw(rarely(5))},
        })
    owner, target = {"start_sub": (0, len(roles) - 1), "helper_sub": (1, 2), "start_helper": (0, 1)}.get(shape, (None, None))
    if owner is not None:
        agents[owner]["agent_tool"] = {"name": f"ask_{'abc'[target]}", "agent": target}
    for a in agents:
        a["script"] = draw(_script(a, a["handoff"] is not None))
    text = draw(texts)
    inp: Any = text if not draw(rarely(5)) else [{"role": "user", "content": text},
                                                  {"role": "user", "content": draw(texts)}]
    return {"input": inp, "max_turns": draw(st.integers(1, 4)) if draw(rarely(4)) else None,
            "agents": agents}
