"""Per-superstep cost: agentc's local executor vs LangGraph ``invoke`` (SqliteSaver / none).

Graph: ``_graphs.chain(n, state)`` -- n nodes in sequence, each a distinct closure.
Default state ``small``: ``counter: int`` + ``last: str`` (both last-value keys); every node
returns ``{"counter": counter + 1, "last": "<its name>"}``, so the state stays two scalars.
``--state log`` uses ``counter`` + ``log: Annotated[list, operator.add]`` instead (one int
appended per node, so the checkpointed list grows to n ints).

Modes, all in this process, on files in one fresh temp directory (a new .db per run):

* ``agentc normal`` -- ``agentc.run(builder, input, db=..., durability="normal", workflow=wf)``
  (WAL, synchronous=NORMAL) with ``wf = agentc.load(builder)`` done once beforehand, just as
  the LangGraph modes compile once beforehand; the ``agentc.load`` row shows that cost.
* ``agentc full``   -- same with ``durability="full"`` (synchronous=FULL).
* ``sqlite async``  -- ``builder.compile(checkpointer=SqliteSaver(conn)).invoke(...)`` with
  LangGraph's default durability, which is ``"async"`` in langgraph 1.2 (checkpoint writes
  overlap the next step); ``conn = sqlite3.connect(path, check_same_thread=False)``.
  SqliteSaver sets WAL and leaves SQLite's default synchronous=FULL. Compile is untimed.
* ``sqlite sync``   -- same with ``durability="sync"`` (checkpoint written before the next step).
* ``native``        -- ``builder.compile().invoke(...)``, no checkpointer. Compile is untimed.

Supersteps = n + 1 (the START/input step plus one per node) for both executors; the script
checks this (agentc: "barrier" events; LangGraph: checkpoints written minus the input one).
Per-step time = total wall time / supersteps (the brief's definition; it includes each
system's per-run fixed costs). "Steady per step" = time from the first node's start to the
last node's start / (n - 1), read from a ``time.perf_counter()`` probe each node appends to:
it excludes start-up (agentc.load, journal open, compile-free LangGraph setup) and shut-down.
Modes run round-robin, median of ``--reps``; min..max shows the spread (fsync-bound modes
are very sensitive to other disk I/O on the machine).

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
import agentc  # noqa: E402

GOAL_VS_SAVER = 0.3
GOAL_VS_NATIVE = 1.5
MODES = ("agentc normal", "agentc full", "sqlite async", "sqlite sync", "native")
_ids = count()


def _input(state: str) -> dict[str, Any]:
    return {"counter": 0, "last": ""} if state == "small" else {"counter": 0, "log": []}


class Bench:
    def __init__(self, n: int, state: str, tmp: str) -> None:
        self.n, self.state, self.tmp = n, state, tmp
        self.probe: list[float] = []
        self.builder = G.chain(n, state, probe=self.probe)
        self.native_graph = self.builder.compile()
        self.wf = agentc.load(self.builder)
        self.inp = _input(state)

    def path(self, tag: str) -> str:
        return os.path.join(self.tmp, f"{tag.replace(' ', '_')}-{self.n}-{next(_ids)}.db")

    def check(self, out: Any) -> None:
        assert out["counter"] == self.n, out
        assert len(self.probe) == self.n, len(self.probe)

    def timed(self, fn: Callable[[], Any]) -> tuple[float, float, Any]:
        """(total wall time, steady-state time per step, result). Steady state = from the
        first node's start to the last node's start, / (n - 1): no startup, no shutdown."""
        self.probe.clear()
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        steady = (self.probe[-1] - self.probe[0]) / (self.n - 1) if len(self.probe) > 1 else float("nan")
        return dt, steady, out

    # each returns (total seconds, steady seconds per step); setup and teardown are untimed
    def agentc(self, durability: str) -> tuple[float, float]:
        import agentc

        db = self.path("agentc")
        dt, steady, outcome = self.timed(lambda: agentc.run(self.builder, self.inp, db=db, durability=durability,
                                                            workflow=self.wf))
        assert outcome.status == "done"
        self.check(outcome.output)
        return dt, steady

    def saver(self, durability: str | None) -> tuple[float, float]:
        from langgraph.checkpoint.sqlite import SqliteSaver

        conn = sqlite3.connect(self.path("sqlite"), check_same_thread=False)
        try:
            graph = self.builder.compile(checkpointer=SqliteSaver(conn))
            cfg = {"configurable": {"thread_id": "bench"}}
            kw = {} if durability is None else {"durability": durability}
            dt, steady, out = self.timed(lambda: graph.invoke(self.inp, cfg, **kw))
        finally:
            conn.close()
        self.check(out)
        return dt, steady

    def native(self) -> tuple[float, float]:
        dt, steady, out = self.timed(lambda: self.native_graph.invoke(self.inp))
        self.check(out)
        return dt, steady

    def load(self) -> tuple[float, float]:
        import agentc

        gc.collect()
        t0 = time.perf_counter()
        agentc.load(self.builder)
        return time.perf_counter() - t0, float("nan")

    def runners(self) -> dict[str, Callable[[], tuple[float, float]]]:
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


def _goal(ratio: float, goal: float) -> str:
    return "yes" if ratio <= goal else f"NO ({ratio / goal:.2f}x the goal)"


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
    print(f"state={args.state!r}, reps={reps} (median), db dir {tmp}, "
          f"load average at start {os.getloadavg()[0]:.2f}")
    total: dict[int, dict[str, float]] = {}
    steady: dict[int, dict[str, float]] = {}
    try:
        warm = Bench(10, args.state, tmp)  # imports, lazy caches
        for fn in warm.runners().values():
            fn()
        for n in sizes:
            b = Bench(n, args.state, tmp)
            steps_ac, steps_lg = b.supersteps()
            assert steps_ac == steps_lg == n + 1, (steps_ac, steps_lg, n)
            runners = b.runners()
            times: dict[str, list[tuple[float, float]]] = {k: [] for k in runners}
            for _ in range(reps):  # round-robin, so drift hits every mode alike
                for name, fn in runners.items():
                    times[name].append(fn())
            tot = total[n] = {k: G.median([t for t, _ in v]) for k, v in times.items()}
            std = steady[n] = {k: G.median([s_ for _, s_ in v]) for k, v in times.items()}
            steps = n + 1
            print(f"\nchain of {n} nodes = {steps} supersteps (agentc barriers {steps_ac}, "
                  f"LangGraph checkpoints-1 {steps_lg}); SqliteSaver db: {b.saver_pragmas}")
            rows = []
            for name in MODES:
                t, sd = tot[name], std[name]
                spread = f"{G.fmt_s(min(x for x, _ in times[name]))}..{G.fmt_s(max(x for x, _ in times[name]))}"
                rows.append([name, G.fmt_s(t), spread, G.fmt_s(t / steps), G.fmt_s(sd),
                             G.fmt_s(t - sd * (n - 1)),
                             f"{t / tot['sqlite async']:.2f}", f"{t / tot['sqlite sync']:.2f}",
                             f"{t / tot['native']:.2f}", f"{sd / std['native']:.2f}"])
            print(G.table(["mode", "total (median)", "min..max", "total/steps", "steady per step",
                           "outside steady", "x sqlite async", "x sqlite sync", "x native",
                           "steady x native"], rows))
            print(f"agentc.load alone (done once, outside the timed runs): {G.fmt_s(tot['agentc.load'])}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nGoals, on total/steps (agentc = agentc.run with a pre-loaded IR, as LangGraph's compile is outside too; median of {reps}):")
    rows = []
    for n, tot in total.items():
        for d in ("normal", "full"):
            a = tot[f"agentc {d}"]
            r1, r2, r3 = a / tot["sqlite async"], a / tot["sqlite sync"], a / tot["native"]
            rows.append([str(n), d, f"{r1:.2f}", _goal(r1, GOAL_VS_SAVER), f"{r2:.2f}", f"{r3:.2f}",
                         _goal(r3, GOAL_VS_NATIVE)])
    print(G.table(["nodes", "agentc durability", "/ sqlite async (LG default)", f"<= {GOAL_VS_SAVER}?",
                   "/ sqlite sync", "/ native", f"<= {GOAL_VS_NATIVE}?"], rows))
    if len(total) >= 2:
        lo, hi = min(total), max(total)
        print(f"\nFlatness: per-step time at {hi} nodes / at {lo} nodes (1.00 = flat)")
        rows = []
        for name in MODES:
            a, b_ = total[lo][name] / (lo + 1), total[hi][name] / (hi + 1)
            c, d_ = steady[lo][name], steady[hi][name]
            rows.append([name, G.fmt_s(a), G.fmt_s(b_), f"{b_ / a:.2f}", G.fmt_s(c), G.fmt_s(d_), f"{d_ / c:.2f}"])
        print(G.table(["mode", f"total/steps @{lo}", f"@{hi}", "ratio", f"steady @{lo}", f"steady @{hi}",
                       "ratio"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
