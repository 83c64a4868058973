"""Sticky approvals: ``agentc resume --value '{"approve": [{"id": ..., "always": true}]}'``
(or ``"reject"``) decides the tool for the rest of the run, as the SDK's
``RunState.approve(item, always_approve=True)`` / ``reject(item, always_reject=True)`` do
under ``Runner.run`` — on every target, against the SDK with the same scripted model
(tests/agents_run_errors.py: ``payer`` pays three invoices, one per turn). The decision is
journaled with the pause, so every replay of the run applies it again."""
import asyncio

import pytest

import agents_run_errors as R
import openai_agents_oracle as O

import agentc
from agentc.errors import AgentcError
from agentc.fixtures.openai_agents.fake_model import recording
from run_options_targets import run_on

REF = "agents_run_errors:payer"
TARGETS = ["local", "conductor", "temporal"]


def native(action, always=True):
    from agents import Runner

    R.FIRED.clear()
    pauses = 0
    with recording() as log:
        result = asyncio.run(Runner.run(R.payer, "pay them"))
        while result.interruptions:
            pauses += 1
            state = result.to_state()
            for item in state.get_interruptions():
                if action == "approve":
                    state.approve(item, always_approve=always)
                else:
                    state.reject(item, always_reject=always)
            result = asyncio.run(Runner.run(R.payer, state))
    return {"final_output": result.final_output, "model_calls": O.model_calls(log), "fired": list(R.FIRED),
            "pauses": pauses}


def answer(action, always=True):
    return lambda pending: {action: [{"id": p["id"], "always": always} for p in pending]}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_always_decides_the_tool_for_the_rest_of_the_run(target, action, tmp_path, request):
    want = native(action)
    assert want["pauses"] == 1
    got = run_on(target, tmp_path, request, REF, "pay them", resume=answer(action))
    assert "error" not in got, got["error"].render()
    assert len(got["pauses"]) == want["pauses"] == 1
    assert got["final_output"] == want["final_output"] and got["model_calls"] == want["model_calls"]
    assert got["fired"] == want["fired"] == (["pay 1", "pay 2", "pay 3"] if action == "approve" else [])


@pytest.mark.parametrize("target", TARGETS)
def test_without_always_every_call_pauses(target, tmp_path, request):
    want = native("approve", always=False)
    got = run_on(target, tmp_path, request, REF, "pay them", resume=answer("approve", always=False))
    assert len(got["pauses"]) == want["pauses"] == 3 and got["final_output"] == want["final_output"]


def test_a_sticky_decision_survives_a_replay(tmp_path):
    """The finished run driven again from its journal (a crash after the decision): the
    later calls are approved by the journaled decision, not paused for again."""
    from agentc.targets.local.journal import Journal

    db = str(tmp_path / "r.db")
    out = agentc.run(REF, "pay them", db=db)
    out = agentc.resume(out.run_id, {"approve": [{"id": "pay", "always": True}]}, db=db)
    assert out.status == "done"
    j = Journal(db)
    with j.tx() as t:  # as if the process died before the run was marked done
        t.set_status(out.run_id, "running")
    j.close()
    R.FIRED.clear()
    again = agentc.resume(out.run_id, db=db)
    assert again.status == "done" and again.output == out.output and R.FIRED == []


def test_always_must_be_a_boolean(tmp_path):
    db = str(tmp_path / "r.db")
    out = agentc.run(REF, "pay them", db=db)
    with pytest.raises(AgentcError) as e:
        agentc.resume(out.run_id, {"approve": [{"id": "pay", "always": "yes"}]}, db=db)
    assert e.value.diagnostic.code.value == "AC112"
    assert "always" in e.value.diagnostic.message
