"""Small graphs for targeted Pregel-semantics tests (test-only, not user fixtures)."""
import operator
from typing import Annotated, TypedDict

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.message import add_messages, push_message
from langgraph.runtime import Runtime
from langgraph.types import Command, RetryPolicy, Send, interrupt
from pydantic import BaseModel

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


# ------------------------------------------------ graphs that every engine must run as LangGraph does
# (tests/test_semantics.py runs each natively, locally, on the Conductor simulation and on Temporal)

class X(TypedDict, total=False):
    x: int
    log: Annotated[list, operator.add]


# a waiting edge into END: LangGraph attaches nothing for it
_b = StateGraph(X)
for _n in ("a", "b", "c"):
    _b.add_node(_n, _mk(_n))
_b.add_edge(START, "a")
_b.add_edge(START, "b")
_b.add_edge("a", "c")
_b.add_edge(["a", "b"], END)
join_into_end = _b.compile()


# input keys the state does not declare, and node return keys that are not state keys: START's
# router and a node's router both see them (LangGraph's branch passthrough); a router with its
# own input schema does not
def route_start(s):
    return "judge" if s.get("mode") == "judge" else "other"


def judge(s):
    return {"x": s["x"] + 1, "verdict": "retry" if s["x"] < 2 else "done"}


def route_verdict(s):
    return "judge" if s["verdict"] == "retry" else "tally"


def route_typed(s: X):
    return "tally" if "verdict" not in s else END


_b = StateGraph(X)
_b.add_node("judge", judge)
_b.add_node("other", _mk("other"))
_b.add_node("tally", lambda s: {"log": [f"tally:{s['x']}"]})
_b.add_conditional_edges(START, route_start, ["judge", "other"])
_b.add_conditional_edges("judge", route_verdict, ["judge", "tally"])
_b.add_conditional_edges("judge", route_typed, ["tally", END])
extra_keys = _b.compile()


# a RetryPolicy node that reads its attempt number from the runtime (LangGraph docs' example)
def flaky(state, runtime: Runtime):
    info = runtime.execution_info
    CALLS.append(info.node_attempt)
    if info.node_attempt < 3:
        raise ConnectionError(f"attempt {info.node_attempt}")
    first = info.node_first_attempt_time
    return {"log": [f"attempt={info.node_attempt}", f"timed={isinstance(first, float)}"]}


_b = StateGraph(X)
_b.add_node("flaky", flaky, retry_policy=RetryPolicy(max_attempts=4, initial_interval=0.001, jitter=False))
_b.add_edge(START, "flaky")
attempts = _b.compile()


# push_message inside a node, with a pydantic MessagesState-style state
class PMessages(BaseModel):
    messages: Annotated[list[AnyMessage], add_messages]
    turns: int = 0


def pushing(state: PMessages):
    push_message(AIMessage(content="pushed first", id="pushed-1"))
    kinds = ",".join(type(m).__name__ for m in state.messages)
    return {"messages": [AIMessage(content=f"saw {kinds}", id="reply-1")], "turns": state.turns + 1}


def route_turns(state: PMessages):
    return "pushing" if state.turns < 2 else END


_b = StateGraph(PMessages)
_b.add_node("pushing", pushing)
_b.add_edge(START, "pushing")
_b.add_conditional_edges("pushing", route_turns, ["pushing", END])
pydantic_push = _b.compile()


# graphs whose state is one bare value (LangGraph's "__root__" channel)
def chat(messages):
    return [AIMessage(content=f"reply to {len(messages)}", id=f"r{len(messages)}")]


def route_chat(messages):
    return "chat" if len(messages) < 4 else END


_b = StateGraph(Annotated[list, add_messages])
_b.add_node("chat", chat)
_b.add_edge(START, "chat")
_b.add_conditional_edges("chat", route_chat, ["chat", END])
root_messages = _b.compile()

_b = StateGraph(str)
_b.add_node("shout", lambda s: s.upper() + "!")
_b.add_node("keep", lambda s: None)  # None writes nothing
_b.add_conditional_edges(START, lambda s: "shout" if s.islower() else "keep", ["shout", "keep"])
root_text = _b.compile()

_b = StateGraph(Annotated[list, operator.add])
_b.add_node("left", lambda s: [f"left saw {len(s)}"])
_b.add_node("right", lambda s: Command(update=[f"right saw {len(s)}"]))
_b.add_edge(START, "left")
_b.add_edge(START, "right")
root_fanout = _b.compile()


# a router returning a list of targets: any subset may run next (the plan enumerates them)
def fanout(n):
    names = [f"t{i}" for i in range(n)]

    def pick_all(s):
        return [t for t in names if t != "t1"]

    b = StateGraph(X)
    b.add_node("src", _mk("src"))
    for t in names:
        b.add_node(t, _mk(t))
        b.add_edge(t, "sink")
    b.add_node("sink", _mk("sink"))
    b.add_edge(START, "src")
    b.add_conditional_edges("src", pick_all, names)
    return b.compile()


fanout6 = fanout(6)
fanout7 = fanout(7)
