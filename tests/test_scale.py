"""Production-scale durable runs (issue 11): long, heavy runs complete on every engine with
the native result, no engine payload passes 64 KiB (large values travel through the
claim-check store, semantics/blobs.py and claim_check.py), the store works on a real
S3-compatible server (moto's server mode on 127.0.0.1), and what cannot be bounded fails
loudly with a diagnostic instead of being retried forever.

Before the claim check, the 60 × 40 KB agent never finished on Temporal (the model
activity's input passed the 2 MB payload cap, TMPRL1103, and was retried forever) and
crashed the Conductor simulation (its JavaScript heap ran out on the growing payloads)."""
from __future__ import annotations

import asyncio
import json
import uuid

import agentc
import pytest
import scale_agents
from agentc.semantics import blobs, claim_check
from agentc.runtime_shims.payload_limits import MAX_PAYLOAD
from agentc.targets.conductor.simulate import Simulation


def native_agent(agent, max_turns=1000):
    from agents import Runner

    r = asyncio.run(Runner.run(agent, "go", max_turns=max_turns))
    return {"final_output": r.final_output, "last_agent": r.last_agent.name}


def largest_task_payload(sim):
    ex = sim.sim.execution(sim.workflow_id)
    return max(len(json.dumps(t.get(k) or {})) for t in ex["tasks"] for k in ("inputData", "outputData"))


def simulate(ref, folder, inp, **kw):
    agentc.compile(ref, target="conductor").write(folder)
    sim = Simulation.of(folder)
    return sim, sim.start(inp, **kw)


async def temporal_run(ref, address, inp, code_dir, **kw):
    """(outcome, largest activity payload in bytes, history bytes) of one run on Temporal."""
    from agentc.targets.temporal import engine
    from temporalio.api.enums.v1 import EventType

    client = await engine.connect(address)
    q = f"scale-{uuid.uuid4().hex[:10]}"
    run_id = f"{q}-run"
    async with engine.running_worker(client, engine.load(ref, code_dir), q):
        try:
            out = await asyncio.wait_for(engine.start(ref, address, inp, client=client, task_queue=q, run_id=run_id,
                                                      **kw), 600)
        except asyncio.TimeoutError:
            await client.get_workflow_handle(run_id).terminate("test timeout")
            raise
    largest = history = 0
    async for e in client.get_workflow_handle(run_id).fetch_history_events():
        history += e.ByteSize()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            largest = max([largest] + [len(p.data) for p in e.activity_task_scheduled_event_attributes.input.payloads])
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            largest = max([largest] + [len(p.data) for p in e.activity_task_completed_event_attributes.result.payloads])
    return out, largest, history


# ====================================================================== the 60-page agent
def test_sixty_pages_of_40kb_in_the_conductor_simulation(tmp_path, local_store):
    sim, out = simulate("scale_agents:pages_60x40k", tmp_path / "art", "go", max_turns=1000)
    assert out.status == "done"
    assert out.output == native_agent(scale_agents.pages_60x40k)
    assert largest_task_payload(sim) <= MAX_PAYLOAD


def test_sixty_pages_of_40kb_on_temporal(temporal_address, tmp_path, local_store):
    out, largest, _ = asyncio.run(temporal_run("scale_agents:pages_60x40k", temporal_address, "go",
                                               tmp_path / "code", max_turns=1000))
    assert out.output == native_agent(scale_agents.pages_60x40k)
    assert largest <= MAX_PAYLOAD


def test_temporal_history_per_turn_does_not_grow_with_the_run(temporal_address, tmp_path, local_store):
    """Each turn adds the same history bytes at 5 and at 25 turns (the journal travels as
    references; before the claim check every model activity carried the whole journal)."""
    per_turn = {}
    for n, ref in ((5, "scale_agents:pages_5x2k"), (25, "scale_agents:pages_25x2k")):
        out, _, history = asyncio.run(temporal_run(ref, temporal_address, "go", tmp_path / f"code{n}",
                                                   max_turns=100))
        assert out.output == native_agent(getattr(scale_agents, ref.split(":")[1]))
        per_turn[n] = history / n
    assert per_turn[25] < 1.25 * per_turn[5], per_turn


def test_a_langgraph_loop_whose_messages_grow(temporal_address, tmp_path, local_store):
    inp = {"messages": ["start"], "pages": 30, "size": 40 * 1024}
    native = scale_agents.loop_graph.invoke(inp)
    sim, out = simulate("scale_agents:loop_graph", tmp_path / "art", inp)
    assert out.output == native
    assert largest_task_payload(sim) <= MAX_PAYLOAD
    out, largest, _ = asyncio.run(temporal_run("scale_agents:loop_graph", temporal_address, inp, tmp_path / "code"))
    assert out.output == native
    assert largest <= MAX_PAYLOAD


# ====================================================================== the store
def test_claim_check_round_trips_through_a_real_s3_server(s3_store, tmp_path):
    """Values, journals and a whole simulated run through s3fs against moto's server."""
    big = scale_agents.page_text(7, 50_000)
    ref = claim_check.put_value({"page": big})
    assert blobs.is_ref(ref) and ref.startswith("blob:sha256:")
    blobs._STORES.clear()  # a fresh process: nothing cached
    assert claim_check.get_value(ref) == {"page": big}
    fs = blobs.store().fs
    assert fs.exists(blobs.store().path(ref[len(blobs.PREFIX):]))
    _sim, out = simulate("scale_agents:pages_3x1k", tmp_path / "art", "go", max_turns=100)
    assert out.output == native_agent(scale_agents.pages_3x1k)
    inp = {"messages": ["start"], "pages": 3, "size": 20_000}
    _, out = simulate("scale_agents:loop_graph", tmp_path / "art2", inp)
    assert out.output == scale_agents.loop_graph.invoke(inp)
    assert len(fs.find(s3_store.removeprefix("s3://"))) > 3  # the pages went to the bucket


def test_a_blob_is_written_before_its_reference_exists(local_store):
    """``put`` returns only once the blob is on disk under its digest (no temporary file
    left), and another process's store — nothing cached — reads it back."""
    from pathlib import Path

    data = b"x" * 10_000
    ref = blobs.store().put(data)
    path = Path(blobs.store().path(ref[len(blobs.PREFIX):]))
    assert path.read_bytes() == data and path.name == blobs.digest(data)
    assert not [p for p in Path(local_store).rglob(".tmp-*")]
    assert blobs.Store(local_store).get(ref) == data
    assert blobs.store().put(data) == ref  # idempotent: a retried step writes the same name


def test_journal_chains_are_flattened_and_equal_to_the_flat_journal(local_store):
    text, flat = None, {}
    for i in range(claim_check.CHAIN_MAX * 2 + 3):
        flat[f"k{i}"] = claim_check.put_value("v" * (i * 100))
        text = claim_check.save_journal(dict(flat), text)
        claim_check._MANIFESTS.clear()  # read back as a cold worker would
        assert claim_check.load_journal(text) == flat
        assert claim_check._manifest(text)[1] < claim_check.CHAIN_MAX


# ====================================================================== loud failures
def test_an_oversized_inline_value_fails_with_a_diagnostic_in_simulation(tmp_path, local_store):
    with pytest.raises(agentc.errors.RunFailed) as e:
        simulate("scale_agents:big_arguments", tmp_path / "art", "go")
    assert e.value.diagnostic.code.value == "AC312"
    assert "payload bound" in e.value.diagnostic.message


def test_an_oversized_inline_value_fails_on_temporal_without_retries(temporal_address, tmp_path, local_store):
    with pytest.raises(agentc.errors.RunFailed) as e:
        asyncio.run(temporal_run("scale_agents:big_arguments", temporal_address, "go", tmp_path / "code"))
    assert e.value.diagnostic.code.value == "AC312"


def test_an_unreachable_store_fails_the_step_with_a_diagnostic(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_STORE", "/dev/null/blobs")  # not a folder anyone can create
    with pytest.raises(agentc.errors.RunFailed) as e:
        simulate("scale_agents:pages_3x1k", tmp_path / "art", "go", max_turns=100)
    assert e.value.diagnostic.code.value == "AC313"
    assert "/dev/null/blobs" in e.value.diagnostic.message


def test_the_simulator_enforces_the_servers_task_payload_maximum():
    from agentc.targets.conductor.emulator import payload_thresholds as T
    from agentc.targets.conductor.emulator.simulator import Simulator, TaskResult

    sizes = {"small": 4 * 1024 * 1024, "huge": T.TASK_OUTPUT_MAX + 1}

    def worker(call):
        return TaskResult("COMPLETED", {"x": "a" * sizes[call.input["size"]]})

    definition = {"name": "w", "version": 1, "schemaVersion": 2, "tasks": [
        {"name": "t", "taskReferenceName": "t", "type": "SIMPLE", "inputParameters": {"size": "${workflow.input.size}"}}]}
    for size, status in (("small", "COMPLETED"), ("huge", "FAILED")):
        sim = Simulator({"w": definition}, {}, worker)
        wid = sim.start("w", {"size": size})
        sim.run(wid)
        ex = sim.execution(wid)
        assert ex["status"] == status
        task = ex["tasks"][0]
        if status == "FAILED":
            assert task["status"] == "FAILED_WITH_TERMINAL_ERROR" and task["outputData"] == {}
            assert f"is greater than the permissible limit: {T.TASK_OUTPUT_MAX} bytes" in task["reasonForIncompletion"]


# ====================================================================== the CLI
def test_cli_store_option_and_the_oversized_diagnostic_on_temporal(temporal_address, tmp_path, monkeypatch):
    """``--store`` puts the blobs where it says (a run's pages land there), and
    ``agentc run --engine temporal`` prints the AC312 diagnostic and exits non-zero for a
    payload over the bound instead of waiting on an activity retried forever."""
    from pathlib import Path

    from test_temporal_cli import agentc_cli, no_traceback, queue

    monkeypatch.delenv("AGENTC_STORE", raising=False)
    tests = str(Path(__file__).parent)
    env = {"PYTHONPATH": tests, "AGENTC_STORE": ""}
    store = tmp_path / "blobs"
    art = tmp_path / "art"
    assert agentc_cli("compile", "scale_agents:pages_3x1k", "--target", "conductor", "--out", str(art),
                      cwd=tmp_path, env=env).returncode == 0
    inp = json.dumps({"messages": ["start"], "pages": 2, "size": 20_000})
    agentc_cli("compile", "scale_agents:loop_graph", "--target", "conductor", "--out", str(tmp_path / "g"),
               cwd=tmp_path, env=env)
    r = agentc_cli("simulate", str(tmp_path / "g"), "--input", inp, "--store", str(store), cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["messages"][-1].startswith("done: 2 pages")
    assert len([p for p in store.rglob("*") if p.is_file()]) >= 2
    r = agentc_cli("run", "scale_agents:big_arguments", "--input", '"go"', "--engine", "temporal",
                   "--address", temporal_address, "--task-queue", queue(), "--with-worker", "--store", str(store),
                   cwd=tmp_path, env=env)
    no_traceback(r)
    assert r.returncode != 0
    assert "AC312" in r.stderr and "payload bound" in r.stderr
