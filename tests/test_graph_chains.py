"""Growing list channels travel as chains (semantics/channel_chains.py, issue 11): a
step of a LangGraph loop writes what it appended to ``messages``, not the whole list, so
the bytes a run writes to the claim-check store grow linearly with the run (before: each
step wrote the whole list as one blob, quadratic in the run's length), and the result is
``graph.invoke``'s on local, the Conductor simulation and Temporal — also when a node
mutates an earlier message in place or replaces and removes messages by id."""
from __future__ import annotations

import asyncio
from pathlib import Path

import agentc
import chain_graphs
import pytest
from agentc.semantics import blobs, channel_chains, claim_check, pregel
from agentc.semantics.codec import to_jsonable
from agentc.runtime_shims.payload_limits import MAX_PAYLOAD
from test_scale import largest_task_payload, simulate, temporal_run

TURNS, SIZE = 30, 8 * 1024


def chat_input(turns: int, size: int = SIZE) -> dict:
    return {"messages": [{"role": "user", "content": "read the pages", "id": "h0"}], "turns": turns, "size": size}


def native(graph, inp):
    return to_jsonable(graph.invoke(inp))


def stored_bytes(store: str) -> int:
    return sum(p.stat().st_size for p in Path(store).rglob("*") if p.is_file())


# ====================================================================== linear bytes
def test_store_bytes_grow_linearly_with_a_growing_conversation_in_simulation(tmp_path, local_store):
    """30 pages of 8 KB: the store holds each page about once per place it travels (the
    step's segment, its readable update, the final result), not once per later step."""
    inp = chat_input(TURNS)
    sim, out = simulate("chain_graphs:growing_chat", tmp_path / "art", inp)
    assert out.output == native(chain_graphs.growing_chat, inp)
    assert largest_task_payload(sim) <= MAX_PAYLOAD
    data = TURNS * SIZE
    # quadratic storage (the whole list per step) is about TURNS / 2 × 2 steps × data ≈ 40 × data
    assert stored_bytes(local_store) < 5 * data, stored_bytes(local_store)


def test_bytes_written_per_step_stay_flat_as_the_list_grows(tmp_path, local_store, monkeypatch):
    """Each write's size, counted through the store: the writes of the last ten turns are
    no larger than those of the first ten (the final result, written once, aside)."""
    sizes: list[int] = []
    real = blobs.Store._write

    def counting(self, path, data):
        sizes.append(len(data))
        return real(self, path, data)

    monkeypatch.setattr(blobs.Store, "_write", counting)
    inp = chat_input(TURNS)
    _, out = simulate("chain_graphs:growing_chat", tmp_path / "art", inp)
    assert out.output == native(chain_graphs.growing_chat, inp)
    steps = sizes[:-1]  # the last write is the run's final state (claim_check.result_value)
    assert max(steps) < 3 * SIZE, max(steps)
    third = len(steps) // 3
    assert sum(steps[-third:]) < 1.5 * sum(steps[:third]), (sum(steps[:third]), sum(steps[-third:]))


def test_a_growing_conversation_on_temporal(temporal_address, tmp_path, local_store):
    inp = chat_input(TURNS)
    out, largest, _ = asyncio.run(temporal_run("chain_graphs:growing_chat", temporal_address, inp,
                                               tmp_path / "code"))
    assert out.output == native(chain_graphs.growing_chat, inp)
    assert largest <= MAX_PAYLOAD
    assert stored_bytes(local_store) < 5 * TURNS * SIZE, stored_bytes(local_store)


def test_a_growing_conversation_on_local(tmp_path):
    inp = chat_input(TURNS)
    out = agentc.run(chain_graphs.growing_chat, inp, db=str(tmp_path / "run.db"))
    assert to_jsonable(out.output) == native(chain_graphs.growing_chat, inp)


# ====================================================================== what is no extension
@pytest.mark.parametrize("name", ["mutating_chat", "rewriting_chat"])
def test_lists_that_do_not_simply_grow_keep_the_native_result_in_simulation(name, tmp_path, local_store):
    """A node that mutates an earlier message in place (graph.invoke keeps the change), or
    replaces and removes messages by id: the list is stored whole at that step."""
    inp = chat_input(8, 6000)
    _, out = simulate(f"chain_graphs:{name}", tmp_path / "art", inp)
    assert out.output == native(getattr(chain_graphs, name), inp)


def test_lists_that_do_not_simply_grow_keep_the_native_result_on_temporal(temporal_address, tmp_path, local_store):
    for name in ("mutating_chat", "rewriting_chat"):
        inp = chat_input(8, 6000)
        out, _, _ = asyncio.run(temporal_run(f"chain_graphs:{name}", temporal_address, inp, tmp_path / name))
        assert out.output == native(getattr(chain_graphs, name), inp), name


def test_an_operator_add_loop_longer_than_a_chain_in_simulation(tmp_path, local_store):
    inp = {"items": [], "n": channel_chains.CHAIN_MAX * 2 + 5}
    sim, out = simulate("chain_graphs:plain_loop", tmp_path / "art", inp)
    assert out.output == native(chain_graphs.plain_loop, inp)
    assert largest_task_payload(sim) <= MAX_PAYLOAD


# ====================================================================== the chain itself
def test_chains_flatten_and_read_back_cold(local_store):
    """Extend a list one item at a time past two flattenings; a cold reader (no cache) gets
    the same list and reads at most CHAIN_MAX links; the frame's copy is not the cached one."""
    value: list = []
    prev = None
    for i in range(channel_chains.CHAIN_MAX * 2 + 7):
        value = value + [{"i": i, "text": "t" * (i * 150)}]
        pair = channel_chains.encode(value, prev, pregel.encode)
        if pair[0] != channel_chains.TAG:  # still small enough to travel inline
            assert pregel.decode(pair) == value
            continue
        prev = pair[1]
        channel_chains.clear_caches()
        blobs._STORES.clear()
        assert channel_chains.decode(prev) == value
        assert channel_chains.link(prev)[1] < channel_chains.CHAIN_MAX
    frame_copy = channel_chains.decode(prev)
    frame_copy[0]["text"] = "changed in place"
    assert channel_chains.encode(frame_copy, prev, pregel.encode)[1] != prev  # seen: stored anew
    assert channel_chains.encode(channel_chains.decode(prev), prev, pregel.encode)[1] == prev  # unchanged


def test_a_flattened_link_lists_references_not_small_items(local_store):
    """Small items' inline segments are merged when a chain flattens, so a flattened link
    stays small (about one reference per merged run) however many small items it holds."""
    value: list = ["x" * 5000]  # a first value too large for inline: the chain starts
    prev = channel_chains.encode(value, None, pregel.encode)[1]
    for i in range(channel_chains.CHAIN_MAX * 3):
        value = value + [f"small {i}"]
        prev = channel_chains.encode(value, prev, pregel.encode)[1]
    segments, depth, length = channel_chains.link(prev)
    assert length == len(value) and len(segments) <= depth + 4
    assert claim_check.get_value(segments[0]) == ["x" * 5000]
