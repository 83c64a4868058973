"""The money budget (docs/policies.md, "Money budget"): ``[policies.run] max_cost_usd`` priced
with the user's ``[policies.prices.MODEL]`` table from each response's reported usage, on the
local executor, the Conductor simulator and the Temporal dev server. The SDK has no such rule:
the oracle is ``Runner.run`` of the same agent — the run ends with AC315 right before the
model call that the native run's spending so far forbids, and the earlier calls are the
native run's."""
from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

import openai_agents_oracle as O
from test_policies import DB_ADMIN, POLICY, write
from test_policies_limits import BUDGET_ASK, run_local, run_native, run_temporal

import agentc
from agentc.fixtures.openai_agents import db_admin
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.conductor.simulate import Simulation

PRICE_IN, PRICE_OUT = 2.0, 8.0  # US dollars per million tokens
PRICES = f'\n[policies.prices.FakeModel]\ninput = {PRICE_IN}\noutput = {PRICE_OUT}\n'


def native_costs() -> tuple[dict, list[float]]:
    """The native run, and what each of its model calls cost at PRICES."""
    from agents import Runner

    async def go():
        result = await Runner.run(db_admin.agent, BUDGET_ASK, max_turns=8)
        return [
            (r.usage.input_tokens * PRICE_IN + r.usage.output_tokens * PRICE_OUT) / 1e6
            for r in result.raw_responses
        ]

    native, _ = run_native(BUDGET_ASK)
    return native, asyncio.run(go())


def money_policy(tmp_path, budget: float):
    text = POLICY.read_text().replace("max_tokens = 50000", f"max_cost_usd = {budget!r}")
    return write(tmp_path, text + PRICES)


def check_failure(exc, native, log, costs) -> None:
    d = exc.value.diagnostic.render()
    assert "AC315" in d and f"spent ${costs[0] + costs[1]:.6f}" in d, d
    assert "policy.toml:4 (policies.run.max_cost_usd)" in d, d
    assert O.model_calls(log) == native["model_calls"][:2]  # the third call never reached the model
    assert db_admin.EXECUTED == ["archive staging_tmp 7"]


def test_local_money_budget_ends_the_run_before_the_next_model_call(tmp_path, monkeypatch):
    native, costs = native_costs()
    assert len(costs) == 3 and all(c > 0 for c in costs)
    monkeypatch.setenv("AGENTC_POLICY", str(money_policy(tmp_path, costs[0] + costs[1])))
    db_admin.EXECUTED.clear()
    with recording() as log, pytest.raises(agentc.errors.RunFailed) as exc:
        agentc.run(DB_ADMIN, BUDGET_ASK, db=tmp_path / "runs.db", run_id="money")
    check_failure(exc, native, log, costs)
    with recording() as again, pytest.raises(agentc.errors.RunFailed) as exc2:  # the journal agrees
        agentc.resume("money", db=tmp_path / "runs.db")
    assert "AC315" in exc2.value.diagnostic.render() and O.model_calls(again) == []


def test_a_money_budget_the_run_does_not_reach_changes_nothing(tmp_path, monkeypatch):
    native, costs = native_costs()
    monkeypatch.setenv("AGENTC_POLICY", str(money_policy(tmp_path, costs[0] + costs[1] + 1e-6)))
    assert run_local(BUDGET_ASK, tmp_path / "runs.db") == native


def test_conductor_money_budget_ends_the_run(tmp_path, monkeypatch):
    native, costs = native_costs()
    monkeypatch.setenv("AGENTC_POLICY", str(money_policy(tmp_path, costs[0] + costs[1])))
    agentc.compile(DB_ADMIN, target="conductor").write(tmp_path / "c")
    db_admin.EXECUTED.clear()
    with recording() as log, pytest.raises(agentc.errors.RunFailed) as exc:
        Simulation.of(tmp_path / "c").start(BUDGET_ASK)
    check_failure(exc, native, log, costs)


def test_temporal_money_budget_ends_the_run(temporal_address, tmp_path, monkeypatch):
    native, costs = native_costs()
    monkeypatch.setenv("AGENTC_POLICY", str(money_policy(tmp_path, costs[0] + costs[1])))
    calls: list = []
    with pytest.raises(agentc.errors.RunFailed) as exc:
        asyncio.run(run_temporal(BUDGET_ASK, temporal_address, tmp_path / "code", calls))
    check_failure(exc, native, calls[0], costs)


BAD = [
    ("unknown model", '[policies.run]\nmax_cost_usd = 1.0\n', 2, "calls model 'FakeModel'"),
    ("price not a number", '[policies.run]\nmax_cost_usd = 1.0\n\n[policies.prices.FakeModel]\n'
     'input = "cheap"\noutput = 1\n', 5, "must be a number"),
    ("price missing output", '[policies.run]\nmax_cost_usd = 1.0\n\n[policies.prices.FakeModel]\n'
     'input = 1\n', 4, "must be a number"),
    ("budget not positive", '[policies.run]\nmax_cost_usd = 0\n' + PRICES, 2, "must be positive"),
    ("unknown price key", '[policies.run]\nmax_cost_usd = 1\n\n[policies.prices.FakeModel]\n'
     'input = 1\noutput = 1\ncached = 1\n', 7, "unknown key 'cached'"),
]


@pytest.mark.parametrize("name,text,line,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_money_policies_exit_2_with_the_line(name, text, line, needle, tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(text)
    out = subprocess.run(
        [sys.executable, "-m", "agentc.cli", "--policy", str(p), "compile", DB_ADMIN,
         "--target", "local", "-o", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert out.returncode == 2, out.stderr
    assert "AC410" in out.stderr and needle in out.stderr and f"p.toml:{line}" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_money_budget_on_a_graph_needs_prices(tmp_path):
    """A graph's chat models are priced at run time (tests/test_policies_graph_budget.py); a
    money budget without a price table is refused when the policy loads."""
    p = tmp_path / "p.toml"
    p.write_text("[policies.run]\nmax_cost_usd = 1\n")
    out = subprocess.run(
        [sys.executable, "-m", "agentc.cli", "--policy", str(p), "compile",
         "agentc.fixtures.langgraph.ops_tools:graph", "--target", "local", "-o", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert out.returncode == 2 and "AC410" in out.stderr and "p.toml:2" in out.stderr, out.stderr
    assert "needs the prices" in out.stderr, out.stderr
