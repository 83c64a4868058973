"""Synthetic LangGraph graphs and small timing helpers shared by the benchmarks.

Every node is a distinct closure made by a factory (``_make_*``), as in a real graph whose
nodes are built in a loop, so nothing can be deduplicated by function identity.

Shapes (``n`` is the exact number of nodes in the graph):

* ``chain``  -- ``n0 -> n1 -> ... -> n{n-1}``; one superstep per node.
* ``branch`` -- blocks of 4 nodes: ``r_k`` routes (``add_conditional_edges`` with a path_map
  ``{"left": a_k, "right": b_k}``) to one of two alternatives that re-join in ``j_k``;
  ``n % 4`` plain chain nodes at the end.
* ``ladder`` -- fan-out / fan-in rungs of 3 nodes: ``s_k`` fans out by plain edges to ``x_k`` and
  ``y_k``, which join in the next rung's ``s_{k+1}`` through a waiting edge
  ``add_edge([x_k, y_k], s_{k+1})``; ``n % 3`` plain chain nodes at the end. ``x_k``/``y_k`` run
  in the same superstep, so they only append to ``log`` (LogState only).

States:

* ``LogState``   -- ``counter: int`` (last value) + ``log: Annotated[list, operator.add]``; every
  node writes ``counter + 1`` and appends one int to ``log`` (so ``log`` grows to ``n`` ints).
* ``SmallState`` -- ``counter: int`` + ``last: str`` (both last value); every node writes
  ``counter + 1`` and its own name into ``last``. State stays two small scalars.
"""
from __future__ import annotations

import operator
import statistics
import time
from typing import Annotated, Any, Callable, TypedDict

from langgraph.graph import END, START, StateGraph


class LogState(TypedDict):
    counter: int
    log: Annotated[list, operator.add]


class SmallState(TypedDict):
    counter: int
    last: str


STATES = {"log": LogState, "small": SmallState}


def _make_node(i: int, state: str, counter: bool = True,
               probe: list[float] | None = None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """One node. ``probe``: a list the node appends ``time.perf_counter()`` to when it runs
    (one list append, ~0.1 us), so benchmarks can time the steady state between nodes."""
    if not counter:  # runs beside a sibling in one superstep: only the reducer key is safe
        def node(s: dict[str, Any]) -> dict[str, Any]:
            return {"log": [i]}
    elif probe is not None:
        clock, mark = time.perf_counter, probe.append
        if state == "log":
            def node(s: dict[str, Any]) -> dict[str, Any]:
                mark(clock())
                return {"counter": s["counter"] + 1, "log": [i]}
        else:
            name = f"n{i}"

            def node(s: dict[str, Any]) -> dict[str, Any]:
                mark(clock())
                return {"counter": s["counter"] + 1, "last": name}
    elif state == "log":
        def node(s: dict[str, Any]) -> dict[str, Any]:
            return {"counter": s["counter"] + 1, "log": [i]}
    else:
        name = f"n{i}"

        def node(s: dict[str, Any]) -> dict[str, Any]:
            return {"counter": s["counter"] + 1, "last": name}
    return node


def _make_router(k: int) -> Callable[[dict[str, Any]], str]:
    def route(s: dict[str, Any]) -> str:
        return "left" if (s["counter"] + k) % 2 == 0 else "right"
    route.__name__ = f"route_{k}"
    return route


def chain(n: int, state: str = "log", probe: list[float] | None = None) -> StateGraph:
    b = StateGraph(STATES[state])
    prev = START
    for i in range(n):
        name = f"n{i}"
        b.add_node(name, _make_node(i, state, probe=probe))
        b.add_edge(prev, name)
        prev = name
    b.add_edge(prev, END)
    return b


def branch(n: int, state: str = "log") -> StateGraph:
    b = StateGraph(STATES[state])
    prev = START
    idx = 0
    for k in range(n // 4):
        r, a, c, j = f"r{k}", f"a{k}", f"b{k}", f"j{k}"
        for name in (r, a, c, j):
            b.add_node(name, _make_node(idx, state))
            idx += 1
        b.add_edge(prev, r)
        b.add_conditional_edges(r, _make_router(k), {"left": a, "right": c})
        b.add_edge(a, j)
        b.add_edge(c, j)
        prev = j
    for i in range(n % 4):
        name = f"t{i}"
        b.add_node(name, _make_node(idx, state))
        idx += 1
        b.add_edge(prev, name)
        prev = name
    b.add_edge(prev, END)
    return b


def ladder(n: int, state: str = "log") -> StateGraph:
    if state != "log":
        raise ValueError("ladder needs the log reducer: x_k and y_k write in the same superstep")
    b = StateGraph(STATES[state])
    idx = 0
    rungs = n // 3
    prev: Any = START
    for k in range(rungs):
        s, x, y = f"s{k}", f"x{k}", f"y{k}"
        for name in (s, x, y):
            b.add_node(name, _make_node(idx, state, counter=name == s))
            idx += 1
        b.add_edge(prev, s)  # a list of sources is a waiting edge: fan-in
        b.add_edge(s, x)
        b.add_edge(s, y)  # fan-out
        prev = [x, y]
    for i in range(n % 3):
        name = f"t{i}"
        b.add_node(name, _make_node(idx, state))
        idx += 1
        b.add_edge(prev, name)
        prev = name
    for p in (prev if isinstance(prev, list) else [prev]):
        b.add_edge(p, END)
    return b


SHAPES = {"chain": chain, "branch": branch, "ladder": ladder}


def node_count(b: StateGraph) -> int:
    return len(b.nodes)


# ------------------------------------------------------------------ timing


def timeit(fn: Callable[[], Any], repeat: int, *, setup: Callable[[], Any] | None = None,
           warmup: int = 1) -> list[float]:
    """Wall times (seconds, ``time.perf_counter``) of ``repeat`` calls of ``fn`` after
    ``warmup`` untimed calls. ``setup`` runs untimed before every call; when given, ``fn``
    receives its result."""
    for _ in range(warmup):
        fn(setup()) if setup else fn()
    out = []
    for _ in range(repeat):
        arg = setup() if setup else None
        t0 = time.perf_counter()
        fn(arg) if setup else fn()
        out.append(time.perf_counter() - t0)
    return out


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def fmt_s(sec: float) -> str:
    """Human duration: s / ms / us."""
    if sec >= 1:
        return f"{sec:.3f} s"
    if sec >= 1e-3:
        return f"{sec * 1e3:.2f} ms"
    return f"{sec * 1e6:.1f} us"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def machine() -> str:
    import os
    import platform
    import sqlite3
    from importlib.metadata import version

    return (f"python {platform.python_version()} | nproc {os.cpu_count()} | "
            f"langgraph {version('langgraph')} | langgraph-checkpoint-sqlite "
            f"{version('langgraph-checkpoint-sqlite')} | sqlite {sqlite3.sqlite_version} | "
            f"{platform.system()} {platform.machine()}")


def repeats_for(n: int, quick: bool) -> int:
    """Timed calls per measurement for an n-node graph (fewer for big graphs, --quick)."""
    base = 40 if n <= 10 else 15 if n <= 100 else 7 if n <= 1000 else 3
    return max(3, base // 3) if quick else base


def phase_rows(phases_by_shape: dict[str, list[tuple[str, tuple[float, float]]]], shapes: list[str]) -> list[list[str]]:
    """Rows of a phase table: per phase, per shape, 'median (% of the total, the last
    phase) min'. ``phases_by_shape[shape]`` is ``[(label, (median, min)), ...]``."""
    labels = [label for label, _ in phases_by_shape[shapes[0]]]
    rows = []
    for i, label in enumerate(labels):
        cells = [label]
        for shape in shapes:
            (t, tmin), total = phases_by_shape[shape][i][1], phases_by_shape[shape][-1][1][0]
            cells.append(f"{fmt_s(t)} ({100 * t / total:.0f}%) min {fmt_s(tmin)}")
        rows.append(cells)
    return rows
