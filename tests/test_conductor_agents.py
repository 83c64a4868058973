"""OpenAI Agents SDK agent systems on the Conductor target: the emitted agent loop
(DO_WHILE { model task → SWITCH → dynamic fork of tool / guardrail tasks and agent-tool
sub-workflows | HUMAN approvals }) is run by the simulator (Conductor's runtime semantics,
conductor.md §C) with agentc's step worker, and compared with ``Runner.run``
(tests/openai_agents_oracle.py) on every case: final output, last agent, error, the
ordered model calls (each a digest of its whole request, so every turn's history, tool
arguments and outputs included) and the tool calls with their arguments. Goldens of the
emitted JSON sit in fixtures/openai_agents/golden/conductor (``--update-goldens``)."""
import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

import harness
import openai_agents_oracle as O

import agentc
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.conductor.simulate import Simulation
from agentc.targets.conductor.emulator.validator import sdk_roundtrip_loss, validate_documents

CASES = O.load_cases()
SYSTEMS = sorted({c["ref"] for c in CASES.values()})
GOLDEN = Path(O.__file__).parent.parent / "fixtures" / "openai_agents" / "golden" / "conductor"


def compile_to(ref, folder):
    art = agentc.compile(ref, target="conductor")
    art.write(folder)
    return art


def observed(sim, served):
    """Record every worker task the simulation serves (call, result): the agent loop keeps
    only its last iterations' tasks in the execution (keepLastN), as a server does."""
    inner = sim.sim._worker

    def serve(call):
        result = inner(call)
        served.append((call, result))
        return result

    sim.sim._worker = serve
    return sim


def tool_calls_of(served):
    """Function-tool and agent-tool calls reported by the root workflow's model tasks, in
    order (what the tasks of each dynamic fork run)."""
    calls = []
    for call, result in served:
        if call.task_type.endswith("-model") and result.status == "COMPLETED" and call.ref.startswith("model"):
            calls += [[c["name"], c["arguments"]] for c in result.output["calls"] if c["kind"] != "guardrail"]
    return calls


def simulated(case, folder):
    served = []
    sim = observed(Simulation.of(folder), served)
    pauses = 0
    with recording() as log:
        try:
            out = sim.start(case["input"], O.make_context(case), case.get("max_turns"))
            while out.status == "waiting":
                pauses += 1
                saved = sim.save(Path(folder) / "paused.json")  # a pause survives the process
                sim = observed(Simulation.load(saved), served)
                out = sim.resume(O.approval_value(case, out.interrupts))
            got = {**out.output, "error": None}
        except agentc.errors.RunFailed as e:
            got = {"final_output": None, "last_agent": None, "error": e.diagnostic}
    got["model_calls"] = O.model_calls(log)
    got["tool_calls"] = tool_calls_of([(c, r) for c, r in served if c.workflow_id == sim.workflow_id])
    got["pauses"] = pauses
    got["execution"] = sim.sim.execution(sim.workflow_id)
    got["served"] = served
    return got


@pytest.mark.parametrize("name", sorted(CASES))
def test_simulated_conductor_run_equals_runner_run(name, tmp_path):
    case = CASES[name]
    compile_to(case["ref"], tmp_path)
    native = O.run_native(case)
    got = simulated(case, tmp_path)
    O.assert_same_run(got, native)
    assert got["tool_calls"] == native["tool_calls"]
    assert got["pauses"] == len(native["interruptions"])


def test_parallel_tool_calls_are_one_fork_of_tasks_named_after_their_tools(tmp_path):
    case = CASES["math_tutor"]
    compile_to(case["ref"], tmp_path)
    served = simulated(case, tmp_path)["served"]
    first = next(r.output for c, r in served if c.task_type.endswith("-model") and r.output["tasks"])
    forked = [t["taskReferenceName"] for t in first["tasks"]]
    # the calls run at once (as Runner.run's), so they are served in any order: by fork position
    served_as = {c.ref.split("__")[0]: c.task_type for c, _ in served}
    types = [served_as[ref] for ref in forked]
    assert types == ["math_tutor-Math_Tutor-add", "math_tutor-Math_Tutor-multiply", "math_tutor-Math_Tutor-add"]


def test_agents_as_tools_are_sub_workflows(tmp_path):
    case = CASES["research_assistant"]
    compile_to(case["ref"], tmp_path)
    ex = simulated(case, tmp_path)["execution"]
    subs = [t for t in ex["tasks"] if t["taskType"] == "SUB_WORKFLOW"]
    assert [t["inputData"]["subWorkflowName"] for t in subs] == [
        "research_assistant-Research_Assistant-summarize_notes",
        "research_assistant-Research_Assistant-translate_summary"]
    assert all(t["status"] == "COMPLETED" for t in subs)


def test_approval_is_a_human_task_with_the_pending_calls(tmp_path):
    case = CASES["travel_booker"]
    compile_to(case["ref"], tmp_path)
    sim = Simulation.of(tmp_path)
    out = sim.start(case["input"], O.make_context(case))
    assert out.status == "waiting"
    assert [p["tool"] for p in out.interrupts] == ["book_flight", "book_hotel"]
    with pytest.raises(agentc.errors.AgentcError) as bad:  # every pending call needs a decision
        sim.resume({"approve": ["book_flight"]})
    assert bad.value.diagnostic.code.value == "AC121" or "decision" in bad.value.diagnostic.message
    human = [t for t in sim.sim.execution(sim.workflow_id)["tasks"] if t["taskType"] == "HUMAN"]
    assert len(human) == 1 and human[0]["status"] == "IN_PROGRESS"


@pytest.mark.parametrize("ref", SYSTEMS)
def test_golden_agent_workflows(ref, update_goldens):
    files = agentc.compile(ref, target="conductor").files
    harness.check_golden_folder(GOLDEN / ref.split(":")[0].rsplit(".", 1)[1], files, update_goldens)
    docs = [(n, json.loads(t)) for n, t in sorted(files.items()) if n != "manifest.json"]
    assert validate_documents(docs, server="all") == []
    assert agentc.compile(ref, target="conductor").files == files
    for rel, text in files.items():
        if rel.endswith(".workflow.json"):
            assert sdk_roundtrip_loss(json.loads(text)) == [], rel


def test_model_text_never_reaches_an_expression(tmp_path):
    """Tool arguments from the model that look like Conductor expressions reach the tool
    as text: the dynamic fork's inputs (which Conductor evaluates) are base64 only."""
    compile_to("agents_hostile:agent", tmp_path)
    sim = Simulation.of(tmp_path)
    out = sim.start("${workflow.input.context}")
    import agents_hostile
    native = O.run_native({"ref": "agents_hostile:agent", "input": "${workflow.input.context}"})
    assert out.output["final_output"] == native["final_output"]
    assert "${workflow.input}" in out.output["final_output"]
    for t in sim.sim.execution(sim.workflow_id)["tasks"]:
        if t["taskType"] == "FORK":
            for inputs in t["inputData"].get("inputs", {}).values():
                for v in inputs.values():
                    assert "$" not in v and "{" not in v
                    base64.b64decode(v.partition(":")[2])
    # the two calls of a turn run at once, as Runner.run's: in either order
    assert sorted(agents_hostile.SEEN) == sorted(["${workflow.input}", "x'); throw 1; ('"] * 2)


def test_cli_simulate_agent_exit_codes(tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                              timeout=300, cwd=tmp_path)

    ok = CASES["recipe_extractor"]
    assert cli("compile", ok["ref"], "--target", "conductor", "--out", "ok").returncode == 0
    r = cli("simulate", "ok", "--input", json.dumps(ok["input"]))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"final_output": O.run_native(ok)["final_output"], "last_agent": "Recipe Extractor"}
    trip = CASES["pii_filter_trip"]
    assert cli("compile", trip["ref"], "--target", "conductor", "--out", "trip").returncode == 0
    r = cli("simulate", "trip", "--input", json.dumps(trip["input"]))
    assert r.returncode == 1 and "AC303" in r.stderr and "'pii_blocker'" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("target", ["conductor", "temporal"])
def test_unsupported_agent_constructs_are_refused(target):
    """Tools outside the function-tool interface cannot be made durable steps: AC200 naming
    the construct. (Approvals inside an agent used as a tool are supported: the
    ``expense_*`` cases.)"""
    from agents import Agent, LocalShellTool

    shell = Agent(name="Shell", tools=[LocalShellTool(executor=lambda req: "ok")])
    with pytest.raises(agentc.errors.AgentcError) as e:
        agentc.compile(shell, target=target)
    assert e.value.diagnostic.code.value == "AC200" and "function_tool" in e.value.diagnostic.hint


def test_sdk_worker_runs_agent_model_and_tool_tasks():
    """What ``agentc worker conductor REF`` hands conductor-python: the model task of a
    fresh run reports the response's tool calls as a dynamic fork; a forked tool task (a
    Worker that went through pickling, as the SDK's TaskHandler does) runs its call; a
    task from other agents is a terminal AC122."""
    import pickle

    from conductor.client.http.models.task_result_status import TaskResultStatus
    from conductor.client.worker.worker import Worker
    from test_conductor_server import make_task

    from agentc.targets.conductor import server
    from agentc.semantics import claim_check
    from agentc.runtime_shims.agent_steps import pack

    case = CASES["math_tutor"]
    worker = server.load_worker(case["ref"])
    model_type = worker.layout.model_type
    run = {"input": case["input"], "context": pack(O.make_context(case)), "max_turns": None}
    inp = {"plan": worker.layout.plan_id, "run": run,
           "journal": None, "added": [None], "decision": {"pause": None, "decisions": None}}
    model = Worker(task_definition_name=model_type, execute_function=server.task_function(worker, model_type))
    res = model.execute(make_task(model_type, inp))
    assert res.status == TaskResultStatus.COMPLETED, res.reason_for_incompletion
    out = res.output_data
    assert out["next"] == "steps" and [c["name"] for c in out["calls"]] == ["add", "multiply", "add"]
    first = out["tasks"][0]
    tool = pickle.loads(pickle.dumps(Worker(task_definition_name=first["name"],
                                            execute_function=server.task_function(worker, first["name"]))))
    done = tool.execute(make_task(first["name"], out["inputs"][first["taskReferenceName"]]))
    assert done.status == TaskResultStatus.COMPLETED, done.reason_for_incompletion
    entries = claim_check.load_journal(done.output_data["entries"])
    assert len(entries) == 1 and next(iter(entries)).startswith("tool:Math Tutor:add:")
    bad = model.execute(make_task(model_type, {**inp, "plan": "other"}))
    assert bad.status == TaskResultStatus.FAILED_WITH_TERMINAL_ERROR and "AC122" in bad.reason_for_incompletion


def test_a_failed_tool_task_is_retried_alone(tmp_path):
    """The worker running one of three parallel tool calls dies (the task FAILS once):
    Conductor retries that task only; the other calls and the model turns are not run
    again, and the run still gives ``Runner.run``'s output and model calls."""
    from agentc.targets.conductor.emulator.simulator import TaskResult

    case = CASES["math_tutor"]
    compile_to(case["ref"], tmp_path)
    sim = Simulation.of(tmp_path)
    served, failed = [], []
    real_serve = sim._serve

    def serve(call):
        served.append(call.task_type)
        if call.task_type.endswith("-multiply") and not failed:
            failed.append(call.task_id)
            return TaskResult("FAILED", {}, "worker lost")
        return real_serve(call)

    sim.sim._worker = serve
    with recording() as log:
        out = sim.start(case["input"], O.make_context(case))
    native = O.run_native(case)
    assert out.output["final_output"] == native["final_output"]
    assert O.model_calls(log) == native["model_calls"]
    tools = [t.rsplit("-", 1)[1] for t in served if not t.endswith("-model")]
    assert sorted(tools) == ["add", "add", "multiply", "multiply", "round_to"]  # multiply twice: the retry
    assert served.count("math_tutor-model") == 3
