"""A subgraph that pauses at ``interrupt()``, for engine forks past an answered pause inside
a subgraph (tests/test_graph_fork_subgraph_pauses.py): the root runs ``pre``, then ``child``
(a subgraph node: ``s1``, then ``ask``, which asks ``ok?`` — and, when ``extra`` is set, also
``sure?`` — then ``s3``), then ``post``."""
import operator
from typing import Annotated, TypedDict

from langgraph.graph import START, StateGraph
from langgraph.types import interrupt


class S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    extra: bool


def pre(s: S) -> dict:
    return {"log": ["pre"]}


def s1(s: S) -> dict:
    return {"log": ["s1"]}


def ask(s: S) -> dict:
    said = [interrupt("ok?")]
    if s.get("extra"):
        said.append(interrupt("sure?"))
    return {"log": [f"ask:{'/'.join(map(str, said))}"]}


def s3(s: S) -> dict:
    return {"log": ["s3"]}


def post(s: S) -> dict:
    return {"log": ["post"]}


_child = StateGraph(S)
_child.add_node("s1", s1)
_child.add_node("ask", ask)
_child.add_node("s3", s3)
_child.add_edge(START, "s1")
_child.add_edge("s1", "ask")
_child.add_edge("ask", "s3")
child = _child.compile()

_root = StateGraph(S)
_root.add_node("pre", pre)
_root.add_node("child", child)
_root.add_node("post", post)
_root.add_edge(START, "pre")
_root.add_edge("pre", "child")
_root.add_edge("child", "post")
graph = _root.compile()

REF = "fork_subgraph_pause:graph"
INPUT = {"log": []}
ANSWER = "yes"
