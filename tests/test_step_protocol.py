"""The engine-neutral step protocol (``runtime_shims/protocol.py``) and its Conductor wire
format (``targets/conductor/wire.py``): round trips, refusals, and the layering rule that no
runtime shim speaks Conductor (docs/architecture.md, "The step protocol")."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentc.runtime_shims.protocol import (
    ABSENT, CALLS_KEY, CallTask, Outcome, SendGroup, SendTask, Status, StepOutput, pick)

ROOT = Path(__file__).resolve().parents[1]

SUPERSTEP = {"agentc": 1, "status": "done", "step": 3, "next": 2, "frame": {"channels": {"a": 1}},
             "sends": {"worker": {"tasks": [{"ref": "s_worker_s3_0", "type": "g-worker", "push": 0, "source": "n1",
                                             "plan": "p1", "context": True}],
                                  "fanout": {"node": "worker", "mode": "fail_fast", "deadline": None}}},
             "writes": "w0", "chat": "c", "forked": "record", "effect": {"key": "k"}}
PARALLEL = {"agentc": 1, "status": "done", "step": 2, "task": "t1", "stop": 27, "writes": "w"}
PAUSED = {"agentc": 1, "status": "interrupted", "step": 1,
          "interrupts": [{"id": "i", "value": 1, "node": "n", "order": 0}], "carry": {"direct": [], "nested": {}}}
END = {"agentc": 1, "status": "done", "state": None}
PARENT = {"agentc": 1, "status": "done", "step": 4, "next": -1, "parent_command": "cmd"}


@pytest.mark.parametrize("shape", [SUPERSTEP, PARALLEL, PAUSED, END, PARENT],
                         ids=["superstep", "parallel", "paused", "end", "parent"])
def test_step_output_round_trip_keeps_the_json_and_its_key_order(shape):
    o = StepOutput.from_dict(shape)
    assert list(o.to_dict().items()) == list(shape.items())
    assert json.dumps(o.to_dict()) == json.dumps(shape)
    assert StepOutput.from_dict(o.to_dict()) == o


def test_end_state_none_is_carried_and_absent_fields_are_not():
    o = StepOutput.from_dict(END)
    assert o.state is None and o.step is ABSENT and "step" not in o.to_dict()


def test_send_groups_and_call_tasks_are_typed():
    o = StepOutput.from_dict(SUPERSTEP)
    group = o.groups()["worker"]
    assert isinstance(group, SendGroup) and group.tasks == [SendTask("s_worker_s3_0", "g-worker", 0, "n1", "p1", True)]
    assert group.tasks[0].input({"x": 1}, "ctx") == {"plan": "p1", "self": "s_worker_s3_0", "push": 0,
                                                     "prev": {"n1": {"x": 1}}, "context": "ctx"}
    forked = SendTask("s", "g-w", 1, "n1", "p1", fork={"record": 1})
    assert SendTask.from_dict(forked.to_dict()) == forked and forked.input(None)["fork"] == {"record": 1}
    assert "fork" not in group.tasks[0].to_dict()


def test_protocol_keys_are_the_ones_the_shims_use():
    from dataclasses import fields

    from agentc.runtime_shims import chat_capture, graph_fork, protocol

    names = {f.name for f in fields(StepOutput)}
    assert chat_capture.OUTPUT_KEY in names and graph_fork.MARK in names
    assert protocol.FORK_FIELD == graph_fork.FIELD
    call = CallTask("t3_0", "a-Agent-tool", {"plan": "p"}, child=False)
    assert CallTask.from_dict(call.to_dict()) == call
    assert CallTask.from_dict(json.loads(json.dumps(CallTask("t3_1", "a-sub", {}, child=True).to_dict()))).child


def test_keys_an_engine_adds_are_ignored():
    o = StepOutput.from_dict({**PARALLEL, "subWorkflowId": "wf-3"})
    assert o.to_dict() == PARALLEL


def test_unknown_statuses_and_non_outputs_are_refused():
    with pytest.raises(ValueError, match="unknown step status"):
        StepOutput.from_dict({**PARALLEL, "status": "running"})
    with pytest.raises(ValueError, match="not a step output"):
        StepOutput.from_dict({"error": "x"})
    with pytest.raises(ValueError, match="unknown step status"):
        Outcome("COMPLETED", {})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Status("COMPLETED")


def test_pick_takes_the_latest_finished_superstep():
    assert pick([PARALLEL, SUPERSTEP, PAUSED, None, {"agentc": 1, "status": "done", "step": 1, "next": 0}]) is SUPERSTEP
    assert pick([PARALLEL, PAUSED]) is None


def test_conductor_statuses_are_a_mapping_owned_by_the_conductor_target():
    from agentc.targets.conductor.wire import conductor_status, status_of

    assert [conductor_status(s) for s in Status] == ["COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR"]
    assert all(status_of(conductor_status(s)) is s for s in Status)
    with pytest.raises(ValueError, match="IN_PROGRESS"):
        status_of("IN_PROGRESS")


def test_conductor_wire_format_of_sends_and_calls():
    """The JSON Conductor receives is what the lowering's dynamic forks read
    (``${ref.output.sends.KEY.tasks}``, the model step's ``tasks``/``inputs``)."""
    from agentc.targets.conductor.wire import outcome

    wire = outcome(Outcome(Status.COMPLETED, StepOutput.from_dict(SUPERSTEP).to_dict())).output
    assert wire["sends"] == {"worker": {
        "tasks": [{"name": "g-worker", "taskReferenceName": "s_worker_s3_0", "type": "SIMPLE"}],
        "inputs": {"s_worker_s3_0": {"plan": "p1", "self": "s_worker_s3_0", "push": 0,
                                     "prev": {"n1": "${n1.output}"}, "context": "${workflow.input.context}"}},
        "fanout": {"node": "worker", "mode": "fail_fast", "deadline": None}}}
    assert list(wire) == list(SUPERSTEP)
    turn = {"next": "steps", "calls": [], "plan": "p",
            CALLS_KEY: [CallTask("t1_0", "a-A-add", {"target": "x"}).to_dict(),
                        CallTask("t1_1", "a-A-sub", {"child": "c"}, child=True).to_dict()],
            "fanout": {"node": "A"}}
    wire = outcome(Outcome(Status.COMPLETED, turn)).output
    assert list(wire) == ["next", "calls", "plan", "tasks", "inputs", "fanout"]
    assert wire["tasks"] == [{"name": "a-A-add", "taskReferenceName": "t1_0", "type": "SIMPLE"},
                             {"name": "t1_1", "taskReferenceName": "t1_1", "type": "SUB_WORKFLOW",
                              "subWorkflowParam": {"name": "a-A-sub", "version": 1}}]
    assert wire["inputs"] == {"t1_0": {"target": "x"}, "t1_1": {"child": "c"}}
    failed = Outcome(Status.FAILED, {"error": "e"}, "e")
    assert outcome(failed) is failed


WIRE_LITERALS = ("FORK_JOIN_DYNAMIC", "dynamicTasks", "subWorkflowParam", "taskReferenceName", "${",
                 "FAILED_WITH_TERMINAL_ERROR")


def test_no_runtime_shim_speaks_conductor():
    """Conductor's wire format lives in targets/conductor/ (wire.py); the runtime shims
    produce and read the neutral protocol only."""
    found = [f"{p.name}: {lit}" for p in sorted((ROOT / "runtime_shims").glob("*.py"))
             for lit in WIRE_LITERALS if lit in p.read_text()]
    assert found == []
