"""Whole records of long graph loops on the engines (docs/replay.md, "Graph loops past
keepLastN" and "Runs that continued as new"):

* Conductor: a ``DO_WHILE`` keeps its last two iterations (``keepLastN``); the steps'
  audit log (runtime_shims/step_audit.py) gives the history every iteration back, so a
  graph fork at a trimmed step runs (it was refused, AC200) and gives what the local fork
  and native LangGraph time travel give; a log record edited or deleted in the store fails
  ``agentc history`` loudly (AC131, exit 2) instead of leaving a hole;
* Temporal: a run that continued as new is read across all its runs, so its history is the
  local run's, it replays whole, and a fork at a step of its first run works."""

import asyncio
import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import harness as H
import pytest

import agentc
from agentc.audit import fork, history, replay, trajectory, transcript
from agentc.audit.engine_fork import fork_on_engine
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.conductor.simulate import Simulation
from agentc.targets.temporal import engine

NAME = "router_loop"
INPUT = H.CASES[NAME]["input"]
REFINED = {"rounds": 3, "history": ["refine->3 (altered)"]}
"""What the first ``refine`` (step 2, trimmed on Conductor) returns in the forks: the loop
ends at once (``rounds`` reaches ``max_rounds``)."""


def cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "agentc.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def local_run(tmp_path):
    db = str(tmp_path / "runs.db")
    agentc.run(H.ref(NAME), INPUT, db=db, run_id="loc")
    return db, history("loc", db=db)


def nodes(h):
    return [(e.step, e.name) for e in h.events if e.kind == "node"]


def seq_of(h, name, step):
    return next(e.seq for e in h.events if (e.kind, e.name, e.step) == ("node", name, step))


def native_time_travel(step, value):
    """LangGraph's own fork: the checkpoint before superstep ``step``, ``refine``'s output
    replaced there (``update_state(..., as_node="refine")``), then run on."""
    from langgraph.checkpoint.memory import InMemorySaver

    from agentc.fixtures.langgraph import router_loop

    g = router_loop.builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    g.invoke(INPUT, cfg)
    before = next(s for s in g.get_state_history(cfg) if s.metadata["step"] == step - 1)
    assert before.next == ("refine",)
    return g.invoke(None, g.update_state(before.config, value, as_node="refine"))


def check_fork(do_fork, h, tmp_path):
    """A fork at the first ``refine`` (step 2): the prefix is answered from the record and
    the result is the local fork's and native time travel's."""
    db, local = local_run(tmp_path / "forked")
    f = do_fork(seq_of(h, "refine", 2), REFINED)
    loc = fork("loc", db=db, at=seq_of(local, "refine", 2), value=REFINED, new_run_id="lf")
    native = native_time_travel(2, REFINED)
    assert f.status == "done" and f.live_nodes == 2  # write, polish after the altered refine
    assert H.normalise(f.outcome.output) == H.normalise(native) == H.normalise(loc.replayed.output)
    assert native["history"] == ["write#0", "refine->3 (altered)", "write#3", "polish"]
    assert trajectory.lines(f.replayed) == trajectory.lines(loc.replayed)


# ---------------------------------------------------------------- Conductor simulation
def on_conductor(tmp_path):
    folder = tmp_path / "art"
    agentc.compile(H.ref(NAME), target="conductor").write(folder)
    sim = Simulation.of(str(folder))
    out = sim.start(INPUT)
    path = tmp_path / "sims" / f"{out.run_id}.json"
    sim.save(path)
    return out.run_id, str(tmp_path / "sims"), path


def test_conductor_loop_keeps_two_iterations_and_the_history_holds_all(tmp_path):
    run_id, state, path = on_conductor(tmp_path)
    saved = json.loads(path.read_text())
    root = saved["simulator"]["workflows"][saved["workflow_id"]]
    kept = [
        t["referenceTaskName"] for t in root["tasks"] if t.get("taskType") == "router_loop-write"
    ]
    assert len(kept) == 2  # the execution lost the older iterations (keepLastN)
    h = history(run_id, engine="conductor", state_dir=state)
    assert nodes(h) == nodes(local_run(tmp_path)[1])


def test_conductor_graph_fork_at_a_trimmed_iteration_matches_local_fork_and_time_travel(tmp_path):
    run_id, state, _ = on_conductor(tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)
    check_fork(
        lambda at, v: fork_on_engine(run_id, engine="conductor", at=at, value=v, state_dir=state),
        h,
        tmp_path,
    )


def _log_blob(path: Path, store: str) -> Path:
    """A link of the run's audit log that lives in the store (the head's base chain)."""
    from agentc.runtime_shims import step_audit
    from agentc.semantics import blobs

    saved = json.loads(path.read_text())
    root = saved["simulator"]["workflows"][saved["workflow_id"]]
    text = max(
        (
            t["outputData"]
            for t in root["tasks"]
            if (t.get("outputData") or {}).get(step_audit.FIELD)
        ),
        key=lambda o: o["step"],
    )[step_audit.FIELD]
    while not blobs.is_ref(text):  # an inline link: its base is the link before it
        text = json.loads(base64.b64decode(text[len("journal:") :]))["base"]
        assert text, "the whole log is inline; nothing in the store to tamper with"
    digest = text[len(blobs.PREFIX) :]
    return Path(store) / digest[:2] / digest


@pytest.mark.parametrize("how", ["edited", "deleted"])
def test_conductor_loop_log_edited_or_deleted_in_the_store_fails_loudly(how, tmp_path, local_store):
    run_id, state, path = on_conductor(tmp_path)
    env = dict(os.environ)
    r = cli("history", run_id, "--engine", "conductor", "--state-dir", state, env=env)
    assert r.returncode == 0, r.stderr
    blob = _log_blob(path, local_store)
    if how == "edited":
        body = blob.read_bytes()
        assert b"refine" in body
        blob.write_bytes(body.replace(b"refine", b"refinf"))
    else:
        blob.unlink()
    for cmd in (("history",), ("export", "-o", str(tmp_path / "t.json"))):
        r = cli(cmd[0], run_id, *cmd[1:], "--engine", "conductor", "--state-dir", state, env=env)
        assert r.returncode == 2 and "AC131" in r.stderr and "Traceback" not in r.stderr, (
            cmd,
            r.stderr,
        )
        assert f"run {run_id}: the audit log of its graph steps cannot be read" in r.stderr
        assert (
            "does not match its digest" if how == "edited" else "is missing from the store"
        ) in r.stderr
    assert not (tmp_path / "t.json").exists()


# ---------------------------------------------------------------- Temporal
async def _on_temporal(address, tmp_path, options):
    client = await engine.connect(address)
    async with engine.running_worker(client, engine.load(H.ref(NAME), tmp_path / "code")):
        out = await engine.start(H.ref(NAME), address, INPUT, options=options, client=client)
        runs = [w async for w in client.list_workflows(f"WorkflowId = '{out.run_id}'")]
        return out, len(runs)


def test_temporal_run_that_continued_as_new_is_read_across_its_runs(
    temporal_address, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the in-process worker's generated code goes under .agentc/
    out, runs = asyncio.run(_on_temporal(temporal_address, tmp_path, {"max_history_events": 5}))
    assert out.status == "done" and runs > 2  # every loop iteration continued as new
    h = history(out.run_id, engine="temporal", address=temporal_address)
    _, local = local_run(tmp_path / "local")
    assert nodes(h) == nodes(local) and len(nodes(h)) == 8
    assert [e.kind for e in h.events] == [e.kind for e in local.events]  # one input, one status
    assert trajectory.lines(h) == trajectory.lines(local)
    assert H.normalise(h.output) == H.normalise(local.output)
    path = transcript.write(tmp_path / "t.json", transcript.dumps(h))
    with recording() as log:
        r = replay(str(path), then="stop")
    assert (log.calls, r.status, r.stopped, r.live_nodes, r.diff) == ([], "done", None, 0, [])
    check_fork(
        lambda at, v: fork_on_engine(
            out.run_id,
            engine="temporal",
            at=at,
            value=v,
            address=temporal_address,
            with_worker=True,
        ),
        h,
        tmp_path,
    )


def test_temporal_agent_run_that_continued_as_new_is_read_across_its_runs(
    temporal_address, tmp_path, monkeypatch
):
    """An agent loop continued as new per iteration: read across its runs, its history is
    the local run's — no step twice. (Its model steps return the whole journal, so the last
    run alone already held every entry: this guards the walk, it is not a regression test.)"""
    import openai_agents_oracle as O
    from test_replay import run_agent_case

    monkeypatch.chdir(tmp_path)
    case = O.load_cases()["math_tutor"]

    async def go():
        client = await engine.connect(temporal_address)
        async with engine.running_worker(client, engine.load(case["ref"], tmp_path / "code")):
            out = await engine.start(
                case["ref"],
                temporal_address,
                case["input"],
                context=O.make_context(case),
                options={"max_history_events": 5},
                client=client,
            )
        return out, [w async for w in client.list_workflows(f"WorkflowId = '{out.run_id}'")]

    out, runs = asyncio.run(go())
    assert out.status == "done" and len(runs) > 1
    h = history(out.run_id, engine="temporal", address=temporal_address)
    db = str(tmp_path / "runs.db")
    run_agent_case(case, db, "loc")
    local = history("loc", db=db)
    assert [e.kind for e in h.events] == [e.kind for e in local.events]
    assert trajectory.lines(h) == trajectory.lines(local)


def test_temporal_effects_of_a_run_that_continued_as_new_list_every_run(temporal_address, tmp_path,
                                                                        monkeypatch):
    """``agentc effects --engine temporal`` read the workflow's last run only: the effects
    of the loop iterations before a continue-as-new were missing. Read across the runs, the
    ledger is the local run's (same keys, same order)."""
    from agentc.targets.temporal.effects import ledger

    monkeypatch.chdir(tmp_path)  # the effect policy the compile, the run and its worker read
    (tmp_path / "pyproject.toml").write_text('[tool.agentc.effects]\nwrite = "idempotent"\n'
                                             'refine = "idempotent"\n')
    out, runs = asyncio.run(_on_temporal(temporal_address, tmp_path, {"max_history_events": 5}))
    assert out.status == "done" and runs > 2
    rows = asyncio.run(ledger(out.run_id, temporal_address))
    db = str(tmp_path / "local.db")
    agentc.run(H.ref(NAME), INPUT, db=db, run_id=out.run_id)  # same run id: the same keys
    local = agentc.effects_of(out.run_id, db=db)
    assert len(local) > 2 and [r["name"] for r in local].count("refine") > 1
    assert [(r["name"], r["key"], r["status"]) for r in rows] == \
        [(r["name"], r["key"], r["status"]) for r in local]
