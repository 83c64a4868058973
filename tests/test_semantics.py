"""Targeted Pregel rules (spec §1.3), each checked against LangGraph itself."""
import json
import subprocess
import sys

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import GraphRecursionError
from langgraph.types import Command

import agentc
import harness
import semantics_graphs as G
from agentc.errors import AgentcError, RunFailed


def native_ok(graph, inp, **cfg):
    try:
        return "ok", harness.normalise(graph.invoke(inp, cfg))
    except GraphRecursionError:
        return "recursion", None


def ours_ok(graph, inp, db, **kw):
    try:
        return "ok", harness.normalise(agentc.run(graph, inp, db=db, **kw).output)
    except RunFailed as exc:
        assert exc.code.value == "AC301", exc
        return "recursion", None


@pytest.mark.parametrize("k,limit", [(k, lim) for k in (1, 2, 3) for lim in (1, 2, 3, 4, 5)])
def test_recursion_limit_boundary(k, limit, tmp_path):
    g = G.loop_graph(k)
    assert ours_ok(g, {"n": 0}, str(tmp_path / "r.db"), recursion_limit=limit) == \
        native_ok(g, {"n": 0}, recursion_limit=limit)


def test_plain_key_written_twice_in_one_step_is_an_error(tmp_path):
    with pytest.raises(Exception) as native:
        G.double_write.invoke({"log": []})
    assert type(native.value).__name__ == "InvalidUpdateError"
    with pytest.raises(AgentcError) as ours:
        agentc.run(G.double_write, {"log": []}, db=str(tmp_path / "r.db"))
    assert ours.value.code.value == "AC302" and "last" in str(ours.value)


def test_failed_node_resumes_after_fix_without_rerunning_siblings(tmp_path):
    db = str(tmp_path / "r.db")
    G.FAIL["boom"] = True
    G.CALLS.clear()
    with pytest.raises(RunFailed) as exc:
        agentc.run(G.failing, {"log": []}, db=db, run_id="f1")
    assert exc.value.code.value == "AC300" and "semantics_graphs.py" in str(exc.value)
    assert sorted(G.CALLS) == ["boom", "fast_ok", "slow_ok"]
    assert agentc.runs(db)[0]["status"] == "failed"
    G.FAIL["boom"] = False
    G.CALLS.clear()
    out = agentc.resume("f1", db=db, obj=G.failing)
    assert G.CALLS == ["boom"]  # only the failed node re-ran
    # LangGraph's own result for the same story (LG-17)
    G.FAIL["boom"] = True
    app = G.failing.builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "x"}}
    with pytest.raises(RuntimeError):
        app.invoke({"log": []}, cfg)
    G.FAIL["boom"] = False
    assert harness.normalise(out.output) == harness.normalise(app.invoke(None, cfg))


def test_retry_policy_exhaustion_fails_the_run(tmp_path):
    G.CALLS.clear()
    with pytest.raises(RunFailed) as exc:
        agentc.run(G.exhausted, {"log": []}, db=str(tmp_path / "r.db"))
    assert G.CALLS == ["always_fails"] * 3
    assert "ConnectionError" in str(exc.value)


@pytest.mark.parametrize("graph,inp", [
    (G.send_and_pull, {"log": ["init"]}),
    (G.join_never, {"log": []}),
    (G.join_loop, {"log": []}),
])
def test_scheduling_rules_match_langgraph(graph, inp, tmp_path):
    assert harness.normalise(agentc.run(graph, inp, db=str(tmp_path / "r.db")).output) == \
        harness.normalise(graph.invoke(inp))


def test_interrupt_inside_subgraph_reruns_only_inner_node(tmp_path):
    db = str(tmp_path / "r.db")
    G.CALLS.clear()
    out = agentc.run(G.subgraph_interrupt, {"log": []}, db=db)
    assert out.status == "waiting"
    G.CALLS.append("--resume--")
    out = agentc.resume(out.run_id, "yes", db=db, obj=G.subgraph_interrupt)
    assert G.CALLS == ["pre", "s1", "s2", "--resume--", "s2"]  # LG-12 (a)
    app = G.subgraph_interrupt.builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "s"}}
    app.invoke({"log": []}, cfg)
    assert harness.normalise(out.output) == harness.normalise(app.invoke(Command(resume="yes"), cfg))


def test_message_ids_are_journaled_not_regenerated(tmp_path):
    """The id add_messages gave 'hello' before the pause survives a resume in a new process."""
    db = str(tmp_path / "r.db")
    out = agentc.run(G.message_ids, {"messages": [{"role": "user", "content": "hi"}]}, db=db)
    assert out.status == "waiting"
    from agentc.targets.local.journal import Journal

    j = Journal(db)
    before = j.load_frame(out.run_id, "")[-1]["messages"]
    j.close()
    ids_before = [m.id for m in before]
    assert all(ids_before)
    code = ("import json, agentc; o = agentc.resume(%r, 'yes', db=%r, obj=__import__('semantics_graphs').message_ids);"
            "print(json.dumps([m.id for m in o.output['messages']]))") % (out.run_id, db)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(harness.ROOT / "tests"),
                          check=True)
    ids_after = json.loads(proc.stdout.strip().splitlines()[-1])
    assert ids_after[:len(ids_before)] == ids_before
    assert len(ids_after) == len(ids_before) + 1


# ---------------------------------------------------------------- every engine as LangGraph
ENGINES = ("local", "conductor", "temporal")


def run_on(engine_name, graph, inp, tmp_path, request):
    """``graph`` run to completion on one engine: the local executor, the Conductor
    simulation of the compiled workflow JSON, or a real Temporal dev server."""
    if engine_name == "local":
        return agentc.run(graph, inp, db=str(tmp_path / "r.db")).output
    if engine_name == "conductor":
        from agentc.targets.conductor.simulate import Simulation

        agentc.compile(graph, target="conductor").write(tmp_path / "out")
        out = Simulation.of(tmp_path / "out", graph).start(inp)
        assert out.status == "done"
        return out.output
    import asyncio

    from agentc.targets.temporal import engine

    address = request.getfixturevalue("temporal_address")

    async def go():
        client = await engine.connect(address)
        async with engine.running_worker(client, engine.load(graph, tmp_path / "code")):
            return await engine.start(graph, address, inp, client=client)

    out = asyncio.run(go())
    assert out.status == "done"
    return out.output


SAME_AS_NATIVE = [
    ("join_into_end", {"log": []}),
    ("extra_keys", {"x": 0, "mode": "judge", "junk": 1}),
    ("extra_keys", {"x": 5, "mode": "no", "junk": [1]}),
    ("pydantic_push", {"messages": [{"role": "user", "content": "hi"}]}),
    ("root_messages", [{"role": "user", "content": "hi"}]),
    ("root_text", "hello"),
    ("root_text", "HELLO"),
    ("root_fanout", ["in"]),
    ("fanout6", {"log": []}),
]


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("name,inp", SAME_AS_NATIVE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SAME_AS_NATIVE)])
def test_engine_matches_langgraph(engine_name, name, inp, tmp_path, request):
    graph = getattr(G, name)
    expected = harness.normalise(graph.invoke(inp))
    assert harness.normalise(run_on(engine_name, graph, inp, tmp_path, request)) == expected


@pytest.mark.parametrize("engine_name", ENGINES)
def test_node_reads_its_attempt_number(engine_name, tmp_path, request):
    """RetryPolicy retries count as LangGraph counts them: runtime.execution_info.node_attempt
    is 1, 2, 3 (the node succeeds on its third attempt), and the first attempt's time is set."""
    G.CALLS.clear()
    expected = harness.normalise(G.attempts.invoke({"log": []}))
    assert G.CALLS == [1, 2, 3]
    G.CALLS.clear()
    assert harness.normalise(run_on(engine_name, G.attempts, {"log": []}, tmp_path, request)) == expected
    assert G.CALLS == [1, 2, 3]


def test_router_with_too_many_list_targets_is_refused_at_compile_time(tmp_path):
    """A router that returns a list of 7 targets: any of 128 subsets may run next. The plan
    targets refuse it when compiling (AC200 naming the router and its line); the local
    target, which needs no plan, runs it as LangGraph does."""
    for target in ("conductor", "temporal"):
        with pytest.raises(AgentcError) as exc:
            agentc.compile(G.fanout7, target=target)
        d = exc.value.diagnostic
        assert d.code.value == "AC200" and "pick_all" in d.construct and "7 targets" in d.message
        assert d.file.endswith("semantics_graphs.py") and d.line is not None and "Send" in d.hint
    expected = harness.normalise(G.fanout7.invoke({"log": []}))
    assert harness.normalise(agentc.run(G.fanout7, {"log": []}, db=str(tmp_path / "r.db")).output) == expected


def test_pydantic_state_instance_as_input(tmp_path):
    """An instance of the pydantic state class is an input LangGraph takes (its fields are
    written); agentc.run takes it too and gives the same result."""
    from langchain_core.messages import HumanMessage

    inp = G.PMessages(messages=[HumanMessage(content="hi", id="h1")])
    expected = harness.normalise(G.pydantic_push.invoke(inp))
    assert harness.normalise(agentc.run(G.pydantic_push, inp, db=str(tmp_path / "r.db")).output) == expected
