"""Per-superstep cost: agentc's local executor vs LangGraph ``invoke`` (SqliteSaver / none).

Graph: ``_graphs.chain(n, state)`` -- n nodes in sequence, each a distinct closure.
Default state ``small``: ``counter: int`` + ``last: str`` (both last-value keys); every node
returns ``{"counter": counter + 1, "last": "<its name>"}``, so the state stays two scalars.
``--state log`` uses ``counter`` + ``log: Annotated[list, operator.add]`` instead (one int
appended per node, so the checkpointed list grows to n ints).

Modes, all in this process, on files in one fresh temp directory (a new .db per run):

* ``agentc normal`` -- ``agentc.run(builder, input, db=..., durability="normal")``
  (WAL, synchronous=NORMAL). Includes ``agentc.load`` of the builder, which every
  ``agentc.run`` call performs; the ``agentc.load`` row shows that part alone.
* ``agentc full``   -- same with ``durability="full"`` (synchronous=FULL).
* ``sqlite async``  -- ``builder.compile(checkpointer=SqliteSaver(conn)).invoke(...)`` with
  LangGraph's default durability, which is ``"async"`` in langgraph 1.2 (checkpoint writes
  overlap the next step); ``conn = sqlite3.connect(path, check_same_thread=False)``.
  SqliteSaver sets WAL and leaves SQLite's default synchronous=FULL. Compile is untimed.
* ``sqlite sync``   -- same with ``durability="sync"`` (checkpoint written before the next step).
* ``native``        -- ``builder.compile().invoke(...)``, no checkpointer. Compile is untimed.

Supersteps = n + 1 (the START/input step plus one per node) for both executors; the script
checks this (agentc: "barrier" events; LangGraph: checkpoints written minus the input one).
Per-step time = total wall time / supersteps. Modes run round-robin, median of ``--reps``.

    python tests/benchmarks/bench_steps.py              # 100 and 1,000 nodes, 3 reps
    python tests/benchmarks/bench_steps.py --quick      # 100 and 300 nodes, 2 reps
    python tests/benchmarks/bench_steps.py --sizes 100 1000 --reps 5 --state log
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from itertools import count
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _graphs as G  # noqa: E402

GOAL_VS_SAVER = 0.3
GOAL_VS_NATIVE = 1.5
MODES = ("agentc normal", "agentc full", "sqlite async", "sqlite sync", "native")
_ids = count()


def _input(state: str) -> dict[str, Any]:
    return {"counter": 0, "last": ""} if state == "small" else {"counter": 0, "log": []}


class Bench:
    def __init__(self, n: int, state: str, tmp: str) -> None:
        self.n, self.state, self.tmp = n, state, tmp
        self.builder = G.chain(n, state)
        self.native_graph = self.builder.compile()
        self.inp = _input(state)

    def path(self, tag: str) -> str:
        return os.path.join(self.tmp, f"{tag.replace(' ', '_')}-{self.n}-{next(_ids)}.db")

    def check(self, out: Any) -> None:
        assert out["counter"] == self.n, out

    # each returns the timed seconds; setup and teardown are untimed
    def agentc(self, durability: str) -> float:
        import agentc

        db = self.path("agentc")
        gc.collect()
        t0 = time.perf_counter()
        outcome = agentc.run(self.builder, self.inp, db=db, durability=durability)
        dt = time.perf_counter() - t0
        assert outcome.status == "done"
        self.check(outcome.output)
        return dt

    def saver(self, durability: str | None) -> float:
        from langgraph.checkpoint.sqlite import SqliteSaver

        conn = sqlite3.connect(self.path("sqlite"), check_same_thread=False)
        try:
            graph = self.builder.compile(checkpointer=SqliteSaver(conn))
            cfg = {"configurable": {"thread_id": "bench"}}
            kw = {} if durability is None else {"durability": durability}
            gc.collect()
            t0 = time.perf_counter()
            out = graph.invoke(self.inp, cfg, **kw)
            dt = time.perf_counter() - t0
        finally:
            conn.close()
        self.check(out)
        return dt

    def native(self) -> float:
        gc.collect()
        t0 = time.perf_counter()
        out = self.native_graph.invoke(self.inp)
        dt = time.perf_counter() - t0
        self.check(out)
        return dt

    def load(self) -> float:
        import agentc

        gc.collect()
        t0 = time.perf_counter()
        agentc.load(self.builder)
        return time.perf_counter() - t0

    def runners(self) -> dict[str, Callable[[], float]]:
        return {
            "agentc normal": lambda: self.agentc("normal"),
            "agentc full": lambda: self.agentc("full"),
            "sqlite async": lambda: self.saver(None),
            "sqlite sync": lambda: self.saver("sync"),
            "native": self.native,
            "agentc.load": self.load,
        }

    def supersteps(self) -> tuple[int, int]:
        """(agentc barriers, LangGraph checkpoints - 1) for one run each."""
        import agentc
        from langgraph.checkpoint.sqlite import SqliteSaver

        barriers = []
        agentc.run(self.builder, self.inp, db=self.path("count"),
                   on_event=lambda kind, info: barriers.append(1) if kind == "barrier" else None)
        path = self.path("count")
        conn = sqlite3.connect(path, check_same_thread=False)
        try:
            self.builder.compile(checkpointer=SqliteSaver(conn)).invoke(
                self.inp, {"configurable": {"thread_id": "c"}}, durability="sync")
            (ckpts,) = conn.execute("SELECT count(*) FROM checkpoints").fetchone()
            (sync,) = conn.execute("PRAGMA synchronous").fetchone()
            (jm,) = conn.execute("PRAGMA journal_mode").fetchone()
        finally:
            conn.close()
        self.saver_pragmas = f"journal_mode={jm}, synchronous={sync} (2 = FULL)"
        return len(barriers), ckpts - 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="chain lengths (default 100 1000)")
    ap.add_argument("--reps", type=int, default=None, help="timed runs per mode (default 3; --quick 2)")
    ap.add_argument("--state", choices=["small", "log"], default="small")
    ap.add_argument("--dir", default=None, help="where the temp dir goes (default: system temp)")
    ap.add_argument("--quick", action="store_true", help="100 and 300 nodes, 2 reps")
    args = ap.parse_args(argv)
    sizes = args.sizes or ([100, 300] if args.quick else [100, 1000])
    reps = args.reps or (2 if args.quick else 3)

    print("== bench_steps: per-superstep time, agentc local executor vs LangGraph invoke ==")
    print(G.machine())
    tmp = tempfile.mkdtemp(prefix="agentc-bench-", dir=args.dir)
    print(f"state={args.state!r}, reps={reps} (median), db dir {tmp}")
    results: dict[int, dict[str, float]] = {}
    try:
        warm = Bench(10, args.state, tmp)  # imports, lazy caches
        for fn in warm.runners().values():
            fn()
        for n in sizes:
            b = Bench(n, args.state, tmp)
            steps_ac, steps_lg = b.supersteps()
            assert steps_ac == steps_lg == n + 1, (steps_ac, steps_lg, n)
            runners = b.runners()
            times: dict[str, list[float]] = {k: [] for k in runners}
            for _ in range(reps):
                for name, fn in runners.items():
                    times[name].append(fn())
            med = {k: G.median(v) for k, v in times.items()}
            results[n] = med
            steps = n + 1
            print(f"\nchain of {n} nodes = {steps} supersteps (agentc barriers {steps_ac}, "
                  f"LangGraph checkpoints-1 {steps_lg}); SqliteSaver db: {b.saver_pragmas}")
            rows = []
            for name in (*MODES, "agentc.load"):
                t = med[name]
                rows.append([name, G.fmt_s(t), G.fmt_s(t / steps),
                             f"{t / med['sqlite async']:.2f}", f"{t / med['sqlite sync']:.2f}",
                             f"{t / med['native']:.2f}"])
            for d in ("normal", "full"):
                t = med[f"agentc {d}"] - med["agentc.load"]
                rows.append([f"agentc {d} - load", G.fmt_s(t), G.fmt_s(t / steps),
                             f"{t / med['sqlite async']:.2f}", f"{t / med['sqlite sync']:.2f}",
                             f"{t / med['native']:.2f}"])
            print(G.table(["mode", "total (median)", "per step", "x sqlite async", "x sqlite sync",
                           "x native"], rows))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print("\nGoals (agentc = agentc.run incl. load, median):")
    rows = []
    for n, med in results.items():
        for d in ("normal", "full"):
            a = med[f"agentc {d}"]
            r1 = a / med["sqlite async"]
            r2 = a / med["sqlite sync"]
            r3 = a / med["native"]
            rows.append([str(n), d, f"{r1:.2f}", f"{r2:.2f}",
                         "yes" if r1 <= GOAL_VS_SAVER else f"NO (x{r1 / GOAL_VS_SAVER:.1f} over)",
                         f"{r3:.2f}", "yes" if r3 <= GOAL_VS_NATIVE else f"NO (x{r3 / GOAL_VS_NATIVE:.1f} over)"])
    print(G.table(["nodes", "agentc durability", "/ sqlite async (default)", "/ sqlite sync",
                   f"<= {GOAL_VS_SAVER} vs default?", "/ native", f"<= {GOAL_VS_NATIVE}?"], rows))
    if len(results) >= 2:
        lo, hi = min(results), max(results)
        print(f"\nFlatness: per-step time at {hi} nodes / per-step time at {lo} nodes (1.00 = flat)")
        rows = []
        for name in (*MODES,):
            a = results[lo][name] / (lo + 1)
            b_ = results[hi][name] / (hi + 1)
            rows.append([name, G.fmt_s(a), G.fmt_s(b_), f"{b_ / a:.2f}"])
        print(G.table(["mode", f"per step @{lo}", f"per step @{hi}", "ratio"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
