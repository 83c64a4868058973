"""Run every benchmark, one fresh Python process each, and print their output in order.

    python tests/benchmarks/run_all.py           # full sizes (~80 s on 2 cores)
    python tests/benchmarks/run_all.py --quick   # smaller sizes, fewer repeats (~25 s)
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ("bench_compile.py", "bench_steps.py", "bench_cli_startup.py", "bench_conductor.py", "bench_temporal.py", "bench_agents.py")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    extra = ["--quick"] if "--quick" in argv else []
    status = 0
    for name in SCRIPTS:
        cmd = [sys.executable, os.path.join(HERE, name), *extra]
        print(f"\n$ {' '.join(cmd)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"[{name}: exit {rc}, {time.perf_counter() - t0:.1f} s]", flush=True)
        status = status or rc
    return status


if __name__ == "__main__":
    sys.exit(main())
