"""The workflow's program is one ``body`` (IR 2.0, compiler/ir/model.py, docs/ir.md "Body"):
a graph program or an agent program, never both nor neither; the JSON round-trips; IR 1.0
files (journals of runs started before 2.0, compiled artifacts) still load as the same
workflow with the same plan id, and such a journaled run still resumes; every layer's
dispatch table covers every body kind."""
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

import harness
import openai_agents_oracle as O

import agentc
from agentc import ir as IR
from agentc.errors import AgentcError, Code

HERE = Path(__file__).parent
GRAPH = harness.ref("hitl_review")
AGENT_CASE = O.load_cases()["travel_booker"]
AGENT = AGENT_CASE["ref"]
OLD_GRAPH_IR = HERE / "ir_1_0" / "hitl_review.ir.json"
"""``hitl_review``'s IR as agentc wrote it before IR 2.0 (the golden file of that version)."""


def _as_1_0(data: dict) -> dict:
    """Dumped IR 2.0 data laid out as IR 1.0: ``graph`` and ``agents``, one of them null."""
    data = dict(data)
    body = data.pop("body")
    return {**data, "ir_version": "1.0", "graph": body.get("graph"), "agents": body.get("system")}


@pytest.mark.parametrize("ref", [GRAPH, AGENT], ids=["graph", "agents"])
def test_dump_load_round_trip(ref):
    wf = agentc.load(ref)
    again = IR.load(IR.dump(wf))
    assert again == wf
    assert IR.dump(again) == IR.dump(wf)
    assert json.loads(IR.dump(wf))["body"]["kind"] == wf.body.kind


def test_both_or_neither_program_is_refused():
    g = json.loads(IR.dump(agentc.load(GRAPH)))
    a = json.loads(IR.dump(agentc.load(AGENT)))
    envelope = {k: v for k, v in g.items() if k != "body"}
    both = {**envelope, "ir_version": "1.0", "graph": g["body"]["graph"], "agents": a["body"]["system"]}
    neither = {**envelope, "ir_version": "1.0", "graph": None, "agents": None}
    nothing = dict(envelope)
    for data in (both, neither, nothing):
        with pytest.raises(ValidationError):
            IR.Workflow.model_validate(data)
    with pytest.raises(ValidationError):  # a body and a stray second program
        IR.Workflow.model_validate({**g, "agents": a["body"]["system"]})


def test_ir_1_0_file_loads_as_the_same_workflow_and_plan_id():
    old = OLD_GRAPH_IR.read_text()
    wf = agentc.load(GRAPH)
    loaded = IR.load(old)
    assert loaded.ir_version == IR.IR_VERSION and loaded.body.kind == "graph"
    assert IR.structure(loaded) == IR.structure(wf)
    # the plan id is the 1.0 digest: sha256 of the 1.0 JSON without positions and warnings
    data = json.loads(old)
    data.pop("warnings", None)
    text = json.dumps(IR.without_positions(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert IR.fingerprint(wf) == IR.fingerprint(loaded) == hashlib.sha256(text.encode()).hexdigest()[:16]
    agents = agentc.load(AGENT)
    assert IR.load(_as_1_0(json.loads(IR.dump(agents)))) == agents


def test_unknown_ir_version_is_a_diagnostic():
    data = _as_1_0(json.loads(IR.dump(agentc.load(GRAPH))))
    data["ir_version"] = "9.0"
    with pytest.raises(AgentcError) as err:
        IR.load(data)
    assert err.value.diagnostic.code is Code.INVALID_IR and "'9.0'" in err.value.diagnostic.message


def _journal_ir(db: str, run_id: str, text: str) -> None:
    with sqlite3.connect(db) as c:
        assert c.execute("UPDATE runs SET ir=? WHERE run_id=?", (text, run_id)).rowcount == 1


def test_graph_run_journaled_with_ir_1_0_resumes(tmp_path):
    case = harness.CASES["hitl_review"]
    db = str(tmp_path / "runs.db")
    out = agentc.run(GRAPH, case["input"], db=db, run_id="old")
    assert out.status == "waiting"
    _journal_ir(db, "old", OLD_GRAPH_IR.read_text())
    for answer in case["resumes"]:
        out = agentc.resume("old", harness.agentc_answer("hitl_review", out, answer), db=db)
    assert out.status == "done"
    assert harness.normalise(out.output) == harness.normalise(harness.native("hitl_review"))


def test_agent_run_journaled_with_ir_1_0_resumes(tmp_path):
    db = str(tmp_path / "runs.db")
    out = agentc.run(AGENT, AGENT_CASE["input"], db=db, context=O.make_context(AGENT_CASE), run_id="old")
    assert out.status == "waiting"
    with sqlite3.connect(db) as c:
        (saved,) = c.execute("SELECT ir FROM runs WHERE run_id='old'").fetchone()
    _journal_ir(db, "old", json.dumps(_as_1_0(json.loads(saved))))
    while out.status == "waiting":
        out = agentc.resume("old", O.approval_value(AGENT_CASE, out.interrupts), db=db)
    assert out.output["final_output"] == O.run_native(AGENT_CASE)["final_output"]


def test_the_other_program_is_a_typed_error():
    with pytest.raises(IR.WrongBody, match="holds a graph program; its .agents. was asked for"):
        _ = agentc.load(GRAPH).agents
    with pytest.raises(IR.WrongBody):
        _ = agentc.load(AGENT).graph
    assert agentc.load(AGENT).graphs() == ()


def test_every_dispatch_table_covers_every_body_kind():
    from agentc import api
    from agentc.targets import conductor, temporal

    kinds = set(get_args(IR.BodyKind))
    assert {m.model_fields["kind"].default for m in (IR.GraphProgram, IR.AgentProgram)} == kinds
    for table in (conductor._LOWERINGS, temporal._LOWERINGS, api._LOCAL_STARTS, api._LOCAL_RESUMES):
        assert set(table) == kinds


def test_inspect_shows_the_agent_fields_only_the_identity_read_before():
    """Handoff input filters / on_handoff / nest_history, model_settings and
    reset_tool_choice were in the IR (and the plan id) but no reader showed them."""
    from agents import Agent, ModelSettings, handoff
    from agents.extensions.handoff_filters import remove_all_tools

    from agentc.inspect import summary

    helper = Agent(name="Helper", instructions="Help.", model="gpt-4o-mini")
    agent = Agent(name="Front", instructions="Route.", model="gpt-4o-mini", reset_tool_choice=False,
                  model_settings=ModelSettings(temperature=0.0),
                  handoffs=[handoff(helper, input_filter=remove_all_tools, on_handoff=lambda ctx: None)])
    text = summary(agentc.load(agent))
    assert "model_settings ['temperature'], reset_tool_choice off" in text
    assert "handoff transfer_to_helper -> Helper (input_filter, on_handoff)" in text
