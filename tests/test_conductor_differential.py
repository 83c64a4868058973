"""The Conductor target against the oracle: for every LangGraph fixture, the emitted
workflow JSON, executed by the simulator (Conductor's runtime semantics) with worker
tasks served by the shim, ends in LangGraph's own final state — HITL fixtures pause at
HUMAN tasks and resume with the same result as ``Command(resume=...)``, including
across processes (the paused simulation is saved and reloaded)."""

import pytest

import harness

from agentc.targets.conductor.simulate import NO_VALUE, Simulation


def compile_to(name, folder):
    import agentc

    agentc.compile(harness.ref(name), target="conductor").write(folder)
    return folder


def simulated(name, folder, state_file=None):
    case = harness.CASES[name]
    sim = Simulation.of(folder)
    outcome = sim.start(case["input"], case.get("context"))
    for answer in case["resumes"]:
        assert outcome.status == "waiting", f"{name}: expected a pause, got {outcome.status}"
        if state_file is not None:  # a fresh process-like reload between pause and resume
            sim.save(state_file)
            sim = Simulation.load(state_file)
        value = NO_VALUE if answer is None else harness.agentc_answer(name, outcome, answer)
        outcome = sim.resume(value)
    assert outcome.status == "done", f"{name}: simulation still {outcome.status}: {outcome.interrupts}"
    return outcome.output, sim


@pytest.mark.parametrize("name", sorted(harness.CASES))
def test_native_equals_simulated_conductor(name, tmp_path):
    expected = harness.normalise(harness.native(name))
    got, _ = simulated(name, compile_to(name, tmp_path / "out"), tmp_path / "paused.json")
    assert harness.normalise(got) == expected


def test_hitl_pauses_at_a_human_task(tmp_path):
    folder = compile_to("hitl_review", tmp_path / "out")
    sim = Simulation.of(folder)
    outcome = sim.start(harness.CASES["hitl_review"]["input"])
    assert outcome.status == "waiting"
    pending = sim.sim.pending_human(sim.workflow_id)
    assert [p["ref"] for p in pending] == ["human_review_1"]
    ex = sim.sim.execution(sim.workflow_id)
    types = [t["taskType"] for t in ex["tasks"]]
    assert "HUMAN" in types and ex["status"] == "RUNNING"
