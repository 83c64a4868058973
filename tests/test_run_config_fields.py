"""The ``RunConfig`` fields the SDK applies inside its own loop, on every target against
``Runner.run`` (``agents_run_options.FIELDS`` / ``clerk``): ``call_model_input_filter``,
``tool_error_formatter`` (a tool exception and a tool no agent has),
``tool_not_found_behavior``, ``nest_handoff_history`` with ``handoff_history_mapper``,
``reasoning_item_id_policy``, the tracing fields and ``tool_name_collision_policy``. Each changes a model request, so equal
model-call digests and an equal full ``RunResult`` mean the target applied it as the SDK
does. Also: every ``Runner.run`` parameter and ``RunConfig`` field of the installed SDK is
in docs/openai-agents.md's tables and is either honoured or refused by the frontend."""
import asyncio
import dataclasses
import inspect
import re
from pathlib import Path

import pytest

import agents_run_options as R
import openai_agents_oracle as O

from agentc.fixtures.openai_agents.fake_model import recording
from agentc.runtime_shims.run_result import full
from run_options_targets import run_on

DOCS = Path(__file__).resolve().parents[1] / "docs" / "openai-agents.md"
REF, FIELDS = "agents_run_options:clerk", "agents_run_options:FIELDS"
TARGETS = ["local", "conductor", "temporal"]


def native(agent=R.clerk, config=R.FIELDS, text="book Oslo"):
    from agents import Runner

    R.FIRED.clear()
    with recording() as log:
        result = asyncio.run(Runner.run(agent, text, context=R.Log(), run_config=config))
    return {"final_output": result.final_output, "last_agent": result.last_agent.name,
            **full(result), "model_calls": O.model_calls(log), "fired": sorted(set(R.FIRED))}


@pytest.mark.parametrize("target", TARGETS)
def test_loop_fields_of_the_run_config_as_runner_run(target, tmp_path, request):
    want = native()
    # the fields did what they say natively (so the comparison below covers them)
    assert want["final_output"] == ("File it. [filtered for Archivist] | 1 items | "
                                    "summary: 12 items, 4 tool calls")
    reasoning = [i for i in want["input_list"] if i.get("type") == "reasoning"]
    assert len(reasoning) == 3 and not any(i.get("id") for i in reasoning)  # the policy: "omit"
    outputs = [i["output"] for i in want["new_items"] if i["type"] == "tool_call_output_item"]
    assert want["tool_input_guardrail_results"][0]["output_info"] == {"checked": '{"city":"Oslo"}'}
    assert want["tool_output_guardrail_results"][0]["output_info"] == {"chars": 17}
    assert len(want["raw_responses"]) == 4  # one per model call
    assert outputs == ["Oslo is in Norway", "tool_exception in broken (function)",
                       "tool_not_found in nosuch (function)"]
    R.FIRED.clear()
    got = run_on(target, tmp_path, request, REF, "book Oslo", env={"AGENTC_RUN_CONFIG": FIELDS})
    assert "error" not in got, got["error"].render()
    assert got["model_calls"] == want["model_calls"]
    assert sorted(set(R.FIRED)) == want["fired"]  # the filter runs on every replay: compare which
    for key in ("final_output", "last_agent", "new_items", "usage", "input_guardrail_results",
                "output_guardrail_results", "tool_input_guardrail_results",
                "tool_output_guardrail_results", "input_list", "last_response_id", "raw_responses"):
        assert got[key] == want[key], key


def _table(title: str) -> str:
    text = DOCS.read_text()
    start = text.index(title)
    return text[start:text.index("\n\n", text.index("|---|", start))]


def test_every_runner_run_parameter_is_in_the_docs_table():
    from agents import Runner

    table = _table("## `Runner.run` parameters")
    rows = [r.split("|")[1] for r in table.splitlines() if r.startswith("| ")]
    named = {n for r in rows for n in re.findall(r"`(\w+)`", r)}
    params = set(inspect.signature(Runner.run).parameters)
    assert params <= named, params - named


def test_every_run_config_field_is_in_the_docs_table_and_decided():
    from agents import RunConfig

    from agentc.frontends.openai_agents.run_options import HONOURED, REFUSED

    table = _table("**`RunConfig` fields**")
    rows = [r.split("|")[1] for r in table.splitlines() if r.startswith("| ")]
    named = {n for r in rows for n in re.findall(r"`(\w+)`", r)}
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    assert fields <= named, fields - named
    # each field is honoured or refused: a field a newer SDK adds is neither, so it is refused
    assert fields == set(HONOURED) | set(REFUSED), fields ^ (set(HONOURED) | set(REFUSED))


def test_a_run_config_field_agentc_does_not_know_is_refused(tmp_path):
    """A field the frontend neither honours nor refuses by name (a newer SDK's) is AC200
    naming it when set, never passed to the SDK unexamined; left at its default it is
    harmless."""
    import agentc
    from agentc.errors import AgentcError

    with pytest.raises(AgentcError) as e:
        agentc.load("agents_run_options:desk", run_config="agents_run_options:NEWER")
    d = e.value.diagnostic
    assert d.code.value == "AC200" and "RunConfig.speculative_decoding" in d.message, d.render()
    assert d.construct == "agents_run_options:NEWER.speculative_decoding"
    agentc.load("agents_run_options:desk", run_config="agents_run_options:NEWER_UNSET")


@pytest.mark.parametrize("target", TARGETS)
def test_tool_name_collision_policy_as_runner_run(target, tmp_path, request):
    """A function tool named like a handoff: under the default ``"warn"`` the SDK's
    dispatch winner runs on every target as under ``Runner.run``; with ``"error"`` the run
    fails before any model call, loudly."""
    from agents import Runner
    from agents.exceptions import UserError

    want = native(R.collider, config=None, text="go")
    got = run_on(target, tmp_path / "warn", request, "agents_run_options:collider", "go")
    assert "error" not in got, got["error"].render()
    for key in ("final_output", "last_agent", "model_calls", "new_items"):
        assert got[key] == want[key], key
    with pytest.raises(UserError, match="Ambiguous tool routing"):
        asyncio.run(Runner.run(R.collider, "go", context=R.Log(), run_config=R.COLLISIONS))
    got = run_on(target, tmp_path / "error", request, "agents_run_options:collider", "go",
                 env={"AGENTC_RUN_CONFIG": "agents_run_options:COLLISIONS"})
    assert got["model_calls"] == [] and "Ambiguous tool routing" in got["error"].message, got
