"""``agentc replay`` / ``agentc fork`` (docs/replay.md): a recorded run re-run on the local
executor reproduces its trajectory with zero model calls; an altered step changes exactly
what follows it, the same way a native run (``Runner.run``, ``graph.invoke``) does with
the same scripted model output; bad requests are diagnostics (exit 2)."""
import json
import subprocess
import sys

import pytest

import harness as H
import openai_agents_oracle as O

import agentc
from agentc.audit import history, replay
from agentc.audit.replay import NOT_SET
from agentc.errors import AgentcError, RunFailed
from agentc.fixtures.openai_agents.fake_model import recording

AGENT_CASES = O.load_cases()


def run_agent_case(case, db, run_id):
    try:
        out = agentc.run(case["ref"], case["input"], db=db, context=O.make_context(case),
                         recursion_limit=case.get("max_turns"), run_id=run_id)
        while out.status == "waiting":
            out = agentc.resume(out.run_id, O.approval_value(case, out.interrupts), db=db)
    except RunFailed:
        pass


def run_graph_case(name, db, run_id):
    case = H.CASES[name]
    out = agentc.run(H.ref(name), case["input"], db=db, context=case.get("context"), run_id=run_id)
    for answer in case["resumes"]:
        out = agentc.resume(out.run_id, H.agentc_answer(name, out, answer), db=db)
    assert out.status == "done"


@pytest.mark.parametrize("name", sorted(AGENT_CASES))
def test_agent_replay_reproduces_trajectory_with_zero_model_calls(name, tmp_path):
    db = str(tmp_path / "runs.db")
    run_agent_case(AGENT_CASES[name], db, "r")
    with recording() as log:  # then="stop": any step the record lacks would stop the replay
        r = replay("r", db=db, then="stop")
    assert log.calls == []
    assert (r.status, r.stopped, r.live_model_calls) == (history("r", db=db).status, None, 0)
    assert r.diff == []
    assert r.replayed.output == r.original.output


GRAPH_CASES = sorted(n for n in H.CASES if n not in ("functional_refused",))


@pytest.mark.parametrize("name", GRAPH_CASES)
def test_graph_replay_reproduces_trajectory_without_running_a_node(name, tmp_path):
    db = str(tmp_path / "runs.db")
    run_graph_case(name, db, "g")
    r = replay("g", db=db, then="stop")  # strict: a node that would run live stops the replay
    assert (r.status, r.stopped) == ("done", None), r.stopped
    assert r.diff == []
    assert H.normalise(r.replayed.output) == H.normalise(r.original.output)
