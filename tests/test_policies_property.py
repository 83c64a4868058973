"""Property test of the policy enforcement (docs/policies.md) over random agent
transcripts and random policies (tests/policy_random.py), on the local executor:

* a denied tool call never runs; an approval-required call never runs unless the human
  approved it; no tool runs more than its ``max_calls``, the run no more than
  ``max_tool_calls`` (checked on the side effects the tools record);
* the run equals ``Runner.run`` of the same agent with the same rules written by hand in
  SDK code (tests/policy_oracle.py): the same side effects, the same final output, the
  same approval pauses.

On the local executor, and on Conductor (the simulator with agentc's step worker), where
every model and tool step replays the run in a drive of its own: the verdicts (counts
included) must agree across drives.

AGENTC_PROPERTY_EXAMPLES=N runs N examples instead of EXAMPLES (derandomized)."""
from __future__ import annotations

import asyncio
import json
import os
from collections import Counter

from hypothesis import HealthCheck, given, settings

import policy_oracle as P
import policy_random as R

import agentc

EXAMPLES = 40
CONDUCTOR_EXAMPLES = 15


def native(spec) -> dict:
    from agents import Runner

    agent = P.policed(R.install(spec), R.rules(spec), spec["max_tool_calls"], P.Counts())
    R.EXECUTED.clear()
    pauses = []

    async def go():
        result = await Runner.run(agent, "go", max_turns=10)
        while result.interruptions:
            pauses.append(sorted((i.tool_name, json.loads(i.arguments)["n"]) for i in result.interruptions))
            state = result.to_state()
            for item in state.get_interruptions():
                if R.approves(spec, json.loads(item.arguments)["n"]):
                    state.approve(item)
                else:
                    state.reject(item)
            result = await Runner.run(agent, state, max_turns=10)
        return result.final_output

    out = asyncio.run(go())
    return {"final_output": out, "executed": sorted(R.EXECUTED), "pauses": pauses}


def local(spec, tmp) -> dict:
    R.install(spec)
    R.EXECUTED.clear()
    db = os.path.join(tmp, "runs.db")
    pauses = []
    out = agentc.run(R.REF, "go", db=db)
    while out.status == "waiting":
        pauses.append(sorted((p["tool"], p["arguments"]["n"]) for p in out.interrupts))
        value = {"approve": [p["id"] for p in out.interrupts if R.approves(spec, p["arguments"]["n"])],
                 "reject": [p["id"] for p in out.interrupts if not R.approves(spec, p["arguments"]["n"])]}
        out = agentc.resume(out.run_id, value, db=db)
    return {"final_output": out.output["final_output"], "executed": sorted(R.EXECUTED), "pauses": pauses}


def conductor(spec, tmp) -> dict:
    from pathlib import Path

    from agentc.targets.conductor.simulate import Simulation

    R.install(spec)
    folder = Path(tmp) / "conductor"
    agentc.compile(R.REF, target="conductor").write(folder)
    R.EXECUTED.clear()
    sim = Simulation.of(folder)
    pauses = []
    out = sim.start("go")
    while out.status == "waiting":
        pauses.append(sorted((p["tool"], p["arguments"]["n"]) for p in out.interrupts))
        out = sim.resume({"approve": [p["id"] for p in out.interrupts if R.approves(spec, p["arguments"]["n"])],
                          "reject": [p["id"] for p in out.interrupts if not R.approves(spec, p["arguments"]["n"])]})
    return {"final_output": out.output["final_output"], "executed": sorted(R.EXECUTED), "pauses": pauses}


def check_invariants(spec, got) -> None:
    rules = R.rules(spec)
    approved_pauses = {c for pause in got["pauses"] for c in pause if R.approves(spec, c[1])}
    for name, n in got["executed"]:
        rule = rules.get(name)
        if rule is None:
            continue
        assert not rule.deny({"n": n}), f"denied call {name}({n}) ran"
        if rule.approval({"n": n}):
            assert (name, n) in approved_pauses, f"{name}({n}) needs an approval and ran without one"
    counts = Counter(name for name, _ in got["executed"])
    for name, rule in rules.items():
        if rule.max_calls is not None:
            assert counts[name] <= rule.max_calls
    if spec["max_tool_calls"] is not None:
        assert len(got["executed"]) <= spec["max_tool_calls"]


@settings(max_examples=int(os.environ.get("AGENTC_PROPERTY_EXAMPLES") or EXAMPLES), deadline=None,
          derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(spec=R.specs())
def test_policies_hold_on_random_transcripts(spec, tmp_path_factory, monkeypatch):
    tmp = tmp_path_factory.mktemp("policy")
    path = tmp / "policy.toml"
    path.write_text(R.policy_toml(spec))
    expected = native(spec)
    monkeypatch.setenv("AGENTC_POLICY", str(path))
    got = local(spec, str(tmp))
    check_invariants(spec, got)
    assert got == expected


@settings(max_examples=int(os.environ.get("AGENTC_PROPERTY_EXAMPLES") or CONDUCTOR_EXAMPLES), deadline=None,
          derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(spec=R.specs())
def test_policies_hold_on_random_transcripts_on_conductor(spec, tmp_path_factory, monkeypatch):
    tmp = tmp_path_factory.mktemp("policy")
    path = tmp / "policy.toml"
    path.write_text(R.policy_toml(spec))
    expected = native(spec)
    monkeypatch.setenv("AGENTC_POLICY", str(path))
    got = conductor(spec, str(tmp))
    check_invariants(spec, got)
    assert got == expected
