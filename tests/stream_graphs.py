"""Graphs for tests/test_graph_stream.py: one whose second node waits until the stream's
consumer has seen the first node's chunk (chunks come out while the run runs), one that
counts every call of its nodes (the stream's follower calls none of them), one whose node
fails (the stream ends with the run's error)."""
from __future__ import annotations

import operator
import threading
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph

SEEN = threading.Event()
WAITED: list[bool] = []
CALLS: list[str] = []


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def first(state: State) -> dict:
    CALLS.append("first")
    return {"log": ["first"]}


def wait_for_consumer(state: State) -> dict:
    WAITED.append(SEEN.wait(60))
    return {"log": ["second"]}


def second(state: State) -> dict:
    CALLS.append("second")
    return {"log": ["second"]}


def boom(state: State) -> dict:
    raise RuntimeError("boom")


def _line(*nodes) -> object:
    b = StateGraph(State)
    prev = START
    for name, fn in nodes:
        b.add_node(name, fn)
        b.add_edge(prev, name)
        prev = name
    b.add_edge(prev, END)
    return b.compile()


waiter = _line(("first", first), ("second", wait_for_consumer))
counted = _line(("first", first), ("second", second))
failing = _line(("first", first), ("boom", boom))


# ---------------------------------------------------------------- custom / messages modes
from langchain_core.language_models.chat_models import BaseChatModel  # noqa: E402
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402
from langgraph.config import get_stream_writer  # noqa: E402
from langgraph.graph.message import add_messages  # noqa: E402
from langgraph.types import StreamWriter  # noqa: E402


class EchoModel(BaseChatModel):
    """A deterministic chat model that does not stream tokens (no ``_stream``)."""

    @property
    def _llm_type(self) -> str:
        return "echo-fake"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=f"echo {len(messages)}"))])


MODEL = EchoModel()


class ChatState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    log: Annotated[list[str], operator.add]


def _inner(state: ChatState) -> dict:
    get_stream_writer()({"inner": "hidden without subgraphs=True"})
    MODEL.invoke([HumanMessage("inside a subgraph")])
    return {"log": ["inner"]}


_sub = StateGraph(ChatState)
_sub.add_node("inner", _inner)
_sub.add_edge(START, "inner")


def planner(state: ChatState, writer: StreamWriter) -> dict:
    writer({"progress": "planning"})
    writer("half way")
    reply = MODEL.invoke(state["messages"])
    # the tool message has an id: an unnamed one gets a random id from add_messages, and the
    # local journal may hold the writes before or after that (the last task's writes)
    tool = ToolMessage("tool said hi", tool_call_id="t1", id="tool-1")
    return {"messages": [reply, tool], "log": ["planner"]}


def checker(state: ChatState) -> dict:
    get_stream_writer()({"progress": "checking"})
    return {"log": ["checker"]}


def writer_node(state: ChatState) -> dict:
    get_stream_writer()(["done", len(state["messages"])])
    first = MODEL.invoke(state["messages"][:1])
    second = MODEL.with_config(tags=["draft"]).invoke(state["messages"])
    hidden = MODEL.with_config(tags=["nostream"]).invoke(state["messages"][:1])
    return {"messages": [first, second, hidden, AIMessage("a hand-written reply")]}


_b = StateGraph(ChatState)
_b.add_node("planner", planner)
_b.add_node("checker", checker)
_b.add_node("sub", _sub.compile())
_b.add_node("writer", writer_node)
_b.add_edge(START, "planner")
_b.add_edge(START, "checker")
_b.add_edge("planner", "sub")
_b.add_edge("checker", "sub")
_b.add_edge("sub", "writer")
_b.add_edge("writer", END)
chatty = _b.compile()
CHATTY_INPUT = {"messages": [{"role": "user", "content": "hello"}], "log": []}

ATTEMPTS: list[int] = []


def _flaky(state: State) -> dict:
    ATTEMPTS.append(1)
    get_stream_writer()({"attempt": len(ATTEMPTS)})
    if len(ATTEMPTS) == 1:
        raise ValueError("first attempt fails")
    return {"log": ["ok"]}


def _flaky_graph() -> object:
    from langgraph.types import RetryPolicy

    b = StateGraph(State)
    b.add_node("flaky", _flaky, retry_policy=RetryPolicy(max_attempts=2, initial_interval=0.01, jitter=False, retry_on=ValueError))
    b.add_edge(START, "flaky")
    b.add_edge("flaky", END)
    return b.compile()


flaky_writer = _flaky_graph()


# ---------------------------------------------------------------- subgraphs=True
def _leaf(state: State) -> dict:
    return {"log": ["leaf"]}


def _nested() -> object:
    inner = StateGraph(State)
    inner.add_node("leaf", _leaf)
    inner.add_edge(START, "leaf")
    middle = StateGraph(State)
    middle.add_node("inner", inner.compile())
    middle.add_edge(START, "inner")
    outer = StateGraph(State)
    outer.add_node("middle", middle.compile())
    outer.add_edge(START, "middle")
    return outer.compile()


nested_subgraphs = _nested()
"""A subgraph node inside a subgraph: ``subgraphs=True`` follows one level (refused)."""


def _ask(state: State) -> dict:
    from langgraph.types import interrupt

    return {"log": [interrupt("go on?")]}


def _paused() -> object:
    inner = StateGraph(State)
    inner.add_node("leaf", _leaf)
    inner.add_node("ask", _ask)
    inner.add_edge(START, "leaf")
    inner.add_edge("leaf", "ask")
    outer = StateGraph(State)
    outer.add_node("first", _leaf)
    outer.add_node("sub", inner.compile())
    outer.add_edge(START, "first")
    outer.add_edge("first", "sub")
    return outer.compile()


paused_subgraph = _paused()
"""A subgraph whose second node pauses (``interrupt()``)."""


# ---------------------------------------------------------------- a chat model streaming tokens
class TokenModel(EchoModel):
    """EchoModel with ``_stream``: under graph.stream(stream_mode="messages") LangGraph streams
    it token by token."""

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.messages import AIMessageChunk
        from langchain_core.outputs import ChatGenerationChunk

        for word in ["echo", " ", str(len(messages))]:
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=word))
            if run_manager is not None:
                run_manager.on_llm_new_token(word, chunk=chunk)
            yield chunk


TOKENS = TokenModel()


def _talk(state: ChatState) -> dict:
    return {"messages": [TOKENS.invoke(state["messages"])]}


def _talker() -> object:
    b = StateGraph(ChatState)
    b.add_node("talk", _talk)
    b.add_edge(START, "talk")
    return b.compile()


talker = _talker()


def _invoker() -> object:
    inner = StateGraph(State)
    inner.add_node("leaf", _leaf)
    inner.add_edge(START, "leaf")
    compiled = inner.compile()

    def call_inner(state: State) -> dict:
        return {"log": compiled.invoke({"log": []})["log"]}

    outer = StateGraph(State)
    outer.add_node("call_inner", call_inner)
    outer.add_edge(START, "call_inner")
    return outer.compile()


invoker = _invoker()
"""A node that invokes a compiled graph: subgraphs=True would stream its steps (refused)."""


def _fan() -> object:
    from langgraph.types import Send

    inner = StateGraph(State)
    inner.add_node("leaf", _leaf)
    inner.add_edge(START, "leaf")
    outer = StateGraph(State)
    outer.add_node("sub", inner.compile())
    outer.add_conditional_edges(START, lambda s: [Send("sub", {"log": []}), Send("sub", {"log": []})], ["sub"])
    return outer.compile()


sent_subgraphs = _fan()
"""Two Sends to one subgraph node in a superstep."""
