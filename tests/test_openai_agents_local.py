"""OpenAI Agents SDK agent systems on the local durable target, against the oracle
(``Runner.run`` itself, tests/openai_agents_oracle.py): for every case the final output,
the last agent, the error (tripwires name their guardrail) and the ordered list of model
calls — each identified by a digest of its whole request, so the history each turn saw,
tool calls, their arguments and outputs included — are the SDK's. Approval pauses resume
in a fresh process; SIGKILL at every step of several runs loses nothing and repeats no
completed model turn or tool call."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

import openai_agents_oracle as O

import agentc
from agentc.fixtures.openai_agents.fake_model import recording

CASES = O.load_cases()
HERE = Path(__file__).parent


decide = O.approval_value


def compiled(case, db):
    with recording() as log:
        try:
            out = agentc.run(case["ref"], case["input"], db=db, context=O.make_context(case),
                             recursion_limit=case.get("max_turns"))
            pauses = 0
            while out.status == "waiting":
                pauses += 1
                out = agentc.resume(out.run_id, decide(case, out.interrupts), db=db)
            got = {"final_output": out.output["final_output"], "last_agent": out.output["last_agent"], "error": None}
        except agentc.errors.RunFailed as e:
            got = {"final_output": None, "last_agent": None, "error": e.diagnostic}
    got["model_calls"] = O.model_calls(log)
    return got


@pytest.mark.parametrize("name", sorted(CASES))
def test_local_run_equals_runner_run(name, tmp_path):
    case = CASES[name]
    native = O.run_native(case)
    O.assert_same_run(compiled(case, str(tmp_path / "runs.db")), native)


def test_cli_prints_final_output_and_tripwire_exit_status(tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "agentc.cli", *args, "--db", str(tmp_path / "r.db")],
                              capture_output=True, text=True, timeout=300)

    ok = CASES["recipe_extractor"]
    r = cli("run", ok["ref"], "--input", json.dumps(ok["input"]))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"final_output": O.run_native(ok)["final_output"], "last_agent": "Recipe Extractor"}
    trip = CASES["pii_filter_trip"]
    r = cli("run", trip["ref"], "--input", json.dumps(trip["input"]))
    assert r.returncode == 1 and "AC303" in r.stderr and "'pii_blocker'" in r.stderr
    assert "Traceback" not in r.stderr


def test_approval_pause_resumes_in_another_process(tmp_path):
    """The pause leaves nothing resident: the decisions are given to a fresh process."""
    case = CASES["travel_booker"]
    db = str(tmp_path / "runs.db")
    out = agentc.run(case["ref"], case["input"], db=db, context=O.make_context(case), run_id="trip")
    assert out.status == "waiting" and sorted(p["tool"] for p in out.interrupts) == ["book_flight", "book_hotel"]
    value = decide(case, out.interrupts)
    code = ("import json, sys, agentc; o = agentc.resume('trip', json.loads(sys.argv[1]), db=sys.argv[2]); "
            "print(json.dumps(o.to_json()))")
    r = subprocess.run([sys.executable, "-c", code, json.dumps(value), db], capture_output=True, text=True,
                       timeout=300, cwd=HERE.parent)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["final_output"] == O.run_native(case)["final_output"]


def test_bad_approval_value_is_a_diagnostic(tmp_path):
    case = CASES["travel_booker"]
    db = str(tmp_path / "runs.db")
    out = agentc.run(case["ref"], case["input"], db=db, context=O.make_context(case))
    with pytest.raises(agentc.errors.AgentcError) as e:
        agentc.resume(out.run_id, {"approve": ["book_flight"]}, db=db)
    assert e.value.diagnostic.code.value == "AC112" and "book_hotel" in e.value.diagnostic.hint


CRASH_CASES = ["triage_refund", "math_tutor", "research_assistant", "travel_booker", "order_status"]


def driver(*args):
    r = subprocess.run([sys.executable, str(HERE / "agents_crash_driver.py"), *args], capture_output=True,
                       text=True, timeout=300, cwd=HERE.parent)
    return r


@pytest.mark.parametrize("name", CRASH_CASES)
def test_sigkill_at_every_step_then_resume(name, tmp_path):
    case = CASES[name]
    native = O.run_native(case)
    full = driver("start", name, str(tmp_path / "full.db"), "0", str(tmp_path / "full.json"))
    assert full.returncode == 0, full.stderr
    total = len(json.loads((tmp_path / "full.json").read_text()))
    assert total >= 2
    for k in range(1, total + 1):
        db, r1, r2 = (str(tmp_path / f"k{k}.{x}") for x in ("db", "first.json", "second.json"))
        first = driver("start", name, db, str(k), r1)
        assert first.returncode == -9, (k, first.stderr[-2000:])  # killed after its k-th commit
        second = driver("resume", name, db, "0", r2)
        assert second.returncode == 0, (k, second.stderr[-2000:])
        done = json.loads(second.stdout)
        assert done["result"]["status"] == "done"
        assert done["result"]["output"]["final_output"] == native["final_output"]
        ran_first = json.loads(Path(r1).read_text())
        ran_second = json.loads(Path(r2).read_text())
        assert len(ran_first) == k
        assert not set(ran_first) & set(ran_second), f"k={k}: steps ran twice: {set(ran_first) & set(ran_second)}"
        assert sorted(ran_first + ran_second) == sorted(json.loads((tmp_path / "full.json").read_text()))


def test_inspect_shows_the_agent_system():
    r = subprocess.run([sys.executable, "-m", "agentc.cli", "inspect", "agentc.fixtures.openai_agents.triage:agent"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "handoff transfer_to_billing -> Billing" in r.stdout
    assert 'a_Triage -->|"handoff transfer_to_billing"| a_Billing' in r.stdout


def test_mcp_servers_are_refused_with_a_diagnostic():
    from agents import Agent
    from agents.mcp import MCPServer

    class Remote(MCPServer):  # a real MCPServer subclass: its tools come from elsewhere at run time
        name = "remote"

        async def connect(self): ...
        async def cleanup(self): ...
        async def list_tools(self, *a, **k): return []
        async def call_tool(self, *a, **k): ...
        async def list_prompts(self, *a, **k): ...
        async def get_prompt(self, *a, **k): ...

    with pytest.raises(agentc.errors.AgentcError) as e:
        agentc.load(Agent(name="uses-mcp", mcp_servers=[Remote()]))
    d = e.value.diagnostic
    assert d.code.value == "AC200" and "MCP" in d.message and "function_tool" in d.hint


def test_a_function_is_not_an_agent():
    def orchestrate():  # Python orchestration around Runner.run: nothing to read
        return None

    with pytest.raises(agentc.errors.AgentcError) as e:
        agentc.load(orchestrate)
    assert e.value.diagnostic.code.value == "AC103" and "Runner.run" in e.value.diagnostic.hint
