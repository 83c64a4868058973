"""The policy file (docs/policies.md): bad policies are diagnostics naming the file and
line (exit 2); good ones are carried in the IR and its fingerprint; the database-admin
agent (fixtures/openai_agents/db_admin.py, fixtures/policies/db_admin.toml) run by the
local executor gives what ``Runner.run`` gives on the same agent with the rules written
by hand in SDK code (tests/policy_oracle.py); a denied tool never runs."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

import openai_agents_oracle as O
import policy_oracle as P

import agentc
from agentc import ir as IR
from agentc.errors import AgentcError
from agentc.policies import apply_policies
from agentc.refs import load_ref
from agentc.fixtures.openai_agents import db_admin
from agentc.fixtures.openai_agents.fake_model import recording

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "fixtures" / "policies" / "db_admin.toml"
DB_ADMIN = "agentc.fixtures.openai_agents.db_admin:agent"
HITL = "agentc.fixtures.langgraph.hitl_review:graph"
ASK = "please drop staging_tmp and delete old rows of prod_users and archive 50 and archive 5000 and archive 7"


def write(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ---------------------------------------------------------------- diagnostics
BAD = [
    ("unknown tool", '[policies.tools.rm_rf]\ndeny = true\n', DB_ADMIN, 1, "no tool 'rm_rf'"),
    ("CEL does not parse", '[policies.run]\nmax_turns = 4\n\n[policies.tools.archive_rows]\nrequire_approval = "args.rows >"\n',
     DB_ADMIN, 5, "does not parse as CEL"),
    ("argument the tool lacks", '[policies.tools.delete_records]\nmax_calls = 1\nrequire_approval = "args.rows > 5"\n',
     DB_ADMIN, 3, "args.rows, which tool 'delete_records' does not have"),
    ("unknown rule", '[policies.tools.drop_table]\nforbid = true\n', DB_ADMIN, 2, "unknown rule 'forbid'"),
    ("unknown section", '[policies.agents.x]\ndeny = true\n', DB_ADMIN, 1, "unknown policy section 'agents'"),
    ("wrong variable", '[policies.tools.drop_table]\ndeny = "state.table == \'x\'"\n', DB_ADMIN, 2, "reads 'state'"),
    ("wrong type", '[policies.tools.drop_table]\nmax_calls = "two"\n', DB_ADMIN, 2, "must be a whole number"),
    ("bad on_deny", '[policies.run]\non_deny = "ignore"\n', DB_ADMIN, 2, "on_deny"),
    ("tool rule on a graph", '[policies.tools.review]\ndeny = true\n', HITL, 1, "in the ToolNodes of graph"),
    ("unknown node", '[policies.nodes.deploy]\ndeny = true\n', HITL, 1, "no node 'deploy'"),
    ("node key it lacks", '[policies.nodes.review]\nrequire_approval = "state.budget > 3"\n', HITL, 2,
     "which node input 'review' does not have"),
    ("not TOML", '[policies.run\nmax_turns = 1\n', DB_ADMIN, 1, "not valid TOML"),
]


@pytest.mark.parametrize("what,text,ref,line,message", BAD, ids=[b[0] for b in BAD])
def test_bad_policy_is_a_diagnostic_with_file_and_line(what, text, ref, line, message, tmp_path):
    path = write(tmp_path, text)
    with pytest.raises(AgentcError) as exc:
        apply_policies(agentc.load(ref), load_ref(ref), path)
    d = exc.value.diagnostic
    assert d.code.value == "AC410" and message in d.message, d.render()
    assert (Path(d.file).name, d.line) == ("policy.toml", line), d.render()


def test_cli_bad_policy_exits_2_naming_file_and_line(tmp_path):
    write(tmp_path, '[policies.tools.archive_rows]\nrequire_approval = "args.rows >"\n')
    r = subprocess.run([sys.executable, "-m", "agentc.cli", "--policy", "policy.toml", "compile", DB_ADMIN,
                        "-t", "ir", "-o", "out"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "AC410" in r.stderr and "--> policy.toml:2" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_pyproject_table_is_read(tmp_path, monkeypatch):
    write(tmp_path, '[project]\nname = "x"\n\n[tool.agentc.policies.tools.drop_table]\ndeny = true\nirreversible = 1\n',
          "pyproject.toml")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AgentcError) as exc:
        agentc.load(DB_ADMIN)
    assert (exc.value.diagnostic.file, exc.value.diagnostic.line) == ("pyproject.toml", 6)


# ---------------------------------------------------------------- IR carriage
def test_policies_are_in_the_ir_and_its_fingerprint(monkeypatch):
    plain = agentc.load(DB_ADMIN)
    assert plain.policies is None and "policies" not in IR.dump(plain)
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    wf = agentc.load(DB_ADMIN)
    assert wf.policies.tool("delete_records").require_approval is True
    assert wf.policies.tool("archive_rows").require_approval == "args.rows > 1000"
    assert wf.policies.tool("drop_table").source.line == 14
    assert IR.load(IR.dump(wf)) == wf
    assert IR.fingerprint(wf) != IR.fingerprint(plain)
    with pytest.raises(Exception):  # frozen
        wf.policies.run.max_turns = 99  # type: ignore[misc]


# ---------------------------------------------------------------- the oracle: rules in SDK code
def native_rules() -> tuple[dict[str, P.Rule], int]:
    return {"delete_records": P.Rule(approval=lambda a: True),
            "drop_table": P.Rule(deny=lambda a: True, message="drop_table is not allowed by the DBA policy."),
            "archive_rows": P.Rule(approval=lambda a: a["rows"] > 1000, max_calls=2)}, 6


def run_native(ask: str, decide) -> dict:
    rules, total = native_rules()
    agent = P.policed(db_admin.agent, rules, total, P.Counts())
    db_admin.EXECUTED.clear()
    pauses: list = []

    async def go():
        from agents import Runner

        with recording() as log:
            result = await Runner.run(agent, ask, max_turns=8)
            while result.interruptions:
                pauses.append(sorted(i.tool_name for i in result.interruptions))
                state = result.to_state()
                for item in state.get_interruptions():
                    if decide(item.tool_name, json.loads(item.arguments)):
                        state.approve(item)
                    else:
                        state.reject(item)
                result = await Runner.run(agent, state, max_turns=8)
        return {"final_output": result.final_output, "model_calls": O.model_calls(log)}

    out = asyncio.run(go())
    return {**out, "executed": sorted(db_admin.EXECUTED), "pauses": pauses}


def approvals_for(pending, decide) -> dict:
    value = {"approve": [], "reject": []}
    for p in pending:
        value["approve" if decide(p["tool"], p["arguments"]) else "reject"].append(p["id"])
    return value


def run_local(ask: str, decide, tmp_path: Path) -> dict:
    db_admin.EXECUTED.clear()
    db = tmp_path / "runs.db"
    pauses = []
    with recording() as log:
        out = agentc.run(DB_ADMIN, ask, db=db)
        while out.status == "waiting":
            pauses.append(sorted(p["tool"] for p in out.interrupts))
            out = agentc.resume(out.run_id, approvals_for(out.interrupts, decide), db=db)
    return {"final_output": out.output["final_output"], "model_calls": O.model_calls(log),
            "executed": sorted(db_admin.EXECUTED), "pauses": pauses}


DECISIONS = {
    "approve_all": lambda tool, args: True,
    "reject_delete": lambda tool, args: tool != "delete_records",
    "reject_all": lambda tool, args: False,
}


@pytest.mark.parametrize("name", sorted(DECISIONS))
def test_local_db_admin_equals_runner_run_with_rules_in_code(name, tmp_path, monkeypatch):
    decide = DECISIONS[name]
    native = run_native(ASK, decide)
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    got = run_local(ASK, decide, tmp_path)
    assert got == native
    assert not any(e.startswith("drop") for e in got["executed"])  # denied: never ran
    assert ("delete staging_tmp created < '2020-01-01'" in got["executed"]) == decide("delete_records", {})
    assert got["pauses"] == [["archive_rows", "delete_records"]]


def test_without_the_policy_the_destructive_tools_run(tmp_path):
    """The regression baseline: the same request without a policy drops the table."""
    got = run_local(ASK, lambda t, a: True, tmp_path)
    assert "drop staging_tmp" in got["executed"] and got["pauses"] == []


def test_on_deny_fail_ends_the_run_before_the_tool_runs(tmp_path, monkeypatch):
    text = POLICY.read_text().replace('on_deny = "refuse"', 'on_deny = "fail"')
    monkeypatch.setenv("AGENTC_POLICY", str(write(tmp_path, text)))
    db_admin.EXECUTED.clear()
    with pytest.raises(agentc.errors.RunFailed) as exc:
        agentc.run(DB_ADMIN, "drop staging_tmp", db=tmp_path / "runs.db")
    d = exc.value.diagnostic
    assert d.code.value == "AC310" and "drop_table" in d.message and d.line == 14, d.render()
    assert db_admin.EXECUTED == []


def test_max_turns_of_the_policy_lowers_the_sdk_limit(tmp_path, monkeypatch):
    text = POLICY.read_text().replace("max_turns = 8", "max_turns = 1")
    monkeypatch.setenv("AGENTC_POLICY", str(write(tmp_path, text)))
    with pytest.raises(agentc.errors.RunFailed) as exc:
        agentc.run(DB_ADMIN, "archive 5 of staging_tmp", db=tmp_path / "runs.db")
    assert exc.value.diagnostic.code.value == "AC304"


def test_inspect_lists_the_policy(monkeypatch):
    from agentc.inspect import summary

    assert "policy" not in summary(agentc.load(DB_ADMIN))
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    text = summary(agentc.load(DB_ADMIN))
    assert "policy tool archive_rows: require_approval when args.rows > 1000, max_calls 2" in text
    assert "policy tool drop_table: deny  (" in text and "db_admin.toml:14)" in text
