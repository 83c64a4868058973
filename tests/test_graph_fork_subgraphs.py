"""Graph forks on the engines past subgraph nodes (docs/replay.md "Graph forks on the
engines"): a subgraph node runs as a child workflow (Conductor ``SUB_WORKFLOW``, Temporal
child workflow) whose own steps the record does not hold, but its node event holds the
writes its graph made to the parent's task. A fork answers a subgraph node of its prefix
with those writes WITHOUT starting the child (no node inside it runs), and a fork at the
subgraph node with ``--set`` gives the value as its graph's return value — with the local
fork's result and native LangGraph time travel's (``update_state(..., as_node="research")``
then ``invoke(None, ...)``). A fork point inside a subgraph: tests/test_graph_fork_inner.py."""
import asyncio
import json
import uuid
from pathlib import Path

import agentc
import harness as H
from agentc.audit import fork, history
from agentc.audit.engine_fork import fork_on_engine
from agentc.fixtures.langgraph import subgraph as fixture
from agentc.targets.conductor.simulate import Simulation
from agentc.runtime_shims import node_timeouts
from agentc.targets.temporal import engine

NAME = "subgraph"
ALTERED = {"answer": "Altered answer", "log": ["altered research"]}


class Runs:
    """The nodes that really run (root nodes and the subgraphs' own): the step worker
    bounds each node it calls (``node_timeouts.bounded``), a node the fork answered is not."""

    def __enter__(self):
        self.calls, self.saved = [], node_timeouts.bounded

        def counted(runnable, seconds, node):
            self.calls.append(node)
            return self.saved(runnable, seconds, node)

        node_timeouts.bounded = counted
        return self

    def __exit__(self, *exc):
        node_timeouts.bounded = self.saved


def local(tmp_path):
    db = str(tmp_path / "local.db")
    out = agentc.run(H.ref(NAME), H.CASES[NAME]["input"], db=db, run_id="l")
    assert out.status == "done"
    return db, history("l", db=db)


def native_time_travel(value):
    """LangGraph's fork: the checkpoint before ``research``, its output replaced there."""
    from langgraph.checkpoint.memory import InMemorySaver

    g = fixture.builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    g.invoke(H.CASES[NAME]["input"], cfg)
    before = next(s for s in g.get_state_history(cfg) if s.next == ("research",))
    return g.invoke(None, g.update_state(before.config, value, as_node="research"))


# what runs live after a fork (without --set) at each root node: its own record answers it
AFTER = {"intake": ["gather", "compose", "check", "after"], "research": ["check", "after"],
         "review": ["after"], "after": []}
CHILDREN = {"intake": 2, "research": 1, "review": 0, "after": 0}  # child workflows started


def check(h, do_fork, children_of, tmp_path):
    """Every root node event: the engine fork's result is the original's and the local
    fork's; the prefix's subgraph nodes are answered (``forked``) with no child started and
    none of their nodes run; the altered subgraph node: native time travel's result."""
    db, loc = local(tmp_path)
    ours = [e for e in h.events if e.kind == "node" and not e.ns]
    theirs = [e for e in loc.events if e.kind == "node" and not e.ns]
    assert [(e.name, e.step) for e in ours] == [(e.name, e.step) for e in theirs]
    for i, (e, le) in enumerate(zip(ours, theirs)):
        with Runs() as r:
            f = fork_on_engine(**do_fork(e.seq))
        lf = fork("l", db=db, at=le.seq, new_run_id=f"lf{i}")
        assert (f.status, lf.status) == ("done", "done")
        assert H.normalise(f.outcome.output) == H.normalise(lf.replayed.output) == H.normalise(h.output)
        assert r.calls == AFTER[e.name], e.name
        # nodes run live at every level, as the local fork counts them (a live subgraph
        # node's own nodes, not the subgraph node as one)
        assert (f.live_model_calls, f.live_nodes) == (0, lf.live_nodes) == (0, len(AFTER[e.name]))
        answered = [x.name for x in f.replayed.events if x.kind == "node" and x.data.get("forked")]
        assert answered == [x.name for x in ours[: i + 1]]
        # a child workflow only for a subgraph node after the fork point
        assert children_of(f.replayed.run_id) == CHILDREN[e.name]
    research = next(e for e in ours if e.name == "research")
    with Runs() as r:
        f = fork_on_engine(**do_fork(research.seq), value=ALTERED)
    lf = fork("l", db=db, at=next(e.seq for e in theirs if e.name == "research"), value=ALTERED,
              new_run_id="lfv")
    native = native_time_travel(ALTERED)
    assert f.status == "done" and r.calls == ["check", "after"]
    assert f.live_nodes == lf.live_nodes == 2
    assert H.normalise(f.outcome.output) == H.normalise(lf.replayed.output) == H.normalise(native)
    assert native["answer"] == "Altered answer" and "altered research" in native["log"]
    assert [(x.name, x.data.get("forked")) for x in f.replayed.events if x.kind == "node"] == \
        [("intake", "record"), ("research", "set"), ("__start__", None), ("review", None),
         ("after", None)]  # review's child runs live: its START is listed (subgraph_start.py)
    assert children_of(f.replayed.run_id) == 1  # review's, after the fork point


def on_conductor(tmp_path):
    folder = tmp_path / "art"
    agentc.compile(H.ref(NAME), target="conductor").write(folder)
    sim = Simulation.of(str(folder))
    out = sim.start(H.CASES[NAME]["input"])
    assert out.status == "done"
    sim.save(tmp_path / "sims" / f"{out.run_id}.json")
    return out.run_id, str(tmp_path / "sims")


def test_conductor_graph_fork_answers_prefix_subgraphs_without_starting_them(tmp_path):
    run_id, state = on_conductor(tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)

    def children_of(fork_id):
        saved = json.loads((Path(state) / f"{fork_id}.json").read_text())
        return len(saved["simulator"]["workflows"]) - 1  # every workflow but the fork's root

    check(h, lambda at: {"run_id": run_id, "engine": "conductor", "at": at, "state_dir": state},
          children_of, tmp_path)


async def _on_temporal(address, tmp_path, ref=H.ref(NAME), value=H.CASES[NAME]["input"]):
    """The original on a task queue of its own (its forks serve the same queue): ``Runs``
    counts the nodes this process runs, and another test's worker polling the workflow's
    default queue (``agentc-<graph>``) under ``-n 2`` would take some of them."""
    q = f"forksub-{uuid.uuid4().hex[:8]}"
    client = await engine.connect(address)
    async with engine.running_worker(client, engine.load(ref, tmp_path / "code"), q):
        out = await engine.start(ref, address, value, client=client, task_queue=q)
        assert out.status == "done"
        return out.run_id


async def _children(address, run_id):
    client = await engine.connect(address)
    return sum([e.HasField("start_child_workflow_execution_initiated_event_attributes")
                async for e in client.get_workflow_handle(run_id).fetch_history_events()])


def test_temporal_graph_fork_answers_prefix_subgraphs_without_starting_them(temporal_address, tmp_path,
                                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)  # the in-process worker's generated code goes under .agentc/
    run_id = asyncio.run(_on_temporal(temporal_address, tmp_path))
    h = history(run_id, engine="temporal", address=temporal_address)
    check(h, lambda at: {"run_id": run_id, "engine": "temporal", "at": at, "address": temporal_address,
                         "with_worker": True},
          lambda fork_id: asyncio.run(_children(temporal_address, fork_id)), tmp_path)


def test_local_fork_at_a_subgraph_node_with_set_replaces_its_graphs_output(tmp_path):
    """The local fork gave the value to no one: the subgraph ran again and its own output
    won. Now it is the node's output, as native ``update_state(..., as_node=...)`` makes it."""
    db, loc = local(tmp_path)
    at = next(e.seq for e in loc.events if e.kind == "node" and e.name == "research" and not e.ns)
    with Runs() as r:
        lf = fork("l", db=db, at=at, value=ALTERED, new_run_id="lfv")
    assert H.normalise(lf.replayed.output) == H.normalise(native_time_travel(ALTERED))
    assert r.calls == ["check", "after"] and lf.live_nodes == 2
