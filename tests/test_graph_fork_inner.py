"""Graph forks on the engines at a step INSIDE a subgraph (docs/replay.md "Graph forks on
the engines", "Subgraphs"): the root's prefix is answered from the record as before, and
the subgraph node that holds the fork point starts its child workflow with a record of its
own — the child's steps before the fork point answered from the child's recorded steps,
the fork point from its record or replaced by ``--set``, the rest live. Checked on the
``subgraph`` fixture at each of its subgraphs' own steps, on the Conductor simulation and on
Temporal: the final state is the local fork's (and, for an altered step, LangGraph's own
time travel into the subgraph: a breakpoint before the node inside the subgraph,
``update_state(<subgraph's config>, value, as_node=...)``, ``invoke(None)``); only the node
functions at/after the fork point really run; no model is called."""
import asyncio
import copy
import dataclasses
import json
from pathlib import Path

import agentc
import harness as H
import pytest
from agentc.audit import fork, history
from agentc.audit.engine_fork import fork_on_engine
from agentc.audit.graph_fork_engines import plan_for
from agentc.errors import AgentcError
from agentc.fixtures.langgraph import subgraph as fixture
from agentc.targets.conductor.simulate import Simulation
from test_graph_fork_subgraphs import NAME, Runs, _children, _on_temporal, local, on_conductor

# what runs after a fork (without --set) at each inner step: the record answers it
AFTER = {
    ("2:pull:research", "__start__"): ["gather", "compose", "check", "after"],
    ("2:pull:research", "gather"): ["compose", "check", "after"],
    ("2:pull:research", "compose"): ["check", "after"],
    ("3:pull:review", "__start__"): ["check", "after"],
}
# the inner steps a fork answers (``forked``) up to and with the fork point
ANSWERED = {
    ("2:pull:research", "__start__"): [("", "intake")],
    ("2:pull:research", "gather"): [("", "intake"), ("2:pull:research", "gather")],
    ("2:pull:research", "compose"): [
        ("", "intake"), ("2:pull:research", "gather"), ("2:pull:research", "compose")],
    ("3:pull:review", "__start__"): [("", "intake"), ("", "research")],
}
CHILDREN = {"2:pull:research": 2, "3:pull:review": 1}  # research's own and review's; review's
ALTERED = {
    "gather": ({"notes": ["durable", "graphs"], "log": ["altered gather"]},
               ["compose", "check", "after"]),
    "compose": ({"answer": "Altered answer", "log": ["altered compose"]}, ["check", "after"]),
}


def native_time_travel(node, value):
    """LangGraph's own fork inside a subgraph: the parent with its ``research`` subgraph
    stopping before ``node``, that subgraph's state updated as ``node`` (``get_state(...,
    subgraphs=True)`` gives its config), then ``invoke(None)``."""
    from langgraph.checkpoint.memory import InMemorySaver

    b = copy.copy(fixture.builder)
    b.nodes = dict(b.nodes)
    stopping = fixture.research_builder.compile(interrupt_before=[node])
    b.nodes["research"] = dataclasses.replace(b.nodes["research"], runnable=stopping)
    g = b.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    g.invoke(H.CASES[NAME]["input"], cfg)
    sub = g.get_state(cfg, subgraphs=True).tasks[0].state
    assert sub.next == (node,) and sub.config["configurable"]["checkpoint_ns"].startswith("research:")
    g.update_state(sub.config, value, as_node=node)
    return g.invoke(None, cfg)


def check(h, do_fork, children_of, tmp_path):
    db, loc = local(tmp_path)
    inner = [e for e in h.events if e.kind == "node" and e.ns]
    theirs = {(e.ns, e.name): e for e in loc.events if e.kind == "node" and e.ns}
    assert [(e.ns, e.name) for e in inner] == list(AFTER) == list(theirs)
    for i, e in enumerate(inner):
        where = (e.ns, e.name)
        with Runs() as r:
            f = fork_on_engine(**do_fork(e.seq))
        lf = fork("l", db=db, at=theirs[where].seq, new_run_id=f"lf{i}")
        assert (f.status, lf.status) == ("done", "done"), where
        assert H.normalise(f.outcome.output) == H.normalise(lf.replayed.output) == \
            H.normalise(h.output), where
        assert r.calls == AFTER[where], where
        assert f.live_model_calls == 0
        # nodes run live, at every level (not a subgraph node's one step): the local fork's
        assert f.live_nodes == lf.live_nodes == len(AFTER[where]), where
        answered = [(x.ns, x.name) for x in f.replayed.events
                    if x.kind == "node" and x.data.get("forked")]
        assert answered == ANSWERED[where], where
        assert children_of(f.replayed.run_id) == CHILDREN[e.ns], where
        # the fork's history lists the original's steps in its order, but for the own steps
        # of a subgraph node it answered (research, at a fork inside review): no child ran
        hidden = {"2:pull:research"} if e.ns == "3:pull:review" else set()
        assert [(x.ns, x.name, x.step) for x in f.replayed.events if x.kind == "node"] == \
            [(x.ns, x.name, x.step) for x in h.events if x.kind == "node" and x.ns not in hidden]
    for name, (value, after) in ALTERED.items():
        e = next(x for x in inner if x.name == name)
        with Runs() as r:
            f = fork_on_engine(**do_fork(e.seq), value=value)
        lf = fork("l", db=db, at=theirs[(e.ns, name)].seq, value=value, new_run_id=f"lfv{name}")
        native = native_time_travel(name, value)
        assert f.status == "done" and r.calls == after, name
        assert f.live_nodes == lf.live_nodes == len(after), name
        assert H.normalise(f.outcome.output) == H.normalise(lf.replayed.output) == \
            H.normalise(native), name
        assert f"altered {name}" in native["log"] and native != h.output
        marks = {(x.ns, x.name): x.data.get("forked") for x in f.replayed.events if x.kind == "node"}
        assert marks[(e.ns, name)] == "set" and marks[("", "research")] is None
        assert (f.live_model_calls, children_of(f.replayed.run_id)) == (0, 2)


def test_conductor_graph_fork_at_a_step_inside_a_subgraph(tmp_path):
    run_id, state = on_conductor(tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)

    def children_of(fork_id):
        saved = json.loads((Path(state) / f"{fork_id}.json").read_text())
        return len(saved["simulator"]["workflows"]) - 1  # every workflow but the fork's root

    check(h, lambda at: {"run_id": run_id, "engine": "conductor", "at": at, "state_dir": state},
          children_of, tmp_path)


def test_temporal_graph_fork_at_a_step_inside_a_subgraph(temporal_address, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the in-process worker's generated code goes under .agentc/
    run_id = asyncio.run(_on_temporal(temporal_address, tmp_path))
    h = history(run_id, engine="temporal", address=temporal_address)
    check(h, lambda at: {"run_id": run_id, "engine": "temporal", "at": at,
                         "address": temporal_address, "with_worker": True},
          lambda fork_id: asyncio.run(_children(temporal_address, fork_id)), tmp_path)


def test_set_at_a_subgraphs_start_is_refused_naming_why(tmp_path):
    """A subgraph's START is its parent's state at the subgraph node: no value of its own
    replaces it (fork at the parent's node before it instead), so --set there is AC200;
    without --set the fork point is fine (the subgraph runs live from its START)."""
    run_id, state = on_conductor(tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)
    start = next(e for e in h.events if e.kind == "node" and e.ns and e.name == "__start__")
    wf = agentc.api.workflow_and_live(H.ref(NAME))[0]
    with pytest.raises(AgentcError) as e:
        plan_for(h, "conductor", start.seq, {"question": "another"}, wf=wf)
    d = e.value.diagnostic
    assert d.code.value == "AC200" and "START of subgraph level" in d.message and d.hint
    plan = plan_for(h, "conductor", start.seq, wf=wf).plan
    assert plan["sub"]["path"] == ["research"] and plan["target"] == "/2/2:pull:research"


# ------------------------------------------------------------------ a subgraph in a subgraph
NESTED = "fork_nested_graphs:graph"
INNER = "1:pull:mid|2:pull:inner"
# (ns, node) -> (--set or None, what runs after the fork point)
NESTED_FORKS = {
    ("1:pull:mid", "a"): (None, ["b", "c", "d"]),
    (INNER, "b"): (None, ["c", "d"]),
    (INNER, "c"): ({"text": "Y", "log": ["C"]}, ["d"]),
    (INNER, "b", "set"): ({"text": "X", "log": ["B"]}, ["c", "d"]),
}


def check_nested(h, do_fork, tmp_path):
    """Forks two levels down: the root's record nests ``mid``'s, which nests ``inner``'s;
    the result is the local fork's, only the nodes after the fork point run."""
    from fork_nested_graphs import INPUT

    db = str(tmp_path / "nested.db")
    assert agentc.run(NESTED, INPUT, db=db, run_id="n").status == "done"
    loc = history("n", db=db)
    assert [(e.ns, e.name) for e in h.events if e.kind == "node"] == \
        [(e.ns, e.name) for e in loc.events if e.kind == "node"]
    for i, (where, (value, after)) in enumerate(NESTED_FORKS.items()):
        e = next(x for x in h.events if x.kind == "node" and (x.ns, x.name) == where[:2])
        le = next(x for x in loc.events if x.kind == "node" and (x.ns, x.name) == where[:2])
        with Runs() as r:
            f = fork_on_engine(**do_fork(e.seq), **({} if value is None else {"value": value}))
        lf = fork("n", db=db, at=le.seq, value=value, new_run_id=f"nf{i}")
        assert (f.status, lf.status) == ("done", "done"), where
        assert H.normalise(f.outcome.output) == H.normalise(lf.replayed.output), where
        assert (value is None) == (f.outcome.output == h.output), where
        assert r.calls == after, where
        assert f.live_nodes == lf.live_nodes == len(after), where
        marks = {(x.ns, x.name): x.data.get("forked") for x in f.replayed.events if x.kind == "node"}
        assert marks[where[:2]] == ("record" if value is None else "set"), where
        assert marks[("1:pull:mid", "a")] == "record", where


def test_conductor_graph_fork_two_subgraph_levels_down(tmp_path):
    from fork_nested_graphs import INPUT

    agentc.compile(NESTED, target="conductor").write(tmp_path / "art")
    sim = Simulation.of(str(tmp_path / "art"))
    out = sim.start(INPUT)
    assert out.status == "done"
    sim.save(tmp_path / "sims" / f"{out.run_id}.json")
    state = str(tmp_path / "sims")
    h = history(out.run_id, engine="conductor", state_dir=state)
    check_nested(h, lambda at: {"run_id": out.run_id, "engine": "conductor", "at": at,
                                "state_dir": state}, tmp_path)


def test_temporal_graph_fork_two_subgraph_levels_down(temporal_address, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from fork_nested_graphs import INPUT

    run_id = asyncio.run(_on_temporal(temporal_address, tmp_path, NESTED, INPUT))
    h = history(run_id, engine="temporal", address=temporal_address)
    check_nested(h, lambda at: {"run_id": run_id, "engine": "temporal", "at": at,
                                "address": temporal_address, "with_worker": True}, tmp_path)


def test_local_set_at_a_subgraphs_start_is_refused_as_on_the_engines(tmp_path):
    """The local fork used to accept --set at a subgraph's START and silently keep the
    original input (its output was the original's). LangGraph has no replacement of a
    subgraph's input either (``update_state(<subgraph config>, v, as_node="__start__")``
    merges ``v`` into the subgraph's state through its reducers), so the local fork refuses it
    as the engines do: the same code, the same message."""
    db, loc = local(tmp_path)
    start = next(e for e in loc.events if e.kind == "node" and e.ns and e.name == "__start__")
    with pytest.raises(AgentcError) as e:
        fork("l", db=db, at=start.seq, value={"question": "another"}, new_run_id="lfs")
    d = e.value.diagnostic
    assert d.code.value == "AC200" and "START of subgraph level" in d.message and d.hint
    assert d.construct == "agentc fork"
    run_id, state = on_conductor(tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)
    es = next(x for x in h.events if x.kind == "node" and x.ns and x.name == "__start__")
    with pytest.raises(AgentcError) as ee:
        fork_on_engine(run_id, engine="conductor", at=es.seq, value={"question": "another"},
                       state_dir=state)
    engine_msg = ee.value.diagnostic.message.replace(f"run {run_id}:", "run R:")
    assert engine_msg.replace(f"event {es.seq} ", "event E ") == \
        d.message.replace("run l:", "run R:").replace(f"event {start.seq} ", "event E ")
    assert ee.value.diagnostic.hint == d.hint
    # without --set the fork point is fine: the subgraph runs live from its START
    assert fork("l", db=db, at=start.seq, new_run_id="lfs2").replayed.output == loc.output
