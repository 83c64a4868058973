"""One run identity on every target (issue 11): a run paused at ``interrupt()`` goes on
after the user's file gained a blank line above its nodes (positions are not part of
``agentc.ir.fingerprint``, the plan id every worker checks), on the local target, in the
Conductor simulation and on Temporal; after a node is renamed the same resume is refused
with AC122 on all three."""
from __future__ import annotations

import asyncio
import importlib
import sys
import uuid

import agentc
import pytest

SOURCE = '''
from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class S(TypedDict):
    text: str


def draft(s: S) -> dict:
    return {"text": s["text"] + " drafted"}


def review(s: S) -> dict:
    verdict = interrupt({"review": s["text"]})
    return {"text": s["text"] + " " + verdict}


b = StateGraph(S)
b.add_node("draft", draft)
b.add_node("review", review)
b.add_edge(START, "draft")
b.add_edge("draft", "review")
b.add_edge("review", END)
graph = b.compile()
'''
EDITS = {"blank_line": lambda s: "\n\n" + s.replace("def review", "\n\ndef review"),
         "renamed_node": lambda s: s.replace('"review"', '"approve"')}
EXPECTED = {"text": "hi drafted ok"}


@pytest.fixture
def user_module(tmp_path, monkeypatch, local_store):
    """A user's graph in a file of its own (a fresh module name per test)."""
    name = f"identity_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{name}.py"
    path.write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    importlib.import_module(name)

    def edit(kind: str) -> str:
        path.write_text(EDITS[kind](SOURCE))
        sys.modules.pop(name, None)
        importlib.invalidate_caches()
        importlib.import_module(name)  # the worker restarted with the edited file
        return f"{name}:graph"

    yield f"{name}:graph", edit
    sys.modules.pop(name, None)


def outcome(call):
    """("done", output) or ("refused", code)."""
    try:
        out = call()
    except agentc.errors.AgentcError as e:
        return "refused", e.diagnostic.code.value
    return out.status, out.output


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_local(edit, user_module, tmp_path):
    ref, change = user_module
    db = str(tmp_path / "runs.db")
    first = agentc.run(ref, {"text": "hi"}, db=db)
    assert first.status == "waiting"
    change(edit)
    got = outcome(lambda: agentc.resume(first.run_id, "ok", db=db))
    assert got == (("done", EXPECTED) if edit == "blank_line" else ("refused", "AC122"))


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_conductor_simulation(edit, user_module, tmp_path):
    from agentc.targets.conductor.simulate import Simulation

    ref, change = user_module
    agentc.compile(ref, target="conductor").write(tmp_path / "art")  # what was registered
    sim = Simulation.of(tmp_path / "art")
    first = sim.start({"text": "hi"})
    assert first.status == "waiting"
    saved = sim.save(tmp_path / "paused.json")
    change(edit)
    got = outcome(lambda: Simulation.load(saved).resume("ok"))
    assert got == (("done", EXPECTED) if edit == "blank_line" else ("refused", "AC122"))


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_temporal(edit, user_module, tmp_path, temporal_address):
    from agentc.targets.temporal import engine

    ref, change = user_module

    async def go():
        client = await engine.connect(temporal_address)
        q = f"identity-{uuid.uuid4().hex[:8]}"
        async with engine.running_worker(client, engine.load(ref, tmp_path / "code"), q):
            first = await engine.start(ref, temporal_address, {"text": "hi"}, client=client, task_queue=q)
        assert first.status == "waiting"
        new_ref = change(edit)  # the worker restarts with the edited file
        async with engine.running_worker(client, engine.load(new_ref, tmp_path / "code2"), q):
            try:
                out = await asyncio.wait_for(engine.resume(first.run_id, temporal_address, "ok", client=client), 120)
            except agentc.errors.AgentcError as e:
                return "refused", e.diagnostic.code.value
            return out.status, out.output

    got = asyncio.run(go())
    assert got == (("done", EXPECTED) if edit == "blank_line" else ("refused", "AC122"))
