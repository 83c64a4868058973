"""LangGraph's ``custom`` and ``messages`` stream modes, and lists of modes, from a durable run
(docs/langgraph.md, "Streaming"): chunk for chunk what ``graph.stream(input, stream_mode=...)``
yields on the same graph with the same fake chat model, on the local target, the Conductor
simulation and Temporal. Chunks are compared superstep by superstep (parallel tasks finish in
any order); in a ``messages`` chunk's metadata the checkpoint namespaces (LangGraph's task ids)
and ``thread_id`` (the run's id) are left out, as message ids are."""
from __future__ import annotations

import json
import uuid

import pytest
import stream_graphs
from test_graph_stream import cli, graph_worker  # noqa: F401 - the Temporal worker fixture

import harness as H

import agentc

NATIVE_IDS = ("checkpoint_ns", "langgraph_checkpoint_ns", "thread_id")
CHATTY = "stream_graphs:chatty"
REACT = H.ref("react_agent")
LISTS = {"custom": "custom", "messages": "messages", "three": ["updates", "custom", "messages"]}


def canon(chunk, listed: bool) -> str:
    mode, c = chunk if listed else (None, chunk)
    j = H.normalise(c)
    if (mode or "messages") == "messages" and isinstance(j, list) and len(j) == 2 and isinstance(j[1], dict):
        j[1] = {k: v for k, v in j[1].items() if k not in NATIVE_IDS}
    return json.dumps([mode, j], sort_keys=True)


def native(graph, inp, mode) -> list[list[str]]:
    """``graph.stream``'s chunks grouped by superstep (the ``debug`` stream's checkpoints)."""
    from langgraph.checkpoint.memory import InMemorySaver

    app = graph.builder.compile(checkpointer=InMemorySaver(), name=graph.name)
    modes = [mode] if isinstance(mode, str) else list(mode)
    groups: list[list[str]] = [[]]
    for m, c in app.stream(inp, {"configurable": {"thread_id": uuid.uuid4().hex}}, stream_mode=[*modes, "debug"]):
        if m == "debug":
            if c["type"] == "checkpoint":
                groups.append([])
            continue
        groups[-1].append(canon((m, c) if not isinstance(mode, str) else c, not isinstance(mode, str)))
    return [g for g in groups if g]


def assert_same(got: list[str], groups: list[list[str]]) -> None:
    assert len(got) == sum(map(len, groups)), (got, groups)
    at = 0
    for g in groups:
        assert sorted(got[at:at + len(g)]) == sorted(g), (got, groups)
        at += len(g)


def _live(ref: str):
    import importlib

    module, name = ref.split(":")
    return getattr(importlib.import_module(module), name)


CASES = [(CHATTY, stream_graphs.CHATTY_INPUT), (REACT, H.CASES["react_agent"]["input"])]


# ---------------------------------------------------------------- local
@pytest.mark.parametrize("which", sorted(LISTS))
@pytest.mark.parametrize("ref,inp", CASES, ids=["chatty", "react_agent"])
def test_local_stream_modes_equal_graph_stream(ref, inp, which, tmp_path):
    mode = LISTS[which]
    s = agentc.stream(ref, inp, db=tmp_path / "runs.db", stream_mode=mode)
    got = [canon(c, not isinstance(mode, str)) for c in s]
    assert s.outcome.status == "done"
    assert_same(got, native(_live(ref), inp, mode))


def test_local_custom_chunks_of_a_retried_attempt_are_not_streamed(tmp_path):
    """Only the attempt whose writes are journaled streams its ``custom`` chunks."""
    s = agentc.stream("stream_graphs:flaky_writer", {"log": []}, db=tmp_path / "runs.db", stream_mode="custom")
    assert list(s) == [{"attempt": 2}]


# ---------------------------------------------------------------- Conductor simulation
@pytest.mark.parametrize("which", sorted(LISTS))
def test_simulation_stream_modes_equal_graph_stream(which, tmp_path):
    from agentc.streaming import simulation_stream
    from agentc.targets.conductor.simulate import Simulation

    mode = LISTS[which]
    inp = stream_graphs.CHATTY_INPUT
    agentc.compile(CHATTY, target="conductor").write(tmp_path / "out")
    sim = Simulation.of(tmp_path / "out")
    s = simulation_stream(sim, lambda: sim.start(inp, None), inp, None, stream_mode=mode)
    got = [canon(c, not isinstance(mode, str)) for c in s]
    assert s.outcome.status == "done"
    assert_same(got, native(stream_graphs.chatty, inp, mode))


# ---------------------------------------------------------------- Temporal
@pytest.mark.parametrize("which", ["three"])
def test_temporal_stream_modes_equal_graph_stream(which, graph_worker, temporal_address):  # noqa: F811
    from agentc.streaming import temporal_stream

    mode = LISTS[which]
    inp = stream_graphs.CHATTY_INPUT
    queue = graph_worker(CHATTY)
    s = temporal_stream(CHATTY, temporal_address, inp, task_queue=queue, stream_mode=mode)
    got = [canon(c, True) for c in s]
    assert s.outcome.status == "done"
    assert_same(got, native(stream_graphs.chatty, inp, mode))


# ---------------------------------------------------------------- the CLI
def test_cli_stream_mode_list(tmp_path):
    inp = stream_graphs.CHATTY_INPUT
    r = cli("run", CHATTY, "--input", json.dumps(inp), "--stream", "--stream-mode", "updates,custom",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert lines[-1]["status"] == "done"
    assert_same([canon(tuple(x), True) for x in lines[:-1]],
                native(stream_graphs.chatty, inp, ["updates", "custom"]))


@pytest.mark.parametrize("mode,code", [("updates,debug", "AC200"), ("custom,bogus", "AC401")])
def test_cli_bad_mode_in_a_list(mode, code, tmp_path):
    r = cli("run", CHATTY, "--input", json.dumps(stream_graphs.CHATTY_INPUT), "--stream", "--stream-mode", mode,
            cwd=tmp_path)
    assert r.returncode == 2 and code in r.stderr and "Traceback" not in r.stderr, r.stderr
