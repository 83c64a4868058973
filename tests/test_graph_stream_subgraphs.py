"""``graph.stream(..., subgraphs=True)`` from a durable run (docs/langgraph.md, "Streaming",
"Subgraphs"): chunk for chunk what LangGraph yields on the same graph, with the chunks of the
steps inside subgraph nodes under their namespaces, on the local target, the Conductor
simulation and Temporal. Namespaces are compared by their stable part, the node name before
``:`` (after it LangGraph has its task id, agentc its task key); chunks are compared superstep
by superstep of the root graph (parallel tasks finish in any order) and, within each
namespace, in order."""
from __future__ import annotations

import json
import uuid

import pytest
import stream_graphs
from test_graph_stream import cli, graph_worker  # noqa: F401 - the Temporal worker fixture
from test_graph_stream_modes import canon as mode_canon

import harness as H

import agentc

SUBGRAPH = H.ref("subgraph")
CHATTY = "stream_graphs:chatty"
CASES = {
    "subgraph": (SUBGRAPH, H.CASES["subgraph"]["input"]),
    # the input message has an id: a follower's add_messages gives an unnamed one a random id
    # that differs from the run's, and the subgraph writes the run's back (values mode)
    "chatty": (CHATTY, {**stream_graphs.CHATTY_INPUT, "messages": [
        {"role": "user", "content": "hello", "id": "m-hello"}]}),
}
MODES = {
    "updates": "updates",
    "values": "values",
    "custom": "custom",
    "messages": "messages",
    "list": ["updates", "custom", "messages"],
}


def _no_ids(c):
    """Interrupts without their ids (LangGraph's and agentc's differ)."""
    from langgraph.types import Interrupt

    if isinstance(c, Interrupt):
        return {"interrupt": c.value}
    if isinstance(c, dict) and "__interrupt__" in c:
        return {**c, "__interrupt__": [_no_ids(i) for i in c["__interrupt__"]]}
    if isinstance(c, tuple):
        return tuple(_no_ids(x) for x in c)
    return c


def canon(chunk, listed: bool) -> tuple[tuple[str, ...], str]:
    """``(namespace's node names, the chunk as test_graph_stream_modes compares it)``."""
    chunk = _no_ids(tuple(chunk))
    ns, rest = chunk[0], (tuple(chunk[1:]) if listed else chunk[1])
    names = tuple(part.split(":", 1)[0] for part in ns)
    return names, json.dumps([list(names), mode_canon(rest, listed)])


def _live(ref: str):
    import importlib

    module, name = ref.split(":")
    return getattr(importlib.import_module(module), name)


def native(graph, inp, mode) -> list[list[tuple[tuple[str, ...], str]]]:
    """``graph.stream(..., subgraphs=True)``'s chunks grouped by root superstep (the root
    namespace's ``debug`` checkpoints)."""
    from langgraph.checkpoint.memory import InMemorySaver

    app = graph.builder.compile(checkpointer=InMemorySaver(), name=graph.name)
    modes = [mode] if isinstance(mode, str) else list(mode)
    groups: list[list] = [[]]
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    for ns, m, c in app.stream(inp, cfg, stream_mode=[*modes, "debug"], subgraphs=True):
        if m == "debug":
            if c["type"] == "checkpoint" and ns == ():
                groups.append([])
            continue
        groups[-1].append(canon((ns, m, c) if not isinstance(mode, str) else (ns, c), not isinstance(mode, str)))
    return [g for g in groups if g]


def assert_same(got: list, groups: list[list]) -> None:
    flat = [c for g in groups for c in g]
    assert len(got) == len(flat), (got, groups)
    at = 0
    for g in groups:  # the same chunks in each root superstep
        assert sorted(x[1] for x in got[at:at + len(g)]) == sorted(x[1] for x in g), (got, groups)
        at += len(g)
    for ns in {n for n, _ in flat if n}:  # in the same order within each subgraph's namespace
        assert [c for n, c in got if n == ns] == [c for n, c in flat if n == ns], ns
    assert any(n for n, _ in flat) or not any(n for n, _ in got)


def _check(stream, ref, inp, mode, status="done") -> None:
    listed = not isinstance(mode, str)
    got = [canon(c, listed) for c in stream]
    assert stream.outcome.status == status
    assert_same(got, native(_live(ref), inp, mode))


# ---------------------------------------------------------------- local
@pytest.mark.parametrize("which", sorted(MODES))
@pytest.mark.parametrize("case", sorted(CASES))
def test_local_subgraphs_equal_graph_stream(case, which, tmp_path):
    ref, inp = CASES[case]
    mode = MODES[which]
    s = agentc.stream(ref, inp, db=tmp_path / "runs.db", stream_mode=mode, subgraphs=True)
    _check(s, ref, inp, mode)


PAUSED = "stream_graphs:paused_subgraph"


@pytest.mark.parametrize("which", ["updates", "values"])
def test_local_pause_inside_a_subgraph(which, tmp_path):
    """The interrupt chunk under the subgraph's namespace, then the root's, as LangGraph."""
    s = agentc.stream(PAUSED, {"log": []}, db=tmp_path / "runs.db", stream_mode=which, subgraphs=True)
    _check(s, PAUSED, {"log": []}, which, "waiting")


def test_native_subgraph_chunks_are_there():
    """The fixtures do stream chunks inside their subgraphs (the comparison is not vacuous)."""
    for ref, inp in CASES.values():
        groups = native(_live(ref), inp, ["updates", "values"])
        assert any(ns for g in groups for ns, _ in g)


# ---------------------------------------------------------------- Conductor simulation
@pytest.mark.parametrize("which", ["updates", "values", "list"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_simulation_subgraphs_equal_graph_stream(case, which, tmp_path):
    from agentc.streaming import simulation_stream
    from agentc.targets.conductor.simulate import Simulation

    ref, inp = CASES[case]
    mode = MODES[which]
    agentc.compile(ref, target="conductor").write(tmp_path / "out")
    sim = Simulation.of(tmp_path / "out")
    s = simulation_stream(sim, lambda: sim.start(inp, None), inp, None, stream_mode=mode, subgraphs=True)
    _check(s, ref, inp, mode)


def test_simulation_pause_inside_a_subgraph(tmp_path):
    from agentc.streaming import simulation_stream
    from agentc.targets.conductor.simulate import Simulation

    agentc.compile(PAUSED, target="conductor").write(tmp_path / "out")
    sim = Simulation.of(tmp_path / "out")
    inp = {"log": []}
    s = simulation_stream(sim, lambda: sim.start(inp, None), inp, None, stream_mode="values", subgraphs=True)
    _check(s, PAUSED, inp, "values", "waiting")


# ---------------------------------------------------------------- Temporal
@pytest.mark.parametrize("case,which", [("subgraph", "values"), ("chatty", "list"), ("paused", "updates")])
def test_temporal_subgraphs_equal_graph_stream(case, which, graph_worker, temporal_address):  # noqa: F811
    from agentc.streaming import temporal_stream

    ref, inp = CASES[case] if case != "paused" else (PAUSED, {"log": []})
    mode = MODES[which]
    queue = graph_worker(ref)
    s = temporal_stream(ref, temporal_address, inp, task_queue=queue, stream_mode=mode, subgraphs=True)
    _check(s, ref, inp, mode, "waiting" if case == "paused" else "done")


# ---------------------------------------------------------------- refusals and the CLI
def test_cli_subgraphs(tmp_path):
    ref, inp = CASES["subgraph"]
    r = cli("run", ref, "--input", json.dumps(inp), "--stream", "--subgraphs", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert lines[-1]["status"] == "done"
    assert_same([canon(tuple(x), False) for x in lines[:-1]], native(_live(ref), inp, "updates"))


def test_cli_subgraphs_without_stream_is_refused(tmp_path):
    ref, inp = CASES["subgraph"]
    r = cli("run", ref, "--input", json.dumps(inp), "--subgraphs", cwd=tmp_path)
    assert r.returncode == 2 and "AC203" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_nested_subgraphs_are_refused(tmp_path):
    with pytest.raises(agentc.AgentcError) as e:
        agentc.stream("stream_graphs:nested_subgraphs", {"log": []}, db=tmp_path / "runs.db", subgraphs=True)
    assert e.value.code.value == "AC200" and "inner" in str(e.value)


def test_a_graph_invoked_inside_a_node_is_refused(tmp_path):
    """LangGraph streams its steps with subgraphs=True; a durable run journals no frame of it."""
    native_ns = [ns for ns, _ in stream_graphs.invoker.stream({"log": []}, subgraphs=True)]
    assert any(native_ns)
    with pytest.raises(agentc.AgentcError) as e:
        agentc.stream("stream_graphs:invoker", {"log": []}, db=tmp_path / "runs.db", subgraphs=True)
    assert e.value.code.value == "AC200" and "call_inner" in str(e.value)
    assert list(agentc.stream("stream_graphs:invoker", {"log": []}, db=tmp_path / "runs.db"))


def test_sends_to_a_subgraph_node_are_refused(tmp_path):
    s = agentc.stream("stream_graphs:sent_subgraphs", {"log": []}, db=tmp_path / "runs.db", subgraphs=True)
    with pytest.raises(agentc.AgentcError) as e:
        list(s)
    assert e.value.code.value == "AC200" and "'sub'" in str(e.value)


def test_resumed_stream_with_subgraphs_is_refused(tmp_path):
    ref = H.ref("hitl_review")
    s = agentc.stream(ref, H.CASES["hitl_review"]["input"], db=tmp_path / "runs.db")
    list(s)
    assert s.outcome.status == "waiting"
    with pytest.raises(agentc.AgentcError) as e:
        agentc.resume_stream(s.run_id, True, db=tmp_path / "runs.db", subgraphs=True)
    assert e.value.code.value == "AC200"


# ---------------------------------------------------------------- a chat model streaming tokens (AC205)
TALK_INPUT = {"messages": [{"role": "user", "content": "hi"}]}


def test_messages_of_a_token_streaming_model_warn(tmp_path):
    """LangGraph streams TokenModel token by token, a durable run one whole message: the stream
    says so (AC205, a warning naming the node), and still streams."""
    native_chunks = [type(m).__name__ for m, _ in stream_graphs.talker.stream(TALK_INPUT, stream_mode="messages")]
    assert native_chunks.count("AIMessageChunk") > 1
    s = agentc.stream("stream_graphs:talker", TALK_INPUT, db=tmp_path / "runs.db", stream_mode="messages")
    assert [(w.code.value, w.severity, w.construct) for w in s.warnings] == [("AC205", "warning", "node 'talk'")]
    assert [m.content for m, _ in s] == ["echo 1"]
    quiet = agentc.stream(CHATTY, stream_graphs.CHATTY_INPUT, db=tmp_path / "runs.db", stream_mode="messages")
    assert quiet.warnings == []
    other = agentc.stream("stream_graphs:talker", TALK_INPUT, db=tmp_path / "runs.db", stream_mode="updates")
    assert other.warnings == []


def test_cli_messages_of_a_token_streaming_model_warn(tmp_path):
    r = cli("run", "stream_graphs:talker", "--input", json.dumps(TALK_INPUT), "--stream", "--stream-mode", "messages",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "warning[AC205]" in r.stderr and "'talk'" in r.stderr
    assert json.loads(r.stdout.splitlines()[-1])["status"] == "done"
