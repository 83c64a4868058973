"""Conductor's response timeout and the worker's lease extension (docs/conductor.md "Leases:
response timeouts and extendLease", docs/policies.md "Node timeouts"): an idle-timed node's
TaskDef gets ``responseTimeoutSeconds`` = ceil(idle) + 60, and the worker sends
``extendLease`` updates on the node's progress, so a node that keeps making progress for
longer than that survives, while one whose worker cannot report (a blocked event loop:
LangGraph's in-process idle timer cannot fire) is timed out by the server.

* the simulator, in virtual time (``worker_time_scale``: a worker call of r real seconds
  lasts 100·r virtual seconds; ``emulator/leases.py``);
* the REST façade with the real ``agentc worker conductor`` (conductor-python), on the wall
  clock, with the TaskDef's ``responseTimeoutSeconds`` cut to 1 s through the API;
* the server's rule itself, step by step on the simulator's clock (``isResponseTimedOut``,
  ``extendLease``).
Graphs: ``tests/lease_nodes.py``, ``tests/idle_nodes.py``."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

import pytest

import agentc
import idle_nodes as I
import lease_nodes as N
from agentc.errors import RunFailed
from agentc.targets.conductor.emulator.simulator import Simulator, TaskResult
from agentc.targets.conductor.simulate import Simulation

INPUT = {"url": "a"}
LEASE_S = 61  # ceil(0.3) + node_timeouts.ENGINE_GRACE_S


def _work_task(sim: Simulation) -> list[dict]:
    ex = sim.sim.execution(sim.workflow_id)
    return [t for t in ex["tasks"] if t["taskDefName"].endswith("-work")]


def test_the_lowering_gives_an_idle_timed_node_a_lease(tmp_path):
    agentc.compile("lease_nodes:beating", target="conductor").write(tmp_path)
    defs = {d["name"]: d for d in json.loads((tmp_path / "taskdefs.json").read_text())}
    work = defs["lease_nodes_beating-work"]
    # no run limit: the node may run as long as it makes progress (Temporal's 3650 days)
    assert (work["responseTimeoutSeconds"], work["timeoutSeconds"]) == (LEASE_S, 0)
    assert defs["lease_nodes_beating-prep"]["responseTimeoutSeconds"] == 3600  # untimed
    from agentc.targets.conductor.emulator.validator import validate_documents

    found = validate_documents([("taskdefs", list(defs.values()))], server="3.32")
    assert not [v for v in found if v.rule.startswith("TD")], found


def test_a_progressing_node_outlives_its_lease_in_virtual_time(tmp_path, monkeypatch):
    monkeypatch.setattr(I, "STEPS", 8)  # 0.8 s of beats: 80 virtual s, past the 61 s lease
    expected = asyncio.run(I.beats_auto.ainvoke(INPUT))
    agentc.compile("idle_nodes:beats_auto", target="conductor").write(tmp_path)
    sim = Simulation.of(tmp_path)
    sim.sim.worker_time_scale = 100
    assert sim.start(INPUT).output == expected
    [work] = _work_task(sim)
    assert work["status"] == "COMPLETED"
    assert work["endTime"] - work["startTime"] > LEASE_S * 1000  # it did outlive the lease


def test_without_extensions_the_server_times_the_progressing_node_out(tmp_path, monkeypatch):
    # the same run, its worker sending no extendLease: each attempt lapses at 61 s
    from agentc.targets.conductor import lease

    monkeypatch.setattr(I, "STEPS", 8)
    monkeypatch.setattr(lease, "simulated", lambda: None)
    agentc.compile("idle_nodes:beats_auto", target="conductor").write(tmp_path)
    sim = Simulation.of(tmp_path)
    sim.sim.worker_time_scale = 100
    with pytest.raises(RunFailed, match="responseTimeout: 61 exceeded"):
        sim.start(INPUT)
    tasks = _work_task(sim)
    assert [t["status"] for t in tasks] == ["TIMED_OUT"] * 3  # INFRA_RETRIES + 1 attempts
    assert all(t["endTime"] - t["startTime"] == LEASE_S * 1000 for t in tasks)


def test_a_wedged_worker_is_timed_out_by_the_server(tmp_path, monkeypatch):
    monkeypatch.setattr(N, "WEDGE_S", 0.7)  # 70 virtual s with its event loop blocked
    agentc.compile("lease_nodes:wedging", target="conductor").write(tmp_path)
    sim = Simulation.of(tmp_path)
    sim.sim.worker_time_scale = 100
    N.ATTEMPTS.clear()
    with pytest.raises(RunFailed, match="TIMED_OUT.*responseTimeout: 61 exceeded"):
        sim.start(INPUT)
    assert [t["status"] for t in _work_task(sim)] == ["TIMED_OUT"] * 3
    assert len(N.ATTEMPTS) == 3
    assert sim.sim.execution(sim.workflow_id)["status"] == "TIMED_OUT"


# ------------------------------------------------------------------- the server's rule
WF = {
    "name": "w",
    "version": 1,
    "schemaVersion": 2,
    "tasks": [{"name": "job", "taskReferenceName": "job", "type": "SIMPLE"}],
}
TD = {"name": "job", "retryCount": 0, "responseTimeoutSeconds": 10, "timeoutSeconds": 0}


def _worker_clock(monkeypatch) -> list[float]:
    """The real seconds a worker call takes, as the test says (scale 1: virtual = real)."""
    from types import SimpleNamespace

    from agentc.targets.conductor.emulator import leases

    now = [0.0]
    monkeypatch.setattr(leases, "time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


def test_extend_lease_moves_only_the_response_deadline(monkeypatch):
    # isResponseTimedOut: IN_PROGRESS and now - updateTime >= responseTimeout; extendLease
    # sets updateTime = now and nothing else (WorkflowExecutorOps.updateTask / extendLease)
    from agentc.targets.conductor.emulator.leases import current

    clock = _worker_clock(monkeypatch)

    def worker(call):
        for _ in range(3):  # an extension every 8 s
            clock[0] += 8
            current().extend()
        clock[0] += 9
        return TaskResult("COMPLETED", {"ok": True})

    sim = Simulator({"w": WF}, {"job": TD}, worker)
    sim.worker_time_scale = 1
    wid = sim.start("w")
    assert sim.run(wid) == "COMPLETED"  # 33 s in all, never 10 s without an extension
    t = sim.execution(wid)["tasks"][0]
    assert t["outputData"] == {"ok": True} and t["endTime"] - t["startTime"] == 33000

    def lapse(call):
        clock[0] += 8
        current().extend()
        clock[0] += 11  # 11 s without one: timed out 10 s after the extension
        return TaskResult("COMPLETED", {"late": True})

    sim = Simulator({"w": WF}, {"job": TD}, lapse)
    sim.worker_time_scale = 1
    wid = sim.start("w")
    assert sim.run(wid) == "TIMED_OUT"
    t = sim.execution(wid)["tasks"][0]
    assert t["status"] == "TIMED_OUT" and t["outputData"] == {}  # the late result ignored
    assert t["reasonForIncompletion"] == (
        f"responseTimeout: 10 exceeded for the taskId: {t['taskId']} with Task Definition: job"
    )
    assert t["endTime"] - t["startTime"] == 18000


def test_a_task_held_for_complete_task_has_no_response_timeout():
    # the simulator's deliberate difference (an AC305 waits for a human): no lapse
    sim = Simulator({"w": WF}, {"job": TD}, lambda call: TaskResult("IN_PROGRESS", {}))
    wid = sim.start("w")
    sim.run(wid)
    sim.advance(3600)
    assert sim.run(wid) == "RUNNING"
    assert sim.execution(wid)["tasks"][0]["status"] == "IN_PROGRESS"


# ------------------------------------------------------------- the REST façade, live
def _put_taskdef(url: str, td: dict) -> None:
    req = urllib.request.Request(
        f"{url}/metadata/taskdefs",
        data=json.dumps([td]).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200


def _deploy(L, server, ref: str, here: Path, extra: dict) -> str:
    lines = L.deploy(server.url, ref, here, extra)
    return [x.split()[1] for x in lines if x.startswith("workflow ")][-1]


def _cut_lease(server, root: str, **td) -> None:
    """Edit the work node's TaskDef through the API, as an operator would (the runs started
    afterwards use it)."""
    name = f"{root}-work"
    with urllib.request.urlopen(f"{server.url}/metadata/taskdefs/{name}", timeout=30) as r:
        found = json.loads(r.read())
    assert found["responseTimeoutSeconds"] == LEASE_S
    _put_taskdef(server.url, {**found, **td})


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")
def test_live_worker_extends_its_lease_and_a_wedged_one_is_timed_out(tmp_path, monkeypatch):
    import conductor_live as L

    from agentc.targets.conductor.emulator.http_api import EmulatedServer

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AGENTC_STORE", str(tmp_path / "blobs"))
    extra = {"AGENTC_TEST_LEASE_STEPS": "25", "AGENTC_TEST_WEDGE_S": "3"}
    with EmulatedServer() as server:
        root = _deploy(L, server, "lease_nodes:beating", tmp_path, extra)
        with L.worker(server.url, "lease_nodes:beating", tmp_path, extra) as log:
            # a first run under the lowering's 61 s lease warms the worker process up (a
            # cold start alone may take a second before the node runs)
            ex = L.wait(
                server.url, L.start(server.url, root, {"input": INPUT, "context": None}), log=log
            )
            assert ex["status"] == "COMPLETED", ex.get("reasonForIncompletion")
            # a 2.5 s node under a 1 s lease: alive only through its extendLease updates
            _cut_lease(server, root, responseTimeoutSeconds=1)
            wid = L.start(server.url, root, {"input": INPUT, "context": None})
            ex = L.wait(server.url, wid, log=log)
        assert ex["status"] == "COMPLETED", ex.get("reasonForIncompletion")
        works = [t for t in ex["tasks"] if t["taskDefName"].endswith("-work")]
        assert [t["status"] for t in works] == ["COMPLETED"], [
            (t["status"], t.get("reasonForIncompletion"), t["startTime"], t["endTime"])
            for t in works
        ]
        work = works[0]
        assert work["endTime"] - work["startTime"] > 2000
        beats = [
            r.body
            for r in server.requests
            if r.path == "/api/tasks" and (r.body or {}).get("extendLease")
        ]
        assert beats and {b["taskId"] for b in beats} == {work["taskId"]}
        assert all(b["status"] == "IN_PROGRESS" for b in beats)
        # its event loop blocked for 3 s: no extension, the server's sweep times it out
        root = _deploy(L, server, "lease_nodes:wedging", tmp_path, extra)
        _cut_lease(server, root, responseTimeoutSeconds=1, retryCount=0)
        with L.worker(server.url, "lease_nodes:wedging", tmp_path, extra) as log:
            wid = L.start(server.url, root, {"input": INPUT, "context": None})
            ex = L.wait(server.url, wid, log=log)
        assert ex["status"] == "TIMED_OUT", ex.get("reasonForIncompletion")
        assert "responseTimeout: 1 exceeded" in ex["reasonForIncompletion"]


def test_extensions_are_throttled_to_a_quarter_of_the_lease():
    from agentc.targets.conductor import lease

    now, sent = [0.0], []
    hook = lease.throttled(lambda: sent.append(now[0]), lambda: now[0], LEASE_S / 4)
    for i in range(1, 121):  # progress every 0.5 s for a minute
        now[0] = i * 0.5
        hook()
    assert sent == [15.5, 31.0, 46.5]  # never more often; never a gap near the 61 s lease
