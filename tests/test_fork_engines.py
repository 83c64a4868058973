"""``agentc fork RUN_ID --engine temporal|conductor`` (docs/replay.md "Forks on Temporal and
Conductor"): a fork of an engine run is a new workflow on that engine started with the
original's journal prefix. Its result is the local fork's and the native SDK's with the same
altered model turn; the prefix calls no model; the fork names its origin in its history;
bad requests are the local fork's diagnostics (exit 2)."""
import asyncio
import json
import subprocess
import sys
import uuid

import agentc
import openai_agents_oracle as O
import pytest
from agentc.audit import fork, history, trajectory
from agentc.audit.engine_fork import fork_on_engine
from agentc.errors import AgentcError
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.conductor.simulate import Simulation
from agentc.targets.temporal import engine
from test_replay import ALTERED, Scripted, native_agent_run

CASE = O.load_cases()["order_status"]
REPLY = [{"type": "function_call", "name": "send_reply", "arguments": '{"message": "Sorry, B-77 is late."}',
          "call_id": "call_reply", "id": "fc_reply", "status": "completed"}]


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def simulate(ref, value, tmp_path):
    folder = tmp_path / "art"
    agentc.compile(ref, target="conductor").write(folder)
    sim = Simulation.of(str(folder))
    out = sim.start(value)
    state = tmp_path / "sims"
    sim.save(state / f"{out.run_id}.json")
    return out.run_id, str(state)


async def on_temporal(ref, address, value, tmp_path, case=None):
    """The original on a task queue of its own (its forks serve the same queue): the test
    counts the calls this process makes, and another test's worker polling the workflow's
    default queue (``agentc-<graph>``) under ``-n 2`` would take some of them."""
    q = f"forkagent-{uuid.uuid4().hex[:8]}"
    client = await engine.connect(address)
    async with engine.running_worker(client, engine.load(ref, tmp_path / "code"), q):
        out = await engine.start(ref, address, value, client=client, task_queue=q)
        while out.status == "waiting":
            out = await engine.resume(out.run_id, address, O.approval_value(case, out.interrupts), client=client)
        return out.run_id


def model_turns(h):
    return [e.seq for e in h.events if e.kind == "model"]


def local_fork(tmp_path, turn, value=None, case=CASE):
    """The local fork of the same run at the same model turn (docs/replay.md): its history,
    the answers it was seeded with where the original got them (``Replay.replayed``)."""
    db = str(tmp_path / "runs.db")
    out = agentc.run(case["ref"], case["input"], db=db, run_id="o")
    while out.status == "waiting":
        out = agentc.resume("o", O.approval_value(case, out.interrupts), db=db)
    r = fork("o", db=db, at=model_turns(history("o", db=db))[turn], value=value, new_run_id="o-fork")
    return r.replayed


def native_with_first_turn(items):
    from agentc.fixtures.openai_agents import order_status

    return native_agent_run(order_status.agent.clone(model=Scripted(items, order_status.agent.model)), CASE["input"])


def check_fork(f, origin, turn_seq, local, changed=True):
    """The fork's history: the local fork's trajectory, its origin named."""
    assert f.status == "done" and f.replayed.status == "done"
    assert f.outcome.output == local.output
    assert trajectory.lines(f.replayed) == trajectory.lines(local)
    assert f.replayed.origin["origin"] == origin and f.replayed.origin["at"] == turn_seq
    assert f.replayed.origin["changed"] is changed


REFUSE = [{"type": "message", "role": "assistant", "id": "m1", "status": "completed",
           "content": [{"type": "output_text", "text": "I refuse to pay.", "annotations": []}]}]


def check_nested_fork(f, origin, tmp_path, log):
    """``expense_approve`` forked at the Cashier's first turn (inside the agent used as a
    tool, a child workflow on the engine), which now refuses: the local fork's run, and
    only the Expense Desk's last turn is live."""
    case = O.load_cases()["expense_approve"]
    local = local_fork(tmp_path, 1, REFUSE, case=case)
    check_fork(f, origin, model_turns(f.original)[1], local)
    assert f.outcome.output["final_output"] == "Cashier says: I refuse to pay."
    assert len(log.calls) == f.live_model_calls == 1
    assert not any(e.kind == "tool" and e.name == "pay" for e in f.replayed.events)


def check_approvals_fork(f, origin, tmp_path):
    """``expense_approve`` forked at its first turn, unchanged: the approval the original got is
    in the fork's starting journal, so the fork does not pause and pays as the original did."""
    case = O.load_cases()["expense_approve"]
    check_fork(f, origin, model_turns(f.original)[0], local_fork(tmp_path, 0, case=case), changed=False)
    assert f.outcome.output == f.original.output
    assert [e.kind for e in f.replayed.events].count("resume") == 1


# ---------------------------------------------------------------- Conductor simulation
def test_conductor_fork_at_a_model_turn_matches_local_fork_and_native_run(tmp_path):
    run_id, state = simulate(CASE["ref"], CASE["input"], tmp_path)
    turn = model_turns(history(run_id, engine="conductor", state_dir=state))[0]
    with recording() as log:
        f = fork_on_engine(run_id, engine="conductor", at=turn, value=ALTERED, state_dir=state, new_run_id="f1")
    # the altered first turn came from the starting journal; only the turn after it is live
    assert len(log.calls) == f.live_model_calls == 1
    check_fork(f, run_id, turn, local_fork(tmp_path, 0, ALTERED))
    native = native_with_first_turn(ALTERED)
    assert f.outcome.output == {k: native[k] for k in ("final_output", "last_agent")}
    assert [(e.name, e.data["arguments"]) for e in f.replayed.events if e.kind == "tool"] == native["tools"]
    assert history("f1", engine="conductor", state_dir=state).origin["origin"] == run_id  # saved with it
    # a fork of the fork, at its last model turn unchanged: everything through it is journaled
    last = model_turns(history("f1", engine="conductor", state_dir=state))[-1]
    with recording() as log:
        g = fork_on_engine("f1", engine="conductor", at=last, state_dir=state)
    assert log.calls == [] and g.outcome.output == f.outcome.output and g.replayed.origin["origin"] == "f1"
    assert trajectory.lines(g.replayed) == trajectory.lines(f.replayed)


def test_conductor_fork_prefix_calls_no_model(tmp_path):
    run_id, state = simulate(CASE["ref"], CASE["input"], tmp_path)
    turn = model_turns(history(run_id, engine="conductor", state_dir=state))[1]
    with recording() as log:  # prefix: turn 1 and the lookup; the altered turn 2 replies: nothing live
        f = fork_on_engine(run_id, engine="conductor", at=turn, value=REPLY, state_dir=state)
    assert log.calls == [] and f.live_model_calls == 0
    assert f.outcome.output["final_output"] == "SENT: Sorry, B-77 is late."
    check_fork(f, run_id, turn, local_fork(tmp_path, 1, REPLY))


def test_conductor_fork_reuses_the_originals_answers_and_forks_inside_an_agent_tool(tmp_path):
    case = O.load_cases()["expense_approve"]
    folder = tmp_path / "art"
    agentc.compile(case["ref"], target="conductor").write(folder)
    sim = Simulation.of(str(folder))
    out = sim.start(case["input"])
    while out.status == "waiting":
        out = sim.resume(O.approval_value(case, out.interrupts))
    sim.save(tmp_path / "sims" / f"{out.run_id}.json")
    turn = model_turns(history(out.run_id, engine="conductor", state_dir=str(tmp_path / "sims")))[0]
    f = fork_on_engine(out.run_id, engine="conductor", at=turn, state_dir=str(tmp_path / "sims"))
    check_approvals_fork(f, out.run_id, tmp_path)
    with recording() as log:
        g = fork_on_engine(out.run_id, engine="conductor", at=model_turns(f.original)[1], value=REFUSE,
                           state_dir=str(tmp_path / "sims"))
    check_nested_fork(g, out.run_id, tmp_path / "nested", log)


def test_conductor_fork_cli_and_history_name_the_origin(tmp_path):
    run_id, state = simulate(CASE["ref"], CASE["input"], tmp_path)
    turn = model_turns(history(run_id, engine="conductor", state_dir=state))[0]
    r = cli("fork", run_id, "--engine", "conductor", "--state-dir", state, "--at", str(turn), "--set",
            json.dumps(ALTERED), "--run-id", "f2", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["run_id"], out["status"], out["live_model_calls"]) == ("f2", "done", 1)
    assert out["output"]["final_output"] == "SENT: Good news! B-78: packing, arrives in 5 days."
    r = cli("history", "f2", "--engine", "conductor", "--state-dir", state)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1].startswith(f"fork of {run_id} at event {turn}, its output replaced by")


def test_conductor_fork_bad_requests_are_the_local_diagnostics(tmp_path):
    run_id, state = simulate(CASE["ref"], CASE["input"], tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)
    status = next(e.seq for e in h.events if e.kind == "status")
    for args, code in [(("nope", "--at", "2"), "AC120"),
                       ((run_id, "--at", "99"), "AC132"),
                       ((run_id, "--at", str(status)), "AC132"),
                       ((run_id, "--at", str(model_turns(h)[0]), "--set", '[{"type": "function_call"}]'), "AC133")]:
        r = cli("fork", *args, "--engine", "conductor", "--state-dir", state)
        assert r.returncode == 2 and code in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    assert sorted(p.stem for p in (tmp_path / "sims").iterdir()) == [run_id]  # nothing was started


def test_a_graph_run_forks_on_engines_without_calling_its_prefix(tmp_path):
    """Graphs fork on the engines too (tests/test_graph_fork_engines.py has the cases): a
    fork at the last node, unchanged, answers every node from the record."""
    import harness as H

    run_id, state = simulate(H.ref("chain"), H.CASES["chain"]["input"], tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)
    last = [e.seq for e in h.events if e.kind == "node"][-1]
    f = fork_on_engine(run_id, engine="conductor", at=last, state_dir=state)
    assert f.status == "done" and f.outcome.output == h.output and f.live_nodes == 0 and f.diff == []


def test_local_fork_history_names_its_origin(tmp_path):
    local_fork(tmp_path, 0, ALTERED)
    h = history("o-fork", db=str(tmp_path / "runs.db"))
    assert h.origin["origin"] == "o" and h.origin["changed"] and h.origin["value"] == ALTERED
    r = cli("history", "o-fork", "--db", str(tmp_path / "runs.db"))
    assert r.returncode == 0 and r.stdout.splitlines()[1].startswith("fork of o at event 2")


# ---------------------------------------------------------------- Temporal
def test_temporal_fork_at_a_model_turn_matches_local_fork_and_native_run(temporal_address, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the in-process worker's generated code goes under .agentc/
    run_id = asyncio.run(on_temporal(CASE["ref"], temporal_address, CASE["input"], tmp_path))
    turns = model_turns(history(run_id, engine="temporal", address=temporal_address))
    with recording() as log:  # around the worker: its activity threads inherit the context
        f = fork_on_engine(run_id, engine="temporal", at=turns[0], value=ALTERED, address=temporal_address,
                           with_worker=True)
    assert len(log.calls) == f.live_model_calls == 1
    check_fork(f, run_id, turns[0], local_fork(tmp_path, 0, ALTERED))
    native = native_with_first_turn(ALTERED)
    assert f.outcome.output == {k: native[k] for k in ("final_output", "last_agent")}
    with recording() as log:
        g = fork_on_engine(run_id, engine="temporal", at=turns[1], value=REPLY, address=temporal_address,
                           with_worker=True)
    assert log.calls == [] and g.live_model_calls == 0
    check_fork(g, run_id, turns[1], local_fork(tmp_path / "second", 1, REPLY))


def test_temporal_fork_reuses_the_originals_answers_and_forks_inside_an_agent_tool(temporal_address, tmp_path,
                                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    case = O.load_cases()["expense_approve"]
    run_id = asyncio.run(on_temporal(case["ref"], temporal_address, case["input"], tmp_path, case))
    turn = model_turns(history(run_id, engine="temporal", address=temporal_address))[0]
    f = fork_on_engine(run_id, engine="temporal", at=turn, address=temporal_address, with_worker=True)
    check_approvals_fork(f, run_id, tmp_path)
    with recording() as log:
        g = fork_on_engine(run_id, engine="temporal", at=model_turns(f.original)[1], value=REFUSE,
                           address=temporal_address, with_worker=True)
    check_nested_fork(g, run_id, tmp_path / "nested", log)


def test_temporal_fork_cli_history_and_bad_requests(temporal_address, tmp_path, local_store):
    run_id = asyncio.run(on_temporal(CASE["ref"], temporal_address, CASE["input"], tmp_path))
    turn = model_turns(history(run_id, engine="temporal", address=temporal_address))[0]
    new_id = f"{run_id}-f"
    address = ("--engine", "temporal", "--address", temporal_address)
    r = cli("fork", run_id, *address, "--with-worker", "--at", str(turn), "--set", json.dumps(ALTERED),
            "--run-id", new_id, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"forked {run_id} at event {turn} -> {new_id} (done)" in r.stderr
    assert "live model calls: 1" in r.stdout and '+  call lookup_order({"order_id": "B-78"})' in r.stdout
    r = cli("history", new_id, *address)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1].startswith(f"fork of {run_id} at event {turn}, its output replaced by")
    assert "B-78: packing" in r.stdout
    for args, code in [(("no-such-run", "--at", "2"), "AC120"), ((run_id, "--at", "99"), "AC132"),
                       ((run_id, "--at", str(turn), "--set", '{"output": 3}'), "AC133")]:
        r = cli("fork", *args, *address)
        assert r.returncode == 2 and code in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_audit_replay_is_the_function_once_its_module_is_imported():
    """``agentc.audit.replay`` is a function and a submodule's name: importing the submodule
    (any fork or replay does) must not put the module in the function's place."""
    r = subprocess.run([sys.executable, "-c", "import agentc.audit as a, agentc.audit.engine_fork, "
                        "agentc.audit.replay; print(type(a.replay).__name__, type(a.fork).__name__)"],
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["function", "function"], r.stderr
