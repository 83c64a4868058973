"""Graphs that a node invokes itself (``child.invoke(...)`` inside the node function), with
the child compiled without a checkpointer (it borrows the parent's), with
``checkpointer=True`` (one history per thread) and with ``checkpointer=False`` (stateless).
Test-only; every graph is module level so Conductor/Temporal workers can import it."""
import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

CALLS: list = []
MODES = {"borrowed": None, "per_thread": True, "stateless": False}


class S(TypedDict, total=False):
    log: Annotated[list, operator.add]
    n: int


def _child(nodes, cp):
    b = StateGraph(S)
    prev = START
    for f in nodes:
        b.add_node(f.__name__, f)
        b.add_edge(prev, f.__name__)
        prev = f.__name__
    return b.compile(checkpointer=cp)


# --- Command(graph=Command.PARENT) from the invoked child reaches the calling node's graph
def jump(s):
    CALLS.append("jump")
    return Command(graph=Command.PARENT, goto="post", update={"log": ["jumped"]})


def _jumping_parent(cp):
    child = _child([jump], cp)

    def call(s):
        CALLS.append("call")
        child.invoke({"log": ["in"]})
        return {"log": ["never"]}

    b = StateGraph(S)
    # the child's Command names 'post': declared on the calling node, as for any Command
    # goto a compiled plan must foresee (docs/langgraph.md)
    b.add_node("call", call, destinations=("post",))
    b.add_node("post", lambda s: {"log": ["post"]})
    b.add_node("other", lambda s: {"log": ["other"]})
    b.add_edge(START, "call")
    b.add_edge("call", "other")
    return b.compile()


# --- interrupt() inside the invoked child: pause, then resume where LangGraph resumes
def c1(s):
    CALLS.append("c1")
    return {"log": ["c1"]}


def c2(s):
    CALLS.append("c2")
    return {"log": [f"c2:{interrupt('ok?')}"]}


def _asking_parent(cp):
    child = _child([c1, c2], cp)

    def call(s):
        CALLS.append("call")
        out = child.invoke({"log": ["in"]})
        return {"log": ["got:" + ",".join(out["log"])]}

    def post(s):
        CALLS.append("post")
        return {"log": ["post"]}

    b = StateGraph(S)
    b.add_node("call", call)
    b.add_node("post", post)
    b.add_edge(START, "call")
    b.add_edge("call", "post")
    return b.compile()


# --- the child's state across the parent's loop iterations (kept per thread only with
# checkpointer=True)
def acc(s):
    return {"log": [f"acc{len(s['log'])}"]}


def _looping_parent(cp):
    child = _child([acc], cp)

    def call(s):
        out = child.invoke({"log": ["x"]})
        return {"log": ["/".join(out["log"])], "n": s.get("n", 0) + 1}

    def again(s) -> str:
        return "call" if s["n"] < 3 else END

    b = StateGraph(S)
    b.add_node("call", call)
    b.add_edge(START, "call")
    b.add_conditional_edges("call", again, ["call", END])
    return b.compile()


jumping_borrowed, jumping_per_thread, jumping_stateless = (_jumping_parent(cp) for cp in MODES.values())
asking_borrowed, asking_per_thread, asking_stateless = (_asking_parent(cp) for cp in MODES.values())
looping_borrowed, looping_per_thread, looping_stateless = (_looping_parent(cp) for cp in MODES.values())


def graph(kind: str, mode: str):
    return globals()[f"{kind}_{mode}"]
