"""``Command(goto=..., update=...)`` at a static breakpoint, against LangGraph's own
``graph.invoke(Command(...), config)`` (issue 16, 5e).

Local executor: the same state as native for every command sequence (gotos, updates,
both, a ``Send``, a key that is no state key, a resume value). Conductor and Temporal
run only the schedules compiled into their plan: they refuse a goto/update loudly
(AC200) and leave the run paused, where they used to ignore it and finish differently
from native. Bad commands are refused (AC112) before the run is touched."""
import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command, Send

import agentc
import breakpoint_graphs as G
import harness
from agentc.errors import AgentcError
from agentc.targets.conductor.simulate import Simulation

PLAIN = None  # a resume with no value
BOUND = 10  # at most this many pauses per run


def native(graph, commands):
    app = graph.builder.compile(checkpointer=InMemorySaver(), interrupt_before=graph.interrupt_before_nodes,
                                interrupt_after=graph.interrupt_after_nodes)
    cfg = {"configurable": {"thread_id": "t"}}
    out = app.invoke({"log": []}, cfg)
    todo = list(commands)
    for _ in range(BOUND):
        if not app.get_state(cfg).next:
            return harness.normalise(out)
        out = app.invoke(todo.pop(0) if todo else None, cfg)
    raise AssertionError("native run did not finish")


def local(graph, commands, db):
    out = agentc.run(graph, {"log": []}, db=db)
    todo = list(commands)
    for _ in range(BOUND):
        if out.status == "done":
            return harness.normalise(out.output)
        assert all(p["kind"] == "breakpoint" for p in out.interrupts), out.interrupts
        cmd = todo.pop(0) if todo else PLAIN
        out = agentc.resume(out.run_id, *([] if cmd is PLAIN else [cmd]), db=db, obj=graph)
    raise AssertionError("local run did not finish")


CASES = {
    "goto": (G.before_b, [Command(goto="c")]),
    "update": (G.before_b, [Command(update={"log": ["u"]})]),
    "update_and_goto": (G.before_b, [Command(update={"log": ["u"]}, goto="c")]),
    "goto_list_back_into_the_breakpoint": (G.before_b, [Command(goto=["c", "a"])]),
    "goto_send": (G.before_b, [Command(goto=Send("c", {"log": ["s"]}))]),
    "update_of_no_state_key": (G.before_b, [Command(update={"nope": 1})]),
    "resume_value_and_goto": (G.before_b, [Command(resume="x", goto="c")]),
    "update_read_by_router": (G.review_loop, [Command(update={"n": 5})]),
    "goto_in_a_loop": (G.review_loop, [Command(goto="ship"), Command(update={"n": 3}, goto="fix")]),
    "after_goto": (G.review_after, [Command(goto="ship")]),
    "after_update": (G.review_after, [Command(update={"n": 7})]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_local_command_at_breakpoint_matches_langgraph(name, tmp_path):
    graph, commands = CASES[name]
    expected = native(graph, commands)
    assert local(graph, commands, str(tmp_path / "r.db")) == expected


def test_goto_and_update_arguments_equal_a_command(tmp_path):
    db = str(tmp_path / "r.db")
    out = agentc.run(G.review_loop, {"log": []}, db=db)
    out = agentc.resume(out.run_id, db=db, obj=G.review_loop, goto="ship", update={"n": 4})
    assert harness.normalise(out.output) == native(G.review_loop, [Command(goto="ship", update={"n": 4})])


def _paused(tmp_path, graph=G.before_b):
    db = str(tmp_path / "r.db")
    out = agentc.run(graph, {"log": []}, db=db)
    assert out.status == "waiting"
    return db, out.run_id


def test_goto_to_a_missing_node_lists_the_nodes_and_leaves_the_run_paused(tmp_path):
    db, run_id = _paused(tmp_path)
    with pytest.raises(AgentcError) as e:
        agentc.resume(run_id, db=db, obj=G.before_b, goto="zzz")
    d = e.value.diagnostic
    assert d.code.value == "AC112" and "'zzz'" in d.message and "a, b, c" in d.hint
    out = agentc.resume(run_id, db=db, obj=G.before_b)  # still paused: a plain resume finishes it
    assert harness.normalise(out.output) == native(G.before_b, [])


def test_goto_at_an_interrupt_is_refused(tmp_path):
    from langgraph.graph import START, StateGraph
    from langgraph.types import interrupt

    b = StateGraph(G.S)
    b.add_node("ask", lambda s: {"log": [interrupt("ok?")]})
    b.add_node("other", lambda s: {"log": ["other"]})
    b.add_edge(START, "ask")
    g = b.compile()
    db = str(tmp_path / "r.db")
    out = agentc.run(g, {"log": []}, db=db)
    with pytest.raises(AgentcError) as e:
        agentc.resume(out.run_id, "yes", db=db, obj=g, goto="other")
    assert e.value.diagnostic.code.value == "AC112" and "interrupt()" in e.value.diagnostic.message
    # Command(resume=...) is the answer itself, as in graph.invoke(Command(resume="yes"), config)
    assert agentc.resume(out.run_id, Command(resume="yes"), db=db, obj=g).output == {"log": ["yes"]}


def test_goto_on_a_failed_or_finished_run_is_refused(tmp_path):
    db = str(tmp_path / "r.db")
    out = agentc.run(G.before_b, {"log": []}, db=db)
    agentc.resume(out.run_id, db=db, obj=G.before_b)
    with pytest.raises(AgentcError) as e:
        agentc.resume(out.run_id, db=db, obj=G.before_b, goto="c")
    assert e.value.diagnostic.code.value in ("AC112", "AC121")


def cli(*args, db):
    import os

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args, "--db", db],
                          capture_output=True, text=True, timeout=120, env=env)


def test_cli_resume_goto_and_update(tmp_path):
    db = str(tmp_path / "r.db")
    ref = "breakpoint_graphs:review_loop"
    first = cli("run", ref, "--input", '{"log": []}', db=db)
    assert first.returncode == 3, first.stderr
    run_id = json.loads(first.stdout)["run_id"]
    bad = cli("resume", run_id, "--goto", "nowhere", db=db)
    assert bad.returncode == 2 and "AC112" in bad.stderr and "'nowhere'" in bad.stderr, bad.stderr
    assert "plan, review, fix, ship" in bad.stderr and "Traceback" not in bad.stderr
    ok = cli("resume", run_id, "--goto", "ship", "--update", '{"n": 4}', db=db)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == native(G.review_loop, [Command(goto="ship", update={"n": 4})])


# ---------------------------------------------------------------- compiled targets refuse

def test_conductor_simulation_refuses_goto_and_stays_paused(tmp_path):
    agentc.compile(G.before_b, target="conductor").write(tmp_path / "out")
    sim = Simulation.of(tmp_path / "out", G.before_b)
    assert sim.start({"log": []}).status == "waiting"
    for kw in ({"goto": "c"}, {"update": {"log": ["u"]}}):
        with pytest.raises(AgentcError) as e:
            sim.resume(**kw)
        assert e.value.diagnostic.code.value == "AC200" and "conductor" in e.value.diagnostic.message
    with pytest.raises(AgentcError):
        sim.resume(Command(goto="c"))
    assert harness.normalise(sim.resume().output) == native(G.before_b, [])


def test_cli_simulate_resume_goto_is_refused(tmp_path):
    import os

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    run = lambda *a: subprocess.run([sys.executable, "-m", "agentc.cli", *a], capture_output=True,  # noqa: E731
                                    text=True, timeout=120, env=env, cwd=tmp_path)
    assert run("compile", "breakpoint_graphs:before_b", "--target", "conductor", "--out", "art").returncode == 0
    first = run("simulate", "art", "--input", '{"log": []}')
    assert first.returncode == 3, first.stderr
    run_id = json.loads(first.stdout)["run_id"]
    bad = run("simulate", "--resume", run_id, "--goto", "c")
    assert bad.returncode == 2 and "AC200" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
    ok = run("simulate", "--resume", run_id)
    assert ok.returncode == 0 and json.loads(ok.stdout) == native(G.before_b, []), ok.stderr


def test_temporal_refuses_goto_and_stays_paused(temporal_address, tmp_path):
    from agentc.targets.temporal import engine

    async def go():
        client = await engine.connect(temporal_address)
        q = f"goto-{uuid.uuid4().hex[:10]}"
        async with engine.running_worker(client, engine.load(G.before_b, tmp_path / "code"), q):
            out = await asyncio.wait_for(engine.start(G.before_b, temporal_address, {"log": []}, client=client,
                                                      task_queue=q, run_id=f"{q}-run"), 60)
            assert out.status == "waiting"
            refusals = []
            for kw in ({"goto": "c"}, {"value": Command(goto="c")}, {"update": {"log": ["u"]}}):
                try:
                    await engine.resume(out.run_id, temporal_address, client=client, **kw)
                except AgentcError as exc:
                    refusals.append(exc.diagnostic.code.value)
            done = await asyncio.wait_for(engine.resume(out.run_id, temporal_address, client=client), 60)
            return refusals, done

    refusals, done = asyncio.run(go())
    assert refusals == ["AC200"] * 3
    assert harness.normalise(done.output) == native(G.before_b, [])


def test_goto_at_a_subgraph_breakpoint_is_refused(tmp_path):
    from langgraph.graph import START, StateGraph

    child = StateGraph(G.S)
    child.add_node("x", lambda s: {"log": ["x"]})
    child.add_node("y", lambda s: {"log": ["y"]})
    child.add_edge(START, "x")
    child.add_edge("x", "y")
    parent = StateGraph(G.S)
    parent.add_node("sub", child.compile(interrupt_before=["y"]))
    parent.add_edge(START, "sub")
    g = parent.compile()
    db = str(tmp_path / "r.db")
    out = agentc.run(g, {"log": []}, db=db)
    assert out.status == "waiting" and out.interrupts[0]["ns"]
    with pytest.raises(AgentcError) as e:
        agentc.resume(out.run_id, db=db, obj=g, goto="sub")
    assert e.value.diagnostic.code.value == "AC200" and "subgraph" in e.value.diagnostic.message
    assert agentc.resume(out.run_id, db=db, obj=g).status == "done"


def test_cli_temporal_resume_goto_is_refused_before_contacting_a_server(tmp_path):
    r = cli("resume", "some-run", "--engine", "temporal", "--address", "127.0.0.1:1", "--goto", "c",
            db=str(tmp_path / "r.db"))
    assert r.returncode == 2 and "AC200" in r.stderr and "temporal" in r.stderr and "Traceback" not in r.stderr, r.stderr
