"""Compile time: ``agentc.load(builder)`` vs LangGraph's own ``builder.compile()``.

Same uncompiled ``StateGraph`` builder for both, same process, same machine. Shapes and
state are described in ``_graphs.py`` (LogState: int counter + ``Annotated[list,
operator.add]`` log). Each call is timed with ``time.perf_counter`` after one untimed
warm-up call; ``gc.collect()`` runs untimed before every timed call (gc stays enabled).
Ratio = median agentc / median LangGraph (goal <= 1.0).

A second table splits ``agentc.load`` at the largest size into its phases (frontend read,
IR verify, the reachability pass) so a regression can be located.

    python tests/benchmarks/bench_compile.py            # 10 / 100 / 1,000 nodes
    python tests/benchmarks/bench_compile.py --quick    # 10 / 100 nodes, fewer repeats
    python tests/benchmarks/bench_compile.py --sizes 10 100 1000 2000
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _graphs as G  # noqa: E402

GOAL = 1.0


def measure(shape: str, n: int, reps: int) -> dict[str, Any]:
    import agentc

    builder = G.SHAPES[shape](n)
    assert G.node_count(builder) == n, (shape, n, G.node_count(builder))
    collect = gc.collect
    lg = G.timeit(lambda _: builder.compile(), reps, setup=collect)
    ac = G.timeit(lambda _: agentc.load(builder), reps, setup=collect)
    wf = agentc.load(builder)
    assert len(wf.graph.nodes) == n
    return {"shape": shape, "n": n, "reps": reps, "lg": lg, "ac": ac}


def breakdown(shape: str, n: int, reps: int) -> list[list[str]]:
    """Phases of agentc.load (internal functions, called exactly as api.load calls them)."""
    from agentc.api import _entry_and_obj
    from agentc.errors import ErrorLevel, Warnings
    from agentc.frontends import read
    from agentc.ir.verify import verify
    from agentc.passes import check_reachability

    builder = G.SHAPES[shape](n)
    entry, live = _entry_and_obj(builder)
    ir = read(live, entry=entry, level=ErrorLevel.WARN, warnings=Warnings())
    collect = gc.collect
    phases = [
        ("_entry_and_obj (REF lookup)", lambda _: _entry_and_obj(builder)),
        ("frontends.read (builder -> IR)", lambda _: read(live, entry=entry, level=ErrorLevel.WARN, warnings=Warnings())),
        ("ir.verify (one call; run_passes makes 2)", lambda _: verify(ir)),
        ("passes.check_reachability", lambda _: check_reachability(ir, Warnings(), ErrorLevel.WARN)),
    ]
    import agentc

    total = G.median(G.timeit(lambda _: agentc.load(builder), reps, setup=collect))
    rows = []
    for label, fn in phases:
        t = G.median(G.timeit(fn, reps, setup=collect))
        rows.append([label, G.fmt_s(t), f"{100 * t / total:.0f}%"])
    rows.append(["agentc.load total", G.fmt_s(total), "100%"])
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="node counts (default 10 100 1000)")
    ap.add_argument("--shapes", nargs="+", default=list(G.SHAPES), choices=list(G.SHAPES))
    ap.add_argument("--quick", action="store_true", help="10 / 100 nodes and fewer repeats")
    args = ap.parse_args(argv)
    sizes = args.sizes or ([10, 100] if args.quick else [10, 100, 1000])

    print("== bench_compile: agentc.load(builder) vs builder.compile() ==")
    print(G.machine())
    rows = []
    worst = 0.0
    for shape in args.shapes:
        for n in sizes:
            r = measure(shape, n, G.repeats_for(n, args.quick))
            lg, ac = G.median(r["lg"]), G.median(r["ac"])
            ratio = ac / lg
            worst = max(worst, ratio)
            rows.append([shape, str(n), str(r["reps"]), G.fmt_s(lg), G.fmt_s(min(r["lg"])),
                         G.fmt_s(ac), G.fmt_s(min(r["ac"])), f"{ratio:.2f}",
                         f"{min(r['ac']) / min(r['lg']):.2f}", "yes" if ratio <= GOAL else "NO"])
    print(G.table(["shape", "nodes", "reps", "langgraph median", "lg min", "agentc median", "agentc min",
                   "ratio (median)", "ratio (min)", f"<= {GOAL}?"], rows))
    print(f"worst median ratio agentc/langgraph: {worst:.2f} (goal <= {GOAL})")

    n = max(sizes)
    print(f"\nagentc.load phases, chain of {n} nodes (median of {G.repeats_for(n, args.quick)}):")
    print(G.table(["phase", "median", "share of load"], breakdown("chain", n, G.repeats_for(n, args.quick))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
