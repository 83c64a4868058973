"""The typed agent model turn and effect log of the step protocol (``runtime_shims/protocol.py``:
``ModelTurn``, ``ReportedCall``, ``EffectLog``, ``Compensation``) and where Conductor's
execution JSON is read (``targets/conductor/effects.py``, ``wire.execute``): round trips
that keep the JSON byte for byte, model turns written before the type existed, and the
compensation both engines undo in the same order (docs/architecture.md, "The step protocol")."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentc.semantics import claim_check
from agentc.runtime_shims.protocol import (
    CALLS_KEY,
    CallTask,
    Compensation,
    EffectLog,
    ModelTurn,
    Outcome,
    ReportedCall,
    Status,
    TurnNext,
    is_compensation,
    journal_text,
)

ROOT = Path(__file__).resolve().parents[1]
OLD = json.loads((ROOT / "tests" / "model_turns_v1" / "turns.json").read_text())
OLD_TURNS = {k: v for k, v in OLD.items() if not k.startswith("_")}


@pytest.mark.parametrize("name", sorted(OLD_TURNS))
def test_model_turns_written_before_the_type_load_and_write_back_byte_identical(name: str) -> None:
    old = OLD_TURNS[name]
    turn = ModelTurn.from_dict(old)
    assert json.dumps(turn.to_dict()) == json.dumps(old)  # same keys, same order, same values
    assert turn.next is TurnNext(old["next"]) and turn.journal == old["journal"]
    assert [c.to_dict() for c in turn.calls] == old["calls"]
    assert turn.tasks is not None and [t.to_dict() for t in turn.tasks] == old[CALLS_KEY]
    if turn.next is TurnNext.STEPS:
        assert turn.calls and all(c.task_type for c in turn.calls)
        assert [t.child for t in turn.tasks] == [c.kind == "agent_tool" for c in turn.calls]
    if turn.next is TurnNext.APPROVAL:
        assert turn.approvals and turn.pause == turn.approvals[0]["pause"]
    assert ModelTurn.from_dict(json.loads(json.dumps(turn.to_dict()))) == turn


CALL = ReportedCall("tool", "Math Tutor", "add", "c1", {"a": 1, "b": 2}, ("c1",), "m-Math_Tutor-add")
TURNS = {
    "model": ModelTurn("A", 3, "j3", TurnNext.MODEL),
    "steps": ModelTurn(
        "A",
        4,
        "j4",
        TurnNext.STEPS,
        calls=(CALL, ReportedCall("guardrail", "A", "safe", None, None, ("g",), "m-A-guardrail-safe")),
        effects="packed-records",
        plan="p1",
        tasks=(CallTask("t4_0", "m-Math_Tutor-add", {"plan": "p1"}), CallTask("t4_1", "m-sub", {}, True)),
        fanout={"node": "A", "mode": "fail_fast", "deadline": None},
    ),
    "approval": ModelTurn(
        "A", 5, "j5", TurnNext.APPROVAL, approvals=({"pause": "p:1", "tool": "book"},), pause="p:1"
    ),
    "final": ModelTurn("B", 6, "j6", TurnNext.FINAL, result={"final_output": "ok"}, plan="p1", tasks=()),
}


@pytest.mark.parametrize("name", sorted(TURNS))
def test_model_turn_round_trip(name: str) -> None:
    turn = TURNS[name]
    wire = json.loads(json.dumps(turn.to_dict()))
    assert ModelTurn.from_dict(wire) == turn
    assert list(wire)[:8] == ["agent", "journal_size", "journal", "calls", "approvals", "pause", "result", "next"]


def test_fields_only_an_engine_step_carries_are_absent_when_unset() -> None:
    assert list(TURNS["model"].to_dict())[-1] == "next"
    assert list(TURNS["steps"].to_dict())[8:] == ["effects", "plan", CALLS_KEY, "fanout"]
    assert ReportedCall.from_dict(CALL.to_dict()) == CALL
    assert "type" not in ReportedCall("tool", "A", "t", "c", None, ("c",)).to_dict()


def test_keys_an_engine_adds_are_ignored_and_non_turns_refused() -> None:
    wire = {**TURNS["final"].to_dict(), "subWorkflowId": "wf-2"}
    assert ModelTurn.from_dict(wire) == TURNS["final"]
    with pytest.raises(ValueError, match="not a model turn"):
        ModelTurn.from_dict({"agentc": 1, "status": "done", "next": 2, "step": 1})
    with pytest.raises(ValueError):
        ModelTurn.from_dict({**TURNS["final"].to_dict(), "next": "later"})
    with pytest.raises(ValueError, match="unknown next step"):
        ModelTurn("A", 1, "j", "final")  # type: ignore[arg-type]


def test_journal_text_of_model_and_tool_step_outputs() -> None:
    assert journal_text(TURNS["model"].to_dict()) == "j3"
    assert journal_text({"entries": "e1", "effect": {}}) == "e1"
    assert journal_text({"agentc": 1, "status": "done", "state": None}) is None
    assert journal_text(None) is None


# ---------------------------------------------------------------- effects and compensation
def _rec(key: str, name: str, cls: str = "compensable") -> dict[str, Any]:
    return {"key": key, "name": name, "class": cls, "compensator": "m:undo", "args": {}, "result": 1}


def test_effect_log_keeps_completion_order_and_undoes_in_reverse() -> None:
    log = EffectLog()
    for rec in (_rec("k1", "a"), _rec("k2", "b", "keyed"), _rec("k3", "c"), _rec("k1", "a2")):
        log.add(rec)  # k1 reported again (a node re-run after interrupt()): latest wins, moves last
    assert [r["key"] for r in log] == ["k2", "k3", "k1"] and len(log) == 3
    assert [r["name"] for r in log.to_undo()] == ["a2", "c"]
    assert [r["name"] for r in log.to_undo(["k1"])] == ["c"]
    assert EffectLog.from_list(json.loads(json.dumps(log.to_list()))) == log


def _task(status: str, output: dict[str, Any]) -> dict[str, Any]:
    return {"status": status, "outputData": output, "startTime": 1000, "endTime": 2000}


def _failed_execution() -> dict[str, Any]:
    carried = claim_check.put_value([_rec("k1", "hold")])  # a model step's records so far
    return {
        "status": "FAILED",
        "tasks": [
            _task("COMPLETED", {"next": "steps", "effects": carried}),
            _task("COMPLETED", {"entries": "e", "effect": _rec("k1", "hold")}),  # its task, still listed
            _task("COMPLETED", {"entries": "e", "effect": _rec("k2", "pay")}),
            _task("FAILED", {"error": "boom", "effect": _rec("k3", "ship")}),
            _task("COMPLETED", {"entries": "e", "effect": _rec("k4", "note", "keyed")}),
        ],
    }


def test_conductor_failure_workflow_input_becomes_the_neutral_compensation() -> None:
    from agentc.targets.conductor.effects import compensation, effect_records

    ex = _failed_execution()
    pairs = effect_records(ex["tasks"])
    assert [(r["key"], t is ex["tasks"][1]) for r, t in pairs[:1]] == [("k1", True)]
    comp = compensation({"plan": "p", "workflowId": "wf-1", "failed": ex})
    assert comp.run_id == "wf-1"
    assert [r["key"] for r in comp.effects] == ["k1", "k2", "k4"]
    assert [r["name"] for r in comp.effects.to_undo()] == ["pay", "hold"]
    wire = comp.to_input("p")
    assert is_compensation(wire) and Compensation.from_input(json.loads(json.dumps(wire))) == comp


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def execute(self, task_type: str, input: dict[str, Any], **kw: Any) -> Outcome:
        self.calls.append((task_type, input))
        return Outcome(Status.COMPLETED, {"ok": True})


def test_conductor_worker_hands_the_step_worker_a_neutral_compensation() -> None:
    from agentc.targets.conductor.wire import execute

    worker = _Recorder()
    execute(worker, "loop-saga_compensate", {"plan": "p", "workflowId": "wf-1", "failed": _failed_execution()})
    execute(worker, "loop-model", {"plan": "p", "run": {}})
    (ty, comp_input), (ty2, model_input) = worker.calls
    assert ty == "loop-saga_compensate" and "failed" not in comp_input
    assert Compensation.from_input(comp_input).effects.to_list()[-1]["key"] == "k4"
    assert model_input == {"plan": "p", "run": {}}  # every other task's input as it is


def test_a_failed_read_of_the_execution_is_a_retried_failure() -> None:
    from agentc.targets.conductor.wire import execute

    broken = {"workflowId": "wf", "failed": {"tasks": [_task("COMPLETED", {"effects": "blob:missing"})]}}
    o = execute(_Recorder(), "loop-saga_compensate", broken)
    assert o.status is Status.FAILED and "reading the failed execution" in o.reason


def test_step_workers_refuse_a_raw_conductor_compensation_input() -> None:
    """A worker never reads Conductor's execution JSON itself: an input that did not go
    through ``wire.execute`` is not a compensation and fails loudly."""
    from agentc.api import workflow_and_live
    from agentc.runtime_shims.steps import worker_for

    wf, live = workflow_and_live("agentc.fixtures.langgraph.booking_saga:graph")
    out = worker_for(wf, live).execute("booking_saga-saga_compensate", {"failed": _failed_execution()})
    assert out.status is Status.TERMINAL and "not part of this agent" in out.reason


CONDUCTOR_EXECUTION_LITERALS = ('"outputData"', '"failedWorkflow"', '"workflowId"', "saga_compensate",
                                '"COMPLETED"', '"FAILED"',
                                # a DO_WHILE iteration's reference names and the fork inputs of
                                # the previous model step (wire.with_external_specs)
                                'partition("__")', '"asked"')


def test_no_runtime_shim_reads_conductor_executions() -> None:
    """Conductor's execution JSON (task statuses, ``outputData``, the failure workflow's
    input) is read in targets/conductor/ only."""
    found = [f"{p.name}: {lit}" for p in sorted((ROOT / "runtime_shims").glob("*.py"))
             for lit in CONDUCTOR_EXECUTION_LITERALS if lit in p.read_text()]
    assert found == []
