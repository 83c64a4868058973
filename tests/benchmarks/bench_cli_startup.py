"""CLI start-up: wall time of ``agentc --help`` in a fresh process, against ``python -c pass``.

Each command runs ``--reps`` times (after one untimed warm-up run) with
``subprocess.run``, stdout/stderr captured; the median and min are printed. For scale, the
table also times ``python -c "import langgraph.graph"`` -- what ``--help`` would cost on top
if it imported LangGraph.

Then, in a fresh subprocess, ``agentc.cli.main`` is invoked with ``--help`` (and with
``run --help``), ``SystemExit`` caught, and ``sys.modules`` inspected: the script prints whether
any ``langgraph`` module was imported (it must not be).

    python tests/benchmarks/bench_cli_startup.py            # 10 runs each
    python tests/benchmarks/bench_cli_startup.py --reps 30
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _graphs as G  # noqa: E402

PROBE = r"""
import contextlib, io, json, sys
from agentc.cli import main
buf = io.StringIO()
code = None
with contextlib.redirect_stdout(buf):
    try:
        main(ARGS)
    except SystemExit as exc:
        code = exc.code
lg = sorted(m for m in sys.modules if m == "langgraph" or m.startswith("langgraph."))
print(json.dumps({"exit": code, "help_chars": len(buf.getvalue()), "langgraph_modules": lg,
                  "modules": len(sys.modules)}))
"""


def wall(cmd: list[str], reps: int) -> list[float]:
    subprocess.run(cmd, capture_output=True, check=True)  # warm-up (page cache, .pyc)
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        out.append(time.perf_counter() - t0)
    return out


def probe(args: list[str]) -> dict:
    code = PROBE.replace("ARGS", repr(args))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="5 runs each")
    args = ap.parse_args(argv)
    reps = 5 if args.quick else args.reps

    exe = sys.executable
    script = os.path.join(os.path.dirname(exe), "agentc")
    if not os.path.exists(script):
        print(f"console script not found next to {exe}; falling back to `python -m agentc.cli`")
        script = None
    print("== bench_cli_startup: `agentc --help` wall time vs `python -c pass` ==")
    print(G.machine())
    print(f"load average at start {os.getloadavg()[0]:.2f}; {reps} runs each (median, min)")
    cmds = [("python -c pass (baseline)", [exe, "-c", "pass"])]
    if script:
        cmds.append(("agentc --help (console script)", [script, "--help"]))
    cmds += [("python -m agentc.cli --help", [exe, "-m", "agentc.cli", "--help"]),
             ("python -c 'import langgraph.graph' (reference)", [exe, "-c", "import langgraph.graph"])]
    times = {label: wall(cmd, reps) for label, cmd in cmds}
    base = G.median(times[cmds[0][0]])
    rows = []
    for label, ts in times.items():
        m = G.median(ts)
        rows.append([label, G.fmt_s(m), G.fmt_s(min(ts)), f"{m / base:.2f}", G.fmt_s(m - base)])
    print(G.table(["command", "median", "min", "x baseline", "minus baseline"], rows))

    print("\nDoes `--help` import langgraph? (fresh subprocess, agentc.cli.main(args), SystemExit caught)")
    ok = True
    for a in (["--help"], ["run", "--help"]):
        r = probe(a)
        imported = bool(r["langgraph_modules"])
        ok &= not imported and r["exit"] == 0 and r["help_chars"] > 0
        print(f"  main({a!r}): exit={r['exit']}, printed {r['help_chars']} chars, "
              f"modules loaded={r['modules']}, 'langgraph' in sys.modules: {imported}"
              + (f" -> {r['langgraph_modules'][:5]}" if imported else ""))
    print("langgraph-free --help:", "yes" if ok else "NO")
    return 0


if __name__ == "__main__":
    sys.exit(main())
