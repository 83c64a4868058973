"""cProfile of ``agentc.load`` and ``agentc.run`` on a chain graph: where the time goes.

Prints the top functions by own time (tottime) with per-call cost, for two sizes, so
functions whose per-call cost grows with graph size (O(nodes) work per step, or O(nodes^2)
work per load/run) stand out. Not run by run_all.py (profiling inflates every number).

    python tests/benchmarks/profile_agentc.py                 # chain of 300 and 3,000 nodes
    python tests/benchmarks/profile_agentc.py --sizes 1000 --top 20
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _graphs as G  # noqa: E402


def top(pr: cProfile.Profile, k: int) -> list[list[str]]:
    st = pstats.Stats(pr)
    rows = []
    for (file, line, fn), (_cc, nc, tt, ct, _callers) in sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:k]:
        where = f"{'/'.join(file.split('/')[-2:])}:{line}" if line else "(builtin)"
        rows.append([fn[:40], where, str(nc), f"{tt * 1e3:.1f}", f"{tt / nc * 1e6:.1f}", f"{ct * 1e3:.1f}"])
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 3000])
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    import agentc

    print(G.machine())
    headers = ["function", "where", "calls", "tottime ms", "per call us", "cumtime ms"]
    with tempfile.TemporaryDirectory() as tmp:
        inp = {"counter": 0, "last": ""}
        agentc.run(G.chain(10, "small"), inp, db=os.path.join(tmp, "warm.db"))  # imports, caches
        for n in args.sizes:
            b = G.chain(n, "small")
            pr = cProfile.Profile()
            pr.enable()
            agentc.load(b)
            pr.disable()
            print(f"\nagentc.load(chain of {n}) -- top {args.top} by own time")
            print(G.table(headers, top(pr, args.top)))
            pr = cProfile.Profile()
            pr.enable()
            agentc.run(b, inp, db=os.path.join(tmp, f"run{n}.db"))
            pr.disable()
            print(f"\nagentc.run(chain of {n}, durability='normal') -- top {args.top} by own time")
            print(G.table(headers, top(pr, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
