"""``Runner.run(error_handlers=...)`` (``--error-handlers REF``) on every target, against
``Runner.run`` with the same scripted model (tests/agents_run_errors.py): the ``max_turns``
handler turns the run's end into a final output (through the output guardrail), once per
run although every workflow step replays the run; a handler returning None leaves the
SDK's ``MaxTurnsExceeded`` (AC304)."""
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import agents_run_errors as R
import openai_agents_oracle as O

import agentc
from agentc.errors import AgentcError
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.runtime_shims.run_result import full
from run_options_targets import run_on

HERE = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
REF, HANDLERS = "agents_run_errors:poller", "agents_run_errors:HANDLERS"
TARGETS = ["local", "conductor", "temporal"]
MAX_TURNS = 3


def test_the_error_kinds_are_the_sdks():
    from agents.run_error_handlers import RunErrorHandlers

    from agentc.run_refs import ERROR_KINDS

    assert set(RunErrorHandlers.__annotations__) == set(ERROR_KINDS)


def native(handlers=R.HANDLERS):
    from agents import AgentsException, Runner

    R.FIRED.clear()
    with recording() as log:
        try:
            result = asyncio.run(Runner.run(R.poller, "go", context=R.Log(), max_turns=MAX_TURNS,
                                            error_handlers=handlers))
        except AgentsException as exc:
            return {"error": type(exc).__name__, "model_calls": O.model_calls(log), "fired": list(R.FIRED)}
    return {"final_output": result.final_output, "last_agent": result.last_agent.name, "full": full(result),
            "model_calls": O.model_calls(log), "fired": list(R.FIRED)}


def on_target(target, tmp_path, request, handlers=HANDLERS):
    return run_on(target, tmp_path, request, REF, "go", env={"AGENTC_ERROR_HANDLERS": handlers}, max_turns=MAX_TURNS)


@pytest.mark.parametrize("target", TARGETS)
def test_max_turns_handler_as_runner_run(target, tmp_path, request):
    want = native()
    assert "gave up after 3 polls" in want["final_output"], want
    got = on_target(target, tmp_path, request)
    assert "error" not in got, got["error"].render()
    assert got["final_output"] == want["final_output"] and got["last_agent"] == "Poller"
    assert got["model_calls"] == want["model_calls"]
    # the handler once, then the output guardrail on its output, as under Runner.run
    assert got["fired"] == want["fired"] == ["max_turns", f"guardrail:{want['final_output']}"]
    for key in ("new_items", "output_guardrail_results", "input_list"):
        assert got[key] == want["full"][key], key


@pytest.mark.parametrize("target", TARGETS)
def test_a_handler_returning_none_leaves_max_turns_exceeded(target, tmp_path, request):
    want = native(R.NO_ANSWER)
    assert want["error"] == "MaxTurnsExceeded"
    got = on_target(target, tmp_path, request, handlers="agents_run_errors:NO_ANSWER")
    assert got["error"].code.value == "AC304", got
    assert got["fired"] == want["fired"] == ["max_turns:none"]


def test_the_handler_runs_once_and_a_replay_keeps_its_answer(tmp_path, monkeypatch):
    """The local journal holds the handler's answer: driving the finished run again (what
    `agentc replay` does) gives the same output without calling it."""
    from agentc.targets.local.journal import Journal

    db = str(tmp_path / "r.db")
    out = agentc.run(REF, "go", db=db, context={"events": []}, recursion_limit=MAX_TURNS,
                     error_handlers="agents_run_errors:make_handlers")
    assert out.status == "done" and "gave up after 3 polls" in out.output["final_output"]
    steps = Journal(db).load_steps(out.run_id)
    handled = [k for k in steps if k.startswith("error_handler:max_turns:Poller")]
    assert len(handled) == 1, sorted(steps)


def test_handlers_are_part_of_the_workflow_identity():
    from agentc.plan.layout import plan_id

    ids = {plan_id(agentc.load(REF)), plan_id(agentc.load(REF, error_handlers=HANDLERS)),
           plan_id(agentc.load(REF, error_handlers="agents_run_errors:NO_ANSWER"))}
    assert len(ids) == 3
    assert plan_id(agentc.load(REF, error_handlers=R.HANDLERS)) == plan_id(agentc.load(REF, error_handlers=HANDLERS))


def test_a_dict_that_is_not_run_error_handlers_is_refused():
    with pytest.raises(AgentcError) as e:
        agentc.load(REF, error_handlers="agents_run_errors:NOT_HANDLERS")
    d = e.value.diagnostic
    assert d.code.value == "AC401", d
    assert "max_turn" in d.message and d.construct == "--error-handlers"


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=ENV)


def test_cli_run_and_simulate_with_error_handlers(tmp_path):
    want = native()
    r = cli("run", REF, "--input", '"go"', "--context", '{"events": []}', "--recursion-limit", str(MAX_TURNS),
            "--error-handlers", HANDLERS, "--db", str(tmp_path / "r.db"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["final_output"] == want["final_output"]
    r = cli("compile", REF, "--target", "conductor", "--out", "c", "--error-handlers", HANDLERS, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = cli("run", REF, "--input", '"go"', "--context", '{"events": []}', "--recursion-limit", str(MAX_TURNS),
            "--db", str(tmp_path / "r2.db"), cwd=tmp_path)
    assert r.returncode == 1 and "AC304" in r.stderr, (r.returncode, r.stderr)  # without the handlers: as before
    r = cli("run", REF, "--input", '"go"', "--error-handlers", "agents_run_errors:NOT_HANDLERS",
            "--db", str(tmp_path / "r3.db"), cwd=tmp_path)
    assert r.returncode == 2 and "AC401" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name, kind", [("grader", "invalid_final_output"),
                                        ("refuser", "model_refusal")])
def test_invalid_output_and_refusal_handlers_as_runner_run(name, kind, target, tmp_path, request):
    """The other two kinds of ``RunErrorHandlers``: an ``output_type=int`` agent whose model
    answers prose (``invalid_final_output``), a model that refuses (``model_refusal``); the
    handler's output goes through the output guardrail, as under ``Runner.run``."""
    from agents import Runner

    agent = getattr(R, name)
    R.FIRED.clear()
    with recording() as log:
        result = asyncio.run(Runner.run(agent, "essay", context=R.Log(),
                                        error_handlers=R.OUTPUT_HANDLERS))
    want = {"final_output": result.final_output, **full(result), "model_calls": O.model_calls(log)}
    assert list(R.FIRED) == [kind, f"guardrail:{result.final_output}"]
    got = run_on(target, tmp_path, request, f"agents_run_errors:{name}", "essay",
                 env={"AGENTC_ERROR_HANDLERS": "agents_run_errors:OUTPUT_HANDLERS"})
    assert "error" not in got, got["error"].render()
    assert got["fired"] == [kind, f"guardrail:{result.final_output}"]  # the handler once per run
    for key in ("final_output", "model_calls", "new_items", "usage", "output_guardrail_results",
                "input_list", "raw_responses"):
        assert got[key] == want[key], key
