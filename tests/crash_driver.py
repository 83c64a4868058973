"""Subprocess driver for the crash-recovery test (tests/test_crash.py).

    python tests/crash_driver.py FIXTURE DB LOG PHASE KILL_AT

Every node function of the fixture graph (recursively into subgraphs) is wrapped so
that, once the user's function has returned (the node "did its side effect"), it
appends ``PHASE\\tNODE\\tKEY`` to LOG (flushed and fsynced). KEY is the task's
checkpoint namespace (``<frame ns>|<task key>``, just the task key at the root), i.e.
the ``writes`` row ``(ns, task)`` of that task joined with ``|``.

PHASE "first": ``agentc.run`` plus the fixture's resumes (like ``harness.compiled``);
the process SIGKILLs itself at KILL_AT:

* ``<event>:<k>``  — at the k-th executor event of that kind (task_start, task, barrier,
  retry, paused, done), counted over the whole phase;
* ``node_end:<k>`` — inside the k-th completed node, right after its side effect was
  logged and before it returns (so its writes are never committed);
* ``none``         — never (prints the event counts as JSON, to pick kill points).

PHASE "resume": continue the single run in DB until it is done (``NO_VALUE`` after a
crash, the fixture's next answer whenever it is paused) and print the normalised final
output as JSON. How many answers were already given is kept in ``DB.progress.json``.

    python tests/crash_driver.py --serve

is a fork server for the test: it imports langgraph, agentc and every fixture once, then
for each JSON request line ``{"argv": [...], "stdout": PATH, "stderr": PATH}`` on stdin
forks a fresh child that runs ``main(argv)`` (SIGKILLed after ``"timeout"`` seconds) (so every phase starts from pristine,
never-run module state, and nothing is shared between the crashed and the resuming
process) and answers ``{"returncode": N, "timed_out": bool}`` (``-9``: SIGKILLed).
"""
from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


def die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class Driver:
    def __init__(self, name: str, db: str, log: str, phase: str, kill_at: str) -> None:
        self.name, self.db, self.log, self.phase = name, db, log, phase
        self.progress = Path(db + ".progress.json")
        self.kill_kind, self.kill_n = (None, 0) if kill_at == "none" else (kill_at.split(":")[0], int(kill_at.split(":")[1]))
        self.counts: Counter[str] = Counter()
        self.wrapped: list[str] = []

    # ------------------------------------------------------------ side effects
    def tick(self, kind: str) -> None:
        self.counts[kind] += 1
        if self.phase == "first" and kind == self.kill_kind and self.counts[kind] == self.kill_n:
            die()

    def on_event(self, kind: str, info: dict[str, Any]) -> None:
        self.tick(kind)

    def side_effect(self, node: str) -> None:
        from langchain_core.runnables.config import var_child_runnable_config

        conf = (var_child_runnable_config.get() or {}).get("configurable", {})
        key = conf.get("checkpoint_ns") or conf.get("__pregel_task_id") or "?"
        line = f"{self.phase}\t{node}\t{key}\n"
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self.tick("node_end")

    def wrap(self, builder: Any, prefix: str = "") -> None:
        for node_name, spec in builder.nodes.items():
            if node_name == "__start__":
                continue
            runnable = spec.runnable
            inner = getattr(runnable, "builder", None)
            if inner is not None and hasattr(inner, "nodes"):  # compiled subgraph: recurse
                self.wrap(inner, f"{prefix}{node_name}/")
                continue
            func, afunc = getattr(runnable, "func", None), getattr(runnable, "afunc", None)
            if func is None and afunc is None:
                raise SystemExit(f"crash_driver: cannot wrap node {prefix}{node_name} ({type(runnable)})")
            if callable(func):
                runnable.func = self._sync(node_name, func)
            if callable(afunc):
                runnable.afunc = self._async(node_name, afunc)
            self.wrapped.append(prefix + node_name)

    def _sync(self, node: str, fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = fn(*args, **kwargs)
            self.side_effect(node)
            return result
        return wrapper

    def _async(self, node: str, fn: Any) -> Any:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = await fn(*args, **kwargs)
            self.side_effect(node)
            return result
        return wrapper

    # ------------------------------------------------------------ phases
    def answered(self) -> int:
        return json.loads(self.progress.read_text())["answered"] if self.progress.exists() else 0

    def set_answered(self, n: int) -> None:
        tmp = self.progress.with_suffix(".tmp")
        tmp.write_text(json.dumps({"answered": n}))
        os.replace(tmp, self.progress)

    def first(self) -> Any:
        import agentc

        case = harness.CASES[self.name]
        outcome = agentc.run(harness.ref(self.name), case["input"], db=self.db, context=case.get("context"),
                             on_event=self.on_event)
        for i, answer in enumerate(case["resumes"]):
            assert outcome.status == "waiting", f"expected a pause, got {outcome.status}"
            # written before resuming: every kill point fires after the answer is committed
            self.set_answered(i + 1)
            outcome = agentc.resume(outcome.run_id, harness.agentc_answer(self.name, outcome, answer),
                                    db=self.db, on_event=self.on_event)
        assert outcome.status == "done", f"run still {outcome.status}"
        return outcome.output

    def resume(self) -> Any:
        import agentc
        from agentc.api import NO_VALUE
        from agentc.targets.local.journal import Journal

        con = sqlite3.connect(self.db)
        rows = con.execute("SELECT run_id FROM runs").fetchall()
        con.close()
        assert len(rows) == 1, f"expected one run in {self.db}, found {len(rows)}"
        run_id = rows[0][0]
        answers = harness.CASES[self.name]["resumes"]
        done = self.answered()
        while True:
            journal = Journal(self.db)
            try:
                row = journal.run(run_id)
            finally:
                journal.close()
            status = row["status"]
            if status == "done":
                return row["output"]
            if status == "waiting":
                assert done < len(answers), f"paused again after all {len(answers)} answers"
                pending = type("Pending", (), {"interrupts": row["interrupts"]})()
                value = harness.agentc_answer(self.name, pending, answers[done])
                done += 1
                self.set_answered(done)
            elif status in ("running", "failed"):
                value = NO_VALUE
            else:
                raise AssertionError(f"unexpected run status {status!r}")
            agentc.resume(run_id, value, db=self.db, on_event=self.on_event)


def main(argv: list[str]) -> int:
    name, db, log, phase, kill_at = argv
    d = Driver(name, db, log, phase, kill_at)
    d.wrap(harness.module(name).graph.builder)
    if phase == "first":
        out = d.first()
    elif phase == "resume":
        out = d.resume()
    else:
        raise SystemExit(f"unknown phase {phase!r}")
    print(json.dumps({"output": harness.normalise(out), "counts": dict(d.counts), "wrapped": d.wrapped},
                     sort_keys=True))
    return 0


def _child(req: dict[str, Any]) -> None:
    """Runs in the forked child; never returns."""
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        for fd, path in ((1, req["stdout"]), (2, req["stderr"])):
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, fd)
            os.close(out)
        code = main(req["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
        if not isinstance(exc.code, int) and exc.code is not None:
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - report, then exit non-zero
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve() -> int:
    import agentc.api  # noqa: F401 - warm the imports every child needs
    import agentc.targets.local.executor  # noqa: F401
    import langchain_core.runnables.config  # noqa: F401

    import agentc

    for name in harness.CASES:  # compile each once: warms imports and inspect's source caches
        agentc.load(harness.ref(name))
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(req)
        deadline = time.monotonic() + float(req.get("timeout", 120))
        timed_out = False
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline and not timed_out:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)
        rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(json.dumps({"returncode": rc, "timed_out": timed_out}), flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        sys.exit(serve())
    sys.exit(main(sys.argv[1:]))
