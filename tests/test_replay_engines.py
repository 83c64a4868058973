"""Issue 13's bar on the engines: every fixture (each OpenAI Agents case and each LangGraph
case) run on the Conductor simulation and on Temporal, read back with ``agentc history
--engine ...``, exported as a transcript and replayed on the local executor, reproduces the
original trajectory with zero model calls (counted by the fake model's recorder) and no
node run live. test_replay.py holds the same bar for local runs."""
import asyncio
from pathlib import Path

import harness as H
import openai_agents_oracle as O
import pytest

import agentc
from agentc.audit import history, replay, trajectory, transcript
from agentc.errors import RunFailed
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.conductor.simulate import NO_VALUE, Simulation
from agentc.targets.temporal import engine

AGENT_CASES = O.load_cases()
GRAPH_CASES = sorted(n for n in H.CASES if n not in ("functional_refused",))
# The SDK runs an input guardrail concurrently with the first model turn (test_replay.py):
# the recorded turn had started when the tripwire fired; replayed, it is never asked for.
RACING_GUARDRAIL = {"homework_guard_trip": "History Tutor"}


def replays_exactly(h, tmp_path, name=None):
    """The transcript of ``h`` replayed strictly (``then="stop"``: a step the record lacks
    stops the replay) makes no model call, runs no node live and gives the same trajectory."""
    path = transcript.write(tmp_path / "t.json", transcript.dumps(h))
    with recording() as log:
        r = replay(str(path), then="stop")
    assert log.calls == []
    assert (r.status, r.stopped, r.live_model_calls, r.live_nodes) == (h.status, None, 0, 0), r.diff
    changed = [line for line in r.diff if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    if name in RACING_GUARDRAIL:
        assert changed and all(line.startswith("-") for line in changed), r.diff
        assert changed[0] == f"-model {RACING_GUARDRAIL[name]}"
    else:
        assert r.diff == []
    # add_messages gives a message without an id a fresh uuid each time the reducer runs
    assert H.normalise(r.replayed.output) == H.normalise(r.original.output)


# ------------------------------------------------------------------ Conductor simulation
def simulated(ref, folder, start, answers):
    agentc.compile(ref, target="conductor").write(folder / "art")
    sim = Simulation.of(str(folder / "art"))
    try:
        out = start(sim)
        while out.status == "waiting":
            out = sim.resume(answers(out))
    except RunFailed:
        pass
    sim.save(folder / "sims" / f"{sim.workflow_id}.json")
    return history(sim.workflow_id, engine="conductor", state_dir=folder / "sims")


@pytest.mark.parametrize("name", sorted(AGENT_CASES))
def test_conductor_agent_run_replays_with_zero_model_calls(name, tmp_path):
    case = AGENT_CASES[name]
    h = simulated(case["ref"], tmp_path,
                  lambda sim: sim.start(case["input"], O.make_context(case), case.get("max_turns")),
                  lambda out: O.approval_value(case, out.interrupts))
    assert h.engine == "conductor" and h.kind == "agents"
    replays_exactly(h, tmp_path, name)


def simulated_graph(name, tmp_path):
    case = H.CASES[name]
    answers = iter(case["resumes"])

    def answer(out):
        a = next(answers)
        return NO_VALUE if a is None else H.agentc_answer(name, out, a)

    return simulated(H.ref(name), tmp_path, lambda sim: sim.start(case["input"], case.get("context")), answer)


@pytest.mark.parametrize("name", GRAPH_CASES)
def test_conductor_graph_run_replays_without_running_a_node(name, tmp_path):
    h = simulated_graph(name, tmp_path)
    assert h.engine == "conductor" and h.status == "done"
    replays_exactly(h, tmp_path)


def test_conductor_graph_loop_history_holds_the_trimmed_iterations(tmp_path):
    """A DO_WHILE keeps its last two iterations (keepLastN, docs/conductor.md): the server
    drops older ones with their outputs. The steps' audit log (runtime_shims/step_audit.py)
    puts them back: the history is the local run's, step for step, and replays whole."""
    h = simulated_graph("router_loop", tmp_path)
    db = str(tmp_path / "runs.db")
    agentc.run(H.ref("router_loop"), H.CASES["router_loop"]["input"], db=db, run_id="loc")
    local = history("loc", db=db)
    nodes = [(e.step, e.name) for e in h.events if e.kind == "node"]
    assert nodes == [(e.step, e.name) for e in local.events if e.kind == "node"]
    assert len(nodes) == 8  # 3 rounds of write/refine, the last write, polish
    assert trajectory.lines(h) == trajectory.lines(local)
    replays_exactly(h, tmp_path)


# ------------------------------------------------------------------ Temporal
async def on_temporal(ref, address, folder: Path, start, answers):
    client = await engine.connect(address)
    async with engine.running_worker(client, engine.load(ref, folder / "code")):
        try:
            out = await start(client)
            while out.status == "waiting":
                out = await engine.resume(out.run_id, address, answers(out), client=client)
            return out.run_id
        except RunFailed as e:
            return e.diagnostic.construct


@pytest.mark.parametrize("name", sorted(AGENT_CASES))
def test_temporal_agent_run_replays_with_zero_model_calls(name, temporal_address, tmp_path):
    case = AGENT_CASES[name]
    run_id = asyncio.run(on_temporal(
        case["ref"], temporal_address, tmp_path,
        lambda client: engine.start(case["ref"], temporal_address, case["input"], context=O.make_context(case),
                                    max_turns=case.get("max_turns"), client=client),
        lambda out: O.approval_value(case, out.interrupts)))
    h = history(run_id, engine="temporal", address=temporal_address)
    assert h.engine == "temporal" and h.kind == "agents"
    replays_exactly(h, tmp_path, name)


@pytest.mark.parametrize("name", GRAPH_CASES)
def test_temporal_graph_run_replays_without_running_a_node(name, temporal_address, tmp_path):
    case = H.CASES[name]
    answers = iter(case["resumes"])

    def answer(out):
        a = next(answers)
        return engine.NO_VALUE if a is None else H.agentc_answer(name, out, a)

    run_id = asyncio.run(on_temporal(
        H.ref(name), temporal_address, tmp_path,
        lambda client: engine.start(H.ref(name), temporal_address, case["input"], context=case.get("context"),
                                    client=client),
        answer))
    h = history(run_id, engine="temporal", address=temporal_address)
    assert h.engine == "temporal" and h.status == "done"
    replays_exactly(h, tmp_path)


# ------------------------------------------------------------------ subgraph steps (both engines)
def node_steps(h):
    """A history's node steps as the local history keys them, event by event — a subgraph's
    START (``__start__``, its input's writes) included: the engines' first step of a child
    computes it and returns it (runtime_shims/subgraph_start.py). The root's START is the
    ``input`` event on every target."""
    return [(e.kind, e.name, e.ns, e.step, e.key, e.data.get("task"), e.data.get("writes"), e.raw)
            for e in h.events if e.kind == "node"]


def local_subgraph_history(tmp_path):
    db = str(tmp_path / "runs.db")
    agentc.run(H.ref("subgraph"), H.CASES["subgraph"]["input"], db=db, run_id="loc")
    local = history("loc", db=db)
    inner = [(e.ns, e.name) for e in local.events if e.kind == "node" and e.ns]
    assert inner == [("2:pull:research", "__start__"), ("2:pull:research", "gather"),
                     ("2:pull:research", "compose"), ("3:pull:review", "__start__")]
    return local


def test_conductor_subgraph_history_lists_the_subgraphs_own_steps(tmp_path):
    """A subgraph node's child execution (its SUB_WORKFLOW's) gives the subgraph's own node
    steps, keyed under the parent's task and before it, as the local history lists them; the
    transcript still replays strictly with no node run live."""
    local = local_subgraph_history(tmp_path)
    h = simulated_graph("subgraph", tmp_path)
    assert node_steps(h) == node_steps(local)
    replays_exactly(h, tmp_path)


def test_temporal_subgraph_history_lists_the_subgraphs_own_steps(temporal_address, tmp_path):
    """A subgraph node's child workflow (``{run}.{node}.{n}``) gives the subgraph's own node
    steps from its history, keyed and ordered as the local history lists them; the transcript
    still replays strictly with no node run live."""
    local = local_subgraph_history(tmp_path)
    ref, value = H.ref("subgraph"), H.CASES["subgraph"]["input"]
    run_id = asyncio.run(on_temporal(
        ref, temporal_address, tmp_path,
        lambda client: engine.start(ref, temporal_address, value, client=client), None))
    h = history(run_id, engine="temporal", address=temporal_address)
    assert node_steps(h) == node_steps(local)
    replays_exactly(h, tmp_path)
