"""Streaming a durable LangGraph run (docs/langgraph.md, "Streaming"): the chunks must be the
ones ``graph.stream(input, stream_mode=...)`` yields on the same fixture — ``updates`` (the
default) and ``values``, as JSON, before and after each pause (``Command(resume=...)`` /
``None`` at a breakpoint streams the resumed invocation) — on the local target, the
Conductor simulation and Temporal. Parallel tasks finish in any order, natively as in a
durable run, so chunks are compared superstep by superstep (the supersteps natively
delimited by the ``debug`` stream's checkpoint events), in any order within one;
interrupt ids are LangGraph's hashes of its own task ids, so they are left out."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

import harness as H

import agentc

TESTS = str(Path(__file__).parent)
MODES = ("updates", "values")


def canon(chunk) -> str:
    j = H.normalise(chunk)
    if isinstance(j, dict) and isinstance(j.get("__interrupt__"), list):
        j["__interrupt__"] = [{k: v for k, v in i.items() if k != "id"} for i in j["__interrupt__"]]
    return json.dumps(j, sort_keys=True)


# ---------------------------------------------------------------- the oracle
def native_segments(name: str, mode: str) -> list[list[list[str]]]:
    """``graph.stream`` of the fixture, answering each pause as cases.json says: per
    invocation, its chunks grouped by superstep."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    case = H.CASES[name]
    g = H.module(name).graph
    app = g.builder.compile(checkpointer=InMemorySaver(), interrupt_before=g.interrupt_before_nodes,
                            interrupt_after=g.interrupt_after_nodes, name=g.name)
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    kw = {"context": H.context_of(name)} if "context" in case else {}

    def chunks(inp):
        if case.get("async"):
            async def go():
                return [c async for c in app.astream(inp, cfg, stream_mode=[mode, "debug"], **kw)]
            return asyncio.run(go())
        return list(app.stream(inp, cfg, stream_mode=[mode, "debug"], **kw))

    segments, inp, resumes = [], case["input"], list(case["resumes"])
    while True:
        groups: list[list[str]] = [[]]
        for m, c in chunks(inp):
            if m == "debug":
                if c["type"] == "checkpoint":
                    groups.append([])
                continue
            groups[-1].append(canon(c))
        segments.append([g for g in groups if g])
        if not resumes:
            return segments
        answer = resumes.pop(0)
        if answer is None:
            inp = None
        elif isinstance(answer, dict):
            by_node = {t.name: i.id for t in app.get_state(cfg).tasks for i in t.interrupts}
            inp = Command(resume={by_node[n]: v for n, v in answer.items()})
        else:
            inp = Command(resume=answer)


def assert_same_stream(got: list[list[str]], native: list[list[list[str]]]) -> None:
    """Each invocation's chunks: native's, superstep by superstep, in any order within one."""
    assert len(got) == len(native), (got, native)
    for chunks, groups in zip(got, native):
        assert len(chunks) == sum(map(len, groups)), (chunks, groups)
        at = 0
        for g in groups:
            assert sorted(chunks[at:at + len(g)]) == sorted(g), (chunks, groups)
            at += len(g)


# ---------------------------------------------------------------- local
def local_segments(name: str, mode: str | None, db) -> tuple[list[list[str]], object]:
    case = H.CASES[name]
    s = agentc.stream(H.ref(name), case["input"], db=db, context=case.get("context"), stream_mode=mode)
    segments = [[canon(c) for c in s]]
    out = s.outcome
    for answer in case["resumes"]:
        assert out.status == "waiting", out
        s = agentc.resume_stream(out.run_id, None if answer is None else H.agentc_answer(name, out, answer), db=db,
                                 stream_mode=mode)
        segments.append([canon(c) for c in s])
        out = s.outcome
    return segments, out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(H.CASES))
def test_local_stream_equals_graph_stream(name, mode, tmp_path):
    segments, out = local_segments(name, mode, tmp_path / "runs.db")
    assert out.status == "done"
    assert H.normalise(out.output) == H.normalise(H.native(name))
    assert_same_stream(segments, native_segments(name, mode))


def test_updates_is_the_default_mode(tmp_path):
    segments, _ = local_segments("hitl_parallel", None, tmp_path / "runs.db")
    assert_same_stream(segments, native_segments("hitl_parallel", "updates"))


def test_chunks_arrive_while_the_run_runs(tmp_path):
    """The first node's chunk comes out while the run is still inside the second node: it
    waits (bounded) until the consumer has seen that chunk."""
    import stream_graphs

    stream_graphs.SEEN.clear()
    stream_graphs.WAITED.clear()
    got = []
    for chunk in agentc.stream("stream_graphs:waiter", {"log": []}, db=tmp_path / "runs.db"):
        if "first" in chunk:
            stream_graphs.SEEN.set()
        got.append(chunk)
    assert stream_graphs.WAITED == [True]
    assert got == [{"first": {"log": ["first"]}}, {"second": {"log": ["second"]}}]


def test_follower_calls_no_node(tmp_path):
    import stream_graphs

    stream_graphs.CALLS.clear()
    s = agentc.stream("stream_graphs:counted", {"log": []}, db=tmp_path / "runs.db", stream_mode="values")
    got = list(s)
    assert stream_graphs.CALLS == ["first", "second"]
    assert got == [{"log": []}, {"log": ["first"]}, {"log": ["first", "second"]}]
    assert s.outcome.output == {"log": ["first", "second"]}


def test_stream_of_a_failed_run_ends_with_its_error(tmp_path):
    s = agentc.stream("stream_graphs:failing", {"log": []}, db=tmp_path / "runs.db")
    got = []
    with pytest.raises(agentc.AgentcError) as err:
        for chunk in s:
            got.append(chunk)
    assert got == [{"first": {"log": ["first"]}}]
    assert err.value.diagnostic.code.value == "AC300"


# ---------------------------------------------------------------- Conductor simulation
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["branching", "map_reduce", "subgraph", "router_loop", "hitl_review",
                                  "hitl_parallel", "breakpoints", "runtime_context", "input_output"])
def test_simulation_stream_equals_graph_stream(name, mode, tmp_path):
    from test_conductor_differential import compile_to

    from agentc.streaming import simulation_stream
    from agentc.targets.conductor.simulate import NO_VALUE, Simulation

    case = H.CASES[name]
    sim = Simulation.of(compile_to(name, tmp_path / "out"))
    s = simulation_stream(sim, lambda: sim.start(case["input"], case.get("context")), case["input"],
                          case.get("context"), stream_mode=mode)
    segments = [[canon(c) for c in s]]
    out = s.outcome
    for answer in case["resumes"]:
        assert out.status == "waiting", out
        sim.save(tmp_path / "paused.json")  # a pause survives the process
        sim = Simulation.load(tmp_path / "paused.json")
        value = NO_VALUE if answer is None else H.agentc_answer(name, out, answer)
        s = simulation_stream(sim, lambda v=value, s=sim: s.resume(v), case["input"], case.get("context"),
                              stream_mode=mode, resumed=True)
        segments.append([canon(c) for c in s])
        out = s.outcome
    assert out.status == "done"
    assert_same_stream(segments, native_segments(name, mode))


# ---------------------------------------------------------------- Temporal
@pytest.fixture
def graph_worker(temporal_address, tmp_path):
    """A worker thread serving one fixture's workflow (or a REF's) on a queue of its own."""
    from agentc.targets.temporal import engine

    stops = []

    def serve(name: str) -> str:
        queue = f"gstream-{uuid.uuid4().hex[:8]}"
        stop, ready = threading.Event(), threading.Event()

        def run() -> None:
            async def go() -> None:
                client = await engine.connect(temporal_address)
                async with engine.running_worker(client, engine.load(name if ":" in name else H.ref(name), tmp_path / "code"), queue):
                    ready.set()
                    while not stop.is_set():
                        await asyncio.sleep(0.05)

            asyncio.run(go())

        t = threading.Thread(target=run, daemon=True)
        t.start()
        stops.append((stop, t))
        assert ready.wait(120)
        return queue

    yield serve
    for stop, t in stops:
        stop.set()
        t.join(60)


@pytest.mark.parametrize("name,mode", [("branching", "updates"), ("map_reduce", "updates"), ("subgraph", "values"),
                                       ("hitl_parallel", "updates"), ("hitl_parallel", "values"),
                                       ("breakpoints", "updates"), ("hitl_review", "values")])
def test_temporal_stream_equals_graph_stream(name, mode, graph_worker, temporal_address):
    from agentc.streaming import temporal_resume_stream, temporal_stream

    case = H.CASES[name]
    queue = graph_worker(name)
    s = temporal_stream(H.ref(name), temporal_address, case["input"], context=case.get("context"),
                        task_queue=queue, stream_mode=mode)
    segments = [[canon(c) for c in s]]
    out = s.outcome
    for answer in case["resumes"]:
        assert out.status == "waiting", out
        s = temporal_resume_stream(out.run_id, temporal_address,
                                   None if answer is None else H.agentc_answer(name, out, answer), stream_mode=mode)
        segments.append([canon(c) for c in s])
        out = s.outcome
    assert out.status == "done"
    assert_same_stream(segments, native_segments(name, mode))


# ---------------------------------------------------------------- the CLI
def cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": TESTS + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


def _lines(r) -> tuple[list[str], dict]:
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    return [canon(x) for x in lines[:-1]], lines[-1]


def test_cli_run_and_resume_stream_over_parallel_interrupts(tmp_path):
    name = "hitl_parallel"
    case = H.CASES[name]
    native = native_segments(name, "updates")
    r = cli("run", H.ref(name), "--input", json.dumps(case["input"]), "--stream", cwd=tmp_path)
    assert r.returncode == 3, r.stderr
    chunks, last = _lines(r)
    assert last["type"] == "agentc.result" and last["status"] == "waiting"
    pending = last["result"]["interrupts"]
    value = {i["id"]: case["resumes"][0][i["node"]] for i in pending}
    r = cli("resume", last["run_id"], "--value", json.dumps(value), "--stream", "--stream-mode", "updates",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    resumed, last = _lines(r)
    assert_same_stream([chunks, resumed], native)
    assert last["status"] == "done" and last["result"] == H.normalise(H.native(name))


def test_cli_simulate_stream_values(tmp_path):
    from test_conductor_differential import compile_to

    name = "hitl_review"
    case = H.CASES[name]
    folder = compile_to(name, tmp_path / "out")
    r = cli("simulate", str(folder), "--input", json.dumps(case["input"]), "--stream", "--stream-mode", "values",
            cwd=tmp_path)
    assert r.returncode == 3, r.stderr
    segments = []
    chunks, last = _lines(r)
    segments.append(chunks)
    for answer in case["resumes"]:
        r = cli("simulate", "--resume", last["run_id"], "--value", json.dumps(answer), "--stream", "--stream-mode",
                "values", cwd=tmp_path)
        assert r.returncode in (0, 3), r.stderr
        chunks, last = _lines(r)
        segments.append(chunks)
    assert last["status"] == "done"
    assert_same_stream(segments, native_segments(name, "values"))


def test_cli_stream_of_a_failed_graph(tmp_path):
    r = cli("run", "stream_graphs:failing", "--input", '{"log": []}', "--stream", cwd=tmp_path)
    assert r.returncode == 1 and "AC300" in r.stderr and "Traceback" not in r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert lines[0] == {"first": {"log": ["first"]}}
    assert lines[-1]["status"] == "failed" and lines[-1]["error"]["code"] == "AC300"


@pytest.mark.parametrize("args,code,word", [
    (["--stream", "--stream-mode", "checkpoints"], "AC200", "checkpoints"),
    (["--stream", "--stream-mode", "tasks"], "AC200", "tasks"),
    (["--stream", "--stream-mode", "debug"], "AC200", "debug"),
    (["--stream", "--stream-mode", "bogus"], "AC401", "bogus"),
    (["--stream-mode", "values"], "AC203", "--stream"),
])
def test_cli_bad_stream_mode(args, code, word, tmp_path):
    r = cli("run", H.ref("chain"), "--input", json.dumps(H.CASES["chain"]["input"]), *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert code in r.stderr and word in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_cli_stream_mode_of_an_agent_is_refused(tmp_path):
    r = cli("run", "noisy_agents:agent", "--input", '"weather in Oslo?"', "--stream", "--stream-mode", "values",
            cwd=tmp_path)
    assert r.returncode == 2 and "AC200" in r.stderr and "--stream-mode" in r.stderr
    assert r.stdout == ""
