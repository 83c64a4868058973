"""`agentc check`'s proof that every call of an irreversible tool or node is preceded by
an approval on every path (compiler/policy_proof.py, docs/policies.md "Proofs"): proven
policies pass, each way around an approval is reported with the path that breaks it."""
from __future__ import annotations

import operator
import subprocess
import sys
from pathlib import Path
from typing import Annotated, TypedDict


import agentc
from agentc.policies import apply_policies
from agentc.policy_proof import prove
from agentc.refs import load_ref

ROOT = Path(__file__).resolve().parents[1]
DB_ADMIN = "agentc.fixtures.openai_agents.db_admin:agent"
MIGRATION = "agentc.fixtures.langgraph.db_migration:graph"


def proved(ref, text, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return prove(apply_policies(agentc.load(ref), load_ref(ref), path))


def test_db_admin_fixture_policy_is_proven():
    wf = apply_policies(agentc.load(DB_ADMIN), load_ref(DB_ADMIN), ROOT / "fixtures" / "policies" / "db_admin.toml")
    assert wf.policies.tool("delete_records").irreversible and prove(wf) == []


def test_conditional_approval_of_an_irreversible_tool_is_a_violation(tmp_path):
    found = proved(DB_ADMIN, '[policies.tools.delete_records]\nirreversible = true\n'
                             'require_approval = \'args.table.startsWith("prod_")\'\n', tmp_path)
    assert len(found) == 1
    d = found[0]
    assert d.code.value == "AC411" and d.line == 1 and Path(d.file).name == "policy.toml"
    assert "DB Admin -> delete_records(...)" in d.message and "may be false" in d.message


def test_denied_irreversible_tool_is_proven(tmp_path):
    assert proved(DB_ADMIN, '[policies.tools.drop_table]\nirreversible = true\ndeny = true\n', tmp_path) == []


def test_irreversible_node_needs_a_gate_on_every_path(tmp_path):
    found = proved(MIGRATION, '[policies.nodes.migrate]\nirreversible = true\n'
                              "require_approval = 'state.rows > 1000'\n", tmp_path)
    assert [d.message.split(": ", 2)[-1].split(" (")[0] for d in found] == ["__start__ -> plan -> migrate"]
    # an unconditional approval before it closes every path
    assert proved(MIGRATION, '[policies.nodes.migrate]\nirreversible = true\n\n'
                             '[policies.nodes.plan]\nrequire_approval = true\n', tmp_path) == []


class S(TypedDict, total=False):
    n: Annotated[list[int], operator.add]


def _loop_graph():
    from langgraph.graph import END, START, StateGraph

    b = StateGraph(S)
    b.add_node("approve_batch", lambda s: {"n": [0]})
    b.add_node("charge", lambda s: {"n": [1]})
    b.add_edge(START, "approve_batch")
    b.add_edge("approve_batch", "charge")
    b.add_conditional_edges("charge", lambda s: "charge" if len(s["n"]) < 3 else END, ["charge", END])
    return b.compile()


loop_graph = _loop_graph()


def test_a_loop_back_to_the_node_without_a_gate_is_a_violation(tmp_path):
    ref = "test_policy_proof:loop_graph"
    found = proved(ref, '[policies.nodes.charge]\nirreversible = true\n\n'
                        '[policies.nodes.approve_batch]\nrequire_approval = true\n', tmp_path)
    assert len(found) == 1 and "charge -> charge" in found[0].message, found


def test_agentc_check_fails_with_the_path(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.agentc]\nout = "build"\ntargets = ["ir"]\n'
        f'agents = ["{MIGRATION}"]\n\n'
        "[tool.agentc.policies.nodes.migrate]\nirreversible = true\nrequire_approval = 'state.rows > 1000'\n")
    r = subprocess.run([sys.executable, "-m", "agentc.cli", "check", "--update"], capture_output=True, text=True,
                       cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "AC411" in r.stderr and "__start__ -> plan -> migrate" in r.stderr and "pyproject.toml:6" in r.stderr, r.stderr
    (tmp_path / "pyproject.toml").write_text(
        (tmp_path / "pyproject.toml").read_text().replace("'state.rows > 1000'", "true"))
    r = subprocess.run([sys.executable, "-m", "agentc.cli", "check", "--update"], capture_output=True, text=True,
                       cwd=tmp_path)
    assert r.returncode == 0 and "irreversible steps always approved" in r.stdout, r.stdout + r.stderr
