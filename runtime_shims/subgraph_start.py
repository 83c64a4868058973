"""A subgraph's START step, shown in an engine's history as the local history shows it
(docs/replay.md "Subgraphs").

The local executor journals a subgraph's START as a task of its own (``__start__``, the
writes its input made, at step 0 under the subgraph's namespace). On an engine, a child
workflow has no START task: its first step computes START itself (``steps._started``,
called from ``_enter`` when the step's only input is the run's). So that step returns the
START writes too (``KEY``: ``[[task key, node name, encoded writes], ...]``) and the
history readers (``targets/step_history.py``) list them as the ``__start__`` node event
before the child's first node step, once per child (several first-superstep tasks each
compute the same START: ``first_only`` keeps the first).

Only the step's own level counts: a subgraph's first step also rebuilds its parent's frame,
which may run the parent's START — that one is the parent's first step's to show. The root
graph's START stays the ``input`` event.
"""

from __future__ import annotations

from typing import Any

KEY = "start_writes"
"""Output key of a subgraph's step that ran its level's START (``steps._started``)."""
LEVEL = "level"
"""The ``ctx`` key of the step's own level path (``steps.StepWorker.execute``)."""
SHOWN_BY = ("node", "barrier", "start")
"""The step kinds whose output lists them: an END step's output is its parent's task."""


def record(ctx: dict[str, Any], path: tuple[str, ...], tasks: list[Any], writes: dict) -> None:
    """START ran for level ``path`` with ``writes`` (task key → writes): keep them in ``ctx``
    when ``path`` is a subgraph's and the step's own level."""
    if not path or ctx.get(LEVEL) != path:
        return
    from agentc.semantics.pregel import encode_writes

    ctx[KEY] = [[t.key, t.name, encode_writes(writes[t.key])] for t in tasks]


def attach(ctx: dict[str, Any], kind: str, output: Any) -> Any:
    """The step's ``output`` with the START writes ``record`` kept (for ``SHOWN_BY`` steps)."""
    if ctx.get(KEY) and kind in SHOWN_BY and isinstance(output, dict):
        output[KEY] = ctx[KEY]
    return output


def first_only(events: list[Any]) -> list[Any]:
    """A child's events with each START event once (the first step that showed it)."""
    seen: set[str] = set()
    out = []
    for e in events:
        if e.kind == "node" and e.name == "__start__" and e.step == 0:
            if e.key in seen:
                continue
            seen.add(e.key)
        out.append(e)
    return out
