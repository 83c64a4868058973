"""OpenAI Agents SDK agent systems on the Temporal target, on the real dev server (the
session fixture): the generated agent loop (model activity → tool activities in parallel /
agent-tool child workflows / output guardrail activities / approval signal) is compared
with ``Runner.run`` (tests/openai_agents_oracle.py) on every case — final output, last
agent, error, the ordered model calls (each a digest of its whole request) and the tool
calls with their arguments — and survives a worker process SIGKILLed mid-run."""
import asyncio
import json

import pytest

import openai_agents_oracle as O

import agentc
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.temporal import engine, validate

CASES = O.load_cases()
SYSTEMS = sorted({c["ref"] for c in CASES.values()})


async def tool_calls_of(client, run_id):
    """Tool calls reported by the root workflow's model activities, in order."""
    from temporalio.api.enums.v1 import EventType

    calls = []
    async for e in client.get_workflow_handle(run_id).fetch_history_events():
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            payload = e.activity_task_completed_event_attributes.result.payloads[0]
            out = json.loads(payload.data)
            if isinstance(out, dict) and "calls" in out and "next" in out:
                calls += [[c["name"], c["arguments"]] for c in out["calls"] if c["kind"] != "guardrail"]
    return calls


async def run_case(case, address, tmp_path, task_queue=None):
    client = await engine.connect(address)
    loaded = engine.load(case["ref"], tmp_path / "code")
    pauses = 0
    with recording() as log:  # around the worker: its activity threads inherit the context
        async with engine.running_worker(client, loaded, task_queue):
            try:
                out = await engine.start(case["ref"], address, case["input"], context=O.make_context(case),
                                         max_turns=case.get("max_turns"), client=client, task_queue=task_queue)
                while out.status == "waiting":
                    pauses += 1
                    out = await engine.resume(out.run_id, address, O.approval_value(case, out.interrupts),
                                              client=client)
                got = {**out.output, "error": None}
                run_id = out.run_id
            except agentc.errors.RunFailed as e:
                got = {"final_output": None, "last_agent": None, "error": e.diagnostic}
                run_id = e.diagnostic.construct
    got["model_calls"] = O.model_calls(log)
    got["tool_calls"] = await tool_calls_of(client, run_id)
    got["pauses"] = pauses
    return got


@pytest.mark.parametrize("name", sorted(CASES))
def test_temporal_run_equals_runner_run(name, temporal_address, tmp_path):
    case = CASES[name]
    native = O.run_native(case)
    got = asyncio.run(run_case(case, temporal_address, tmp_path))
    O.assert_same_run(got, native)
    assert got["tool_calls"] == native["tool_calls"]
    assert got["pauses"] == len(native["interruptions"])


@pytest.mark.parametrize("ref", SYSTEMS)
def test_generated_agent_code_is_deterministic_and_sandbox_safe(ref):
    art = agentc.compile(ref, target="temporal")
    assert validate(art) == []
    assert agentc.compile(ref, target="temporal").files == art.files


# ====================================================================== crash a worker
CRASH_AGENT = "agents_crash_agent:agent"
CRASH_PREFIX = "agents_crash_agent-Crash_Agent-"


def agent_crash_run(address, tmp, kill_when):
    """Run the crash agent on worker process #1, SIGKILL it when ``kill_when`` holds
    ("running:<tool>": the tool started; "completed:<tool>": its activity completed),
    finish on worker process #2; return what each process executed."""
    import time
    import uuid

    import agents_crash_agent as A
    import test_temporal_durability as D

    mode, tool = kill_when.split(":")
    log = tmp / "effects.log"
    queue = f"agent-crash-{uuid.uuid4().hex[:8]}"
    run_id = f"agent-crash-{mode}-{tool}-{uuid.uuid4().hex[:8]}"
    gate = tmp / "gate"  # the final model call waits for it: the first worker never finishes the run
    procs = D.WorkerProcs(tmp, address, queue, log, ref=CRASH_AGENT, env={A.GATE_ENV: str(gate)})

    async def go():
        client = await engine.connect(address)
        first = procs.spawn()
        run = asyncio.ensure_future(engine.start(CRASH_AGENT, address, "durable", run_id=run_id, task_queue=queue,
                                                 options={"activity_timeout_s": D.ACTIVITY_TIMEOUT_S}, client=client))
        handle = client.get_workflow_handle(run_id)

        async def reached():
            if run.done():
                pytest.fail(f"run ended before the kill: {run.result()!r}")
            if mode == "running":
                return any(n == tool for n, _ in D.log_lines(log))
            try:
                return tool in await D.completed_nodes(handle, CRASH_PREFIX)
            except Exception:  # noqa: BLE001 - the workflow may not exist yet
                return False

        await D.poll(reached, kill_when, procs)
        procs.kill(first)
        gate.touch()
        killed = time.monotonic()
        done_before = await D.completed_nodes(handle, CRASH_PREFIX)
        procs.spawn()
        outcome = await asyncio.wait_for(run, D.DEADLINE_S)
        return {"outcome": outcome, "done_before": done_before, "after": D.log_lines(log),
                "pids": (first.pid, procs.procs[1].pid), "recovery_s": time.monotonic() - killed}

    try:
        res = asyncio.run(go())
    finally:
        procs.close()
    res["native"] = O.run_native({"ref": CRASH_AGENT, "input": "durable"})
    assert set(A.TOOLS) == {n for n, _ in res["after"]}
    return res


@pytest.mark.parametrize("kill_when", ["running:slow", "completed:slow", "completed:last"])
def test_worker_killed_mid_agent_run(kill_when, temporal_address, tmp_path, monkeypatch):
    """SIGKILL of the worker process at several points of an agent run: a new worker
    finishes it with ``Runner.run``'s output, and no tool call that completed before the
    kill ran again (a tool that was running is retried once, in the new worker)."""
    monkeypatch.chdir(tmp_path)
    res = agent_crash_run(temporal_address, tmp_path, kill_when)
    assert res["outcome"].status == "done"
    assert res["outcome"].output["final_output"] == res["native"]["final_output"]
    first, second = res["pids"]
    ran = {t: [p for n, p in res["after"] if n == t] for t in {n for n, _ in res["after"]}}
    for t in res["done_before"]:
        assert ran[t] == [first], f"{t} completed before the kill but ran in {ran[t]}"
    for t, pids in ran.items():
        if t not in res["done_before"]:
            assert pids in ([second], [first, second]), (t, pids)
    assert kill_when.split(":")[1] in res["done_before"] or kill_when.startswith("running")
    print(f"{kill_when}: recovered in {res['recovery_s']:.1f} s; completed before the kill: {res['done_before']}")


# ====================================================================== CLI
from test_temporal_cli import agentc_cli, no_traceback, queue, worker  # noqa: E402,F401 - worker: a fixture


def test_cli_run_with_worker_and_tripwire(temporal_address, tmp_path):
    ok = CASES["recipe_extractor"]
    r = agentc_cli("run", ok["ref"], "--engine", "temporal", "--address", temporal_address, "--task-queue", queue(),
                   "--with-worker", "--input", json.dumps(ok["input"]), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"final_output": O.run_native(ok)["final_output"], "last_agent": "Recipe Extractor"}
    trip = CASES["pii_filter_trip"]
    r = agentc_cli("run", trip["ref"], "--engine", "temporal", "--address", temporal_address, "--task-queue", queue(),
                   "--with-worker", "--input", json.dumps(trip["input"]), cwd=tmp_path)
    assert r.returncode == 1 and "AC303" in r.stderr and "'pii_blocker'" in r.stderr, r.stderr
    no_traceback(r)


def test_approval_resumed_from_another_process(temporal_address, tmp_path, worker):
    """The run waits (nothing resident but the server's workflow); ``agentc resume
    --engine temporal`` in a fresh process checks the decisions and sends them."""
    case = CASES["travel_booker"]
    q = queue()
    worker(case["ref"], q)
    out = asyncio.run(engine.start(case["ref"], temporal_address, case["input"], context=O.make_context(case),
                                   task_queue=q))
    assert out.status == "waiting"
    assert sorted(p["tool"] for p in out.interrupts) == ["book_flight", "book_hotel"]
    r = agentc_cli("resume", out.run_id, "--engine", "temporal", "--address", temporal_address,
                   "--value", json.dumps({"approve": ["book_flight"]}), cwd=tmp_path)
    assert r.returncode == 2 and "AC112" in r.stderr and "book_hotel" in r.stderr, r.stderr
    no_traceback(r)
    r = agentc_cli("resume", out.run_id, "--engine", "temporal", "--address", temporal_address,
                   "--value", json.dumps(O.approval_value(case, out.interrupts)), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["final_output"] == O.run_native(case)["final_output"]


def test_long_agent_run_continues_as_new(temporal_address, tmp_path):
    """With a 5-event history budget every loop iteration continues as new, carrying the
    journal; the run still gives ``Runner.run``'s output and model calls."""
    case = CASES["math_tutor"]

    async def go():
        client = await engine.connect(temporal_address)
        loaded = engine.load(case["ref"], tmp_path / "code")
        with recording() as log:
            async with engine.running_worker(client, loaded):
                out = await engine.start(case["ref"], temporal_address, case["input"], context=O.make_context(case),
                                         options={"max_history_events": 5}, client=client)
        runs = [w async for w in client.list_workflows(f"WorkflowId = '{out.run_id}'")]
        return out, O.model_calls(log), runs

    out, calls, runs = asyncio.run(go())
    native = O.run_native(case)
    assert out.output["final_output"] == native["final_output"]
    assert calls == native["model_calls"]
    assert len(runs) > 1, [r.status for r in runs]  # several runs of one workflow id: continued as new


# ====================================================================== replay of recorded histories
from pathlib import Path  # noqa: E402

from agentc.targets.temporal.check import check_artifact  # noqa: E402

GOLDEN_HIST = Path(O.__file__).parent.parent / "fixtures" / "openai_agents" / "golden" / "temporal"
HISTORY_CASES = ["math_tutor", "research_assistant", "travel_booker"]


def history_files(name):
    return [GOLDEN_HIST / f"{name}.history.json", *sorted(GOLDEN_HIST.glob(f"{name}.*.history.json"))]


async def record_history(name, address, tmp):
    """Run case ``name`` (workflow id ``golden-<name>``, approvals decided as the case says);
    return (workflow id, history json) of the run and of its child workflows."""
    import uuid

    case = CASES[name]
    client = await engine.connect(address)
    wid = f"golden-{name}"
    queue = f"golden-{name}-{uuid.uuid4().hex[:8]}"
    async with engine.running_worker(client, engine.load(case["ref"], tmp / "code"), queue):
        out = await engine.start(case["ref"], address, case["input"], context=O.make_context(case), run_id=wid,
                                 task_queue=queue, client=client)
        while out.status == "waiting":
            out = await engine.resume(out.run_id, address, O.approval_value(case, out.interrupts), client=client)
    assert out.status == "done"
    result, todo = [], [wid]
    while todo:
        w = todo.pop(0)
        hist = await client.get_workflow_handle(w).fetch_history()
        todo += [e.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id
                 for e in hist.events if e.HasField("child_workflow_execution_started_event_attributes")]
        result.append((w, json.loads(hist.to_json().replace(client.identity, "agentc-golden"))))
    return out.output, result


@pytest.mark.parametrize("name", HISTORY_CASES)
def test_golden_agent_history_replays(name, update_goldens, request, tmp_path, monkeypatch):
    """The committed history of a real agent run (tool fan-out, agent-tool children, an
    approval signal) replays against freshly generated code (``agentc validate`` does the
    same with DIR/histories)."""
    if update_goldens:
        monkeypatch.chdir(Path(O.__file__).parent.parent)  # source refs, so plan ids, are cwd-relative
        output, histories = asyncio.run(record_history(name, request.getfixturevalue("temporal_address"), tmp_path))
        assert output["final_output"] == O.run_native(CASES[name])["final_output"]
        GOLDEN_HIST.mkdir(parents=True, exist_ok=True)
        for old in history_files(name):
            old.unlink(missing_ok=True)
        for i, (wid, hist) in enumerate(histories):
            path = GOLDEN_HIST / (f"{name}.history.json" if i == 0 else f"{name}.{i}.history.json")
            path.write_text(json.dumps({"workflow_id": wid, "history": hist}, indent=1, sort_keys=True) + "\n")
    files = history_files(name)
    assert files[0].exists(), f"no golden history for {name}: run pytest {__file__} --update-goldens"
    events = json.loads(files[0].read_text())["history"]["events"]
    assert events[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    signals = [e for e in events if e["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"]
    assert len(signals) == len(O.run_native(CASES[name])["interruptions"])
    art = agentc.compile(CASES[name]["ref"], target="temporal")
    assert check_artifact(art, histories=files) == []


def test_agent_history_replay_detects_a_changed_loop():
    """Replaying against code whose model activity has another name fails."""
    from agentc.artifact import Artifact

    art = agentc.compile(CASES["math_tutor"]["ref"], target="temporal")
    files = dict(art.files)
    mod = next(k for k in files if k.endswith(".py"))
    assert 'MODEL_STEP = "math_tutor-model"' in files[mod]
    files[mod] = files[mod].replace('MODEL_STEP = "math_tutor-model"', 'MODEL_STEP = "math_tutor-model-v2"')
    changed = Artifact(target="temporal", name=art.name, files=files)
    problems = check_artifact(changed, histories=history_files("math_tutor"))
    assert problems and "replay failed" in problems[0], problems
