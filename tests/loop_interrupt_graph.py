"""A loop whose node asks a human each iteration (tests/test_loop_answers.py): ``ask``
calls ``interrupt()`` and appends the answer; the loop runs four rounds, so a Conductor
``DO_WHILE`` (keepLastN 2) trims the first rounds' HUMAN tasks."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, StateGraph
from langgraph.types import interrupt


class S(TypedDict, total=False):
    rounds: int
    answers: Annotated[list[str], operator.add]


def ask(state: S) -> dict:
    answer = interrupt({"round": state.get("rounds", 0)})
    return {"answers": [str(answer)], "rounds": state.get("rounds", 0) + 1}


def more(state: S) -> str:
    return "ask" if state.get("rounds", 0) < 4 else END


b = StateGraph(S)
b.add_node("ask", ask)
b.set_entry_point("ask")
b.add_conditional_edges("ask", more, ["ask", END])
graph = b.compile()
