"""Crash recovery: run a fixture in a subprocess, SIGKILL it at a chosen point (an executor
event, or inside a node right after its side effect), resume it in a fresh process, and
check that

(a) the final state equals LangGraph's own uninterrupted run (the oracle);
(b) no task committed before the kill ran again after it (side effects are logged by
    every node in a file; see crash_driver.py), and no task ran twice within one process;
(c) every task in the final journal left a side-effect line (nothing was skipped).

The subprocess pairs run concurrently (one per core) in a module fixture; each
parametrized test checks one kill point.
"""
from __future__ import annotations

import concurrent.futures
import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import harness

DRIVER = Path(__file__).resolve().parent / "crash_driver.py"
TIMEOUT = 120

# Kill points per fixture: "<event>:<k>" = at the k-th executor event of that kind (counted
# over the run and all its resumes), "node_end:<k>" = inside the k-th completed node, after
# its side effect and before its writes are committed. Each one must fire (returncode -9).
KILL_POINTS: dict[str, list[str]] = {
    "chain": ["task_start:1", "node_end:1", "task:2", "task_start:3", "barrier:3", "node_end:4", "done:1"],
    "branching": ["task_start:2", "task_start:3", "node_end:2", "task:3", "task:4", "node_end:5", "barrier:3"],
    "router_loop": ["task_start:5", "node_end:6", "task:7", "barrier:6"],
    "pydantic_state": ["task_start:2", "node_end:1", "task:2", "barrier:2"],
    "dataclass_state": ["task_start:2", "node_end:2", "task:3"],
    "map_reduce": ["task_start:3", "node_end:2", "node_end:4", "task:3", "task:5", "barrier:3"],
    "command_goto": ["task_start:2", "node_end:3", "task:3"],
    "subgraph": ["task_start:2", "task_start:5", "node_end:2", "node_end:4", "task:3", "task:4",
                 "task:6", "task:7", "barrier:3", "barrier:5"],
    "hitl_review": ["task_start:2", "task_start:4", "paused:1", "paused:2", "node_end:2", "task:3", "barrier:3"],
    "hitl_parallel": ["task_start:3", "node_end:2", "task:3", "task:4", "paused:1", "task_start:6",
                      "node_end:4", "barrier:3"],
    "breakpoints": ["paused:1", "task:3", "paused:2", "task_start:4", "node_end:4"],
    "retry": ["retry:1", "node_end:1", "task:2"],
    "defer": ["task_start:2", "node_end:3", "task:3"],
    "react_agent": ["task_start:2", "node_end:2", "node_end:3", "task:3", "barrier:3"],
    "runtime_context": ["node_end:2", "task:3"],
}
CASES = [(name, kill) for name, kills in KILL_POINTS.items() for kill in kills]


def _writes(db: Path) -> list[tuple[str, int, str, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT ns, step, task, node FROM writes").fetchall()
    finally:
        con.close()


def _key(ns: str, task: str) -> str:
    """The task's checkpoint namespace, as the driver logs it."""
    return f"{ns}|{task}" if ns else task


def _driver(name: str, d: Path, phase: str, kill_at: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(DRIVER), name, str(d / "runs.db"), str(d / "effects.log"), phase, kill_at],
                          capture_output=True, text=True, timeout=TIMEOUT, cwd=str(harness.ROOT))


def _crash_and_resume(name: str, kill_at: str, d: Path) -> dict[str, Any]:
    first = _driver(name, d, "first", kill_at)
    out: dict[str, Any] = {"first": first}
    if first.returncode != -signal.SIGKILL:
        return out
    out["committed"] = {_key(ns, task) for ns, _, task, _ in _writes(d / "runs.db")}
    out["resume"] = _driver(name, d, "resume", "none")
    out["final"] = _writes(d / "runs.db")
    log = d / "effects.log"
    out["effects"] = [tuple(line.split("\t")) for line in log.read_text().splitlines()] if log.exists() else []
    return out


@pytest.fixture(scope="module")
def crashes(request, tmp_path_factory):
    """Start every selected (fixture, kill point) pair at once on a small pool."""
    selected = sorted({(item.callspec.params["name"], item.callspec.params["kill_at"])
                       for item in request.session.items
                       if item.module is request.module and hasattr(item, "callspec")})
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
    futures = {}
    for name, kill in selected:
        d = tmp_path_factory.mktemp(f"crash-{name}-{kill.replace(':', '-')}")
        futures[(name, kill)] = pool.submit(_crash_and_resume, name, kill, d)
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@functools.lru_cache(maxsize=None)
def _expected(name: str) -> str:
    return json.dumps(harness.normalise(harness.native(name)), sort_keys=True)


def _show(proc: subprocess.CompletedProcess) -> str:
    return f"rc={proc.returncode}\n--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n{proc.stderr[-4000:]}"


def test_kill_points_cover_the_issue():
    assert len(CASES) >= 50
    assert len(KILL_POINTS) >= 8


@pytest.mark.parametrize(("name", "kill_at"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_crash_resume(name, kill_at, crashes):
    res = crashes[(name, kill_at)].result()
    first = res["first"]
    assert first.returncode == -signal.SIGKILL, f"kill point {kill_at} never fired:\n{_show(first)}"
    resume = res["resume"]
    assert resume.returncode == 0, f"resume after a kill at {kill_at} failed:\n{_show(resume)}"
    report = json.loads(resume.stdout.strip().splitlines()[-1])

    # (a) the same final state as LangGraph's own uninterrupted run
    assert json.dumps(report["output"], sort_keys=True) == _expected(name)

    effects = res["effects"]
    by_phase = {phase: Counter(key for p, _, key in effects if p == phase) for phase in ("first", "resume")}
    # (b) a task committed before the kill never runs again ...
    rerun = sorted(res["committed"] & set(by_phase["resume"]))
    assert not rerun, f"committed before the kill at {kill_at}, yet ran again on resume: {rerun}"
    # ... and no task ran twice inside one process
    for phase, counts in by_phase.items():
        twice = sorted(k for k, n in counts.items() if n > 1)
        assert not twice, f"phase {phase}: tasks ran more than once: {twice}"

    # (c) every journaled node task did its side effect (START and subgraph nodes log nothing)
    leaves = {w.rsplit("/", 1)[-1] for w in report["wrapped"]}
    subgraphs = {part for w in report["wrapped"] for part in w.split("/")[:-1]}
    logged = set(by_phase["first"]) | set(by_phase["resume"])
    missing = sorted(_key(ns, task) for ns, _, task, node in res["final"]
                     if node in leaves - subgraphs and _key(ns, task) not in logged)
    assert not missing, f"journaled tasks with no side effect: {missing}"
