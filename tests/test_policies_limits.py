"""Per-tool ``timeout`` and ``args_schema`` and the run's ``max_tokens`` (docs/policies.md,
"Timeouts", "Argument schemas", "Token budget") on the local executor, the Conductor
simulator and the Temporal dev server, each compared with ``Runner.run`` on the same agent
with the rules written by hand in SDK code (tests/policy_oracle.py): the tool's own
``timeout_seconds``, a wrapper refusing arguments that break the schema, and — for the
budget, which the SDK has no rule for — the native run's first model calls."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

import openai_agents_oracle as O
import policy_oracle as P
from test_policies import DB_ADMIN, POLICY, native_rules, write

import agentc
from agentc.errors import AgentcError
from agentc.fixtures.openai_agents import db_admin
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.policies import apply_policies
from agentc.refs import load_ref
from agentc.targets.conductor.simulate import Simulation

TIMEOUT_ASK = "backup prod_users and archive 7"
SCHEMA_ASK = "archive 200000 of prod_logs and archive 7"
BUDGET_ASK = "archive 7 of staging_tmp"
TIMEOUT_MSG = "Tool 'backup_table' timed out after 0.5 seconds."


def rules() -> tuple[dict[str, P.Rule], int]:
    """The fixture policy in SDK code: native_rules() plus the schema as a Python check and
    the timeout as the tool's own ``timeout_seconds``."""
    out, total = native_rules()
    out["archive_rows"].deny = lambda a: not (isinstance(a.get("rows"), int) and 1 <= a["rows"] <= 100000)
    out["backup_table"] = P.Rule(timeout=0.5)
    return out, total


def run_native(ask: str) -> dict:
    r, total = rules()
    agent = P.policed(db_admin.agent, r, total, P.Counts())
    db_admin.EXECUTED.clear()

    async def go():
        from agents import Runner

        with recording() as log:
            result = await Runner.run(agent, ask, max_turns=8)
        assert not result.interruptions
        usage = [resp.usage.total_tokens for resp in result.raw_responses]
        return {"final_output": result.final_output, "model_calls": O.model_calls(log)}, usage

    out, usage = asyncio.run(go())
    return {**out, "executed": sorted(db_admin.EXECUTED)}, usage


def run_local(ask: str, db: Path) -> dict:
    db_admin.EXECUTED.clear()
    with recording() as log:
        out = agentc.run(DB_ADMIN, ask, db=db)
    assert out.status != "waiting", out
    return {"final_output": out.output["final_output"], "model_calls": O.model_calls(log),
            "executed": sorted(db_admin.EXECUTED)}


def run_conductor(ask: str, folder: Path) -> dict:
    agentc.compile(DB_ADMIN, target="conductor").write(folder)
    db_admin.EXECUTED.clear()
    with recording() as log:
        out = Simulation.of(folder).start(ask)
    assert out.status != "waiting", out
    return {"final_output": out.output["final_output"], "model_calls": O.model_calls(log),
            "executed": sorted(db_admin.EXECUTED)}


async def run_temporal(ask: str, address: str, code: Path, calls: list | None = None) -> dict:
    """``calls``: receives the model calls' log even when the run fails."""
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    loaded = engine.load(DB_ADMIN, code)
    db_admin.EXECUTED.clear()
    with recording() as log:
        if calls is not None:
            calls.append(log)
        async with engine.running_worker(client, loaded, None):
            out = await engine.start(DB_ADMIN, address, ask, client=client)
    assert out.status != "waiting", out
    return {"final_output": out.output["final_output"], "model_calls": O.model_calls(log),
            "executed": sorted(db_admin.EXECUTED)}


# ---------------------------------------------------------------- diagnostics
BAD = [
    ("timeout not positive", '[policies.tools.backup_table]\ntimeout = 0\n', 2, "AC410", "must be positive"),
    ("timeout not a number", '[policies.tools.backup_table]\ntimeout = "5s"\n', 2, "AC410", "must be seconds"),
    ("schema not a JSON Schema", '[policies.tools.archive_rows]\nmax_calls = 1\nargs_schema = { type = "whole" }\n',
     3, "AC410", "is not a valid JSON Schema"),
    ("schema names an argument the tool lacks",
     '[policies.tools.archive_rows]\n\n[policies.tools.archive_rows.args_schema]\ntype = "object"\n'
     'properties = { count = { type = "integer" } }\n', 3, "AC410", "names count, which the tool does not take"),
    ("schema not a table", '[policies.tools.archive_rows]\nargs_schema = "rows < 5"\n', 2, "AC410", "must be a table"),
    ("max_tokens zero", '[policies.run]\nmax_turns = 3\nmax_tokens = 0\n', 3, "AC410", "max_tokens must be at least 1"),
]


@pytest.mark.parametrize("what,text,line,code,message", BAD, ids=[b[0] for b in BAD])
def test_bad_limit_is_a_diagnostic_with_file_and_line(what, text, line, code, message, tmp_path):
    with pytest.raises(AgentcError) as exc:
        apply_policies(agentc.load(DB_ADMIN), load_ref(DB_ADMIN), write(tmp_path, text))
    d = exc.value.diagnostic
    assert d.code.value == code and message in d.message, d.render()
    assert (Path(d.file).name, d.line) == ("policy.toml", line), d.render()


def test_node_timeout_on_a_sync_node_is_refused_not_dropped(tmp_path):
    # LangGraph bounds only async nodes (compile() refuses a sync node's timeout); so does
    # the policy (async nodes: tests/test_node_timeouts.py)
    ref = "agentc.fixtures.langgraph.db_migration:graph"
    with pytest.raises(AgentcError) as exc:
        apply_policies(agentc.load(ref), load_ref(ref), write(tmp_path, '[policies.nodes.migrate]\ntimeout = 30\n'))
    d = exc.value.diagnostic
    assert d.code.value == "AC200" and (Path(d.file).name, d.line) == ("policy.toml", 2), d.render()
    assert "not an async function node" in d.message, d.render()


def test_timeout_on_an_agent_used_as_a_tool_is_refused_not_dropped(tmp_path):
    ref = "agentc.fixtures.openai_agents.research_assistant:agent"
    with pytest.raises(AgentcError) as exc:
        apply_policies(agentc.load(ref), load_ref(ref),
                       write(tmp_path, '[policies.tools.summarize_notes]\nmax_calls = 2\ntimeout = 30\n'))
    d = exc.value.diagnostic
    assert d.code.value == "AC200" and (Path(d.file).name, d.line) == ("policy.toml", 3), d.render()


def test_cli_bad_schema_exits_2_naming_file_and_line(tmp_path):
    write(tmp_path, '[policies.tools.archive_rows]\nargs_schema = { type = "object", properties = { rows = 5 } }\n')
    r = subprocess.run([sys.executable, "-m", "agentc.cli", "--policy", "policy.toml", "compile", DB_ADMIN,
                        "-t", "ir", "-o", "out"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "AC410" in r.stderr and "--> policy.toml:2" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_limits_are_in_the_ir(monkeypatch):
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    wf = agentc.load(DB_ADMIN)
    assert wf.policies.tool("backup_table").timeout == 0.5 and wf.policies.run.max_tokens == 50000
    assert json.loads(wf.policies.tool("archive_rows").args_schema)["properties"]["rows"]["maximum"] == 100000
    assert agentc.ir.load(agentc.ir.dump(wf)) == wf
    from agentc.inspect import summary

    text = summary(wf)
    assert "policy tool backup_table: timeout 0.5 s" in text and "max_tokens 50000" in text
    assert "policy tool archive_rows: require_approval when args.rows > 1000, max_calls 2, args_schema" in text


# ---------------------------------------------------------------- timeout
def test_local_timeout_equals_the_sdks_own_timeout(tmp_path, monkeypatch):
    native, _ = run_native(TIMEOUT_ASK)
    assert TIMEOUT_MSG in native["final_output"] and "backup prod_users" not in native["executed"]
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    assert run_local(TIMEOUT_ASK, tmp_path / "runs.db") == native


def test_without_the_policy_the_slow_tool_runs_to_its_end(tmp_path, monkeypatch):
    """The regression baseline: no policy, no timeout (a shorter backup, to keep it quick)."""
    monkeypatch.setattr(db_admin, "BACKUP_SECONDS", 0.6)
    got = run_local(TIMEOUT_ASK, tmp_path / "runs.db")
    assert "backup prod_users" in got["executed"] and "timed out" not in got["final_output"]


def test_timeout_with_on_deny_fail_fails_the_run(tmp_path, monkeypatch):
    text = POLICY.read_text().replace('on_deny = "refuse"', 'on_deny = "fail"')
    monkeypatch.setenv("AGENTC_POLICY", str(write(tmp_path, text)))
    db_admin.EXECUTED.clear()
    with pytest.raises(agentc.errors.RunFailed) as exc:
        agentc.run(DB_ADMIN, "backup prod_users", db=tmp_path / "runs.db")
    d = exc.value.diagnostic
    assert d.code.value == "AC314" and "backup_table" in d.message and d.line == 24, d.render()
    assert db_admin.EXECUTED == []


def test_conductor_timeout_with_on_deny_fail_is_a_terminal_failure(tmp_path, monkeypatch):
    text = POLICY.read_text().replace('on_deny = "refuse"', 'on_deny = "fail"')
    monkeypatch.setenv("AGENTC_POLICY", str(write(tmp_path, text)))
    agentc.compile(DB_ADMIN, target="conductor").write(tmp_path / "c")
    db_admin.EXECUTED.clear()
    with pytest.raises(agentc.errors.RunFailed) as exc:
        Simulation.of(tmp_path / "c").start("backup prod_users")
    assert "AC314" in exc.value.diagnostic.render() and "backup_table" in exc.value.diagnostic.render()
    assert db_admin.EXECUTED == []


def test_engines_get_the_timeout_as_the_tool_steps_own(monkeypatch, tmp_path):
    """Conductor's TaskDef and Temporal's activity options for the governed tool follow the
    policy's timeout (plus the grace the worker needs to report it), the others keep the default."""
    from agentc.targets.conductor.lowering import TIMEOUT_S

    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    art = agentc.compile(DB_ADMIN, target="conductor")
    art.write(tmp_path / "c")
    defs = {d["name"]: d for d in json.loads((tmp_path / "c" / "taskdefs.json").read_text())}
    backup = next(d for n, d in defs.items() if n.endswith("backup_table"))
    archive = next(d for n, d in defs.items() if n.endswith("archive_rows"))
    assert backup["timeoutSeconds"] == backup["responseTimeoutSeconds"] < archive["timeoutSeconds"] == TIMEOUT_S
    assert backup["timeoutPolicy"] == "TIME_OUT_WF"
    agentc.compile(DB_ADMIN, target="temporal").write(tmp_path / "t")
    code = "\n".join(p.read_text() for p in (tmp_path / "t").rglob("*.py"))
    assert f"timedelta(seconds={float(backup['timeoutSeconds'])!r})" in code


def test_conductor_timeout_equals_the_sdks_own_timeout(tmp_path, monkeypatch):
    native, _ = run_native(TIMEOUT_ASK)
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    assert run_conductor(TIMEOUT_ASK, tmp_path) == native


def test_temporal_timeout_equals_the_sdks_own_timeout(temporal_address, tmp_path, monkeypatch):
    native, _ = run_native(TIMEOUT_ASK)
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    assert asyncio.run(run_temporal(TIMEOUT_ASK, temporal_address, tmp_path / "code")) == native


# ---------------------------------------------------------------- argument schema
def test_local_schema_refuses_like_a_denied_call(tmp_path, monkeypatch):
    native, _ = run_native(SCHEMA_ASK)
    assert native["executed"] == ["archive prod_logs 7"]
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    assert run_local(SCHEMA_ASK, tmp_path / "runs.db") == native  # no pause: refused calls need no approval


def test_without_the_schema_the_bad_call_runs(tmp_path, monkeypatch):
    text = "\n".join(line for line in POLICY.read_text().splitlines() if not line.startswith("args_schema"))
    monkeypatch.setenv("AGENTC_POLICY", str(write(tmp_path, text)))
    db_admin.EXECUTED.clear()
    out = agentc.run(DB_ADMIN, SCHEMA_ASK, db=tmp_path / "runs.db")
    assert out.status == "waiting" and [p["tool"] for p in out.interrupts] == ["archive_rows"]  # 200000 > 1000


def test_schema_with_on_deny_fail_fails_before_the_tool_runs(tmp_path, monkeypatch):
    text = POLICY.read_text().replace('on_deny = "refuse"', 'on_deny = "fail"')
    monkeypatch.setenv("AGENTC_POLICY", str(write(tmp_path, text)))
    db_admin.EXECUTED.clear()
    with pytest.raises(agentc.errors.RunFailed) as exc:
        agentc.run(DB_ADMIN, "archive 200000 of prod_logs", db=tmp_path / "runs.db")
    d = exc.value.diagnostic
    assert d.code.value == "AC310" and "args_schema" in d.message and "200000 is greater than" in d.message, d.render()
    assert db_admin.EXECUTED == []


def test_conductor_schema_refuses_like_a_denied_call(tmp_path, monkeypatch):
    native, _ = run_native(SCHEMA_ASK)
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    assert run_conductor(SCHEMA_ASK, tmp_path) == native


def test_temporal_schema_refuses_like_a_denied_call(temporal_address, tmp_path, monkeypatch):
    native, _ = run_native(SCHEMA_ASK)
    monkeypatch.setenv("AGENTC_POLICY", str(POLICY))
    assert asyncio.run(run_temporal(SCHEMA_ASK, temporal_address, tmp_path / "code")) == native


# ---------------------------------------------------------------- token budget
def budget_policy(tmp_path: Path) -> tuple[Path, dict, list[int]]:
    """A budget the run spends in its first two model calls (of three)."""
    native, usage = run_native(BUDGET_ASK)
    assert len(usage) == 3 and all(u > 0 for u in usage)
    text = POLICY.read_text().replace("max_tokens = 50000", f"max_tokens = {usage[0] + usage[1]}")
    return write(tmp_path, text), native, usage


def check_budget_failure(exc: pytest.ExceptionInfo, native: dict, log, usage: list[int]) -> None:
    d = exc.value.diagnostic  # the engines wrap the step's diagnostic in the run's: look at the text
    assert d.code.value == "AC315" and f"used {usage[0] + usage[1]} model tokens" in d.render(), d.render()
    assert "policy.toml:4 (policies.run.max_tokens)" in d.render(), d.render()
    assert O.model_calls(log) == native["model_calls"][:2]  # the third call never reached the model
    assert db_admin.EXECUTED == ["archive staging_tmp 7"]


def test_local_budget_ends_the_run_before_the_next_model_call_and_a_replay_agrees(tmp_path, monkeypatch):
    policy, native, usage = budget_policy(tmp_path)
    monkeypatch.setenv("AGENTC_POLICY", str(policy))
    db_admin.EXECUTED.clear()
    db = tmp_path / "runs.db"
    with recording() as log, pytest.raises(agentc.errors.RunFailed) as exc:
        agentc.run(DB_ADMIN, BUDGET_ASK, db=db, run_id="budget")
    check_budget_failure(exc, native, log, usage)
    with recording() as again, pytest.raises(agentc.errors.RunFailed) as exc2:  # the journal decides the same
        agentc.resume("budget", db=db)
    assert exc2.value.diagnostic.code.value == "AC315" and O.model_calls(again) == []
    assert db_admin.EXECUTED == ["archive staging_tmp 7"]


def test_a_budget_the_run_does_not_reach_changes_nothing(tmp_path, monkeypatch):
    native, usage = run_native(BUDGET_ASK)
    text = POLICY.read_text().replace("max_tokens = 50000", f"max_tokens = {sum(usage) - usage[2] + 1}")
    monkeypatch.setenv("AGENTC_POLICY", str(write(tmp_path, text)))
    assert run_local(BUDGET_ASK, tmp_path / "runs.db") == native


def test_conductor_budget_ends_the_run(tmp_path, monkeypatch):
    policy, native, usage = budget_policy(tmp_path)
    monkeypatch.setenv("AGENTC_POLICY", str(policy))
    agentc.compile(DB_ADMIN, target="conductor").write(tmp_path / "c")
    db_admin.EXECUTED.clear()
    with recording() as log, pytest.raises(agentc.errors.RunFailed) as exc:
        Simulation.of(tmp_path / "c").start(BUDGET_ASK)
    check_budget_failure(exc, native, log, usage)


def test_temporal_budget_ends_the_run(temporal_address, tmp_path, monkeypatch):
    policy, native, usage = budget_policy(tmp_path)
    monkeypatch.setenv("AGENTC_POLICY", str(policy))
    calls: list = []
    with pytest.raises(agentc.errors.RunFailed) as exc:
        asyncio.run(run_temporal(BUDGET_ASK, temporal_address, tmp_path / "code", calls))
    check_budget_failure(exc, native, calls[0], usage)


def test_budget_counts_the_model_calls_of_agents_used_as_tools(tmp_path, monkeypatch):
    """Budget = the outer agent's first call plus part of the nested one's: the nested call
    runs (it is under the budget when asked), and the outer agent's next call fails the run."""
    import policy_budget_agents as B
    from agents import Runner

    with recording() as log:
        native = asyncio.run(Runner.run(B.outer, "go"))
    first = native.raw_responses[0].usage.total_tokens
    nested = native.context_wrapper.usage.total_tokens - sum(r.usage.total_tokens for r in native.raw_responses)
    assert nested > 0 and [c["agent"] for c in O.model_calls(log)] == ["Outer", "Inner", "Outer"]
    monkeypatch.setenv("AGENTC_POLICY", str(write(tmp_path, f"[policies.run]\nmax_tokens = {first + nested}\n")))
    with recording() as got, pytest.raises(agentc.errors.RunFailed) as exc:
        agentc.run("policy_budget_agents:outer", "go", db=tmp_path / "runs.db")
    assert exc.value.diagnostic.code.value == "AC315" and f"used {first + nested} model tokens" in exc.value.diagnostic.message
    assert [c["agent"] for c in O.model_calls(got)] == ["Outer", "Inner"]
