"""OpenAI Agents SDK edge cases on the local target, the Conductor simulation and Temporal,
each against ``Runner.run`` (tests/openai_agents_oracle.py): typed run contexts given as
JSON or by a factory, user code that raises (a diagnostic naming it, a failed and
resumable run, bounded retries), tool timeouts and ``failure_error_function``, IR plan ids
stable across processes, runs started from Python resumable from the CLI. The agents are
in tests/agents_edges.py."""
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import openai_agents_oracle as O

import agentc
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.conductor.simulate import Simulation

HERE = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=ENV)


# ====================================================================== 16: plan ids across processes
@pytest.mark.parametrize("ref", ["agents_edges:loose_agent", "agents_edges:timeout_agent"])
def test_plan_id_is_the_same_in_every_process(ref, tmp_path):
    """Non-strict output types and retry settings (a policy function) once put memory
    addresses into the IR: the Conductor simulation refused its own artifact (AC122)."""
    code = ("import sys, agentc; from agentc.plan.layout import plan_id; "
            "print(plan_id(agentc.load(sys.argv[1])))")
    ids = set()
    for seed in ("1", "2", "3"):
        r = subprocess.run([sys.executable, "-c", code, ref], capture_output=True, text=True, timeout=300,
                           cwd=tmp_path, env={**ENV, "PYTHONHASHSEED": seed})
        assert r.returncode == 0, r.stderr
        ids.add(r.stdout.strip())
    assert len(ids) == 1, ids


def test_loose_output_type_simulates_after_compile(tmp_path):
    ref = "agents_edges:loose_agent"
    assert cli("compile", ref, "--target", "conductor", "--out", "c", cwd=tmp_path).returncode == 0
    r = cli("simulate", "c", "--input", '"hi"', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["final_output"] == O.run_native({"ref": ref, "input": "hi"})["final_output"]


# ====================================================================== 12: typed run contexts
MATH = O.load_cases()["math_tutor"]  # Agent[Student], context Student(name="Ada", grade=7)
TARGETS = ["local", "conductor", "temporal"]


def run_on(target, ref, input, tmp_path, *args, address=None):
    """``agentc run`` (local, temporal with its own worker) or compile + ``agentc simulate``."""
    if target == "conductor":
        r = cli("compile", ref, "--target", "conductor", "--out", "c", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        return cli("simulate", "c", "--input", json.dumps(input), *args, cwd=tmp_path)
    extra = ["--engine", "temporal", "--address", address, "--with-worker",
             "--task-queue", f"edges-{os.urandom(4).hex()}"] if target == "temporal" else ["--db", "r.db"]
    return cli("run", ref, "--input", json.dumps(input), *args, *extra, cwd=tmp_path)


def address_for(target, request):
    return request.getfixturevalue("temporal_address") if target == "temporal" else None


@pytest.mark.parametrize("target", TARGETS)
def test_context_json_becomes_the_declared_dataclass(target, tmp_path, request):
    """docs/openai-agents.md's math_tutor command: --context JSON arrives as a Student, as
    ``Runner.run(agent, input, context=Student(...))`` is given (it arrived as a dict and
    the instructions failed with AttributeError)."""
    r = run_on(target, MATH["ref"], MATH["input"], tmp_path, "--context", json.dumps(MATH["context"]["kwargs"]),
               address=address_for(target, request))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["final_output"] == O.run_native(MATH)["final_output"]


@pytest.mark.parametrize("target", TARGETS)
def test_context_json_becomes_a_pydantic_context_declared_by_a_tool(target, tmp_path, request):
    import agents_edges as E

    r = run_on(target, "agents_edges:bank_agent", "credit?", tmp_path, "--context", '{"holder": "Kim", "limit": 80}',
               address=address_for(target, request))
    assert r.returncode == 0, r.stderr
    native = asyncio.run(__import__("agents").Runner.run(E.bank_agent, "credit?", context=E.Account(holder="Kim",
                                                                                                    limit=80)))
    assert json.loads(r.stdout)["final_output"] == native.final_output == "Check the credit. | Kim may spend 80"


@pytest.mark.parametrize("target", ["local", "conductor"])
def test_context_factory_builds_what_json_cannot(target, tmp_path):
    import agents_edges as E
    from agents import Runner

    r = run_on(target, "agents_edges:opaque_agent", "hi", tmp_path, "--context", '{"secret": "xyzzy"}')
    assert r.returncode == 2 and "AC111" in r.stderr and "--context-factory" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    r = run_on(target, "agents_edges:opaque_agent", "hi", tmp_path, "--context", '{"secret": "xyzzy"}',
               "--context-factory", "agents_edges:make_opaque")
    assert r.returncode == 0, r.stderr
    native = asyncio.run(Runner.run(E.opaque_agent, "hi", context=E.make_opaque("xyzzy")))
    assert json.loads(r.stdout)["final_output"] == native.final_output == "The secret is xyzzy."


@pytest.mark.parametrize("target", ["local", "conductor"])
def test_context_json_that_does_not_fit_is_a_diagnostic(target, tmp_path):
    r = run_on(target, MATH["ref"], MATH["input"], tmp_path, "--context", '{"name": "Ada", "grade": "seventh"}')
    assert r.returncode == 2, r.stderr
    assert "AC111" in r.stderr and "Student" in r.stderr and "grade" in r.stderr and "math_tutor.py:" in r.stderr
    assert "Traceback" not in r.stderr


# ====================================================================== 17: runs started from Python
def test_run_started_from_a_live_agent_resumes_from_the_cli(tmp_path):
    """``agentc.run(agent_object, ...)`` records the agent's REF, so ``agentc resume`` in
    another process finds the agents (it said AC121 "no REF")."""
    case = O.load_cases()["travel_booker"]
    code = ("import json, sys, agentc; from agentc.fixtures.openai_agents import travel_booker as T; "
            "o = agentc.run(T.agent, json.loads(sys.argv[1]), db='r.db', context=T.make_context(**json.loads(sys.argv[2]))); "
            "print(json.dumps(o.to_json()))")
    r = subprocess.run([sys.executable, "-c", code, json.dumps(case["input"]), json.dumps(case["context"]["kwargs"])],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path, env=ENV)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == "waiting"
    r = cli("resume", out["run_id"], "--db", "r.db", "--value", json.dumps(O.approval_value(case, out["interrupts"])),
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["final_output"] == O.run_native(case)["final_output"]


def test_live_agent_with_only_string_instructions_has_a_ref():
    import agents_edges as E

    assert agentc.load(E.broken_model_agent).entry == "agents_edges:broken_model_agent"
    assert agentc.load(E.loose_agent).entry == "agents_edges:loose_agent"
