"""``agentc history`` / ``export --engine conductor``: a Conductor simulation's history
(its saved execution) gives the same trajectory as the same run on the local executor; an
agent run's transcript exported from it replays locally with zero model calls."""
import subprocess
import sys

import harness as H
import openai_agents_oracle as O

import agentc
from agentc.audit import history, replay, trajectory
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.conductor.simulate import Simulation


def simulate(ref, value, tmp_path, answers=()):
    folder = tmp_path / "art"
    agentc.compile(ref, target="conductor").write(folder)
    sim = Simulation.of(str(folder))
    out = sim.start(value)
    for answer in answers:
        out = sim.resume(answer)
    state = tmp_path / "sims"
    sim.save(state / f"{out.run_id}.json")
    return out.run_id, state


def test_conductor_agent_history_matches_local_and_replays(tmp_path):
    case = O.load_cases()["order_status"]
    db = str(tmp_path / "runs.db")
    agentc.run(case["ref"], case["input"], db=db, run_id="local")
    run_id, state = simulate(case["ref"], case["input"], tmp_path)
    sim = history(run_id, engine="conductor", state_dir=state)
    assert sim.engine == "conductor" and sim.status == "done"
    assert trajectory.lines(sim) == trajectory.lines(history("local", db=db))
    path = tmp_path / "t.json"
    r = subprocess.run([sys.executable, "-m", "agentc.cli", "export", run_id, "--engine", "conductor",
                        "--state-dir", str(state), "-o", str(path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    with recording() as log:
        rep = replay(str(path), then="stop")
    assert log.calls == [] and rep.status == "done" and rep.diff == []


def test_conductor_graph_history_has_nodes_and_answers(tmp_path):
    name = "hitl_review"
    db = str(tmp_path / "runs.db")
    out = agentc.run(H.ref(name), H.CASES[name]["input"], db=db, run_id="local")
    for answer in H.CASES[name]["resumes"]:
        out = agentc.resume(out.run_id, answer, db=db)
    run_id, state = simulate(H.ref(name), H.CASES[name]["input"], tmp_path, H.CASES[name]["resumes"])
    sim = history(run_id, engine="conductor", state_dir=state)
    local = history("local", db=db)
    nodes = lambda h: [line for line in trajectory.lines(h) if not line.startswith(("resume", "status", "final"))]  # noqa: E731
    assert nodes(sim) == nodes(local)
    assert sim.status == "done" and H.normalise(sim.output) == H.normalise(local.output)
    assert len([e for e in sim.events if e.kind == "resume"]) == 2
