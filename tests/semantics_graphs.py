"""Small graphs for targeted Pregel-semantics tests (test-only, not user fixtures)."""
import operator
from typing import Annotated, TypedDict

from langchain_core.messages import AIMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import Command, RetryPolicy, Send, interrupt

FAIL = {"boom": True}
CALLS: list = []


class S(TypedDict, total=False):
    log: Annotated[list, operator.add]
    last: str
    n: int


def _mk(name, write_last=False):
    def f(state):
        CALLS.append(name)
        out = {"log": [name]}
        if write_last:
            out["last"] = name
        return out
    f.__name__ = f.__qualname__ = name
    return f


def loop_graph(k):
    def loop(s):
        return {"n": s.get("n", 0) + 1}

    def route(s):
        return "loop" if s["n"] < k else END

    b = StateGraph(S)
    b.add_node("loop", loop)
    b.add_edge(START, "loop")
    b.add_conditional_edges("loop", route)
    return b.compile()


# two writers of a plain key in one superstep
_b = StateGraph(S)
_b.add_node("p", _mk("p", True))
_b.add_node("q", _mk("q", True))
_b.add_edge(START, "p")
_b.add_edge(START, "q")
double_write = _b.compile()


# LG-17: a failing node next to successful siblings; resume after the fix re-runs only it
def boom(state):
    CALLS.append("boom")
    if FAIL["boom"]:
        raise RuntimeError("boom")
    return {"log": ["boom-fixed"]}


_b = StateGraph(S)
for _f in (_mk("slow_ok"), _mk("fast_ok"), boom):
    _b.add_node(_f.__name__, _f)
    _b.add_edge(START, _f.__name__)
failing = _b.compile()


# retries exhausted
def always_fails(state):
    CALLS.append("always_fails")
    raise ConnectionError("down")


_b = StateGraph(S)
_b.add_node("always_fails", always_fails, retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.001, jitter=False))
_b.add_edge(START, "always_fails")
exhausted = _b.compile()


# LG-15: Send and a PULL edge to the same node in one step run twice
def src(s):
    return Command(goto=[Send("t", {"log": ["SENT-ARG"]}), "t"], update={"log": ["src"]})


def t(s):
    return {"log": [f"t(input.log={s['log']})"]}


_b = StateGraph(S)
_b.add_node("src", src)
_b.add_node("t", t)
_b.add_edge(START, "src")
send_and_pull = _b.compile()


# LG-16: a join whose other source never runs never fires; a join in a loop resets
_b = StateGraph(S)
for _n in ("a", "b", "c", "d"):
    _b.add_node(_n, _mk(_n))
_b.add_edge(START, "a")
_b.add_conditional_edges("a", lambda s: ["b"], ["b", "c"])
_b.add_edge(["b", "c"], "d")
join_never = _b.compile()

_b = StateGraph(S)
_b.add_node("a", lambda s: {"n": s.get("n", 0) + 1, "log": ["a"]})
_b.add_node("b", _mk("b"))
_b.add_node("c", _mk("c"))
_b.add_node("j", _mk("j"))
_b.add_edge(START, "a")
_b.add_edge("a", "b")
_b.add_edge("a", "c")
_b.add_edge(["b", "c"], "j")
_b.add_conditional_edges("j", lambda s: "a" if s["n"] < 2 else END)
join_loop = _b.compile()


# interrupt inside a subgraph used as a node: only the inner node re-runs
def s1(s):
    CALLS.append("s1")
    return {"log": ["s1"]}


def s2(s):
    CALLS.append("s2")
    return {"log": [f"s2:{interrupt('ok?')}"]}


_sb = StateGraph(S)
_sb.add_node("s1", s1)
_sb.add_node("s2", s2)
_sb.add_edge(START, "s1")
_sb.add_edge("s1", "s2")
_inner = _sb.compile()


def pre(s):
    CALLS.append("pre")
    return {"log": ["pre"]}


_b = StateGraph(S)
_b.add_node("pre", pre)
_b.add_node("child", _inner)
_b.add_edge(START, "pre")
_b.add_edge("pre", "child")
subgraph_interrupt = _b.compile()


# message ids: add_messages gives uuid4 ids at the barrier; they must be journaled
def speak(state):
    return {"messages": [AIMessage(content="hello")]}


def confirm(state):
    return {"messages": [AIMessage(content=f"ok:{interrupt('confirm?')}")]}


_b = StateGraph(MessagesState)
_b.add_node("speak", speak)
_b.add_node("confirm", confirm)
_b.add_edge(START, "speak")
_b.add_edge("speak", "confirm")
message_ids = _b.compile()
