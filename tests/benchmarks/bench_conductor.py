"""Conductor target: compile time vs LangGraph's ``builder.compile()``, and tasks per node.

1. Compile time, on the same uncompiled ``StateGraph`` builder, same process, same machine
   (shapes of ``_graphs.py``, LogState):

   * ``agentc.compile(builder, target="conductor")`` -- the full compile: reads the graph
     (``agentc.load``), lowers it (``lower_workflow``) and serializes the WorkflowDef /
     TaskDef / manifest JSON files. **Goal: median full compile / median
     ``builder.compile()`` <= 1.0** (the "full / LG" column).
   * ``lower_workflow(wf)`` alone, on ``wf = agentc.load(builder)`` loaded once beforehand
     (for information: how much of the full compile is the lowering itself).

   Timing as in ``bench_compile.py``: one untimed warm-up call, then N calls timed with
   ``time.perf_counter``; ``gc.collect()`` runs untimed before every timed call (gc stays
   enabled). A second table splits the full compile at the largest size into phases.

2. Tasks emitted per graph node: every WorkflowTask of every emitted WorkflowDef, counted
   recursively through ``decisionCases``, ``defaultCase``, ``forkTasks`` and ``loopOver``,
   divided by the number of graph nodes at every level (a subgraph node counts once, plus
   each node of its inner graph, recursively). For every fixture in
   ``fixtures/langgraph/cases.json`` (REF ``agentc.fixtures.langgraph.<name>:graph``) and for
   the synthetic shapes. Broken down by task type: SIMPLE node tasks, agentc's own worker
   tasks (``<wf>-_start``, ``<wf>-_barrier``, ``<wf>-_end``) and the control tasks
   (SWITCH, DO_WHILE, FORK_JOIN, JOIN, FORK_JOIN_DYNAMIC, HUMAN, INLINE, SUB_WORKFLOW).
   **Goal: tasks/node <= 1.5** (PASS/MISS per row, and for the median and max over fixtures).

    python tests/benchmarks/bench_conductor.py            # 10 / 100 / 1,000 nodes
    python tests/benchmarks/bench_conductor.py --quick    # 10 / 100 nodes, fewer repeats
    python tests/benchmarks/bench_conductor.py --sizes 10 100 1000 2000
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _graphs as G

GOAL_COMPILE = 1.0
GOAL_TASKS = 1.5
CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "langgraph", "cases.json")

# Columns of the task breakdown, in this order; any other task type gets its own column after them.
SPECIAL = ("_start", "_barrier", "_end")
CONTROL = ("SWITCH", "DO_WHILE", "FORK_JOIN", "JOIN", "FORK_JOIN_DYNAMIC", "HUMAN", "INLINE", "SUB_WORKFLOW")


# ------------------------------------------------------------------ counting


def walk(tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every WorkflowTask in ``tasks``, nested ones included."""
    for t in tasks:
        yield t
        for key in ("loopOver", "defaultCase"):
            yield from walk(t.get(key) or [])
        for body in (t.get("decisionCases") or {}).values():
            yield from walk(body)
        for branch in t.get("forkTasks") or []:
            yield from walk(branch)


def category(task: dict[str, Any]) -> str:
    if task["type"] == "SIMPLE":
        for kind in SPECIAL:
            if task["name"].endswith("-" + kind):
                return kind
        return "node"
    return task["type"]


def graph_nodes(graph: Any) -> int:
    """Nodes at every level: a subgraph node counts once, plus its inner graph's nodes."""
    from agentc.ir import SubgraphNode

    return sum(1 + (graph_nodes(n.graph) if isinstance(n, SubgraphNode) else 0) for n in graph.nodes)


def count_tasks(wf: Any) -> dict[str, Any]:
    from agentc.targets.conductor.lowering import lower_workflow

    res = lower_workflow(wf)
    cats: Counter[str] = Counter()
    for d in res.workflows.values():
        for t in walk(d["tasks"]):
            cats[category(t)] += 1
    nodes = graph_nodes(wf.graph)
    total = sum(cats.values())
    return {"nodes": nodes, "workflows": len(res.workflows), "tasks": total, "per_node": total / nodes,
            "cats": cats}


def breakdown_rows(label: str, r: dict[str, Any], extra_cols: list[str]) -> list[str]:
    c = r["cats"]
    cols = ["node", *SPECIAL, *CONTROL, *extra_cols]
    return [label, str(r["nodes"]), str(r["workflows"]), str(r["tasks"]), f"{r['per_node']:.2f}",
            "PASS" if r["per_node"] <= GOAL_TASKS else "MISS", *(str(c.get(k, 0) or ".") for k in cols)]


def breakdown_headers(extra_cols: list[str]) -> list[str]:
    return ["graph", "nodes", "wf defs", "tasks", "tasks/node", f"<= {GOAL_TASKS}", "node SIMPLE",
            "_start", "_barrier", "_end", "SWITCH", "DO_WHILE", "FORK_JOIN", "JOIN", "FJ_DYNAMIC",
            "HUMAN", "INLINE", "SUB_WF", *extra_cols]


# ------------------------------------------------------------------ timing


def measure(shape: str, n: int, reps: int) -> dict[str, Any]:
    import agentc
    from agentc.targets.conductor.lowering import lower_workflow

    builder = G.SHAPES[shape](n)
    assert G.node_count(builder) == n, (shape, n, G.node_count(builder))
    art = agentc.compile(builder, target="conductor")
    assert "taskdefs.json" in art.files and any(f.endswith(".workflow.json") for f in art.files)
    wf = agentc.load(builder)
    assert len(wf.graph.nodes) == n
    collect = gc.collect
    lg = G.timeit(lambda _: builder.compile(), reps, setup=collect)
    full = G.timeit(lambda _: agentc.compile(builder, target="conductor"), reps, setup=collect)
    low = G.timeit(lambda _: lower_workflow(wf), reps, setup=collect)
    return {"shape": shape, "n": n, "reps": reps, "lg": lg, "full": full, "low": low}


def phases(shape: str, n: int, reps: int) -> list[tuple[str, tuple[float, float]]]:
    """Phases of agentc.compile(builder, target="conductor"), each timed on its own."""
    import agentc
    from agentc.plan.schedule import build
    from agentc.plan.structure import structure
    from agentc.targets.conductor import _dump
    from agentc.targets.conductor.lowering import lower_workflow

    try:  # the plan id moved from the conductor lowering to the engine-neutral layout
        from agentc.plan.layout import plan_id
    except ImportError:
        from agentc.targets.conductor.lowering import plan_id  # type: ignore[no-redef]

    builder = G.SHAPES[shape](n)
    wf = agentc.load(builder)
    sched = build(wf.graph)
    res = lower_workflow(wf)
    taskdefs = [res.task_defs[k] for k in sorted(res.task_defs)]

    def dump_files() -> None:  # what conductor.lower serializes (the small manifest left out)
        for d in res.workflows.values():
            _dump(d)
        _dump(taskdefs)
    collect = gc.collect

    def med(fn: Any) -> tuple[float, float]:
        ts = G.timeit(lambda _: fn(), reps, setup=collect)
        return G.median(ts), min(ts)

    total = med(lambda: agentc.compile(builder, target="conductor"))
    load = med(lambda: agentc.load(builder))
    lower = med(lambda: lower_workflow(wf))
    pid = med(lambda: plan_id(wf))
    sch = med(lambda: build(wf.graph))
    stc = med(lambda: structure(sched))
    js = med(dump_files)
    return [
        ("agentc.load (builder -> IR)", load),
        ("lower_workflow (IR -> WorkflowDef dicts)", lower),
        ("  of which plan_id (IR JSON + sha256)", pid),
        ("  of which plan.schedule.build (root level)", sch),
        ("  of which plan.structure.structure (root level)", stc),
        ("  of which the rest (task dicts, refs, fixups)",
         tuple(max(0.0, lower[i] - pid[i] - sch[i] - stc[i]) for i in (0, 1))),
        ("JSON text of the workflow + taskdefs files", js),
        ("agentc.compile(builder, target='conductor') total", total),
    ]


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="node counts (default 10 100 1000)")
    ap.add_argument("--shapes", nargs="+", default=list(G.SHAPES), choices=list(G.SHAPES))
    ap.add_argument("--quick", action="store_true", help="10 / 100 nodes and fewer repeats")
    args = ap.parse_args(argv)
    sizes = args.sizes or ([10, 100] if args.quick else [10, 100, 1000])

    import agentc

    print("== bench_conductor: agentc.compile(builder, target='conductor') vs builder.compile() ==")
    print(G.machine())

    # 1. compile time
    rows = []
    worst = 0.0
    for shape in args.shapes:
        for n in sizes:
            r = measure(shape, n, G.repeats_for(n, args.quick))
            lg, full, low = G.median(r["lg"]), G.median(r["full"]), G.median(r["low"])
            ratio = full / lg
            worst = max(worst, ratio)
            rows.append([shape, str(n), str(r["reps"]), G.fmt_s(lg), G.fmt_s(full), G.fmt_s(low),
                         f"{ratio:.2f}", f"{min(r['full']) / min(r['lg']):.2f}", f"{low / lg:.2f}",
                         "yes" if ratio <= GOAL_COMPILE else "NO"])
    print("\n1. Compile time (medians). GOAL ratio = 'full / LG' (median agentc.compile to conductor,"
          f" graph read included, / median builder.compile()) <= {GOAL_COMPILE}; 'lower / LG' is information.")
    print(G.table(["shape", "nodes", "reps", "LG builder.compile", "agentc.compile conductor",
                   "lower_workflow alone", "full / LG (GOAL)", "full / LG (min)", "lower / LG",
                   f"goal <= {GOAL_COMPILE}?"], rows))
    print(f"worst median ratio full compile / langgraph: {worst:.2f} (goal <= {GOAL_COMPILE}): "
          + ("MET" if worst <= GOAL_COMPILE else "MISSED"))

    n = max(sizes)
    reps = G.repeats_for(n, args.quick)
    ph = {shape: phases(shape, n, reps) for shape in args.shapes}
    prow = G.phase_rows(ph, args.shapes)
    print(f"\nPhases of the full compile at {n} nodes (median of {reps} each, timed separately; "
          "% of the median total; min of the same calls):")
    print(G.table(["phase", *args.shapes], prow))

    # 2. tasks per node
    with open(CASES) as f:
        cases = list(json.load(f))
    fixtures: list[tuple[str, dict[str, Any] | str]] = []
    for name in cases:
        try:
            wf = agentc.load(f"agentc.fixtures.langgraph.{name}:graph")
            fixtures.append((name, count_tasks(wf)))
        except Exception as e:  # noqa: BLE001 -- a refused or broken fixture is reported, not hidden
            fixtures.append((name, f"{type(e).__name__}: {str(e).splitlines()[0][:100]}"))
    shapes: list[tuple[str, dict[str, Any]]] = []
    for shape in args.shapes:
        for n in sizes:
            shapes.append((f"{shape} {n}", count_tasks(agentc.load(G.SHAPES[shape](n)))))
    known = {"node", *SPECIAL, *CONTROL}
    extra = sorted({k for _, r in fixtures + shapes if isinstance(r, dict) for k in r["cats"]} - known)
    heads = breakdown_headers(extra)
    frows = []
    failed = []
    for name, r in fixtures:
        if isinstance(r, dict):
            frows.append(breakdown_rows(name, r, extra))
        else:
            failed.append((name, r))
    print(f"\n2. Tasks per graph node (goal <= {GOAL_TASKS}); '.' = 0. Fixtures "
          "(agentc.fixtures.langgraph.<name>:graph):")
    print(G.table(heads, frows))
    for name, err in failed:
        print(f"  {name}: not lowered -- {err}")
    ok = [r["per_node"] for _, r in fixtures if isinstance(r, dict)]
    if ok:
        med, mx = statistics.median(ok), max(ok)
        worst_f = max((r["per_node"], name) for name, r in fixtures if isinstance(r, dict))[1]
        passed = sum(v <= GOAL_TASKS for v in ok)
        print(f"fixtures: {passed}/{len(ok)} PASS; median tasks/node {med:.2f} "
              f"({'PASS' if med <= GOAL_TASKS else 'MISS'}), max {mx:.2f} ({worst_f}; "
              f"{'PASS' if mx <= GOAL_TASKS else 'MISS'})")
        tot_t = sum(r["tasks"] for _, r in fixtures if isinstance(r, dict))
        tot_n = sum(r["nodes"] for _, r in fixtures if isinstance(r, dict))
        print(f"all fixtures together: {tot_t} tasks / {tot_n} nodes = {tot_t / tot_n:.2f}")
    print("\nSynthetic shapes (LogState):")
    print(G.table(heads, [breakdown_rows(label, r, extra) for label, r in shapes]))
    for label, r in shapes:
        if label.endswith(f" {max(sizes)}"):
            print(f"{label}: {r['per_node']:.3f} tasks/node -- {'PASS' if r['per_node'] <= GOAL_TASKS else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
