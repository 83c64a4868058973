"""Streaming a durable agent run (docs/openai-agents.md, "Streaming"): the events must be
the ones ``Runner.run_streamed(...).stream_events()`` yields with the same scripted models —
every ``RunItemStreamEvent`` and ``AgentUpdatedStreamEvent``, as JSON, in the same order;
raw token deltas are not produced — on the local target, the Conductor simulation and
Temporal, and across an approval pause (the stream of ``resume`` goes on after it)."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

import openai_agents_oracle as O

import agentc
from agentc.runtime_shims.agent_stream import event_json

CASES = O.load_cases()
TESTS = str(Path(__file__).parent)
RACY = {"homework_guard_trip"}
"""A parallel input guardrail trips while the model turn beside it runs: whether that turn's
response is journaled before ``Runner.run`` (the durable run) cancels it is scheduling, as is
whether ``run_streamed`` streams it; the stream is the native one, or its prefix without
that turn's items."""


def _line(e) -> str:
    return json.dumps(event_json(e), sort_keys=True)


async def native_stream(case) -> tuple[list[list[str]], str | None]:
    """``Runner.run_streamed`` with the case's decisions at each pause: the events (JSON)
    per segment between pauses, minus raw response events, and the error's type."""
    from agents import AgentsException, Runner

    agent = O.resolve(case["ref"])
    kwargs = {"max_turns": case["max_turns"]} if case.get("max_turns") else {}
    decisions = list(case.get("decisions", []))
    used = [False] * len(decisions)
    segments: list[list[str]] = [[]]
    try:
        result = Runner.run_streamed(agent, case["input"], context=O.make_context(case), **kwargs)
        while True:
            async for e in result.stream_events():
                if e.type != "raw_response_event":
                    segments[-1].append(_line(e))
            if not result.interruptions:
                return segments, None
            state = result.to_state()
            for item in state.get_interruptions():
                d = O._pick_decision(decisions, used, item)
                if d["action"] == "approve":
                    state.approve(item)
                else:
                    state.reject(item, rejection_message=d.get("message"))
            segments.append([])
            result = Runner.run_streamed(agent, state, **kwargs)
    except AgentsException as exc:
        return segments, type(exc).__name__


def context_args(case) -> dict:
    c = case.get("context")
    return {"context": c["kwargs"], "context_factory": c["factory"]} if c else {}


def drain(stream) -> tuple[list[str], object, object]:
    """The stream's events (JSON), its outcome and the error it raised at the end."""
    got = []
    try:
        for e in stream:
            got.append(_line(e))
    except agentc.AgentcError as exc:
        return got, None, exc
    return got, stream.outcome, None


def local_stream(case, db) -> tuple[list[list[str]], object]:
    segments = []
    got, out, err = drain(agentc.stream(case["ref"], case["input"], db=db, recursion_limit=case.get("max_turns"),
                                        **context_args(case)))
    segments.append(got)
    while out is not None and out.status == "waiting":
        got, out, err = drain(agentc.resume_stream(out.run_id, O.approval_value(case, out.interrupts), db=db))
        segments.append(got)
    return segments, err


def assert_same_stream(segments, err, native, native_err, name):
    if name in RACY:
        flat, nflat = sum(segments, []), sum(native, [])
        assert flat and flat == nflat[:len(flat)] and len(flat) >= len(nflat) - 1
    else:
        assert segments == native
    if native_err is None:
        assert err is None, err
    else:
        code = err.diagnostic.code.value
        assert code == {"MaxTurnsExceeded": "AC304"}.get(native_err, "AC303"), (native_err, code)


@pytest.mark.parametrize("name", sorted(CASES))
def test_local_stream_equals_run_streamed(name, tmp_path):
    case = CASES[name]
    native, native_err = asyncio.run(native_stream(case))
    segments, err = local_stream(case, tmp_path / "runs.db")
    assert_same_stream(segments, err, native, native_err, name)


def test_events_arrive_while_the_run_runs(tmp_path):
    """The first events come out while the run is still inside its tool: the tool waits
    (bounded) until the consumer has seen its ``tool_called`` event."""
    import stream_agents

    stream_agents.SEEN.clear()
    seen_before_done = []
    for e in agentc.stream("stream_agents:agent", "go", db=tmp_path / "runs.db"):
        j = event_json(e)
        if j.get("name") == "tool_called":
            stream_agents.SEEN.set()
        seen_before_done.append(j["type"])
    assert stream_agents.WAITED == [True]  # the tool saw the event reach the consumer
    assert seen_before_done[0] == "agent_updated_stream_event"


def test_follower_calls_no_model_tool_or_hook(tmp_path):
    """The stream replays the journal: the run's model, tools and hooks run once each, as
    without ``--stream`` (the follower's drive calls none of them)."""
    import stream_agents

    stream_agents.CALLS.clear()
    events, out, err = drain(agentc.stream("stream_agents:counted", "go", db=tmp_path / "runs.db"))
    assert err is None and out.status == "done"
    assert stream_agents.CALLS == ["model", "on_tool_start", "tool", "model"]
    assert [json.loads(e).get("name") for e in events] == [None, "tool_called", "tool_output",
                                                           "message_output_created"]


# ---------------------------------------------------------------- the CLI
def cli(*args, cwd):
    import os

    env = {**os.environ, "PYTHONPATH": TESTS + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


def test_cli_run_stream_prints_json_lines_and_user_output_on_stderr(tmp_path):
    import noisy_agents

    native, _ = asyncio.run(native_stream({"ref": "noisy_agents:agent", "input": "weather in Oslo?"}))
    r = cli("run", "noisy_agents:agent", "--input", '"weather in Oslo?"', "--stream", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [json.dumps(x, sort_keys=True) for x in lines[:-1]] == native[0]
    assert lines[-1]["type"] == "agentc.result" and lines[-1]["status"] == "done"
    assert lines[-1]["result"] == {"final_output": "sunny in Oslo", "last_agent": "Chatty"}
    assert "tool looks up Oslo" in r.stderr and noisy_agents is not None


def test_cli_stream_over_an_approval_pause(tmp_path):
    case = CASES["travel_booker"]
    native, _ = asyncio.run(native_stream(case))
    ctx = case["context"]
    r = cli("run", case["ref"], "--input", json.dumps(case["input"]), "--context", json.dumps(ctx["kwargs"]),
            "--context-factory", ctx["factory"], "--stream", cwd=tmp_path)
    assert r.returncode == 3, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    last = lines[-1]
    assert last["status"] == "waiting" and [json.dumps(x, sort_keys=True) for x in lines[:-1]] == native[0]
    value = O.approval_value(case, last["result"]["interrupts"])
    r = cli("resume", last["run_id"], "--value", json.dumps(value), "--stream", cwd=tmp_path)
    assert r.returncode in (0, 3), r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [json.dumps(x, sort_keys=True) for x in lines[:-1]] == native[1]


def test_cli_stream_of_a_failed_run(tmp_path):
    case = CASES["status_poller"]
    native, native_err = asyncio.run(native_stream(case))
    r = cli("run", case["ref"], "--input", json.dumps(case["input"]), "--recursion-limit", str(case["max_turns"]),
            "--stream", cwd=tmp_path)
    assert r.returncode == 1 and "AC304" in r.stderr and native_err == "MaxTurnsExceeded"
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [json.dumps(x, sort_keys=True) for x in lines[:-1]] == native[0]
    assert lines[-1]["status"] == "failed" and lines[-1]["error"]["code"] == "AC304"


def test_stream_of_a_graph_streams_its_chunks(tmp_path):
    """A graph streams ``graph.stream``'s chunks (tests/test_graph_stream.py); what its node
    prints goes to stderr, as an agent's tool's."""
    r = cli("run", "noisy_agents:graph", "--input", '{"text": "hi"}', "--stream", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert lines[0] == {"shout": {"text": "HI"}} and lines[1]["result"] == {"text": "HI"}
    assert len(lines) == 2 and "node says hello" in r.stderr


# ---------------------------------------------------------------- Conductor simulation
@pytest.mark.parametrize("name", ["triage_refund", "math_tutor", "expense_reject_retry", "status_poller"])
def test_simulation_stream_equals_run_streamed(name, tmp_path):
    from agentc.streaming import simulation_stream
    from agentc.targets.conductor.simulate import Simulation

    case = CASES[name]
    native, native_err = asyncio.run(native_stream(case))
    agentc.compile(case["ref"], target="conductor").write(tmp_path)
    sim = Simulation.of(tmp_path)
    segments, after = [], None
    start = lambda: sim.start(case["input"], O.make_context(case), case.get("max_turns"))  # noqa: E731
    while True:
        got, out, err = drain(simulation_stream(sim, start, case["input"], O.make_context(case),
                                                max_turns=case.get("max_turns"), after_pause=after))
        segments.append(got)
        if out is None or out.status != "waiting":
            break
        saved = sim.save(tmp_path / "paused.json")  # a pause survives the process
        sim = Simulation.load(saved)
        after = out.interrupts[0]["pause"]
        value = O.approval_value(case, out.interrupts)
        start = lambda s=sim, v=value: s.resume(v)  # noqa: E731
    assert_same_stream(segments, err, native, native_err, name)


# ---------------------------------------------------------------- Temporal
@pytest.mark.parametrize("name", ["triage_refund", "expense_approve"])
def test_temporal_stream_equals_run_streamed(name, temporal_address, tmp_path):
    from agentc.streaming import temporal_resume_stream, temporal_stream
    from agentc.targets.temporal import engine

    case = CASES[name]
    native, native_err = asyncio.run(native_stream(case))
    queue = f"stream-{uuid.uuid4().hex[:8]}"
    stop = threading.Event()
    ready = threading.Event()

    def serve() -> None:
        async def go() -> None:
            client = await engine.connect(temporal_address)
            async with engine.running_worker(client, engine.load(case["ref"], tmp_path / "code"), queue):
                ready.set()
                while not stop.is_set():
                    await asyncio.sleep(0.05)

        asyncio.run(go())

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    assert ready.wait(120)
    try:
        segments = []
        got, out, err = drain(temporal_stream(case["ref"], temporal_address, case["input"], task_queue=queue,
                                              max_turns=case.get("max_turns"), **context_args(case)))
        segments.append(got)
        while out is not None and out.status == "waiting":
            got, out, err = drain(temporal_resume_stream(out.run_id, temporal_address,
                                                         O.approval_value(case, out.interrupts)))
            segments.append(got)
    finally:
        stop.set()
        worker.join(60)
    assert_same_stream(segments, err, native, native_err, name)


def test_cli_temporal_run_stream_with_worker(temporal_address, tmp_path):
    native, _ = asyncio.run(native_stream({"ref": "noisy_agents:agent", "input": "weather in Oslo?"}))
    r = cli("run", "noisy_agents:agent", "--input", '"weather in Oslo?"', "--engine", "temporal", "--address",
            temporal_address, "--with-worker", "--task-queue", f"stream-{uuid.uuid4().hex[:8]}", "--stream",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [json.dumps(x, sort_keys=True) for x in lines[:-1]] == native[0]
    assert lines[-1]["result"] == {"final_output": "sunny in Oslo", "last_agent": "Chatty"}
    assert "tool looks up Oslo" in r.stderr


def test_stream_with_an_error_handler_waits_for_its_journaled_answer(tmp_path):
    """A ``max_turns`` handler (``--error-handlers``) runs once, in the run's drive; the
    follower waits for its journaled answer and streams what ``run_streamed`` streams."""
    from agents import Runner

    import agents_run_errors as E

    async def native() -> list[str]:
        res = Runner.run_streamed(E.poller, "go", context=E.Log(), max_turns=3, error_handlers=E.HANDLERS)
        return [_line(e) async for e in res.stream_events() if e.type != "raw_response_event"]

    expected = asyncio.run(native())
    E.FIRED.clear()
    got, out, err = drain(agentc.stream("agents_run_errors:poller", "go", db=tmp_path / "runs.db", context={},
                                        recursion_limit=3, error_handlers="agents_run_errors:HANDLERS"))
    assert err is None and out.status == "done"
    assert got == expected
    assert E.FIRED.count("max_turns") == 1
