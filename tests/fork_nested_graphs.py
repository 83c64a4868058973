"""A subgraph inside a subgraph, for engine forks at a step two levels down
(tests/test_graph_fork_inner.py): ``mid`` (a subgraph node of the root) runs ``a``, then
``inner`` (a subgraph node of ``mid``) runs ``b`` and ``c``; the root ends with ``d``."""
import operator
from typing import Annotated, TypedDict

from langgraph.graph import START, StateGraph


class S(TypedDict, total=False):
    text: str
    log: Annotated[list[str], operator.add]


def _step(name):
    def step(s: S) -> dict:
        return {"text": s["text"] + name, "log": [name]}

    step.__name__ = name
    return step


a, b, c, d = (_step(n) for n in "abcd")

inner = StateGraph(S)
inner.add_node("b", b)
inner.add_node("c", c)
inner.add_edge(START, "b")
inner.add_edge("b", "c")

mid = StateGraph(S)
mid.add_node("a", a)
mid.add_node("inner", inner.compile())
mid.add_edge(START, "a")
mid.add_edge("a", "inner")

root = StateGraph(S)
root.add_node("mid", mid.compile())
root.add_node("d", d)
root.add_edge(START, "mid")
root.add_edge("mid", "d")
graph = root.compile()

INPUT = {"text": "", "log": []}
