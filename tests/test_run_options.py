"""``Runner.run``'s options on every target, against ``Runner.run`` with the same scripted
model (tests/agents_run_options.py): a ``RunConfig`` (model override and provider, model
settings, handoff input filter, input/output guardrails, tracing settings) named by
``--run-config``, ``RunHooks`` named by ``--run-hooks`` (each event once per run on every
engine, although every workflow step replays the run), and the full ``RunResult``
(``--json``: items, usage, guardrail output_info, ``to_input_list()``)."""
import asyncio
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import agents_run_options as R
import openai_agents_oracle as O

import agentc
from agentc.errors import AgentcError
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.runtime_shims.run_options import RUN_HOOK_EVENTS
from agentc.runtime_shims.run_result import full
from agentc.targets.conductor.simulate import Simulation

HERE = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
REF = "agents_run_options:desk"
CONFIG, HOOKS = "agents_run_options:CONFIG", "agents_run_options:HOOKS"
TARGETS = ["local", "conductor", "temporal"]


def test_every_run_hook_event_of_the_sdk_is_journaled():
    from agents.lifecycle import RunHooksBase

    names = {n for n, _ in inspect.getmembers(RunHooksBase, inspect.isfunction) if n.startswith("on_")}
    assert names == set(RUN_HOOK_EVENTS)


def native(text="trip to Oslo", config=R.CONFIG):
    from agents import AgentsException, Runner

    R.FIRED.clear()
    with recording() as log:
        try:
            result = asyncio.run(Runner.run(R.desk, text, context=R.Log(), run_config=config, hooks=R.HOOKS))
        except AgentsException as exc:
            return {"error": type(exc).__name__, "model_calls": O.model_calls(log), "fired": sorted(R.FIRED)}
    return {"final_output": result.final_output, "last_agent": result.last_agent.name, "full": full(result),
            "model_calls": O.model_calls(log), "fired": sorted(R.FIRED)}


def on_target(target, tmp_path, request, text="trip to Oslo", config=CONFIG):
    """The run on one target, with the options from the environment (as `agentc worker`
    processes of the project read them)."""
    from agentc.targets.temporal import engine

    mp = request.getfixturevalue("monkeypatch")
    mp.setenv("AGENTC_RUN_CONFIG", config)
    mp.setenv("AGENTC_RUN_HOOKS", HOOKS)
    R.FIRED.clear()
    with recording() as log:
        try:
            if target == "local":
                out = agentc.run(REF, text, db=str(tmp_path / "r.db"), context={"events": []}, full_result=True)
            elif target == "conductor":
                agentc.compile(REF, target="conductor").write(tmp_path / "c")
                out = Simulation.of(tmp_path / "c").start(text, {"events": []}, full_result=True)
            else:
                address = request.getfixturevalue("temporal_address")

                async def go():
                    client = await engine.connect(address)
                    async with engine.running_worker(client, engine.load(REF, tmp_path / "code")):
                        return await asyncio.wait_for(engine.start(REF, address, text, context={"events": []},
                                                                   client=client, full_result=True), 120)

                out = asyncio.run(go())
        except AgentcError as exc:
            return {"error": exc.diagnostic, "model_calls": O.model_calls(log), "fired": sorted(R.FIRED)}
    assert out.status == "done", out
    return {**out.output, "model_calls": O.model_calls(log), "fired": sorted(R.FIRED)}


@pytest.mark.parametrize("target", TARGETS)
def test_run_config_and_hooks_as_runner_run(target, tmp_path, request):
    want = native()
    got = on_target(target, tmp_path, request)
    assert "error" not in got, got["error"].render()
    # the config's model (by name, through its provider) answered every turn, with its settings
    assert got["model_calls"] == want["model_calls"] and got["final_output"] == want["final_output"]
    assert "[temperature=0.25]" in got["final_output"] and got["last_agent"] == want["last_agent"] == "Booker"
    # every run-hook event once (the hooks also wrote into the context the instructions read)
    assert got["fired"] == want["fired"] and "handoff:Desk->Booker" in got["fired"]
    # the full RunResult: items, usage totals, the config's guardrails with their output_info
    for key in ("new_items", "usage", "input_guardrail_results", "output_guardrail_results",
                "input_list", "raw_responses", "last_response_id"):
        assert got[key] == want["full"][key], key
    assert got["usage"]["input_tokens"] > 0
    # each response with the usage its model reported (the scripted model's grows with the input)
    per_response = [r["usage"]["input_tokens"] for r in got["raw_responses"]]
    assert len(per_response) == 4 and sum(per_response) == got["usage"]["input_tokens"]
    assert len(set(per_response)) > 1
    assert got["output_guardrail_results"] == [{"guardrail": "short", "tripwire_triggered": False,
                                                "output_info": {"chars": len(want["final_output"]),
                                                                "agent": "Booker"}}]


@pytest.mark.parametrize("target", TARGETS)
def test_a_run_config_given_as_a_mapping_as_runner_run(target, tmp_path, request):
    """``Runner.run(run_config={...})``: the SDK coerces a mapping into a ``RunConfig``; a
    ``--run-config`` REF naming one runs as that (it was "dict, not a RunConfig")."""
    want = native(config=R.AS_DICT)
    assert want["final_output"] == native()["final_output"]
    got = on_target(target, tmp_path, request, config="agents_run_options:AS_DICT")
    assert "error" not in got, got["error"].render()
    assert got["model_calls"] == want["model_calls"] and got["final_output"] == want["final_output"]
    assert got["fired"] == want["fired"] and got["new_items"] == want["full"]["new_items"]
    assert got["input_guardrail_results"] == want["full"]["input_guardrail_results"]


@pytest.mark.parametrize("target", TARGETS)
def test_a_run_config_model_object_as_runner_run(target, tmp_path, request):
    """``RunConfig(model=<a Model>)``: journaled like an agent's model (never called again
    on replay); every turn of both agents is the config's model's, with its settings."""
    want = native(config=R.MODEL_OBJECT)
    assert "[temperature=0.25]" in want["final_output"]
    got = on_target(target, tmp_path, request, config="agents_run_options:MODEL_OBJECT")
    assert "error" not in got, got["error"].render()
    assert got["model_calls"] == want["model_calls"] and len(want["model_calls"]) == 4
    for key in ("final_output", "last_agent"):
        assert got[key] == want[key], key
    for key in ("new_items", "usage", "raw_responses", "input_list"):
        assert got[key] == want["full"][key], key


def test_a_mapping_that_is_not_a_run_config_is_a_diagnostic():
    with pytest.raises(AgentcError) as e:
        agentc.load(REF, run_config="agents_run_options:NOT_A_CONFIG")
    d = e.value.diagnostic
    assert d.construct == "--run-config" and "modle" in d.message, d.render()


@pytest.mark.parametrize("target", TARGETS)
def test_run_config_output_guardrail_tripwire(target, tmp_path, request):
    want = native(config=R.OUTPUT_TRIP)
    assert want["error"] == "OutputGuardrailTripwireTriggered"
    got = on_target(target, tmp_path, request, config="agents_run_options:OUTPUT_TRIP")
    assert got["error"].code.value == "AC303" and "'no_booker'" in got["error"].message, got
    assert got["model_calls"] == want["model_calls"] and got["fired"] == want["fired"]


@pytest.mark.parametrize("target", TARGETS)
def test_run_config_input_guardrail_tripwire(target, tmp_path, request):
    want = native("a rude trip to Oslo")
    assert want["error"] == "InputGuardrailTripwireTriggered"
    got = on_target(target, tmp_path, request, "a rude trip to Oslo")
    assert got["error"].code.value == "AC303" and "'polite'" in got["error"].message
    assert got["fired"] == want["fired"]


def test_run_config_from_a_factory_and_the_api(tmp_path):
    want = native()
    R.FIRED.clear()
    out = agentc.run(REF, "trip to Oslo", db=str(tmp_path / "r.db"), context={"events": []},
                     run_config="agents_run_options:make_config", run_hooks=R.HOOKS)
    assert out.output == {"final_output": want["final_output"], "last_agent": "Booker"}  # no --json: as before
    assert sorted(R.FIRED) == want["fired"]


def test_run_options_are_part_of_the_workflow_identity():
    from agentc.plan.layout import plan_id

    ids = {plan_id(agentc.load(REF)), plan_id(agentc.load(REF, run_config=CONFIG)),
           plan_id(agentc.load(REF, run_config="agents_run_options:OTHER_TEMPERATURE")),
           plan_id(agentc.load(REF, run_config=CONFIG, run_hooks=HOOKS))}
    assert len(ids) == 4
    assert plan_id(agentc.load(REF, run_config=CONFIG)) == plan_id(agentc.load(REF, run_config=R.CONFIG))


@pytest.mark.parametrize("config, field", [("TOOL_EXECUTION", "tool_execution"), ("SANDBOXED", "sandbox")])
def test_a_run_config_field_agentc_cannot_honour_is_refused(config, field):
    with pytest.raises(AgentcError) as e:
        agentc.load(REF, run_config=f"agents_run_options:{config}")
    d = e.value.diagnostic
    assert d.code.value == "AC200" and f"RunConfig.{field}" in d.message


def test_run_options_on_a_graph_are_refused():
    with pytest.raises(AgentcError) as e:
        agentc.load("agentc.fixtures.langgraph.chain:graph", run_config=CONFIG)
    assert e.value.diagnostic.code.value == "AC203"


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=ENV)


def test_cli_run_compile_simulate_with_run_options(tmp_path):
    want = native()
    opts = ["--run-config", CONFIG, "--run-hooks", HOOKS]
    r = cli("run", REF, "--input", '"trip to Oslo"', "--context", '{"events": []}', *opts, "--json",
            "--db", str(tmp_path / "r.db"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["final_output"] == want["final_output"] and got["new_items"] == want["full"]["new_items"]
    assert got["usage"] == want["full"]["usage"]
    r = cli("compile", REF, "--target", "conductor", "--out", "c", *opts, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = cli("simulate", "c", "--input", '"trip to Oslo"', "--context", '{"events": []}', *opts, "--json",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["input_list"] == want["full"]["input_list"]
    r = cli("compile", REF, "--target", "ir", "--out", "i", "--run-config", "agents_run_options:TOOL_EXECUTION",
            cwd=tmp_path)
    assert r.returncode == 2 and "AC200" in r.stderr and "tool_execution" in r.stderr and not r.stdout


def test_a_run_keeps_the_options_it_started_with(tmp_path, monkeypatch):
    """Resuming re-reads the agents with the options the run's IR names, not the ones in
    effect now (none here): the identity check passes and the run's own state answers."""
    db = str(tmp_path / "r.db")
    out = agentc.run(REF, "trip to Oslo", db=db, context={"events": []}, run_config=CONFIG, run_hooks=HOOKS)
    monkeypatch.delenv("AGENTC_RUN_CONFIG", raising=False)
    with pytest.raises(AgentcError) as e:
        agentc.resume(out.run_id, db=db)
    assert e.value.diagnostic.code.value == "AC121", e.value.diagnostic.render()  # not AC122: graph changed
    assert "already finished" in e.value.diagnostic.message


def test_full_result_of_a_graph_is_refused(tmp_path):
    with pytest.raises(AgentcError) as e:
        agentc.run("agentc.fixtures.langgraph.chain:graph", {}, db=str(tmp_path / "r.db"), full_result=True)
    assert e.value.diagnostic.code.value == "AC203" and "--json" in e.value.diagnostic.construct


@pytest.mark.parametrize("target", TARGETS)
def test_full_result_of_a_run_with_an_agent_tool_as_runner_run(target, tmp_path, request):
    """The usage totals of ``Runner.run``'s result count the nested run of an agent used as
    a tool; so must a target's, although the drive that finishes the run on an engine only
    replays that tool's journaled output."""
    from agents import Runner

    from run_options_targets import run_on

    with recording() as log:
        result = asyncio.run(Runner.run(R.chief, "Oslo?", context=R.Log()))
    want = {**full(result), "final_output": result.final_output, "model_calls": O.model_calls(log)}
    own = sum(r["usage"]["input_tokens"] for r in want["raw_responses"])
    nested = want["usage"]["input_tokens"] - own
    assert nested > 0 and len(want["model_calls"]) == 4
    got = run_on(target, tmp_path, request, "agents_run_options:chief", "Oslo?")
    assert "error" not in got, got["error"].render()
    for key in ("final_output", "model_calls", "new_items", "raw_responses", "input_list", "usage"):
        assert got[key] == want[key], key


def test_cli_run_json_on_temporal(tmp_path, temporal_address):
    """``agentc run --engine temporal --json`` prints the full ``RunResult`` as the local
    ``--json`` does: equal to ``Runner.run``'s."""
    want = native()
    r = cli("run", REF, "--input", '"trip to Oslo"', "--context", '{"events": []}',
            "--run-config", CONFIG, "--run-hooks", HOOKS, "--json",
            "--engine", "temporal", "--address", temporal_address,
            "--with-worker", "--task-queue", f"json-{os.urandom(4).hex()}", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    for key in ("final_output", "last_agent"):
        assert got[key] == want[key], key
    for key in ("new_items", "usage", "raw_responses", "input_guardrail_results",
                "output_guardrail_results", "input_list"):
        assert got[key] == want["full"][key], key
