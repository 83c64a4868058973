"""Crash recovery: run a fixture in a subprocess, SIGKILL it at a chosen point (an executor
event, or inside a node right after its side effect), resume it in a fresh process, and
check that

(a) the final state equals LangGraph's own uninterrupted run (the oracle);
(b) no task committed before the kill ran again after it (side effects are logged by
    every node in a file; see crash_driver.py), and no task ran twice within one process;
(c) every task in the final journal left a side-effect line (nothing was skipped).

Each phase is a separate child process: forked from a fork server that has imported
langgraph once (crash_driver.py --serve), and for two kill points a fresh interpreter.
"""
from __future__ import annotations

import functools
import json
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
TIMEOUT = 60

# How often each kill point's event happens in an uninterrupted run of each fixture (run +
# all its resumes); test_event_counts keeps this table honest. Every fixture is killed at
# EVERY one of them: "<event>:<k>" = at the k-th executor event of that kind (task_start,
# task = a completed node's writes were committed, barrier, paused, retry, done);
# "node_end:<k>" = inside the k-th completed node, after its side effect and before it
# returns, so its writes are never committed. A kill point that does not fire fails.
EVENTS: dict[str, dict[str, int]] = {
    "chain": {"task_start": 4, "node_end": 4, "task": 5, "barrier": 5, "done": 1},
    "branching": {"task_start": 7, "node_end": 7, "task": 8, "barrier": 5, "done": 1},
    "router_loop": {"task_start": 8, "node_end": 8, "task": 9, "barrier": 9, "done": 1},
    "pydantic_state": {"task_start": 3, "node_end": 3, "task": 4, "barrier": 3, "done": 1},
    "dataclass_state": {"task_start": 3, "node_end": 3, "task": 4, "barrier": 4, "done": 1},
    "map_reduce": {"task_start": 7, "node_end": 7, "task": 8, "barrier": 4, "done": 1},
    "command_goto": {"task_start": 4, "node_end": 4, "task": 5, "barrier": 4, "done": 1},
    "subgraph": {"task_start": 7, "node_end": 5, "task": 9, "barrier": 9, "done": 1},
    "hitl_review": {"task_start": 5, "node_end": 3, "task": 4, "barrier": 4, "paused": 2, "done": 1},
    "hitl_parallel": {"task_start": 7, "node_end": 5, "task": 6, "barrier": 4, "paused": 1, "done": 1},
    "breakpoints": {"task_start": 5, "node_end": 5, "task": 6, "barrier": 6, "paused": 2, "done": 1},
    "retry": {"task_start": 3, "node_end": 3, "task": 4, "barrier": 4, "retry": 1, "done": 1},
    "defer": {"task_start": 4, "node_end": 4, "task": 5, "barrier": 4, "done": 1},
    "react_agent": {"task_start": 4, "node_end": 4, "task": 5, "barrier": 4, "done": 1},
    "runtime_context": {"task_start": 4, "node_end": 4, "task": 5, "barrier": 5, "done": 1},
    "dynamic_router": {"task_start": 2, "node_end": 2, "task": 3, "barrier": 3, "done": 1},
    "input_output": {"task_start": 2, "node_end": 2, "task": 3, "barrier": 3, "done": 1},
}
CASES = [(name, f"{kind}:{k}") for name, kinds in EVENTS.items() for kind, n in kinds.items()
         for k in range(1, n + 1)]


def _writes(db: Path) -> list[tuple[str, int, str, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT ns, step, task, node FROM writes").fetchall()
    finally:
        con.close()


def _key(ns: str, task: str, node: str) -> str:
    """The task's checkpoint namespace, as the driver logs it (LangGraph's ``node:task``
    parts, from the journal's level namespace and task key)."""
    from agentc.semantics.langgraph_calls import checkpoint_ns

    return checkpoint_ns(f"{ns}|{task}" if ns else task, node)


class ForkServer:
    """``crash_driver.py --serve``: imports langgraph and the fixtures once, then forks a
    fresh child per phase (a real subprocess, SIGKILLed for real, ~20x cheaper than
    starting an interpreter)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.n = 0
        self.err = open(workdir / "server.err", "w")
        self.proc = subprocess.Popen([sys.executable, str(DRIVER), "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err, text=True, cwd=str(harness.ROOT))
        assert json.loads(self.proc.stdout.readline() or "null") == {"ready": True}, \
            (workdir / "server.err").read_text()

    def run(self, argv: list[str]) -> subprocess.CompletedProcess:
        self.n += 1
        out, err = self.workdir / f"{self.n}.out", self.workdir / f"{self.n}.err"
        request = {"argv": argv, "stdout": str(out), "stderr": str(err), "timeout": TIMEOUT}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        assert reply, f"fork server died: {(self.workdir / 'server.err').read_text()}"
        answer = json.loads(reply)
        assert not answer["timed_out"], f"{argv} hung for {TIMEOUT}s:\n{err.read_text()[-4000:]}"
        return subprocess.CompletedProcess(argv, answer["returncode"], out.read_text(), err.read_text())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=TIMEOUT)
        self.err.close()


def fresh_interpreter(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(DRIVER), *argv], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=str(harness.ROOT))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ForkServer(tmp_path_factory.mktemp("crash-server"))
    yield srv
    srv.close()


def crash_and_resume(launch: Any, name: str, kill_at: str, d: Path) -> dict[str, Any]:
    """Phase "first" (killed at ``kill_at``), snapshot of the committed tasks, phase "resume"."""
    db, log = d / "runs.db", d / "effects.log"
    first = launch([name, str(db), str(log), "first", kill_at])
    out: dict[str, Any] = {"first": first}
    if first.returncode != -signal.SIGKILL:
        return out
    out["committed"] = {_key(ns, task, node) for ns, _, task, node in _writes(db)}
    out["resume"] = launch([name, str(db), str(log), "resume", "none"])
    out["final"] = _writes(db)
    out["effects"] = [tuple(line.split("\t")) for line in log.read_text().splitlines()] if log.exists() else []
    return out


@functools.lru_cache(maxsize=None)
def _expected(name: str) -> str:
    return json.dumps(harness.normalise(harness.native(name)), sort_keys=True)


def _show(proc: subprocess.CompletedProcess) -> str:
    return f"rc={proc.returncode}\n--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n{proc.stderr[-4000:]}"


def test_kill_points_cover_the_issue():
    assert len(CASES) >= 50
    assert len(EVENTS) >= 8
    assert set(EVENTS) == set(harness.CASES)


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_event_counts(name, server, tmp_path):
    """An uninterrupted run under the driver: the oracle's result and the events of EVENTS."""
    proc = server.run([name, str(tmp_path / "runs.db"), str(tmp_path / "effects.log"), "first", "none"])
    assert proc.returncode == 0, _show(proc)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert json.dumps(report["output"], sort_keys=True) == _expected(name)
    assert report["counts"] == EVENTS[name], "update EVENTS: the executor's events changed"


@pytest.mark.parametrize(("name", "kill_at"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_crash_resume(name, kill_at, server, tmp_path):
    check(name, kill_at, crash_and_resume(server.run, name, kill_at, tmp_path))


# the same through a brand-new interpreter per phase (no fork server involved)
@pytest.mark.parametrize(("name", "kill_at"), [("subgraph", "task:4"), ("hitl_parallel", "task:3")])
def test_crash_resume_fresh_interpreter(name, kill_at, tmp_path):
    check(name, kill_at, crash_and_resume(fresh_interpreter, name, kill_at, tmp_path))


def check(name: str, kill_at: str, res: dict[str, Any]) -> None:
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
    missing = sorted(_key(ns, task, node) for ns, _, task, node in res["final"]
                     if node in leaves - subgraphs and _key(ns, task, node) not in logged)
    assert not missing, f"journaled tasks with no side effect: {missing}"
