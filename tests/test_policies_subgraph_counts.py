"""Per-run policy counts and budgets across subgraph calls (docs/policies.md, "Counts across
subgraph calls"), on the local executor, the Conductor simulator (a subgraph is a SUB_WORKFLOW
child) and the Temporal dev server (a child workflow), each compared with ``graph.invoke`` of
the same graph (fixtures/langgraph/sub_counts.py) with the rule written by hand as a per-run
counter:

* ``max_calls`` on a node inside a subgraph the root graph calls in a loop;
* ``max_calls`` on the tool of a ToolNode inside subgraphs called one after another
  (``on_deny = "fail"``: the call past the count fails the run);
* a token budget on a graph whose chat calls all happen inside two subgraph calls: the run
  ends with AC315 right before the first call over budget, which is in the second call.

Before per-run counting each of these policies was refused with AC200.
"""

from __future__ import annotations

import asyncio

import pytest
import test_policies_graph_budget as B
import test_policies_graph_rules as R

import agentc
from agentc.fixtures.langgraph import metered_agent as M
from agentc.fixtures.langgraph import sub_counts as S
from agentc.targets.conductor.simulate import Simulation

LOOPED = "agentc.fixtures.langgraph.sub_counts:looped"
COUNTED = "agentc.fixtures.langgraph.sub_counts:counted"
METERED = "agentc.fixtures.langgraph.sub_counts:metered"


# ---------------------------------------------------------------- max_calls on "ops/migrate"
LOOP_POLICY = '[policies.nodes."ops/migrate"]\nmax_calls = 2\n'
LOOP_CASES = {"within": {"until": 2}, "past": {"until": 3}}


def native_loop(inp):
    ran = {"n": 0}  # per run, whichever subgraph call runs it

    def migrate(state):
        if ran["n"] >= 2:
            raise R.Denied("ops/migrate")
        ran["n"] += 1
        return S.migrate(state)

    return R.drive_native(S.build_looped(migrate), inp, None)


def test_the_loop_oracle_fails_at_the_third_migration():
    got = native_loop(LOOP_CASES["past"])
    assert got["failed"] == "ops/migrate"
    assert got["executed"] == ["plan 0", "migrate 0", "plan 1", "migrate 1", "plan 2"]


@pytest.mark.parametrize("case", sorted(LOOP_CASES))
def test_local_max_calls_counts_every_call_of_the_subgraph(case, tmp_path, monkeypatch):
    expected = native_loop(LOOP_CASES[case])
    R.policy(tmp_path, monkeypatch, LOOP_POLICY)
    assert R.run_local(LOOPED, LOOP_CASES[case], None, tmp_path) == expected


@pytest.mark.parametrize("case", sorted(LOOP_CASES))
def test_conductor_max_calls_counts_every_call_of_the_subgraph(case, tmp_path, monkeypatch):
    expected = native_loop(LOOP_CASES[case])
    R.policy(tmp_path, monkeypatch, LOOP_POLICY)
    assert R.run_conductor(LOOPED, LOOP_CASES[case], None, tmp_path / "out") == expected


def test_temporal_max_calls_counts_every_call_of_the_subgraph(
    temporal_address, tmp_path, monkeypatch
):
    expected = native_loop(LOOP_CASES["past"])
    R.policy(tmp_path, monkeypatch, LOOP_POLICY)
    got = asyncio.run(
        R.run_temporal(LOOPED, LOOP_CASES["past"], None, temporal_address, tmp_path / "code")
    )
    assert got == expected


def native_loop_approved(inp):
    """``plan`` asks for an approval in every call: the counts survive each pause."""
    from langgraph.types import interrupt

    ran = {"n": 0}

    def plan(state):
        if not R.approved(interrupt("approve?")):
            raise R.Denied("ops/plan")
        return S.plan(state)

    def migrate(state):
        if ran["n"] >= 2:
            raise R.Denied("ops/migrate")
        ran["n"] += 1
        return S.migrate(state)

    return R.drive_native(S.build_looped(migrate, plan), inp, {"approve": True})


APPROVED_POLICY = LOOP_POLICY + '\n[policies.nodes."ops/plan"]\nrequire_approval = true\n'


def test_local_counts_survive_pauses_in_the_subgraph(tmp_path, monkeypatch):
    expected = native_loop_approved(LOOP_CASES["past"])
    assert expected["pauses"] == 3 and expected["failed"] == "ops/migrate"
    R.policy(tmp_path, monkeypatch, APPROVED_POLICY)
    got = R.run_local(LOOPED, LOOP_CASES["past"], {"approve": True}, tmp_path)
    assert got == expected


def test_conductor_counts_survive_pauses_in_the_subgraph(tmp_path, monkeypatch):
    expected = native_loop_approved(LOOP_CASES["past"])
    R.policy(tmp_path, monkeypatch, APPROVED_POLICY)
    got = R.run_conductor(LOOPED, LOOP_CASES["past"], {"approve": True}, tmp_path / "out")
    assert got == expected


# ---------------------------------------------------------------- max_calls on a ToolNode tool
TOOL_POLICY = '[policies.tools.count_rows]\nmax_calls = 2\n\n[policies.run]\non_deny = "fail"\n'
START = {"messages": [{"role": "user", "content": "count"}]}


def native_tools():
    from langgraph.prebuilt import ToolNode

    ran = {"n": 0}  # per run, across the three subgraph calls

    def tools(state, config):
        for c in state["messages"][-1].tool_calls:
            if c["name"] == "count_rows":
                if ran["n"] >= 2:
                    raise R.Denied("count_rows")
                ran["n"] += 1
        return ToolNode([S.count_rows]).invoke(state, config)

    return R.drive_native(S.build_counted(tools), START, None)


def test_the_tool_oracle_fails_at_the_third_call():
    got = native_tools()
    assert got["failed"] == "count_rows"
    assert got["executed"] == ["count_rows(t0)", "count_rows(t2)"]


def test_local_tool_max_calls_counts_every_subgraph_call(tmp_path, monkeypatch):
    expected = native_tools()
    R.policy(tmp_path, monkeypatch, TOOL_POLICY)
    assert R.run_local(COUNTED, START, None, tmp_path) == expected


def test_conductor_tool_max_calls_counts_every_subgraph_call(tmp_path, monkeypatch):
    expected = native_tools()
    R.policy(tmp_path, monkeypatch, TOOL_POLICY)
    assert R.run_conductor(COUNTED, START, None, tmp_path / "out") == expected


def test_temporal_tool_max_calls_counts_every_subgraph_call(
    temporal_address, tmp_path, monkeypatch
):
    expected = native_tools()
    R.policy(tmp_path, monkeypatch, TOOL_POLICY)
    got = asyncio.run(R.run_temporal(COUNTED, START, None, temporal_address, tmp_path / "code"))
    assert got == expected


# ---------------------------------------------------------------- a token budget
def native_tokens() -> list[int]:
    """``graph.invoke`` without a budget: the tokens of each chat call, in order."""
    M.CALLS.clear()
    M.TICKS.clear()
    out = S.metered.invoke(B.START)
    usage = [m.usage_metadata for m in out["messages"] if getattr(m, "usage_metadata", None)]
    assert M.CALLS == [0, 1, 2, 3, 3] and M.TICKS == [0, 1, 2], (M.CALLS, M.TICKS)
    return [u["total_tokens"] for u in usage]


def expect_cut(run, used: int) -> None:
    """AC315 right before the fifth chat call (the second subgraph's first)."""
    M.CALLS.clear()
    M.TICKS.clear()
    with pytest.raises(agentc.errors.RunFailed) as exc:
        run()
    d = exc.value.diagnostic.render()
    assert "AC315" in d and f"the run has used {used} model tokens" in d and "p.toml:1" in d, d
    assert "'second/agent'" in d, d  # the node of the second subgraph call
    assert M.CALLS == [0, 1, 2, 3], M.CALLS  # the first call of `second` never reached it
    assert M.TICKS == [0, 1, 2], M.TICKS


def budget(tmp_path, monkeypatch) -> int:
    tokens = native_tokens()
    assert len(tokens) == 5
    used = sum(tokens[:4])
    B.policy(tmp_path, monkeypatch, f"max_tokens = {used}")
    return used


def test_local_token_budget_counts_chat_calls_in_every_subgraph(tmp_path, monkeypatch):
    used = budget(tmp_path, monkeypatch)
    expect_cut(lambda: agentc.run(METERED, B.START, db=tmp_path / "runs.db"), used)


def test_conductor_token_budget_counts_chat_calls_in_every_subgraph(tmp_path, monkeypatch):
    used = budget(tmp_path, monkeypatch)

    def run():
        agentc.compile(METERED, target="conductor").write(tmp_path / "c")
        return Simulation.of(tmp_path / "c").start(B.START)

    expect_cut(run, used)


def test_temporal_token_budget_counts_chat_calls_in_every_subgraph(
    temporal_address, tmp_path, monkeypatch
):
    from agentc.targets.temporal import engine

    used = budget(tmp_path, monkeypatch)

    async def go():
        client = await engine.connect(temporal_address)
        loaded = engine.load(METERED, tmp_path / "code")
        async with engine.running_worker(client, loaded, None):
            return await engine.start(METERED, temporal_address, B.START, client=client)

    expect_cut(lambda: asyncio.run(go()), used)


def test_a_budget_above_both_subgraph_calls_changes_nothing(tmp_path, monkeypatch):
    tokens = native_tokens()
    M.CALLS.clear()
    expected = [str(m.content) for m in S.metered.invoke(B.START)["messages"]]
    B.policy(tmp_path, monkeypatch, f"max_tokens = {sum(tokens) + 1}")
    M.CALLS.clear()
    out = agentc.run(METERED, B.START, db=tmp_path / "runs.db")
    assert B.contents(out.output) == expected and M.CALLS == [0, 1, 2, 3, 3]
