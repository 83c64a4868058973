"""OpenAI Agents SDK edge cases on the local target, the Conductor simulation and Temporal,
each against ``Runner.run`` (tests/openai_agents_oracle.py): typed run contexts given as
JSON or by a factory, user code that raises (a diagnostic naming it, a failed and
resumable run, bounded retries), tool timeouts and ``failure_error_function``, IR plan ids
stable across processes, runs started from Python resumable from the CLI. The agents are
in tests/agents_edges.py."""
import asyncio
import json
import os
import re
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
    got, native = json.loads(r.stdout)["final_output"], O.run_native({"ref": ref, "input": "hi"})["final_output"]
    # Loose.tags is a set: its JSON order follows each process's hash seed
    assert {**got, "tags": sorted(got["tags"])} == {**native, "tags": sorted(native["tags"])}


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


@pytest.mark.parametrize("target", TARGETS)
def test_context_factory_builds_what_json_cannot(target, tmp_path, request):
    import agents_edges as E
    from agents import Runner

    address = address_for(target, request)
    r = run_on(target, "agents_edges:opaque_agent", "hi", tmp_path,
               "--context", '{"secret": "xyzzy"}', address=address)
    assert r.returncode == 2 and "AC111" in r.stderr and "--context-factory" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    r = run_on(target, "agents_edges:opaque_agent", "hi", tmp_path,
               "--context", '{"secret": "xyzzy"}',
               "--context-factory", "agents_edges:make_opaque", address=address)
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
            "o = agentc.run(T.agent, json.loads(sys.argv[1]), db='r.db', "
            "context=T.make_context(**json.loads(sys.argv[2]))); "
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


# ====================================================================== 13: user code that raises
BROKEN = {  # agent → (the user's function the diagnostic names, what Runner.run raises)
    "broken_instructions_agent": ("broken_instructions", "RuntimeError: instructions exploded"),
    "broken_model_agent": ("ExplodingModel.get_response", "ConnectionError: the model endpoint is down"),
    "broken_tool_agent": ("explode", "ValueError: tool exploded on 1"),
}


def native_error(name):
    import agents_edges as E
    from agents import Runner

    with pytest.raises(Exception) as e:
        asyncio.run(Runner.run(getattr(E, name), "go"))
    root = e.value
    while root.__cause__ is not None:
        root = root.__cause__
    return f"{type(root).__name__}: {root}"


def line_of(qualname):
    import inspect

    import agents_edges as E

    obj = E
    for part in qualname.split("."):
        obj = getattr(obj, part)
    obj = getattr(obj, "__wrapped__", obj)
    lines, start = inspect.getsourcelines(obj)
    return start, start + len(lines)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_user_code_that_raises_fails_the_run_naming_it(name, target, tmp_path, request):
    """An exception of the user's model, instructions or tool: AC300 naming the function
    with file:line and the exception Runner.run raises, exit 1 — not AC999 with a run left
    'running' (local), nor a model activity retried forever (Temporal)."""
    func, error = BROKEN[name]
    assert native_error(name) == error
    r = run_on(target, f"agents_edges:{name}", "go", tmp_path, address=address_for(target, request))
    assert r.returncode == 1, r.stderr
    assert "AC300" in r.stderr and "AC999" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert f"{func} raised {error}" in r.stderr, r.stderr
    first, last = line_of(func)
    lines = [int(x) for x in __import__("re").findall(r"agents_edges\.py:(\d+)", r.stderr)]
    assert lines and all(first <= n <= last for n in lines), (lines, first, last, r.stderr)
    if target == "local":
        runs = json.loads(cli("runs", "--db", "r.db", "--json", cwd=tmp_path).stdout)
        assert [x["status"] for x in runs] == ["failed"]
        again = cli("resume", runs[0]["run_id"], "--db", "r.db", cwd=tmp_path)  # resumable: it fails again
        assert again.returncode == 1 and f"{func} raised {error}" in again.stderr, again.stderr
    if target == "temporal":  # the workflow waits for a retry, as a graph's does (it used to fail)
        run_id = re.search(r"run (\S+) failed", r.stderr).group(1)
        again = cli("resume", run_id, "--engine", "temporal", "--address", address_for(target, request),
                    "--with-worker", cwd=tmp_path)
        assert again.returncode == 1 and f"{func} raised {error}" in again.stderr, again.stderr
        assert "is failed" not in again.stderr  # not AC121: the run was still resumable


@pytest.mark.parametrize("target", ["local", "temporal"])
def test_a_run_failed_in_user_code_finishes_after_the_fix_on_resume(target, tmp_path, request, monkeypatch):
    """A tool's dependency is down: the run fails (exit 1, AC300) and stays resumable; once
    it is back, ``agentc resume`` runs the failed step again and the run ends with what
    ``Runner.run`` gives when the dependency is up. (A Temporal agent loop used to fail its
    workflow, so nothing could be resumed.)"""
    import agents_edges as E

    r = run_on(target, "agents_edges:flaky_tool_agent", "go", tmp_path, address=address_for(target, request))
    assert r.returncode == 1 and "AC300" in r.stderr and "report service is down" in r.stderr, r.stderr
    # the diagnostic names the run to resume (local: in its hint; Temporal: in its message)
    run_id = re.search(r"run (\S+) failed|agentc resume (\w+)", r.stderr)
    run_id = run_id.group(1) or run_id.group(2)
    (tmp_path / "report.ready").write_text("")
    monkeypatch.chdir(tmp_path)
    native = asyncio.run(__import__("agents").Runner.run(E.flaky_tool_agent, "go"))
    extra = (["--engine", "temporal", "--address", address_for(target, request), "--with-worker"]
             if target == "temporal" else ["--db", "r.db"])
    again = cli("resume", run_id, *extra, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"final_output": native.final_output, "last_agent": "Reporter"}
    assert "report for monday" in native.final_output


def test_a_failing_step_is_retried_a_bounded_number_of_times(tmp_path):
    """On the engines a model/tool step whose user code raises is retried (a model call may
    fail transiently), and the third failure is terminal."""
    from agentc.runtime_shims.agent_steps import STEP_ATTEMPTS

    art = agentc.compile("agents_edges:broken_model_agent", target="conductor")
    art.write(tmp_path)
    sim = Simulation.of(tmp_path)
    with pytest.raises(agentc.errors.RunFailed):
        sim.start("go")
    model = [t for t in sim.sim.execution(sim.workflow_id)["tasks"] if t["taskType"].endswith("-model")]
    assert [t["status"] for t in model] == ["FAILED"] * (STEP_ATTEMPTS - 1) + ["FAILED_WITH_TERMINAL_ERROR"]
    assert STEP_ATTEMPTS == 3


# ====================================================================== 14: timeouts, failure_error_function
def compiled_run(target, ref, input, tmp_path, request):
    """(final output or None, diagnostic or None, model calls) of one run on ``target``."""
    from agentc.targets.temporal import engine

    with recording() as log:
        try:
            if target == "local":
                out = agentc.run(ref, input, db=str(tmp_path / "r.db"))
            elif target == "conductor":
                agentc.compile(ref, target="conductor").write(tmp_path / "c")
                out = Simulation.of(tmp_path / "c").start(input)
            else:
                address = request.getfixturevalue("temporal_address")

                async def go():
                    client = await engine.connect(address)
                    async with engine.running_worker(client, engine.load(ref, tmp_path / "code")):
                        return await asyncio.wait_for(engine.start(ref, address, input, client=client), 120)

                out = asyncio.run(go())
            got = (out.output["final_output"], None)
        except agentc.errors.RunFailed as e:
            got = (None, e.diagnostic)
    return (*got, O.model_calls(log))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", ["timeout_agent", "failure_function_agent", "timed_failure_agent",
                                  "strict_timeout_agent"])
def test_tool_timeouts_and_failure_functions_behave_as_runner_run(name, target, tmp_path, request):
    """A tool that times out (its message goes to the model, or the run fails with
    ToolTimeoutError) and a tool that raises with ``failure_error_function`` set (its
    message goes to the model) — the Conductor simulation and Temporal hung on them."""
    ref = f"agents_edges:{name}"
    native = O.run_native({"ref": ref, "input": "go"})
    output, error, calls = compiled_run(target, ref, "go", tmp_path, request)
    assert calls == native["model_calls"]
    if native["error"] is None:
        assert error is None, error.render()
        assert output == native["final_output"]
    else:
        assert native["error"]["type"] == "ToolTimeoutError"
        assert error is not None and "ToolTimeoutError" in error.message and "slow_strict" in error.message
