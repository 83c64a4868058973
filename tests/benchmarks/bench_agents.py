"""Per-turn overhead of a durable local agent run vs the SDK's own ``Runner.run``, and of
the Conductor agent loop run by the simulator (every step a replay of the run so far).

Same fixture, same deterministic fake model, same process, interleaved (native, agentc,
conductor, native, ...): agentc = ``agentc.run`` (journal in a fresh SQLite file per run,
WAL, durability normal); conductor = the compiled WorkflowDefs run by
``agentc simulate``'s in-process simulator with the step worker (no server, no network:
what remains is the step worker's replay and the simulator's bookkeeping); native =
``Runner.run``. A turn is one model call; per-turn time = run time / model calls of the
run. Ratio = median target / median native.

    python tests/benchmarks/bench_agents.py            # 30 runs per case
    python tests/benchmarks/bench_agents.py --quick    # 8 runs per case
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import openai_agents_oracle as O  # noqa: E402

CASES = ["triage_refund", "math_tutor", "research_assistant", "order_status"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    reps = 8 if args.quick else 30

    import agentc
    from agents import Runner

    from agentc.fixtures.openai_agents.fake_model import recording

    cases = O.load_cases()
    print(f"== bench_agents: agentc.run (local, journaled) vs Runner.run; {reps} interleaved runs per case ==")
    print(f"loadavg {open('/proc/loadavg').read().split()[:3]}")
    print("| case | model calls | native per turn | local per turn | local ratio | conductor per turn "
          "| conductor ratio |")
    print("|---|---|---|---|---|---|---|")
    tmp = tempfile.mkdtemp(prefix="bench-agents-")
    for name in CASES:
        case = cases[name]
        agent = O.resolve(case["ref"])
        wf = agentc.load(case["ref"])
        with recording() as log:
            asyncio.run(Runner.run(agent, case["input"], context=O.make_context(case)))
        turns = len(log.calls)
        from agentc.targets.conductor.simulate import Simulation

        folder = os.path.join(tmp, f"{name}-conductor")
        agentc.compile(case["ref"], "conductor").write(folder)
        sim_of = Simulation.of(folder)
        nat, ac, co = [], [], []
        for i in range(reps + 2):  # two warm-up rounds
            t = time.perf_counter()
            asyncio.run(Runner.run(agent, case["input"], context=O.make_context(case)))
            n = time.perf_counter() - t
            t = time.perf_counter()
            agentc.run(agent, case["input"], db=os.path.join(tmp, f"{name}-{i}.db"), context=O.make_context(case),
                       workflow=wf)
            a = time.perf_counter() - t
            t = time.perf_counter()
            sim = Simulation(sim_of.artifact, sim_of.worker)
            out = sim.start(case["input"], O.make_context(case))
            c = time.perf_counter() - t
            assert out.status == "done", out
            if i >= 2:
                nat.append(n / turns)
                ac.append(a / turns)
                co.append(c / turns)
        mn, ma, mc = statistics.median(nat), statistics.median(ac), statistics.median(co)
        print(f"| {name} | {turns} | {mn * 1000:.2f} ms | {ma * 1000:.2f} ms | {ma / mn:.2f} | {mc * 1000:.2f} ms "
              f"| {mc / mn:.2f} |")
    print(f"loadavg {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
