"""``agentc history`` / ``export --engine temporal``: a Temporal run's workflow history,
read through the client, gives the same trajectory as the same run on the local executor;
an agent run's transcript exported from Temporal replays locally with zero model calls."""
import asyncio
import json
import subprocess
import sys

import agentc
import harness as H
import openai_agents_oracle as O
import pytest
from agentc.audit import history, replay, trajectory
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.temporal import engine

AGENT_CASES = O.load_cases()


async def on_temporal(ref, address, value, tmp_path, decide=None):
    client = await engine.connect(address)
    async with engine.running_worker(client, engine.load(ref, tmp_path / "code")):
        out = await engine.start(ref, address, value, client=client)
        while out.status == "waiting":
            out = await engine.resume(out.run_id, address, decide(out), client=client)
        return out.run_id


@pytest.mark.parametrize("name", ["order_status", "expense_approve"])
def test_temporal_agent_history_matches_local_and_replays(name, temporal_address, tmp_path):
    case = AGENT_CASES[name]
    db = str(tmp_path / "runs.db")
    out = agentc.run(case["ref"], case["input"], db=db, run_id="local")
    while out.status == "waiting":
        out = agentc.resume(out.run_id, O.approval_value(case, out.interrupts), db=db)
    run_id = asyncio.run(on_temporal(case["ref"], temporal_address, case["input"], tmp_path,
                                     decide=lambda o: O.approval_value(case, o.interrupts)))
    remote = history(run_id, engine="temporal", address=temporal_address)
    local = history("local", db=db)
    assert remote.engine == "temporal" and remote.entry == case["ref"]
    assert trajectory.lines(remote) == trajectory.lines(local)
    path = tmp_path / "t.json"
    r = subprocess.run([sys.executable, "-m", "agentc.cli", "export", run_id, "--engine", "temporal",
                        "--address", temporal_address, "-o", str(path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    with recording() as log:
        rep = replay(str(path), then="stop")
    assert log.calls == [] and rep.status == "done" and rep.diff == []


def test_temporal_graph_history_matches_local(temporal_address, tmp_path):
    name = "router_loop"
    db = str(tmp_path / "runs.db")
    agentc.run(H.ref(name), H.CASES[name]["input"], db=db, run_id="local")
    run_id = asyncio.run(on_temporal(H.ref(name), temporal_address, H.CASES[name]["input"], tmp_path))
    remote = history(run_id, engine="temporal", address=temporal_address)
    assert [e.kind for e in remote.events][0] == "input" and remote.events[-1].data["status"] == "done"
    local = history("local", db=db)
    steps = lambda h: [line for line in trajectory.lines(h) if not line.startswith(("final", "status"))]
    assert steps(remote) == steps(local)
    assert H.normalise(remote.output) == H.normalise(local.output)
    assert json.dumps(remote.to_json())  # plain JSON throughout
