"""Engine effect ledgers in agentc's per-run audit chain (docs/effects.md, "In the audit
chain"; targets/effect_audit.py): the booking saga on the Conductor simulation and on the
Temporal dev server. Each completed effect (and each compensation) is a record of the
run's audit log in the payload store; ``agentc effects --engine ...``,
``agentc history --verify --engine ...`` and ``export`` check the server's ledger against
it, so a ledger entry edited or removed on the server, or a chain record edited or
deleted in the store, fails loudly (AC131, exit 2) naming the row; the history and the
export list the ``effect`` events, as the local ledger's chain does."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

import agentc
from agentc.audit import history
from agentc.targets.conductor.simulate import Simulation
from booking_service import serving

SAGA = "agentc.fixtures.langgraph.booking_saga:graph"
POLICY = (
    Path(__file__).resolve().parents[1] / "fixtures" / "langgraph" / "booking_saga.policy.toml"
).read_text()
BOOKED = {"trip": "t", "hotel": "ok", "amount": 5}
FULL = {"trip": "t", "hotel": "full", "amount": 5}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentc.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=dict(os.environ),
    )


@pytest.fixture
def svc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_store: str) -> Any:
    with serving(monkeypatch, tmp_path, POLICY.replace("[effects.", "[tool.agentc.effects.")) as s:
        yield s


def effect_events(h: Any) -> list[tuple[str | None, Any, Any]]:
    return [(e.name, e.data.get("from"), e.data.get("to")) for e in h.events if e.kind == "effect"]


# ---------------------------------------------------------------- Conductor simulation
def on_conductor(tmp_path: Path, inp: dict[str, Any]) -> tuple[str, Path, Path]:
    folder = tmp_path / "art"
    agentc.compile(SAGA, target="conductor").write(folder)
    sim = Simulation.of(str(folder))
    try:
        sim.start(inp)
    except agentc.AgentcError:  # the hotel is full: the failure workflow compensates
        ex = sim.sim.execution(sim.workflow_id)
        assert sim.sim.run(ex["output"]["conductor.failure_workflow"]) == "COMPLETED"
    state = tmp_path / "sims"
    path = sim.save(state / f"{sim.run_id}.json")
    return sim.run_id, state, Path(path)


def _root_tasks(saved: dict[str, Any]) -> list[dict[str, Any]]:
    return saved["simulator"]["workflows"][saved["workflow_id"]]["tasks"]


def _effect_task(saved: dict[str, Any], node: str) -> dict[str, Any]:
    return next(
        t
        for t in _root_tasks(saved)
        if ((t.get("outputData") or {}).get("effect") or {}).get("name") == node
    )


def test_conductor_history_lists_the_effects_and_the_compensation_like_local(
    svc: Any, tmp_path: Path
) -> None:
    run_id, state, _ = on_conductor(tmp_path, FULL)
    h = history(run_id, engine="conductor", state_dir=str(state))
    assert effect_events(h) == [
        ("reserve_flight", None, "done"),
        ("reserve_flight", "done", "done, compensated"),
    ]
    kinds = [e.kind for e in h.events]
    assert kinds.index("effect") == kinds.index("node") + 1  # right after its node step
    db = str(tmp_path / "local.db")
    with pytest.raises(agentc.AgentcError):
        agentc.run(SAGA, FULL, db=db, run_id="loc")
    local = [(e.name, e.data["to"]) for e in history("loc", db=db).events if e.kind == "effect"]
    # the local chain also notes `started` and `compensating`; the engines chain what completed
    assert [x for x in local if x[1] in ("done", "done, compensated")] == [
        (n, t) for n, _, t in effect_events(h)
    ]
    r = cli(
        "history",
        run_id,
        "--verify",
        "--engine",
        "conductor",
        "--state-dir",
        str(state),
        cwd=tmp_path,
    )
    assert r.returncode == 0 and "events verify" in r.stderr, r.stderr


@pytest.mark.parametrize("how", ["result", "removed", "compensation", "inserted"])
def test_conductor_ledger_edited_on_the_server_fails_with_ac131_naming_the_row(
    how: str, svc: Any, tmp_path: Path
) -> None:
    run_id, state, path = on_conductor(tmp_path, FULL if how == "compensation" else BOOKED)
    saved = json.loads(path.read_text())
    task = _effect_task(saved, "reserve_flight")
    key = task["outputData"]["effect"]["key"]
    if how == "result":
        task["outputData"]["effect"]["result"] = {"flight": "FL-forged"}
    elif how == "removed":
        del task["outputData"]["effect"]
    elif how == "compensation":  # the failure workflow's record says nothing was undone
        root = saved["simulator"]["workflows"][saved["workflow_id"]]
        comp = saved["simulator"]["workflows"][root["output"]["conductor.failure_workflow"]]
        for t in comp["tasks"]:
            (t.get("outputData") or {})["keys"] = []
    else:  # a charge nobody made
        forged = dict(task["outputData"]["effect"], key="agentc-forged", name="charge_card")
        other = next(
            t
            for t in _root_tasks(saved)
            if t["status"] == "COMPLETED" and "effect" not in (t.get("outputData") or {})
        )
        other.setdefault("outputData", {})["effect"] = forged
        key = "agentc-forged"
    path.write_text(json.dumps(saved))
    for cmd in (
        ("effects", run_id),
        ("history", run_id, "--verify"),
        ("export", run_id, "-o", str(tmp_path / "t.json")),
    ):
        r = cli(*cmd, "--engine", "conductor", "--state-dir", str(state), cwd=tmp_path)
        assert r.returncode == 2 and "AC131" in r.stderr and "Traceback" not in r.stderr, (
            cmd,
            r.stderr,
        )
        assert f"effect ledger row {key}" in r.stderr, r.stderr
    assert not (tmp_path / "t.json").exists()


@pytest.fixture
def local_store_path(local_store: str) -> Path:
    return Path(local_store)


@pytest.mark.parametrize("how", ["edited", "deleted"])
def test_conductor_effect_chain_edited_or_deleted_in_the_store_fails_loudly(
    how: str, svc: Any, tmp_path: Path, local_store_path: Path
) -> None:
    from agentc.semantics import blobs

    run_id, state, path = on_conductor(tmp_path, BOOKED)
    r = cli("effects", run_id, "--engine", "conductor", "--state-dir", str(state), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    saved = json.loads(path.read_text())
    head = _effect_task(saved, "charge_card")["outputData"]["audit"]
    assert blobs.is_ref(head)  # a link holding an effect lives in the store, not inline
    digest = head[len(blobs.PREFIX) :]
    blob = local_store_path / digest[:2] / digest
    if how == "edited":
        body = blob.read_bytes()
        blob.write_bytes(body.replace(b'"add"', b'"add" ', 1))
    else:
        blob.unlink()
    for cmd in (("effects", run_id), ("history", run_id, "--verify")):
        r = cli(*cmd, "--engine", "conductor", "--state-dir", str(state), cwd=tmp_path)
        assert r.returncode == 2 and "AC131" in r.stderr and "Traceback" not in r.stderr, (
            cmd,
            r.stderr,
        )
        assert (
            "does not match its digest" if how == "edited" else "is missing from the store"
        ) in r.stderr


# ---------------------------------------------------------------- Temporal dev server
async def _temporal(address: str, inp: dict[str, Any]) -> str:
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    loaded = engine.load(SAGA)
    q = f"chain-{uuid.uuid4().hex[:10]}"
    run_id = f"{q}-run"
    async with engine.running_worker(client, loaded, q):
        try:
            await asyncio.wait_for(
                engine.start(SAGA, address, inp, client=client, task_queue=q, run_id=run_id), 60
            )
        except agentc.AgentcError:
            pass
    return run_id


def test_temporal_effect_chain_history_and_ledger_check(
    svc: Any, temporal_address: str, tmp_path: Path
) -> None:
    from agentc.targets.effect_audit import checked
    from agentc.targets.temporal.effects import ledger

    run_id = asyncio.run(_temporal(temporal_address, FULL))
    h = history(run_id, engine="temporal", address=temporal_address)
    assert effect_events(h) == [
        ("reserve_flight", None, "done"),
        ("reserve_flight", "done", "done, compensated"),
    ]
    r = cli(
        "history",
        run_id,
        "--verify",
        "--engine",
        "temporal",
        "--address",
        temporal_address,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    rows = asyncio.run(ledger(run_id, temporal_address))
    assert [(r["name"], r["status"], r["comp_status"]) for r in rows] == [
        ("reserve_flight", "done", "done")
    ]
    # the server's history cannot be edited in place on the dev server: the rows it gives
    # are edited as a server-side edit would change them, then checked against the chain
    from agentc.runtime_shims.step_audit import FIELD

    head = _temporal_head(run_id, temporal_address, FIELD)
    for edit in ("result", "removed", "compensation"):
        forged = [dict(r) for r in rows]
        if edit == "result":
            forged[0]["result"] = {"flight": "FL-forged"}
        elif edit == "removed":
            forged = []
        else:
            forged[0]["comp_status"] = None
        with pytest.raises(agentc.AgentcError, match=f"effect ledger row {rows[0]['key']}") as e:
            checked(run_id, forged, head)
        assert e.value.diagnostic.code.value == "AC131"


def _temporal_head(run_id: str, address: str, field: str) -> str:
    """The head the last compensation returned (from the workflow's history)."""

    async def go() -> str:
        from agentc.targets.temporal.engine import connect

        client = await connect(address)
        hist = await client.get_workflow_handle(run_id).fetch_history()
        heads = []
        for e in hist.events:
            if e.HasField("activity_task_completed_event_attributes"):
                a = e.activity_task_completed_event_attributes
                out = (await client.data_converter.decode(a.result.payloads) or [None])[0]
                if isinstance(out, dict) and out.get(field):
                    heads.append(out[field])
        return heads[-1]

    return asyncio.run(go())
