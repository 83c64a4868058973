"""OpenAI Agents SDK fixtures: determinism, the constructs each case really exercises, coverage.

The oracle (``openai_agents_oracle.run_native``) runs every case of
``fixtures/openai_agents/cases.json`` with the SDK's own ``Runner.run`` on deterministic fake
models; these tests pin down that the runs are reproducible and that each tagged construct
actually happens at run time.
"""
from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("agents")

from openai_agents_oracle import load_cases, make_context, resolve, run_native  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CASES = load_cases()
NAMES = sorted(CASES)

# Every construct the task asks the fixtures to cover (the coverage table).
REQUIRED_CONSTRUCTS = {
    "instructions_string", "instructions_callable", "model_settings",
    "function_tool_sync", "function_tool_async", "typed_tool_signature", "pydantic_tool_argument",
    "hosted_tool",
    "handoff_agent", "handoff_fn", "handoff_input_filter", "on_handoff", "nest_handoff_history", "triage",
    "agent_as_tool",
    "parallel_tool_calls", "multiple_handoffs",
    "input_guardrail_parallel", "input_guardrail_blocking", "input_guardrail_tripwire",
    "output_guardrail", "output_guardrail_tripwire",
    "tool_input_guardrail", "tool_output_guardrail",
    "output_type",
    "stop_on_first_tool", "stop_at_tools", "reset_tool_choice",
    "max_turns",
    "needs_approval", "approval_approve", "approval_reject",
    "mutable_context",
}

IGNORED_HANDOFF = "Multiple handoffs detected, ignoring this one."

_cache: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}


def observed(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(summary, raw observations) of one native run, cached per test session."""
    if name not in _cache:
        raw: dict[str, Any] = {}
        summary = run_native(CASES[name], raw)
        _cache[name] = (summary, raw)
    return _cache[name]


def calls_of(raw: dict[str, Any], agent: str) -> list[dict[str, Any]]:
    return [c for c in raw["calls"] if c["agent"] == agent]


def fn_calls(call: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in call["output"] if o["type"] == "function_call"]


def handoff_names(call: dict[str, Any]) -> set[str]:
    return set(call["request"].handoffs)


# --------------------------------------------------------------------------- generic


def test_cases_file_shape():
    from agentc.fixtures.openai_agents import FIXTURES

    assert len(set(FIXTURES)) >= 10
    refs = {c["ref"] for c in CASES.values()}
    assert refs == {f"agentc.fixtures.openai_agents.{m}:agent" for m in FIXTURES}
    for name, case in CASES.items():
        assert set(case) <= {"ref", "input", "context", "decisions", "max_turns", "run_config", "expect",
                             "constructs"}, name
        assert isinstance(case["input"], (str, list)) and case["constructs"], name
        mod = importlib.import_module(case["ref"].partition(":")[0])
        assert mod.__doc__ and "Constructs" in mod.__doc__, f"{mod.__name__} must list its constructs"


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_and_expected(name):
    first = run_native(CASES[name])
    second = run_native(CASES[name])
    assert first == second
    json.dumps(first)  # JSON-able
    exp = CASES[name]["expect"]
    assert first["last_agent"] == exp["last_agent"]
    assert first["error"] == exp["error"]
    if exp["error"] is None:
        assert first["final_output"] is not None
    else:
        assert first["final_output"] is None
    # model calls carry an agent name, an input size and a digest
    assert all(set(c) == {"agent", "items", "digest"} for c in first["model_calls"])


def test_cross_process_determinism():
    """A fresh interpreter (e.g. a resumed worker) observes exactly the same runs."""
    code = ("import json, sys; sys.path.insert(0, 'tests');"
            "from openai_agents_oracle import load_cases, run_native;"
            "print(json.dumps({n: run_native(c) for n, c in load_cases().items()}))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "12345"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    other = json.loads(proc.stdout.strip().splitlines()[-1])
    for name in NAMES:
        assert other[name] == observed(name)[0], name


def _agents_in(module) -> list:
    from agents import Agent
    return [v for v in vars(module).values() if isinstance(v, Agent)]


def test_every_agent_has_its_own_fake_model():
    from agentc.fixtures.openai_agents import FIXTURES
    from agentc.fixtures.openai_agents.fake_model import FakeModel

    for m in FIXTURES:
        mod = importlib.import_module(f"agentc.fixtures.openai_agents.{m}")
        for a in _agents_in(mod):
            assert isinstance(a.model, FakeModel), (m, a.name)
            assert a.model.name == a.name, (m, a.name)  # model-call records are labelled by agent


def test_hook_view_matches_model_log():
    """RunHooks.on_llm_start (top-level run only) agrees with the fake-model log (which also sees nested runs)."""
    for name in NAMES:
        _, raw = observed(name)
        logged = iter(c["agent"] for c in raw["calls"])
        assert all(a in logged for a in raw["llm_agents"]), name  # subsequence


def test_fake_model_is_a_pure_function():
    from agents import ModelSettings
    from agents.models.interface import ModelTracing

    from agentc.fixtures.openai_agents import triage
    from agentc.fixtures.openai_agents.fake_model import FakeModel

    async def ask(model):
        r = await model.get_response("sys", [{"role": "user", "content": "refund A-1001 x@y.io"}],
                                     ModelSettings(), [], None, [], ModelTracing.DISABLED,
                                     previous_response_id=None, conversation_id=None, prompt=None)
        return r.response_id, [i.model_dump() for i in r.output]

    m = triage.agent.model
    fresh = FakeModel(m.name, m.rules)
    a, b, c = (asyncio.run(ask(x)) for x in (m, m, fresh))
    assert a == b == c
    assert a[1][0]["call_id"].startswith("call_") and a[0].startswith("resp_")


def test_streamed_run_matches():
    """stream_response (Runner.run_streamed) gives the same run as get_response."""
    from agents import Runner

    from agentc.fixtures.openai_agents.fake_model import recording

    for name in ("triage_refund", "math_tutor", "research_assistant"):
        case = CASES[name]
        summary, _ = observed(name)

        async def go():
            with recording() as log:
                res = Runner.run_streamed(resolve(case["ref"]), case["input"], context=make_context(case))
                async for _ in res.stream_events():
                    pass
            return res, log

        res, log = asyncio.run(go())
        assert res.final_output == summary["final_output"], name
        assert res.last_agent.name == summary["last_agent"], name
        assert [(c["agent"], c["items"]) for c in log.calls] == \
               [(c["agent"], c["items"]) for c in summary["model_calls"]], name


# --------------------------------------------------------------------------- constructs really exercised


def test_parallel_tool_calls():
    for name in [n for n in NAMES if "parallel_tool_calls" in CASES[n]["constructs"]]:
        summary, raw = observed(name)
        multi = [c for c in raw["calls"] if len([o for o in fn_calls(c) if o["name"] not in handoff_names(c)]) >= 2]
        assert multi, f"{name}: no response with >= 2 function calls"
        # outputs are appended in call order: the next request of that agent has the outputs in that order
        c = multi[0]
        ids = [o["call_id"] for o in fn_calls(c)]
        later = [d for d in calls_of(raw, c["agent"]) if d["items"] > c["items"]]
        if later:  # (not for stop_on_first_tool / approvals-only paths)
            items = later[0]["request"].items
            outs = [i["call_id"] for i in items if i.get("type") == "function_call_output" and i["call_id"] in ids]
            assert outs == ids, name


def test_math_tutor_tools():
    summary, raw = observed("math_tutor")
    first = raw["calls"][0]
    assert [o["name"] for o in fn_calls(first)] == ["add", "multiply", "add"]
    assert summary["tool_calls"][:3] == [["add", {"a": 3.0, "b": 4.0}],
                                         ["multiply", {"operands": {"x": 2.5, "y": 4.0}}],
                                         ["add", {"a": 10.0, "b": 5.0}]]
    assert "Ada" in first["request"].system and "grade 7" in first["request"].system  # callable instructions
    assert summary["final_output"].startswith("Great work, Ada!")


def test_triage_refund_handoff_fn():
    summary, raw = observed("triage_refund")
    triage_calls, refund_calls = calls_of(raw, "Triage"), calls_of(raw, "Refunds")
    assert [o["name"] for o in fn_calls(triage_calls[-1])] == ["escalate_to_refunds"]
    # input_filter=remove_all_tools: the target only sees the user's message
    first = refund_calls[0]["request"]
    assert len(first.items) == 1 and first.items[0]["role"] == "user"
    # on_handoff with a typed payload mutated the context
    assert summary["context"]["escalation_reason"] == "customer requests a refund"
    assert "escalated A-1002 to refunds" in summary["context"]["notes"]
    assert summary["context"]["refunded_orders"] == ["A-1002"]
    assert raw["handoffs"] == [("Triage", "Refunds")]


def test_triage_nest_handoff_history():
    summary, raw = observed("triage_technical")
    first = calls_of(raw, "Technical")[0]["request"]
    assert len(first.items) == 1 and first.items[0]["role"] == "assistant"
    assert "<CONVERSATION HISTORY>" in first.assistant_texts[0]
    assert summary["last_agent"] == "Technical"


def test_triage_billing_plain_agent_handoff_and_dynamic_instructions():
    summary, raw = observed("triage_billing")
    billing = calls_of(raw, "Billing")[0]["request"]
    assert "gold tier" in billing.system and "carol@vip.example" in billing.system  # written by a tool
    # default history: the 3 input items + lookup call/output + handoff call/output
    assert len(billing.items) == 7
    assert summary["context"]["tier"] == "gold"


def test_hosted_tool_and_agents_as_tools():
    summary, raw = observed("research_assistant")
    first = raw["calls"][0]
    assert first["output"][0]["type"] == "web_search_call"
    assert all(name != "web_search" for name, _ in summary["tool_calls"])  # hosted: no local execution
    assert [c["agent"] for c in raw["calls"]] == ["Research Assistant", "Summarizer", "Research Assistant",
                                                  "Translator", "Research Assistant"]
    for nested in ("Summarizer", "Translator"):  # fresh history: only the generated input
        req = calls_of(raw, nested)[0]["request"]
        assert len(req.items) == 1 and req.items[0]["role"] == "user"
    assert calls_of(raw, "Translator")[0]["request"].output_schema is not None
    # custom_output_extractor returned only the .text field of the Translation
    assert summary["final_output"].endswith("In French: Resume : l'execution durable enregistre chaque etape.")


def test_two_handoffs_in_one_response():
    summary, raw = observed("double_handoff")
    first = raw["calls"][0]
    handoffs = [o["name"] for o in fn_calls(first) if o["name"] in handoff_names(first)]
    assert handoffs == ["transfer_to_sales", "transfer_to_support"]
    assert summary["last_agent"] == "Sales" and not calls_of(raw, "Support")
    sales_in = calls_of(raw, "Sales")[0]["request"]
    ignored = [o for o in fn_calls(first) if o["name"] == "transfer_to_support"][0]["call_id"]
    assert sales_in.outputs[ignored] == IGNORED_HANDOFF
    assert summary["tool_calls"] == [["log_ticket", {"topic": "I'd like to upgrade my plan"}]]


def test_input_guardrail_parallel_tripwire():
    from agents import InputGuardrailTripwireTriggered

    summary, raw = observed("homework_guard_trip")
    assert summary["error"] == {"type": InputGuardrailTripwireTriggered.__name__, "guardrail": "homework_check"}
    assert calls_of(raw, "Homework Check")  # the LLM guardrail ran (nested run)
    assert len(calls_of(raw, "History Tutor")) == 1  # parallel: the first turn ran concurrently
    ok, raw_ok = observed("homework_guard_pass")
    assert ok["error"] is None and calls_of(raw_ok, "Homework Check")


def test_input_guardrail_blocking_tripwire():
    from agents import Agent, InputGuardrailTripwireTriggered, Runner

    summary, raw = observed("pii_filter_trip")
    assert summary["error"] == {"type": "InputGuardrailTripwireTriggered", "guardrail": "pii_blocker"}
    assert raw["calls"] == []  # blocking: the model is never called
    agent: Agent = resolve(CASES["pii_filter_trip"]["ref"])
    assert agent.input_guardrails[0].run_in_parallel is False
    with pytest.raises(InputGuardrailTripwireTriggered) as ei:  # the SDK's own exception
        asyncio.run(Runner.run(agent, CASES["pii_filter_trip"]["input"]))
    assert ei.value.guardrail_result.guardrail.get_name() == "pii_blocker"
    assert observed("pii_filter_pass")[0]["error"] is None


def test_output_guardrail_tripwire():
    from agents import OutputGuardrailTripwireTriggered, Runner

    summary, raw = observed("press_release_leak")
    assert summary["error"] == {"type": "OutputGuardrailTripwireTriggered", "guardrail": "no_codenames"}
    assert len(raw["calls"]) == 2  # the final output was produced, then rejected
    with pytest.raises(OutputGuardrailTripwireTriggered) as ei:
        asyncio.run(Runner.run(resolve(CASES["press_release_leak"]["ref"]), CASES["press_release_leak"]["input"]))
    assert ei.value.guardrail_result.guardrail.get_name() == "no_codenames"
    ok = observed("press_release_ok")[0]
    assert ok["final_output"] == {"headline": "ACME announces Sync 3",
                                  "body": "Sync 3: ships in May, 30% faster sync, available in 12 countries."}


def test_tool_guardrails():
    summary, raw = observed("sql_analyst_report")
    assert len(fn_calls(raw["calls"][0])) == 3
    # the DROP was blocked by the input guardrail (never executed); the e-mail result was redacted
    assert [a["query"] for n, a in summary["tool_calls"]] == [
        "SELECT email FROM users LIMIT 2", "SELECT region, SUM(total) FROM orders GROUP BY region"]
    assert summary["final_output"] == ('Report: Write statements are not allowed; use SELECT only. | '
                                       '[redacted: result contained e-mail addresses] | [["EU", 51200], ["US", 73900]]')
    export, raw_e = observed("sql_analyst_export")
    assert export["error"] == {"type": "ToolInputGuardrailTripwireTriggered", "guardrail": "forbid_export"}
    assert export["tool_calls"] == [] and len(raw_e["calls"]) == 1


def test_output_type_structured():
    summary, raw = observed("recipe_extractor")
    assert summary["final_output"] == {"title": "Oat cookies", "servings": 12, "ingredients": [
        {"name": "flour", "grams": 240}, {"name": "oats", "grams": 135}, {"name": "sugar", "grams": 150}]}
    assert all(c["request"].output_schema["name"] == "Recipe" for c in raw["calls"])


def test_reset_tool_choice():
    _, raw = observed("recipe_extractor")  # reset_tool_choice=True (default)
    assert [c["tool_choice"] for c in raw["calls"]] == ["required", None]
    _, raw = observed("order_status")  # reset_tool_choice=False
    assert [c["tool_choice"] for c in raw["calls"]] == ["required", "required"]


def test_stop_on_first_tool():
    summary, raw = observed("weather_lookup")
    assert len(raw["calls"]) == 1 and [n for n, _ in summary["tool_calls"]] == ["get_forecast", "get_air_quality"]
    assert summary["final_output"] == str({"city": "Lisbon", "sky": "sunny", "temp_c": 19})


def test_stop_at_tools():
    summary, raw = observed("order_status")
    assert [n for n, _ in summary["tool_calls"]] == ["lookup_order", "send_reply"]
    assert len(raw["calls"]) == 2  # not called again after send_reply
    assert summary["final_output"] == "SENT: Good news! B-77: shipped, arrives in 2 days."


def test_max_turns():
    from agents import MaxTurnsExceeded

    summary, raw = observed("status_poller")
    assert summary["error"] == {"type": MaxTurnsExceeded.__name__, "guardrail": None}
    assert len(summary["model_calls"]) == CASES["status_poller"]["max_turns"] == 3
    assert [a["attempt"] for _, a in summary["tool_calls"]] == [1, 2, 3]


def test_needs_approval_pause_and_resume():
    from agents import Runner

    summary, raw = observed("travel_booker")
    # paused once, with the two bookings pending; check_visa (no approval) ran during the pause
    assert summary["interruptions"] == [[
        {"tool": "book_flight", "arguments": {"flight_id": "CDGLIS-121", "price_eur": 240}},
        {"tool": "book_hotel", "arguments": {"hotel": "Casa Azul", "nightly_rate_eur": 220, "nights": 3}},
    ]]
    assert [n for n, _ in summary["tool_calls"]] == ["search_flights", "check_visa", "book_flight"]
    assert len(raw["calls"]) == 3  # the interrupted turn is not re-run by the model
    last = raw["calls"][-1]["request"]
    hotel_id = [cid for n, _, cid in last.function_calls if n == "book_hotel"][0]
    assert last.outputs[hotel_id] == CASES["travel_booker"]["decisions"][1]["message"]
    assert summary["context"]["bookings"] == ["flight CDGLIS-121"] and summary["context"]["spent_eur"] == 240
    assert summary["final_output"].startswith("Summary: booked flight CDGLIS-121")

    # the first Runner.run really stops with interruptions and no final output
    case = CASES["travel_booker"]
    first = asyncio.run(Runner.run(resolve(case["ref"]), case["input"], context=make_context(case)))
    assert first.final_output is None and [i.tool_name for i in first.interruptions] == ["book_flight", "book_hotel"]


def test_mutable_context():
    for name in [n for n in NAMES if "mutable_context" in CASES[n]["constructs"]]:
        summary, _ = observed(name)
        initial = dataclasses.asdict(make_context(CASES[name]))
        assert summary["context"] != initial, name


# --------------------------------------------------------------------------- coverage table


def test_construct_coverage_table():
    covered = set().union(*(set(c["constructs"]) for c in CASES.values()))
    missing = REQUIRED_CONSTRUCTS - covered
    assert not missing, f"constructs not covered by any case: {sorted(missing)}"
