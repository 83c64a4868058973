"""OpenAI Agents SDK agent systems on the Temporal target, on the real dev server (the
session fixture): the generated agent loop (model activity → tool activities in parallel /
agent-tool child workflows / output guardrail activities / approval signal) is compared
with ``Runner.run`` (tests/openai_agents_oracle.py) on every case — final output, last
agent, error, the ordered model calls (each a digest of its whole request) and the tool
calls with their arguments — and survives a worker process SIGKILLed mid-run."""
import asyncio
import json

import pytest

import openai_agents_oracle as O

import agentc
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.temporal import engine, validate

CASES = O.load_cases()
SYSTEMS = sorted({c["ref"] for c in CASES.values()})


async def tool_calls_of(client, run_id):
    """Tool calls reported by the root workflow's model activities, in order."""
    from temporalio.api.enums.v1 import EventType

    calls = []
    async for e in client.get_workflow_handle(run_id).fetch_history_events():
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            payload = e.activity_task_completed_event_attributes.result.payloads[0]
            out = json.loads(payload.data)
            if isinstance(out, dict) and "calls" in out and "next" in out:
                calls += [[c["name"], c["arguments"]] for c in out["calls"] if c["kind"] != "guardrail"]
    return calls


async def run_case(case, address, tmp_path):
    client = await engine.connect(address)
    loaded = engine.load(case["ref"], tmp_path / "code")
    pauses = 0
    with recording() as log:  # around the worker: its activity threads inherit the context
        async with engine.running_worker(client, loaded):
            try:
                out = await engine.start(case["ref"], address, case["input"], context=O.make_context(case),
                                         max_turns=case.get("max_turns"), client=client)
                while out.status == "waiting":
                    pauses += 1
                    out = await engine.resume(out.run_id, address, O.approval_value(case, out.interrupts),
                                              client=client)
                got = {**out.output, "error": None}
                run_id = out.run_id
            except agentc.errors.RunFailed as e:
                got = {"final_output": None, "last_agent": None, "error": e.diagnostic}
                run_id = e.diagnostic.construct
    got["model_calls"] = [{"agent": c["agent"], "items": c["items"], "digest": c["digest"]} for c in log.calls]
    got["tool_calls"] = await tool_calls_of(client, run_id)
    got["pauses"] = pauses
    return got


@pytest.mark.parametrize("name", sorted(CASES))
def test_temporal_run_equals_runner_run(name, temporal_address, tmp_path):
    case = CASES[name]
    native = O.run_native(case)
    got = asyncio.run(run_case(case, temporal_address, tmp_path))
    assert got["model_calls"] == native["model_calls"]
    assert got["tool_calls"] == native["tool_calls"]
    assert got["pauses"] == len(native["interruptions"])
    if native["error"] is None:
        assert got["error"] is None, got["error"].render()
        assert got["final_output"] == native["final_output"]
        assert got["last_agent"] == native["last_agent"]
    else:
        d = got["error"]
        assert d is not None
        assert d.code.value == {"MaxTurnsExceeded": "AC304"}.get(native["error"]["type"], "AC303")
        if native["error"]["guardrail"]:
            assert repr(native["error"]["guardrail"]) in d.message


@pytest.mark.parametrize("ref", SYSTEMS)
def test_generated_agent_code_is_deterministic_and_sandbox_safe(ref):
    art = agentc.compile(ref, target="temporal")
    assert validate(art) == []
    assert agentc.compile(ref, target="temporal").files == art.files
