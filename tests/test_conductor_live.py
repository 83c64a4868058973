"""The live-server paths of the Conductor target, end to end: ``agentc deploy`` and
``agentc worker conductor`` (conductor-python's real worker runtime, in subprocesses)
against the emulator's REST façade (``targets/conductor/emulator/http_api.py``: the
simulator's decider behind the server's endpoints), with the run started and read through
conductor-python's client. Every task is polled, run and updated over HTTP.

* a graph (``map_reduce``: Send fan-out as FORK_JOIN_DYNAMIC) gives ``graph.invoke``'s state;
* an agent (``research_assistant``: an agent used as a tool, a SUB_WORKFLOW) gives
  ``Runner.run``'s final output (``agentc deploy`` could not lower an agent before);
* the booking saga's failure workflow runs its ``<root>-saga_compensate`` task: the worker
  polls it (before, ``serve`` polled the plan's task types only, so nothing ran it);
* the fail_fast fan-out of ``openai_agents/parallel_checks``: the slow sibling, already
  running in its own worker process when the failing call ends the run, is cancelled by
  the watcher asking the server (``GET /api/tasks/{id}``) — its effect is never observed
  (before, the live worker ran no watcher);
* a tool failing beside completed calls in a run with a session: the worker reads the
  execution from the server (``GET /api/workflow/{id}?includeTasks=true``) and saves the
  completed calls to the session as ``Runner.run`` does (before, only the simulation did);
* an external step completed through ``POST /api/tasks``.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

import conductor_live as L
from harness import CASES, native, normalise

from agentc.targets.conductor.emulator.http_api import EmulatedServer

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings(
    "ignore:Call to deprecated:DeprecationWarning"
)  # the SDK's models


@pytest.fixture(scope="module")
def server():
    with EmulatedServer() as srv:
        yield srv


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AGENTC_STORE", str(tmp_path / "blobs"))
    return tmp_path


def root_of(lines: list[str]) -> str:
    """The root workflow: ``agentc deploy`` registers it last."""
    return [x.split()[1] for x in lines if x.startswith("workflow ")][-1]


# ------------------------------------------------------------------------------ a graph
def test_graph_runs_on_live_workers_as_graph_invoke(server, here):
    ref = "agentc.fixtures.langgraph.map_reduce:graph"
    root = root_of(L.deploy(server.url, ref, here))
    with L.worker(server.url, ref, here) as log:
        wid = L.start(server.url, root, {"input": CASES["map_reduce"]["input"], "context": None})
        ex = L.wait(server.url, wid, log=log)
    assert ex["status"] == "COMPLETED", ex.get("reasonForIncompletion")
    assert normalise(L.result(ex)) == normalise(native("map_reduce"))
    # every worker task went out through a poll and came back through POST /api/tasks
    polls = [r for r in server.requests if r.path.startswith("/api/tasks/poll/batch/")]
    updates = [r.body for r in server.requests if r.method == "POST" and r.path == "/api/tasks"]
    assert polls and {u["workflowInstanceId"] for u in updates} >= {wid}
    assert any(t["taskType"] == "FORK" for t in ex["tasks"])


# ------------------------------------------------------------------------------ an agent
def test_agent_deploys_and_runs_on_live_workers_as_runner_run(server, here):
    from openai_agents_oracle import load_cases, run_native

    case = load_cases()["research_assistant"]
    lines = L.deploy(server.url, case["ref"], here)
    root = root_of(lines)
    with L.worker(server.url, case["ref"], here) as log:
        wid = L.start(server.url, root, L.agent_input(case["ref"], case["input"]))
        ex = L.wait(server.url, wid, log=log)
    assert ex["status"] == "COMPLETED", ex.get("reasonForIncompletion")
    want = run_native(case)
    got = L.result(ex)
    assert got["final_output"] == want["final_output"] and got["last_agent"] == want["last_agent"]
    assert any(t["taskType"] == "SUB_WORKFLOW" for t in ex["tasks"])  # the agent used as a tool


# ------------------------------------------------------------------------------ the saga
SAGA = "agentc.fixtures.langgraph.booking_saga:graph"
POLICY = (ROOT / "fixtures" / "langgraph" / "booking_saga.policy.toml").read_text()


def test_failure_workflow_compensation_is_polled_by_the_worker(server, here, monkeypatch):
    from booking_service import serving

    with serving(monkeypatch, here, POLICY.replace("[effects.", "[tool.agentc.effects.")) as svc:
        root = root_of(L.deploy(server.url, SAGA, here))
        with L.worker(server.url, SAGA, here) as log:
            wid = L.start(
                server.url,
                root,
                {"input": {"trip": "t", "hotel": "full", "amount": 1}, "context": None},
            )
            ex = L.wait(server.url, wid, log=log)
            assert ex["status"] == "FAILED" and "no room left" in ex["reasonForIncompletion"]
            fid = ex["output"]["conductor.failure_workflow"]
            comp = L.wait(server.url, fid, bound_s=60, log=log)
        assert comp["status"] == "COMPLETED" and comp["output"] == {
            "compensated": ["reserve_flight"]
        }
        assert [t["taskType"] for t in comp["tasks"]] == ["booking_saga-saga_compensate"]
        assert svc.paths() == ["/flights/reserve", "/flights/release"]


# ------------------------------------------------------------------------------ fail_fast
AGENT = "agentc.fixtures.openai_agents.parallel_checks:agent"
SLOW_S = 2.0


def test_fail_fast_cancels_the_running_slow_sibling_through_the_server(server, here):
    from agents import Runner

    from agentc.fixtures.openai_agents.parallel_checks import agent

    effects = here / "effects.txt"
    extra = {"AGENTC_EFFECTS_FILE": str(effects), "AGENTC_SLOW_S": str(SLOW_S)}
    root = root_of(L.deploy(server.url, AGENT, here, extra))
    with L.worker(server.url, AGENT, here, extra) as log:
        # a run that succeeds first, as Runner.run: every task type's process has its worker
        # built, so the next run's tasks start when they are polled
        wid = L.start(server.url, root, L.agent_input(AGENT, "book AC1, paid"))
        ok = L.wait(server.url, wid, log=log)
        assert ok["status"] == "COMPLETED", ok.get("reasonForIncompletion")
        assert (
            L.result(ok)["final_output"]
            == asyncio.run(Runner.run(agent, "book AC1, paid")).final_output
        )
        effects.unlink()
        # the slow call first in the response: an engine running the calls one after another
        # would run it to its end
        wid = L.start(server.url, root, L.agent_input(AGENT, "book AC1, crew first"))
        ex = L.wait(server.url, wid, log=log)
        assert ex["status"] == "FAILED" and "card 4242 declined" in ex["reasonForIncompletion"]
        slow = next(t for t in ex["tasks"] if t["taskType"].endswith("notify_crew"))
        assert slow["status"] == "CANCELED"  # cancelNonTerminalTasks, while its worker ran it
        # a bounded look for the slow sibling's effect: written SLOW_S after its node began
        end = slow["startTime"] / 1000 + SLOW_S + 2
        while time.time() < end and "notify" not in (
            effects.read_text() if effects.exists() else ""
        ):
            time.sleep(0.1)
        assert "notify" not in lines(effects)  # cancelled before its effect (none yet: no file)
        # then the failure workflow compensates what the server saw completed
        L.wait(server.url, ex["output"]["conductor.failure_workflow"], bound_s=60, log=log)
        # the compensable sibling: compensated when it started — by the failure workflow
        # when its answer reached the server before the failure (as Runner.run), else by
        # its worker (the server ignored its answer: late_effects.py)
        until(lambda: lines(effects) != ["hold"], 30)
    seen = lines(effects)
    assert "notify" not in seen, seen
    hold = next(t for t in ex["tasks"] if t["taskType"].endswith("hold_seat"))
    assert seen == (["hold", "release"] if hold.get("startTime") else []), (hold, seen)
    asked = [
        r for r in server.requests if r.method == "GET" and r.path == f"/api/tasks/{slow['taskId']}"
    ]
    assert asked, "the watcher never asked the server for the slow task's status"


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


# ------------------------------------------------------------------------------ late effects
LATE = "late_effect_agents:agent"
LATE_S = 1.5


def until(cond, bound_s: float) -> bool:
    """Poll ``cond`` for at most ``bound_s`` seconds."""
    end = time.monotonic() + bound_s
    while not cond() and time.monotonic() < end:
        time.sleep(0.1)
    return bool(cond())


def test_late_compensable_sibling_is_compensated_by_its_worker(server, here, monkeypatch):
    """A sync compensable call that finishes after its sibling failed the run: the server
    ignores its update (the task is CANCELED), so the failure workflow never sees the
    effect; the worker learns it by reading the task back and compensates it itself, once
    (docs/effects.md "Late effects on a live Conductor server"). Before, the reservation
    stayed: the service saw ``/flights/reserve`` and nothing else."""
    from booking_service import serving

    extra = {"AGENTC_SLOW_S": str(LATE_S)}
    with serving(monkeypatch, here) as svc:
        root = root_of(L.deploy(server.url, LATE, here, extra))
        with L.worker(server.url, LATE, here, extra) as log:
            # a run that succeeds first: every task type's process has its worker built
            ok = L.wait(server.url, L.start(server.url, root, L.agent_input(LATE, "paid")), log=log)
            assert ok["status"] == "COMPLETED", ok.get("reasonForIncompletion")
            svc.reset()
            wid = L.start(server.url, root, L.agent_input(LATE, "hold it"))
            ex = L.wait(server.url, wid, log=log)
            assert ex["status"] == "FAILED" and "card 4242 declined" in ex["reasonForIncompletion"]
            hold = next(t for t in ex["tasks"] if t["taskType"].endswith("hold_seat"))
            assert hold["status"] == "CANCELED" and hold.get("startTime")  # a worker ran it
            fid = ex["output"]["conductor.failure_workflow"]
            comp = L.wait(server.url, fid, bound_s=60, log=log)
            assert comp["output"] == {"compensated": []}  # the saga never saw the hold
            until(lambda: "/flights/release" in svc.paths(), LATE_S + 30)
        assert svc.paths() == ["/flights/reserve", "/flights/release"], (
            svc.requests,
            log.read_text()[-4000:],
        )
        assert all(not r.replayed for r in svc.requests), svc.requests  # released once
    # the ledger of the live run: the late effect, compensated (by its worker)
    rows = json.loads(agentc_cli(here, "effects", wid, "--json", "--server", server.url))
    assert [(r["name"], r["status"], r["comp_status"]) for r in rows] == [
        ("hold_seat", "done", "done")
    ]
    assert rows[0]["result"].startswith("FL-") and rows[0]["comp_finished"]


def agentc_cli(cwd: Path, *args: str, code: int = 0) -> str:
    """``agentc ARGS --engine conductor`` in ``cwd`` (the tests' store), its stdout."""
    import subprocess

    proc = subprocess.run(
        [L.AGENTC, *args, "--engine", "conductor"],
        cwd=cwd,
        env=L.env(cwd),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == code, proc.stdout + proc.stderr[-3000:]
    return proc.stdout if code == 0 else proc.stdout + proc.stderr


# ------------------------------------------------------------------------------ cancel
APPROVAL = "agentc.fixtures.langgraph.booking_approval:graph"


def test_cancel_terminates_a_live_run_and_its_failure_workflow_compensates(
    server, here, monkeypatch
):
    """`agentc cancel RUN_ID --engine conductor --server URL` at a pause: the server's
    terminate starts no failure workflow, so agentc starts it (with the input the server
    gives one) and a worker compensates — the local cancel's traffic
    (test_effects_agents_engines: reserve, then release). Before, --server did not exist."""
    from booking_service import serving

    with serving(monkeypatch, here) as svc:
        root = root_of(L.deploy(server.url, APPROVAL, here))
        with L.worker(server.url, APPROVAL, here) as log:
            wid = L.start(server.url, root, {"input": {"trip": "c"}, "context": None})

            def paused() -> bool:
                ex = L.execution(server.url, wid)
                return any(
                    t["taskType"] == "HUMAN" and t["status"] == "IN_PROGRESS" for t in ex["tasks"]
                )

            assert until(paused, 60), L.execution(server.url, wid)
            assert svc.paths() == ["/flights/reserve"]
            out = json.loads(agentc_cli(here, "cancel", wid, "--server", server.url))
            assert out["status"] == "cancelled" and out["compensated"] == ["book"], out
        assert svc.paths() == ["/flights/reserve", "/flights/release"], log.read_text()[-3000:]
        assert L.execution(server.url, wid)["status"] == "TERMINATED"
        rows = json.loads(agentc_cli(here, "effects", wid, "--json", "--server", server.url))
        assert [(r["name"], r["status"], r["comp_status"]) for r in rows] == [
            ("book", "paused", "done")
        ]
        again = agentc_cli(here, "cancel", wid, "--server", server.url, code=2)
        assert "AC121" in again and "TERMINATED" in again
        assert svc.paths() == ["/flights/reserve", "/flights/release"]  # nothing twice


# ------------------------------------------------------------------------------ session settle
def test_failing_tool_beside_completed_calls_saves_them_to_the_session(server, here):
    import agents_sessions as S
    from test_session_failures import items, native_failed

    want = native_failed(here, S.stepper_three)
    db = str(here / "chats.sqlite")
    ref = "agents_sessions:stepper_three"
    extra = {"AGENTC_SESSION": "agents_sessions:session_for"}
    root = root_of(L.deploy(server.url, ref, here, extra))
    with L.worker(server.url, ref, here, extra) as log:
        wid = L.start(server.url, root, L.agent_input(ref, "go", {"chat_id": "c1", "db": db}))
        ex = L.wait(server.url, wid, log=log)
    assert (
        ex["status"] == "FAILED" and "the third turn's tool failed" in ex["reasonForIncompletion"]
    )
    assert items(db) == want


# ------------------------------------------------------------------------------ the façade
def test_registration_applies_the_servers_rules(server):
    """A definition the server would refuse is refused with its 400 body (the validator's
    registration rules), and nothing is stored."""
    from agentc.errors import AgentcError
    from agentc.targets.conductor.server import deploy

    bad = {
        "name": "dup_refs",
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "a@b.c",
        "tasks": [
            {"name": "x", "taskReferenceName": "a", "type": "SIMPLE"},
            {"name": "y", "taskReferenceName": "a", "type": "SIMPLE"},
        ],
    }
    with pytest.raises(AgentcError, match="HTTP 400") as ei:
        deploy({"dup_refs": bad}, {}, server.url)
    assert "unique" in json.dumps(ei.value.details["body"])
    assert server.sim._lookup_definition("dup_refs", None) is None


def test_update_of_an_ended_task_is_ignored_and_by_ref_completes_a_human_task(server):
    from agentc.targets.conductor.server import deploy

    wf = {
        "name": "ask",
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "a@b.c",
        "outputParameters": {"answer": "${h.output.resume}"},
        "tasks": [{"name": "h", "taskReferenceName": "h", "type": "HUMAN"}],
    }
    deploy({"ask": wf}, {}, server.url)
    wid = L.start(server.url, "ask", {})
    api = L.clients(server.url)["api"]
    from conductor.client.http.api.task_resource_api import TaskResourceApi

    TaskResourceApi(api).update_task1({"resume": 42}, wid, "h", "COMPLETED")
    ex = L.wait(server.url, wid, bound_s=10)
    assert ex["status"] == "COMPLETED" and ex["output"] == {"answer": 42}
    tid = ex["tasks"][0]["taskId"]
    from conductor.client.http.models.task_result import TaskResult

    TaskResourceApi(api).update_task(
        TaskResult(workflow_instance_id=wid, task_id=tid, status="FAILED")
    )
    assert L.execution(server.url, wid)["tasks"][0]["status"] == "COMPLETED"  # ignored


def test_batch_poll_hands_a_task_out_once(server):
    from agentc.targets.conductor.server import deploy
    from conductor.client.http.api.task_resource_api import TaskResourceApi

    wf = {
        "name": "one",
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "a@b.c",
        "tasks": [{"name": "one_t", "taskReferenceName": "t", "type": "SIMPLE"}],
    }
    deploy(
        {"one": wf},
        {
            "one_t": {
                "name": "one_t",
                "ownerEmail": "a@b.c",
                "retryCount": 0,
                "timeoutSeconds": 60,
                "responseTimeoutSeconds": 60,
            }
        },
        server.url,
    )
    wid = L.start(server.url, "one", {"x": 1})
    tasks = TaskResourceApi(L.clients(server.url)["api"])
    got = tasks.batch_poll("one_t", count=5, timeout=100)
    assert [(t.workflow_instance_id, t.status, t.input_data) for t in got] == [
        (wid, "IN_PROGRESS", {})
    ]
    assert tasks.batch_poll("one_t", count=5, timeout=100) == []
    assert tasks.get_task(got[0].task_id).status == "IN_PROGRESS"
