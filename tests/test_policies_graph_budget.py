"""Run budgets on a LangGraph graph's chat-model calls (docs/policies.md, "Budgets on LangGraph
chat models"): ``[policies.run] max_tokens`` and ``max_cost_usd`` with ``[policies.prices]``, on
the local executor, the Conductor simulator and the Temporal dev server.

LangGraph has no such rule. The oracle is ``graph.invoke`` of the same graph
(fixtures/langgraph/metered_agent.py, four chat calls reporting usage): with a budget of
what its first two calls used, the run ends with AC315 right before the third call reaches
the model (the model saw the native run's first two calls, the tool ran as natively
between them), a resume fails the same way without calling the model, and a budget the
native run stays under changes nothing.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

import agentc
from agentc.fixtures.langgraph import metered_agent as M
from agentc.targets.conductor.simulate import Simulation

REF = "agentc.fixtures.langgraph.metered_agent:graph"
START = {"messages": [{"role": "user", "content": "go"}]}
PRICE_IN, PRICE_OUT = 2.0, 8.0


def native() -> tuple[list[dict], list[int], list[float], list[str]]:
    """``graph.invoke``: its messages' contents, tokens and cost of each chat call."""
    M.CALLS.clear()
    M.TICKS.clear()
    out = M.graph.invoke(START)
    usage = [m.usage_metadata for m in out["messages"] if getattr(m, "usage_metadata", None)]
    tokens = [u["total_tokens"] for u in usage]
    cost = [(u["input_tokens"] * PRICE_IN + u["output_tokens"] * PRICE_OUT) / 1e6 for u in usage]
    return usage, tokens, cost, [str(m.content) for m in out["messages"]]


def policy(tmp_path: Path, monkeypatch, run: str, prices: str = "metered-1") -> Path:
    p = tmp_path / "p.toml"
    p.write_text(
        f"[policies.run]\n{run}\n\n[policies.prices.{prices}]\n"
        f"input = {PRICE_IN}\noutput = {PRICE_OUT}\n"
    )
    monkeypatch.setenv("AGENTC_POLICY", str(p))
    return p


def contents(output: dict) -> list[str]:
    return [str(m.content if hasattr(m, "content") else m["content"]) for m in output["messages"]]


def run_local(tmp_path: Path):
    return agentc.run(REF, START, db=tmp_path / "runs.db", run_id="budget")


def run_conductor(tmp_path: Path):
    agentc.compile(REF, target="conductor").write(tmp_path / "c")
    return Simulation.of(tmp_path / "c").start(START)


def run_temporal(tmp_path: Path, address: str):
    from agentc.targets.temporal import engine

    async def go():
        client = await engine.connect(address)
        loaded = engine.load(REF, tmp_path / "code")
        async with engine.running_worker(client, loaded, None):
            return await engine.start(REF, address, START, client=client)

    return asyncio.run(go())


RUNNERS = {"local": run_local, "conductor": run_conductor}


def expect_cut(run, needle: str, line: int) -> None:
    """The run fails with AC315 before the third chat call; the first two ran as natively."""
    M.CALLS.clear()
    M.TICKS.clear()
    with pytest.raises(agentc.errors.RunFailed) as exc:
        run()
    d = exc.value.diagnostic.render()
    assert "AC315" in d and needle in d and f"p.toml:{line}" in d, d
    assert M.CALLS == [0, 1], M.CALLS  # the third call never reached the model
    assert M.TICKS == [0, 1], M.TICKS


# ---------------------------------------------------------------- tokens
@pytest.mark.parametrize("target", sorted(RUNNERS))
def test_token_budget_ends_the_graph_run_before_the_next_chat_call(target, tmp_path, monkeypatch):
    _, tokens, _, _ = native()
    assert len(tokens) == 4 and len(set(tokens)) == 4
    policy(tmp_path, monkeypatch, f"max_tokens = {tokens[0] + tokens[1]}")
    expect_cut(
        lambda: RUNNERS[target](tmp_path), f"the run has used {tokens[0] + tokens[1]} model", 1
    )


def test_temporal_token_budget_ends_the_graph_run(temporal_address, tmp_path, monkeypatch):
    _, tokens, _, _ = native()
    policy(tmp_path, monkeypatch, f"max_tokens = {tokens[0] + tokens[1]}")
    expect_cut(
        lambda: run_temporal(tmp_path, temporal_address),
        f"the run has used {tokens[0] + tokens[1]} model",
        1,
    )


def test_a_resumed_run_out_of_tokens_fails_again_without_calling_the_model(tmp_path, monkeypatch):
    _, tokens, _, _ = native()
    policy(tmp_path, monkeypatch, f"max_tokens = {tokens[0] + tokens[1]}")
    expect_cut(lambda: run_local(tmp_path), "model tokens", 1)
    M.CALLS.clear()
    with pytest.raises(agentc.errors.RunFailed) as exc:
        agentc.resume("budget", db=tmp_path / "runs.db")
    assert "AC315" in exc.value.diagnostic.render() and M.CALLS == []


@pytest.mark.parametrize("target", sorted(RUNNERS))
def test_a_token_budget_the_run_stays_under_changes_nothing(target, tmp_path, monkeypatch):
    _, tokens, _, messages = native()
    policy(tmp_path, monkeypatch, f"max_tokens = {sum(tokens[:3]) + 1}")  # the 4th call is the last
    out = RUNNERS[target](tmp_path)
    assert out.status == "done" and contents(out.output) == messages


# ---------------------------------------------------------------- money
@pytest.mark.parametrize("target", sorted(RUNNERS))
def test_money_budget_ends_the_graph_run_before_the_next_chat_call(target, tmp_path, monkeypatch):
    _, _, cost, _ = native()
    assert all(c > 0 for c in cost)
    policy(tmp_path, monkeypatch, f"max_cost_usd = {cost[0] + cost[1]!r}")
    expect_cut(lambda: RUNNERS[target](tmp_path), f"spent ${cost[0] + cost[1]:.6f}", 1)


def test_temporal_money_budget_ends_the_graph_run(temporal_address, tmp_path, monkeypatch):
    _, _, cost, _ = native()
    policy(tmp_path, monkeypatch, f"max_cost_usd = {cost[0] + cost[1]!r}")
    expect_cut(
        lambda: run_temporal(tmp_path, temporal_address), f"spent ${cost[0] + cost[1]:.6f}", 1
    )


def test_a_money_budget_one_micro_dollar_above_lets_the_third_call_run(tmp_path, monkeypatch):
    _, _, cost, _ = native()
    policy(tmp_path, monkeypatch, f"max_cost_usd = {cost[0] + cost[1] + 1e-6!r}")
    M.CALLS.clear()
    with pytest.raises(agentc.errors.RunFailed) as exc:
        run_local(tmp_path)
    assert "AC315" in exc.value.diagnostic.render() and M.CALLS == [0, 1, 2]


def test_an_unpriced_chat_model_fails_the_run_before_it_is_called(tmp_path, monkeypatch):
    policy(tmp_path, monkeypatch, "max_cost_usd = 1.0", prices="other-model")
    M.CALLS.clear()
    with pytest.raises(agentc.errors.RunFailed) as exc:
        run_local(tmp_path)
    d = exc.value.diagnostic.render()
    assert "AC315" in d and "'metered-1'" in d and "no price" in d and M.CALLS == [], d


# ---------------------------------------------------------------- bad policies
BAD = [
    (
        "money without prices",
        REF,
        "[policies.run]\nmax_cost_usd = 1.0\n",
        "AC410",
        2,
        "needs the prices",
    ),
    (
        "budget on a graph with a subgraph",
        "agentc.fixtures.langgraph.ops_tools:nested",
        "[policies.run]\nmax_tokens = 100\n",
        "AC200",
        2,
        "subgraph node",
    ),
]


@pytest.mark.parametrize("name,ref,text,code,line,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_graph_budgets_exit_2_with_the_line(name, ref, text, code, line, needle, tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(text)
    out = subprocess.run(
        [sys.executable, "-m", "agentc.cli", "--policy", str(p), "compile", ref,
         "--target", "local", "-o", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    err = out.stderr
    assert out.returncode == 2 and code in err and needle in err and f"p.toml:{line}" in err, err
    assert "Traceback" not in err
