"""Policies beyond the root graph's nodes (fixtures/langgraph/ops_tools.py), on the three
targets, each compared with ``graph.invoke`` of the same graph with the rules written by hand:

* tool rules on the tools of a LangGraph ``ToolNode`` (deny, require_approval with a
  predicate over the call's args, max_calls): a refused call is a ``ToolMessage`` with
  ``status="error"``, as the ToolNode reports a tool error it handles;
* node rules inside a subgraph, named ``"ops/migrate"``;
* ``max_calls`` on a node (the run fails with AC310 when exceeded).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import agentc
from agentc.fixtures.langgraph import ops_tools as F
from agentc.targets.conductor.simulate import Simulation

TOOLS_POLICY = """[policies.tools.drop_table]
deny = true
message = "never drop tables"

[policies.tools.delete_rows]
require_approval = "args.rows > 1000"

[policies.tools.count_rows]
max_calls = 2
"""
REFS = {
    "graph": "agentc.fixtures.langgraph.ops_tools:graph",
    "nested": "agentc.fixtures.langgraph.ops_tools:nested",
    "polling": "agentc.fixtures.langgraph.ops_tools:polling",
}
START = {"messages": [{"role": "user", "content": "clean up"}]}


class Denied(Exception):
    pass


def approved(answer) -> bool:
    return answer is True or isinstance(answer, dict) and answer.get("approve") is True


# ---------------------------------------------------------------- the oracles
def native_tools(answer, on_deny: str = "refuse"):
    """The ToolNode graph with the three tool rules written by hand in a node before the
    ToolNode, refusals returned by its own ``wrap_tool_call``."""
    from langchain_core.messages import ToolMessage
    from langgraph.prebuilt import ToolNode
    from langgraph.types import interrupt

    def tools(state, config):
        ran = sum(
            1
            for m in state["messages"]
            if isinstance(m, ToolMessage) and m.name == "count_rows" and m.status == "success"
        )
        refused = {}
        for c in state["messages"][-1].tool_calls:
            if c["name"] == "drop_table":
                if on_deny == "fail":
                    raise Denied("drop_table")
                refused[c["id"]] = "never drop tables"
            elif c["name"] == "delete_rows" and c["args"]["rows"] > 1000:
                ok = interrupt("approve?")
                if not approved(ok):
                    refused[c["id"]] = (ok.get("message") if isinstance(ok, dict) else None) or (
                        "tool 'delete_rows' was not approved"
                    )
            elif c["name"] == "count_rows":
                if ran >= 2:
                    refused[c["id"]] = (
                        f"tool 'count_rows' was already called {ran} time(s); the policy "
                        "allows 2 per run"
                    )
                ran += 1

        def wrap(request, execute):
            text = refused.get(request.tool_call["id"])
            if text is None:
                return execute(request)
            c = request.tool_call
            return ToolMessage(text, name=c["name"], tool_call_id=c["id"], status="error")

        return ToolNode(F.TOOLS, wrap_tool_call=wrap).invoke(state, config)

    return drive_native(F.build(tools), START, answer)


def drive_native(builder, inp, answer):
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    g = builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    F.EXECUTED.clear()
    pauses = 0
    try:
        out = g.invoke(inp, cfg)
        while "__interrupt__" in out:
            pauses += 1
            out = g.invoke(Command(resume=answer), cfg)
        result = {"state": shown(out), "failed": None}
    except Denied as d:
        result = {"state": None, "failed": str(d)}
    return {**result, "pauses": pauses, "executed": list(F.EXECUTED)}


def shown(state):
    """The final state without message ids (add_messages gives ToolMessages random ones)."""
    out = dict(state)
    if "messages" in out:  # the engines give the messages in their JSON form
        out["messages"] = [
            {k: v for k, v in (m if isinstance(m, dict) else {**m.model_dump(), "type": m.type}).items()
             if k != "id"}
            for m in out["messages"]
        ]
    return out


def failed_name(e: agentc.errors.AgentcError) -> str:
    d = e.diagnostic
    assert d.code.value == "AC310", d.render()
    assert d.file and Path(d.file).name == "p.toml" and d.line, d.render()
    return d.construct.split("'")[1]


# ---------------------------------------------------------------- the three targets
def run_local(ref, inp, answer, tmp_path) -> dict:
    F.EXECUTED.clear()
    pauses = 0
    try:
        out = agentc.run(ref, inp, db=tmp_path / "runs.db")
        while out.status == "waiting":
            pauses += 1
            assert out.interrupts[0]["value"]["kind"] == "policy_approval"
            out = agentc.resume(out.run_id, answer, db=tmp_path / "runs.db")
        result = {"state": shown(out.output), "failed": None}
    except agentc.errors.RunFailed as e:
        result = {"state": None, "failed": failed_name(e)}
    return {**result, "pauses": pauses, "executed": list(F.EXECUTED)}


def run_conductor(ref, inp, answer, folder: Path) -> dict:
    agentc.compile(ref, target="conductor").write(folder)
    F.EXECUTED.clear()
    sim = Simulation.of(folder)
    pauses = 0
    try:
        out = sim.start(inp)
        while out.status == "waiting":
            pauses += 1
            sim = Simulation.load(sim.save(folder / "paused.json"))
            out = sim.resume(answer)
        result = {"state": shown(out.output), "failed": None}
    except agentc.errors.RunFailed as e:
        result = {"state": None, "failed": failed_name(e)}
    return {**result, "pauses": pauses, "executed": list(F.EXECUTED)}


async def run_temporal(ref, inp, answer, address, code: Path) -> dict:
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    loaded = engine.load(ref, code)
    F.EXECUTED.clear()
    pauses = 0
    async with engine.running_worker(client, loaded, None):
        try:
            out = await engine.start(ref, address, inp, client=client)
            while out.status == "waiting":
                pauses += 1
                out = await engine.resume(out.run_id, address, answer, client=client)
            result = {"state": shown(out.output), "failed": None}
        except agentc.errors.RunFailed as e:
            d = e.diagnostic.render()
            assert "AC310" in d and "p.toml" in d, d
            import re

            found = re.search(r"(?:node|tool) '([^']+)'", e.diagnostic.message)
            result = {"state": None, "failed": found and found.group(1)}
    return {**result, "pauses": pauses, "executed": list(F.EXECUTED)}


def policy(tmp_path, monkeypatch, text: str) -> Path:
    p = tmp_path / "p.toml"
    p.write_text(text)
    monkeypatch.setenv("AGENTC_POLICY", str(p))
    return p


TOOL_CASES = {
    "approved": ({"approve": True}, "refuse"),
    "rejected": ({"approve": False, "message": "not the events table"}, "refuse"),
    "fail": ({"approve": True}, "fail"),
}


def tools_policy(on_deny: str) -> str:
    return TOOLS_POLICY + (f'\n[policies.run]\non_deny = "{on_deny}"\n' if on_deny != "refuse" else "")


# ---------------------------------------------------------------- ToolNode tools
@pytest.mark.parametrize("case", sorted(TOOL_CASES))
def test_local_tool_node_rules_equal_rules_in_the_graph(case, tmp_path, monkeypatch):
    answer, on_deny = TOOL_CASES[case]
    expected = native_tools(answer, on_deny)
    policy(tmp_path, monkeypatch, tools_policy(on_deny))
    got = run_local(REFS["graph"], START, answer, tmp_path)
    assert got == expected
    assert "drop_table(prod_users)" not in got["executed"]


@pytest.mark.parametrize("case", sorted(TOOL_CASES))
def test_conductor_tool_node_rules_equal_rules_in_the_graph(case, tmp_path, monkeypatch):
    answer, on_deny = TOOL_CASES[case]
    expected = native_tools(answer, on_deny)
    policy(tmp_path, monkeypatch, tools_policy(on_deny))
    assert run_conductor(REFS["graph"], START, answer, tmp_path / "out") == expected


@pytest.mark.parametrize("case", ["approved", "fail"])
def test_temporal_tool_node_rules_equal_rules_in_the_graph(
    case, temporal_address, tmp_path, monkeypatch
):
    answer, on_deny = TOOL_CASES[case]
    expected = native_tools(answer, on_deny)
    policy(tmp_path, monkeypatch, tools_policy(on_deny))
    got = asyncio.run(
        run_temporal(REFS["graph"], START, answer, temporal_address, tmp_path / "code")
    )
    assert got == expected


def test_a_refused_call_is_the_tool_error_message_of_a_native_tool_node():
    """The refusal is what ``ToolNode(handle_tool_errors=TEXT)`` returns for a failing tool."""
    from langchain_core.messages import AIMessage
    from langchain_core.tools import tool
    from langgraph.prebuilt import ToolNode

    from agentc.compat.langgraph import tool_node_with_gate
    from agentc.runtime_shims.node_rules import Governed

    @tool
    def drop_table(table: str) -> str:
        """Drop a table."""
        raise RuntimeError("no")

    from langchain_core.messages import ToolMessage
    from langgraph.graph import END, START, MessagesState, StateGraph

    def run(node):
        b = StateGraph(MessagesState)
        b.add_node("tools", node)
        b.add_edge(START, "tools")
        b.add_edge("tools", END)
        return shown(b.compile().invoke({"messages": [msg]}))

    msg = AIMessage("", tool_calls=[{"name": "drop_table", "args": {"table": "t"}, "id": "c1"}])
    native = run(ToolNode([drop_table], handle_tool_errors="never drop tables"))
    refusal = ToolMessage("never drop tables", name="drop_table", tool_call_id="c1", status="error")
    assert run(tool_node_with_gate(ToolNode([drop_table]), lambda c: refusal)) == native
    assert run(Governed({"c1": refusal}).wrap(ToolNode([drop_table]))) == native
    assert native["messages"][-1]["status"] == "error"


# ---------------------------------------------------------------- nodes inside a subgraph
SUB_POLICY = """[policies.nodes."ops/migrate"]
require_approval = "state.rows > 1000"
deny = 'state.env == "prod"'
"""
SUB_CASES = {
    "small_dev": ({"env": "dev", "rows": 10}, None),
    "big_dev_approved": ({"env": "dev", "rows": 5000}, {"approve": True}),
    "big_dev_rejected": ({"env": "dev", "rows": 5000}, {"approve": False}),
    "prod_denied": ({"env": "prod", "rows": 10}, None),
}


def native_sub(inp, answer):
    from langgraph.types import interrupt

    def migrate(state):
        if state["env"] == "prod":
            raise Denied("ops/migrate")
        if state["rows"] > 1000 and not approved(interrupt("approve?")):
            raise Denied("ops/migrate")
        return F.migrate(state)

    return drive_native(F.build_nested(migrate), inp, answer)


@pytest.mark.parametrize("case", sorted(SUB_CASES))
def test_local_subgraph_node_rules_equal_rules_in_the_graph(case, tmp_path, monkeypatch):
    expected = native_sub(*SUB_CASES[case])
    policy(tmp_path, monkeypatch, SUB_POLICY)
    assert run_local(REFS["nested"], *SUB_CASES[case], tmp_path) == expected


@pytest.mark.parametrize("case", sorted(SUB_CASES))
def test_conductor_subgraph_node_rules_equal_rules_in_the_graph(case, tmp_path, monkeypatch):
    expected = native_sub(*SUB_CASES[case])
    policy(tmp_path, monkeypatch, SUB_POLICY)
    assert run_conductor(REFS["nested"], *SUB_CASES[case], tmp_path / "out") == expected


@pytest.mark.parametrize("case", ["big_dev_approved", "prod_denied"])
def test_temporal_subgraph_node_rules_equal_rules_in_the_graph(
    case, temporal_address, tmp_path, monkeypatch
):
    expected = native_sub(*SUB_CASES[case])
    policy(tmp_path, monkeypatch, SUB_POLICY)
    got = asyncio.run(
        run_temporal(REFS["nested"], *SUB_CASES[case], temporal_address, tmp_path / "code")
    )
    assert got == expected


# ---------------------------------------------------------------- max_calls on a node
POLL_POLICY = "[policies.nodes.poll]\nmax_calls = 2\n"
POLL_CASES = {"within": {"until": 2}, "past": {"until": 3}}


def native_poll(inp):
    state = {"ran": 0}

    def poll(s):
        if state["ran"] >= 2:
            raise Denied("poll")
        state["ran"] += 1
        return F.poll(s)

    return drive_native(F.build_polling(poll), inp, None)


@pytest.mark.parametrize("case", sorted(POLL_CASES))
def test_local_node_max_calls_equals_rule_in_the_graph(case, tmp_path, monkeypatch):
    expected = native_poll(POLL_CASES[case])
    policy(tmp_path, monkeypatch, POLL_POLICY)
    assert run_local(REFS["polling"], POLL_CASES[case], None, tmp_path) == expected


@pytest.mark.parametrize("case", sorted(POLL_CASES))
def test_conductor_node_max_calls_equals_rule_in_the_graph(case, tmp_path, monkeypatch):
    expected = native_poll(POLL_CASES[case])
    policy(tmp_path, monkeypatch, POLL_POLICY)
    assert run_conductor(REFS["polling"], POLL_CASES[case], None, tmp_path / "out") == expected


def test_temporal_node_max_calls_equals_rule_in_the_graph(temporal_address, tmp_path, monkeypatch):
    expected = native_poll(POLL_CASES["past"])
    policy(tmp_path, monkeypatch, POLL_POLICY)
    got = asyncio.run(
        run_temporal(REFS["polling"], POLL_CASES["past"], None, temporal_address, tmp_path / "code")
    )
    assert got == expected


# ---------------------------------------------------------------- bad policies: exit 2
BAD = [
    ("unknown ToolNode tool", "graph", "[policies.tools.truncate]\ndeny = true\n", 1,
     "no tool 'truncate' in the ToolNodes"),
    ("predicate on a missing arg", "graph",
     "[policies.tools.delete_rows]\nrequire_approval = 'args.limit > 5'\n", 2,
     "reads args.limit"),
    ("ToolNode tool timeout", "graph", "[policies.tools.count_rows]\ntimeout = 3\n", 2,
     "not supported yet"),
    ("unknown subgraph node", "nested", '[policies.nodes."ops/drop"]\ndeny = true\n', 1,
     "no node 'ops/drop'"),
    ("subgraph node key", "nested",
     '[policies.nodes."ops/migrate"]\ndeny = "state.table == 1"\n', 2, "reads state.table"),
    ("external in a subgraph", "nested", '[policies.nodes."ops/plan"]\nexternal = true\n', 2,
     "not supported yet"),
    ("max_calls not a number", "polling", "[policies.nodes.poll]\nmax_calls = 'two'\n", 2,
     "whole number"),
]


@pytest.mark.parametrize("name,ref,text,line,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_graph_policies_exit_2_with_the_line(name, ref, text, line, needle, tmp_path):
    import subprocess
    import sys

    p = tmp_path / "p.toml"
    p.write_text(text)
    out = subprocess.run(
        [sys.executable, "-m", "agentc.cli", "--policy", str(p), "compile", REFS[ref],
         "--target", "local", "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 2, out.stderr
    assert needle in out.stderr and f"p.toml:{line}" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


# ---------------------------------------------------------------- agentc check's proof
def proved(ref, text, tmp_path):
    from agentc.policies import apply_policies
    from agentc.policy_proof import prove
    from agentc.refs import load_ref

    p = tmp_path / "p.toml"
    p.write_text(text)
    return prove(apply_policies(agentc.load(ref), load_ref(ref), p))


def test_proof_covers_tool_node_tools(tmp_path):
    found = proved(REFS["graph"], "[policies.tools.drop_table]\nirreversible = true\n"
                   "require_approval = 'args.table.startsWith(\"prod_\")'\n", tmp_path)
    assert len(found) == 1 and found[0].code.value == "AC411" and found[0].line == 1
    assert "__start__ -> assistant -> tools -> drop_table(...)" in found[0].message
    assert "may be false" in found[0].message
    # an approval of every call, or of the ToolNode itself, proves it
    assert proved(REFS["graph"], "[policies.tools.drop_table]\nirreversible = true\n"
                  "require_approval = true\n", tmp_path) == []
    assert proved(REFS["graph"], "[policies.tools.drop_table]\nirreversible = true\n\n"
                  "[policies.nodes.tools]\nrequire_approval = true\n", tmp_path) == []


def test_proof_covers_subgraph_nodes(tmp_path):
    found = proved(REFS["nested"], '[policies.nodes."ops/migrate"]\nirreversible = true\n', tmp_path)
    assert len(found) == 1 and "ops/__start__ -> ops/plan -> ops/migrate" in found[0].message, found
    assert proved(REFS["nested"], '[policies.nodes."ops/migrate"]\nirreversible = true\n\n'
                  '[policies.nodes."ops/plan"]\nrequire_approval = true\n', tmp_path) == []
