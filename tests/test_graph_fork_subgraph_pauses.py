"""Graph forks on the engines past an ``interrupt()`` answered INSIDE a subgraph (docs/replay.md
"Graph forks on the engines", "Pauses"): a fork starts with the original's answers, and the
records are nested per subgraph level, so the answer must reach the subgraph's own task —
whether the subgraph node is answered from the record (no child starts), runs live with the
pause re-reached, or forks at a step of its own before, at or after the paused node. Checked
against the local fork (status, result, the questions that wait again) on the Conductor
simulation and on Temporal, for a fork at every node event of the record and for altered
steps that make the paused node ask a question the record did not answer (it waits, as in
the local fork); the altered inner step's result is LangGraph's own time travel into the
subgraph's (answered with the same values)."""
import asyncio
import uuid

import agentc
import harness as H
from agentc.audit import fork, history
from agentc.audit.engine_fork import fork_on_engine
from agentc.targets.conductor.simulate import Simulation
from agentc.targets.temporal import engine
from fork_subgraph_pause import ANSWER, INPUT, REF

CHILD = "2:pull:child"
# (ns, node, --set) -> (status, the questions still waiting)
ALTERED = {
    (CHILD, "s1", "extra"): ({"log": ["s1!"], "extra": True}, "waiting", ["sure?"]),
    ("", "pre", "extra"): ({"log": ["pre!"], "extra": True}, "waiting", ["sure?"]),
    (CHILD, "ask", "set"): ({"log": ["ask:no"]}, "done", []),
    (CHILD, "s1", "plain"): ({"log": ["s1!"]}, "done", []),
}


def local(tmp_path):
    db = str(tmp_path / "local.db")
    out = agentc.run(REF, INPUT, db=db, run_id="l")
    assert out.status == "waiting"
    out = agentc.resume("l", ANSWER, db=db)
    assert out.status == "done"
    return db, history("l", db=db)


def waiting(status, interrupts):
    """The questions a run waits on."""
    return sorted(str(i.get("value")) for i in interrupts) if status == "waiting" else []


def native_time_travel(value):
    """LangGraph's fork inside the subgraph: stop inside ``child`` before ``s1``, update its
    state as ``s1`` (``s1`` does not run), run on answering each pause with the original's answer (``ok?``), and
    say whether a question is left (``sure?``)."""
    import copy
    import dataclasses

    import fork_subgraph_pause as G
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    b = copy.copy(G._root)
    b.nodes = dict(b.nodes)
    b.nodes["child"] = dataclasses.replace(
        b.nodes["child"], runnable=G._child.compile(interrupt_before=["s1"]))
    g = b.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    g.invoke(INPUT, cfg)
    sub = g.get_state(cfg, subgraphs=True).tasks[0].state
    assert sub.next == ("s1",)
    g.update_state(sub.config, value, as_node="s1")
    out = g.invoke(None, cfg)
    out = g.invoke(Command(resume=ANSWER), cfg)  # ok?: the original's answer
    questions = [i.value for t in g.get_state(cfg).tasks for i in t.interrupts]
    return out, questions


def check(h, do_fork, tmp_path):
    db, loc = local(tmp_path)
    ours = [(e.ns, e.name) for e in h.events if e.kind == "node"]
    assert ours == [(e.ns, e.name) for e in loc.events if e.kind == "node"]
    assert ("", "child") in ours and (CHILD, "ask") in ours and len(ours) == 7
    for i, where in enumerate(ours):
        at = next(e.seq for e in h.events if e.kind == "node" and (e.ns, e.name) == where)
        lat = next(e.seq for e in loc.events if e.kind == "node" and (e.ns, e.name) == where)
        f = do_fork(at, None)
        lf = fork("l", db=db, at=lat, new_run_id=f"lf{i}")
        assert (f.status, lf.status) == ("done", "done"), (where, f.status, f.replayed.interrupts)
        assert H.normalise(f.outcome.output) == H.normalise(lf.replayed.output) == \
            H.normalise(h.output), where
        assert f.live_nodes == lf.live_nodes, where
        # the answer shown where the original got it: no trajectory diff, on either side —
        # but for a fork at or after the subgraph node, answered with no child started: its
        # history lacks the child's own steps and the answer given inside it (nothing else)
        assert lf.diff == [], where
        if where not in (("", "child"), ("", "post")):
            assert f.diff == [], (where, f.diff)
        else:
            assert not [x for x in f.diff[3:] if not x.startswith(("-", " "))], f.diff
            assert any(x.startswith("-resume") for x in f.diff), f.diff
    for key, (value, status, questions) in ALTERED.items():
        at = next(e.seq for e in h.events if e.kind == "node" and (e.ns, e.name) == key[:2])
        lat = next(e.seq for e in loc.events if e.kind == "node" and (e.ns, e.name) == key[:2])
        f = do_fork(at, value)
        lf = fork("l", db=db, at=lat, value=value, new_run_id=f"lf{key[1]}{key[2]}")
        assert (f.status, lf.status) == (status, status), (key, f.status, lf.status)
        assert waiting(f.status, f.outcome.interrupts) == questions, key
        assert waiting(lf.status, lf.replayed.interrupts) == questions, key
        if status == "done":
            assert H.normalise(f.outcome.output) == H.normalise(lf.replayed.output), key
        if key[:2] == (CHILD, "s1"):
            native, asked = native_time_travel(value)
            assert asked == questions, key
            if status == "done":
                assert H.normalise(f.outcome.output) == H.normalise(native), key


def test_conductor_graph_fork_past_an_interrupt_inside_a_subgraph(tmp_path):
    agentc.compile(REF, target="conductor").write(tmp_path / "art")
    sim = Simulation.of(str(tmp_path / "art"))
    out = sim.start(INPUT)
    assert out.status == "waiting"
    out = sim.resume(ANSWER)
    assert out.status == "done"
    sim.save(tmp_path / "sims" / f"{out.run_id}.json")
    state = str(tmp_path / "sims")
    h = history(out.run_id, engine="conductor", state_dir=state)
    check(h, lambda at, v: fork_on_engine(out.run_id, engine="conductor", at=at, state_dir=state,
                                          **({} if v is None else {"value": v})), tmp_path)


async def _on_temporal(address, tmp_path):
    """On a task queue of its own, as the forks' workers (``with_worker``) serve it."""
    q = f"forkpause-{uuid.uuid4().hex[:8]}"
    client = await engine.connect(address)
    async with engine.running_worker(client, engine.load(REF, tmp_path / "code"), q):
        out = await engine.start(REF, address, INPUT, client=client, task_queue=q)
        assert out.status == "waiting"
        out = await engine.resume(out.run_id, address, ANSWER, client=client)
        assert out.status == "done", out
        return out.run_id


def test_temporal_graph_fork_past_an_interrupt_inside_a_subgraph(temporal_address, tmp_path,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)  # the in-process worker's generated code goes under .agentc/
    run_id = asyncio.run(_on_temporal(temporal_address, tmp_path))
    h = history(run_id, engine="temporal", address=temporal_address)
    check(h, lambda at, v: fork_on_engine(run_id, engine="temporal", at=at,
                                          address=temporal_address, with_worker=True,
                                          **({} if v is None else {"value": v})), tmp_path)
