"""LangGraph loops whose list channels change in the ways a chain must tell apart
(semantics/channel_chains.py): a conversation that grows through ``add_messages``, one
whose node mutates an earlier item in place while appending, and one that replaces and
removes messages by id. Module-level graphs so workers find them by REF."""
from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages


class Chat(TypedDict):
    messages: Annotated[list, add_messages]
    turns: int
    size: int


def _page(n: int, size: int) -> str:
    return (f"page {n} " + "abcdefghij" * (size // 10 + 1))[:size]


def _tool(state: Chat) -> dict:
    call = state["messages"][-1].tool_calls[0]
    return {"messages": [ToolMessage(_page(call["args"]["n"], state["size"]), tool_call_id=call["id"],
                                     id=f"t{call['args']['n']}")]}


def _rewriting_tool(state: Chat) -> dict:
    """Appends its output, but every third page also replaces the first message (same id)
    and removes the oldest tool output: the list is then no extension of the previous one."""
    out = _tool(state)
    n = state["messages"][-1].tool_calls[0]["args"]["n"]
    if n % 3 == 0:
        out["messages"] = [HumanMessage(f"rewritten at {n}", id=state["messages"][0].id),
                           RemoveMessage(id=f"t{n - 2}"), *out["messages"]]
    return out


def _chat(model_fn, tool_fn=_tool):
    def route(state: Chat) -> str:
        return "tool" if state["messages"][-1].tool_calls else END

    g = StateGraph(Chat)
    g.add_node("model", model_fn)
    g.add_node("tool", tool_fn)
    g.add_edge(START, "model")
    g.add_conditional_edges("model", route, ["tool", END])
    g.add_edge("tool", "model")
    return g.compile()


def _tools_read(state: Chat) -> int:
    return max((int(m.id[1:]) for m in state["messages"] if isinstance(m, ToolMessage)), default=0)


def _ask(n: int) -> AIMessage:
    return AIMessage("", id=f"a{n}", tool_calls=[{"name": "read", "args": {"n": n}, "id": f"c{n}"}])


def _grow(state: Chat) -> dict:
    n = _tools_read(state)
    if n < state["turns"]:
        return {"messages": [_ask(n + 1)]}
    return {"messages": [AIMessage(f"read {n} pages, {sum(len(m.content) for m in state['messages'])} chars",
                                   id="final")]}


def _mutate(state: Chat) -> dict:
    """Counts its visits in the first message's metadata, in place (which graph.invoke
    keeps), and appends as ``_grow`` does."""
    first = state["messages"][0]
    first.additional_kwargs["visits"] = first.additional_kwargs.get("visits", 0) + 1
    return _grow(state)


growing_chat = _chat(_grow)
mutating_chat = _chat(_mutate)
rewriting_chat = _chat(_grow, _rewriting_tool)


class Plain(TypedDict):
    items: Annotated[list, operator.add]
    n: int


def _step(state: Plain) -> dict:
    return {"items": [f"item {len(state['items'])} " + "x" * 3000]}


def _more(state: Plain) -> str:
    return "step" if len(state["items"]) < state["n"] else END


_g = StateGraph(Plain)
_g.add_node("step", _step)
_g.add_edge(START, "step")
_g.add_conditional_edges("step", _more, ["step", END])
plain_loop = _g.compile()
"""One node appending to an ``operator.add`` list: more supersteps than ``CHAIN_MAX``
with one task each."""
