"""Runs on Temporal that go wrong, against the session's dev server, through the engine
and through the ``agentc`` CLI:

* bad input native LangGraph rejects at invoke time (a pydantic state's field, a context
  with a missing or an unknown field) is refused before any workflow starts (AC111, exit
  2, as ``--engine local`` does), and input that slips past (a workflow started by another
  client) fails the run at once instead of being retried forever;
* ``resume`` without a worker says that no worker polls the task queue, within a bound
  (it used to wait 30 s, then call the interrupt "a breakpoint that takes no value");
  ``resume --with-worker`` serves the run; ``--address`` defaults to $TEMPORAL_ADDRESS;
* a run whose node fails is resumable: the workflow waits for ``agentc resume``, which
  runs the failed node again (only it: its sibling's write is kept), as LangGraph resumes
  a failed run from its checkpoint.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import harness
import pytest
import temporal_shape_graphs as shapes
from agentc.errors import Code, RunFailed
from agentc.targets.temporal import engine
from test_temporal_cli import agentc_cli, no_traceback

GRAPHS = Path(shapes.__file__).resolve()
BAD_RUN_S = 60  # a refused input answers in seconds; the old behaviour hung forever


def ref(name: str) -> str:
    return f"{GRAPHS}:{name}"


async def exists(address: str, run_id: str) -> bool:
    from temporalio.service import RPCError

    client = await engine.connect(address)
    try:
        await client.get_workflow_handle(run_id).describe()
        return True
    except RPCError:
        return False


# ====================================================================== bad input
BAD_INPUTS = {
    "pydantic_missing_field": ("pydantic_state", ["--input", json.dumps({"body": "x"})], "Article"),
    "pydantic_wrong_type": ("pydantic_state", ["--input", json.dumps({"title": 5})], "Article"),
    "context_missing_field": ("runtime_context", ["--input", "{}", "--context", "{}"], "user_name"),
    "context_unknown_field": ("runtime_context", ["--input", "{}", "--context",
                                                  json.dumps({"user_name": "Ada", "bogus": 1})], "bogus"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_refused_before_the_run_starts(case, temporal_address, tmp_path):
    fixture, args, mentions = BAD_INPUTS[case]
    run_id = f"bad-{case}-{uuid.uuid4().hex[:8]}"
    t0 = time.monotonic()
    r = agentc_cli("run", harness.ref(fixture), "--engine", "temporal", "--address", temporal_address,
                   "--with-worker", "--task-queue", f"q-{run_id}", "--run-id", run_id, *args, cwd=tmp_path,
                   timeout=BAD_RUN_S)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "AC111" in r.stderr and mentions in r.stderr and r.stdout == "", r.stderr
    no_traceback(r)
    # the same diagnostic as the local engine
    local = agentc_cli("run", harness.ref(fixture), "--db", str(tmp_path / "runs.db"), *args, cwd=tmp_path)
    assert local.returncode == 2 and local.stderr.splitlines()[0] == r.stderr.splitlines()[0], local.stderr
    assert not asyncio.run(exists(temporal_address, run_id)), "a workflow was started for refused input"
    print(f"{case}: refused in {time.monotonic() - t0:.1f} s")


def test_bad_context_that_slips_through_fails_the_run_at_once(temporal_address, tmp_path):
    """A workflow started with a context the schema rejects (by a client that does not
    check it): the activity fails non-retryably with AC111, so the run fails at once."""
    async def go() -> Any:
        client = await engine.connect(temporal_address)
        loaded = engine.load(harness.ref("runtime_context"), tmp_path / "code")
        q = f"slip-{uuid.uuid4().hex[:8]}"
        run_id = f"{q}-run"
        async with engine.running_worker(client, loaded, q):
            await client.start_workflow(loaded["manifest"]["workflow"], {"input": {}, "context": {"bogus": 1}},
                                        id=run_id, task_queue=q)
            with pytest.raises(RunFailed) as err:
                await engine.wait(client, run_id, timeout_s=BAD_RUN_S)
            desc = await client.get_workflow_handle(run_id).describe()
            return err.value, desc.status.name

    err, status = asyncio.run(go())
    assert err.code is Code.INPUT_SCHEMA and "context does not fit Ctx" in str(err), err
    assert status == "FAILED"


# ====================================================================== no worker
def test_resume_without_a_worker_says_so_within_a_bound(temporal_address, tmp_path):
    case = harness.CASES["hitl_review"]
    q = f"noworker-{uuid.uuid4().hex[:8]}"
    r = agentc_cli("run", harness.ref("hitl_review"), "--engine", "temporal", "--address", temporal_address,
                   "--with-worker", "--task-queue", q, "--input", json.dumps(case["input"]), cwd=tmp_path)
    assert r.returncode == 3, r.stdout + r.stderr
    run_id = json.loads(r.stdout)["run_id"]
    t0 = time.monotonic()
    r = agentc_cli("resume", run_id, "--engine", "temporal", "--address", temporal_address, "--value", "true",
                   cwd=tmp_path, timeout=120)
    took = time.monotonic() - t0
    assert r.returncode == 2, r.stdout + r.stderr
    assert "AC401" in r.stderr and "no worker" in r.stderr and q in r.stderr, r.stderr
    assert "breakpoint" not in r.stderr
    no_traceback(r)
    assert took < engine.NO_WORKER_S + 45, took  # the bound plus a CLI start-up on a loaded machine
    print(f"resume without a worker answered in {took:.1f} s")

    # the hint works: with a worker (and the address from $TEMPORAL_ADDRESS) the run goes on
    env = {"TEMPORAL_ADDRESS": temporal_address}
    r = agentc_cli("resume", run_id, "--engine", "temporal", "--with-worker", "--value",
                   json.dumps(case["resumes"][0]), cwd=tmp_path, env=env)
    assert r.returncode == 3, r.stdout + r.stderr
    assert [i["value"]["question"] for i in json.loads(r.stdout)["interrupts"]] == ["Any comment for the author?"]
    r = agentc_cli("resume", run_id, "--engine", "temporal", "--with-worker", "--value",
                   json.dumps(case["resumes"][1]), cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert harness.normalise(json.loads(r.stdout)) == harness.normalise(harness.native("hitl_review"))


def test_run_without_a_worker_is_refused_and_starts_nothing(temporal_address, tmp_path):
    run_id = f"nobody-{uuid.uuid4().hex[:8]}"
    r = agentc_cli("run", harness.ref("chain"), "--engine", "temporal", "--task-queue", f"q-{run_id}",
                   "--run-id", run_id, "--input", json.dumps(harness.CASES["chain"]["input"]), cwd=tmp_path,
                   env={"TEMPORAL_ADDRESS": temporal_address}, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "AC401" in r.stderr and "no worker polls task queue" in r.stderr and "--with-worker" in r.stderr
    no_traceback(r)
    assert not asyncio.run(exists(temporal_address, run_id))


# ====================================================================== failed runs resume
def native_failed_then_resumed(flag: Path, monkeypatch: Any) -> Any:
    """LangGraph's own answer: invoke fails while the flag exists; after the fix,
    ``invoke(None)`` resumes from the checkpoint."""
    from langgraph.checkpoint.memory import InMemorySaver

    monkeypatch.setenv("AGENTC_TEST_FAIL_FILE", str(flag))
    monkeypatch.delenv("AGENTC_TEST_CALLS_FILE", raising=False)
    g = shapes.flaky().builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    flag.write_text("fail")
    with pytest.raises(RuntimeError, match="boom"):
        g.invoke({"log": []}, cfg)
    flag.unlink()
    return g.invoke(None, cfg)


def test_a_failed_run_resumes_after_the_fix(temporal_address, tmp_path, monkeypatch):
    flag, calls = tmp_path / "fail.flag", tmp_path / "calls.log"
    expected = native_failed_then_resumed(flag, monkeypatch)
    monkeypatch.setenv("AGENTC_TEST_CALLS_FILE", str(calls))
    flag.write_text("fail")

    async def go() -> Any:
        client = await engine.connect(temporal_address)
        loaded = engine.load(shapes.flaky_graph, tmp_path / "code")
        q = f"flaky-{uuid.uuid4().hex[:8]}"
        async with engine.running_worker(client, loaded, q):
            with pytest.raises(RunFailed) as err:
                await asyncio.wait_for(engine.start(shapes.flaky_graph, temporal_address, {"log": []},
                                                    client=client, task_queue=q, run_id=f"{q}-run"), BAD_RUN_S)
            assert err.value.code is Code.NODE_FAILED and "boom" in str(err.value), err.value
            assert "agentc resume" in err.value.diagnostic.hint
            desc = await client.get_workflow_handle(f"{q}-run").describe()
            assert desc.status.name == "RUNNING"  # waiting for the retry, not failed for good
            # resuming before the fix fails the same way, and the run still waits
            with pytest.raises(RunFailed):
                await asyncio.wait_for(engine.resume(f"{q}-run", temporal_address, client=client), BAD_RUN_S)
            flag.unlink()
            return await asyncio.wait_for(engine.resume(f"{q}-run", temporal_address, client=client), BAD_RUN_S)

    out = asyncio.run(go())
    assert out.status == "done"
    assert harness.normalise(out.output) == harness.normalise(expected)
    ran = calls.read_text().split()
    assert ran.count("ok") == 1 and ran.count("after") == 1 and ran.count("boom") == 3, ran


def test_a_failed_run_resumes_through_the_cli(temporal_address, tmp_path, monkeypatch):
    flag, calls = tmp_path / "fail.flag", tmp_path / "calls.log"
    expected = native_failed_then_resumed(flag, monkeypatch)
    flag.write_text("fail")
    env = {"AGENTC_TEST_FAIL_FILE": str(flag), "AGENTC_TEST_CALLS_FILE": str(calls),
           "TEMPORAL_ADDRESS": temporal_address}
    q = f"flakycli-{uuid.uuid4().hex[:8]}"
    r = agentc_cli("run", ref("flaky_graph"), "--engine", "temporal", "--with-worker", "--task-queue", q,
                   "--run-id", f"{q}-run", "--input", json.dumps({"log": []}), cwd=tmp_path, env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "AC300" in r.stderr and "boom" in r.stderr and f"agentc resume {q}-run" in r.stderr, r.stderr
    no_traceback(r)
    flag.unlink()
    r = agentc_cli("resume", f"{q}-run", "--engine", "temporal", "--with-worker", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert harness.normalise(json.loads(r.stdout)) == harness.normalise(expected)
    ran = calls.read_text().split()
    assert ran.count("ok") == 1 and ran.count("boom") == 2, ran
    # a finished run is not resumable any more
    r = agentc_cli("resume", f"{q}-run", "--engine", "temporal", cwd=tmp_path, env=env)
    assert r.returncode == 2 and "AC121" in r.stderr and "completed" in r.stderr, r.stderr


# ====================================================================== plan shapes via the CLI
@pytest.mark.parametrize("name,inp", [("cond", {"log": ["go-b"]}), ("sends", {"log": ["x", "y"]}),
                                      ("deferred", {"log": []})])
def test_run_with_worker_of_start_routes_and_deferred_fanouts(name, inp, temporal_address, tmp_path):
    """The shapes of test_temporal_plan_shapes.py through ``agentc run --with-worker``
    (a conditional edge from START crashed the code generator after the run had started)."""
    r = agentc_cli("run", ref(name), "--engine", "temporal", "--with-worker", "--task-queue",
                   f"shape-{uuid.uuid4().hex[:8]}", "--input", json.dumps(inp), cwd=tmp_path,
                   env={"TEMPORAL_ADDRESS": temporal_address})
    assert r.returncode == 0, r.stdout + r.stderr
    no_traceback(r)
    assert harness.normalise(json.loads(r.stdout)) == harness.normalise(getattr(shapes, name).invoke(inp))
