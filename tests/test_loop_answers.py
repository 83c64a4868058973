"""Answers to human pauses inside Conductor loop iterations the server trimmed
(docs/replay.md, "Graph loops past keepLastN"): a ``DO_WHILE`` keeps its last two
iterations, so the ``HUMAN`` tasks of the first rounds are gone from the execution; the
resumed node steps record the answers they were given in the run's audit log
(runtime_shims/step_audit.py), and ``agentc history``/``export`` give every answer back,
before the step it resumed — the answers and node steps of the local history of the same
inputs, in its order."""

from __future__ import annotations

from pathlib import Path

import agentc
from agentc.audit import history, transcript
from agentc.targets.conductor.simulate import Simulation

REF = "loop_interrupt_graph:graph"
ANSWERS = ["a0", "a1", "a2", "a3"]


def drive(start, resume):
    out = start()
    given = iter(ANSWERS)
    while out.status == "waiting":
        out = resume(next(given))
    assert out.status == "done", out
    return out


def trail(h):
    """The node steps and the answers, in history order (the answers' values)."""
    out = []
    for e in h.events:
        if e.kind == "resume":
            v = e.data["value"]
            out.append(("resume", v.get("resume", v) if isinstance(v, dict) else v))
        elif e.kind == "node":
            out.append(("node", e.name))
    return out


def test_conductor_loop_answers_in_trimmed_iterations_come_back_where_given(tmp_path: Path):
    db = str(tmp_path / "runs.db")
    local = drive(
        lambda: agentc.run(REF, {"rounds": 0}, db=db, run_id="loc"),
        lambda v: agentc.resume("loc", v, db=db),
    )
    folder = tmp_path / "art"
    agentc.compile(REF, target="conductor").write(folder)
    sim = Simulation.of(str(folder))
    out = drive(lambda: sim.start({"rounds": 0}), sim.resume)
    assert out.output == local.output == {"rounds": 4, "answers": ANSWERS}
    state = tmp_path / "sims"
    saved = sim.save(state / f"{sim.run_id}.json")
    humans = [t for t in sim.sim.execution(sim.workflow_id)["tasks"] if t["taskType"] == "HUMAN"]
    assert len(humans) < len(ANSWERS)  # the server trimmed the first rounds' HUMAN tasks
    h = history(sim.run_id, engine="conductor", state_dir=str(state))
    loc = history("loc", db=db)
    assert trail(h) == trail(loc)
    assert [v for k, v in trail(h) if k == "resume"] == ANSWERS
    back = transcript.load(transcript.write(tmp_path / "t.json", transcript.dumps(h)))
    assert trail(back) == trail(loc) and transcript.check(back) is None
    assert saved
