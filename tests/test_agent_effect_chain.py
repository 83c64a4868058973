"""OpenAI Agents tool effects in the run's audit chain on the engines (docs/effects.md,
"On the engines"): the booking saga agent on the Conductor simulation and on the Temporal
dev server. Each model step appends the effect records of the tool steps that ran since to
the run's audit log in the payload store (``agent_effects.stamp_turn``); ``agentc
effects/history --verify/export --engine ...`` check the server's ledger against it, so an
agent tool row edited, removed or inserted on the server fails with AC131 naming it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

import agentc
from agentc.semantics import claim_check
from agentc.targets.conductor.simulate import Simulation
from booking_service import serving

REF = "agentc.fixtures.openai_agents.booking_saga:agent"
FULL = "book trip t hotel full amount 1"
OK = "book trip t hotel ok amount 1"


@pytest.fixture
def svc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_store: str) -> Any:
    with serving(monkeypatch, tmp_path) as s:
        yield s


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentc.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=dict(os.environ),
    )


def test_audit_log_keeps_every_record_past_the_journal_flatten() -> None:
    """``save_journal`` flattens a chain every ``CHAIN_MAX`` links into one manifest of
    what it is given: the log must hand it the whole log, not only the new records."""
    from agentc.runtime_shims import step_audit

    head = None
    n = claim_check.CHAIN_MAX + 8
    for i in range(1, n + 1):
        rec = step_audit.record("n", {"step": i, "task": "t", "writes": [], "effect": {"i": i}})
        head = step_audit.extend(head, [rec])
    assert [k for k, _ in step_audit.read(head)] == [f"/{i}/t" for i in range(1, n + 1)]


# ---------------------------------------------------------------- Conductor simulation
def on_conductor(tmp_path: Path, inp: str) -> tuple[str, Path, Path]:
    folder = tmp_path / "art"
    agentc.compile(REF, target="conductor").write(folder)
    sim = Simulation.of(str(folder))
    try:
        sim.start(inp)
    except agentc.AgentcError:  # the hotel is full: the failure workflow compensates
        ex = sim.sim.execution(sim.workflow_id)
        assert sim.sim.run(ex["output"]["conductor.failure_workflow"]) == "COMPLETED"
    state = tmp_path / "sims"
    path = sim.save(state / f"{sim.run_id}.json")
    return sim.run_id, state, Path(path)


def _forge(saved: dict[str, Any], edit: Callable[[list[dict[str, Any]]], list[Any]]) -> None:
    """Apply ``edit`` to every copy of the run's effect records the server holds: each
    tool task's ``effect`` and each model task's carried ``effects``."""
    root = saved["simulator"]["workflows"][saved["workflow_id"]]
    for t in root["tasks"]:
        out = t.get("outputData") or {}
        if isinstance(out.get("effects"), str):
            out["effects"] = claim_check.put_value(edit(claim_check.get_value(out["effects"])))
        if isinstance(out.get("effect"), dict):
            (kept,) = edit([out["effect"]]) or [None]
            if kept is None:
                del out["effect"]
            else:
                out["effect"] = kept


def _rows(run_id: str, state: Path, cwd: Path) -> list[dict[str, Any]]:
    r = cli(
        "effects", run_id, "--engine", "conductor", "--state-dir", str(state), "--json", cwd=cwd
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_conductor_agent_tool_effects_are_chained_and_verify(svc: Any, tmp_path: Path) -> None:
    from agentc.runtime_shims import step_audit
    from agentc.targets.conductor.effects import run_head

    run_id, state, path = on_conductor(tmp_path, OK)
    rows = _rows(run_id, state, tmp_path)
    assert [(r["name"], r["target"], r["result"]) for r in rows] == [
        ("reserve_flight", "tool", "FL-t-1"),
        ("reserve_hotel", "tool", "HT-t-2"),
        ("charge_card", "tool", "CH-t-3"),
    ]
    saved = json.loads(path.read_text())
    head = run_head(saved["simulator"]["workflows"][saved["workflow_id"]]["tasks"])
    chained = [(k, r["out"]["effect"]["result"]) for k, r in step_audit.read(head)]
    assert chained == [(f"tool/{r['key']}", r["result"]) for r in rows]
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


@pytest.mark.parametrize("how", ["result", "arguments", "removed", "inserted", "compensation"])
def test_conductor_agent_tool_row_edited_on_the_server_fails_with_ac131(
    how: str, svc: Any, tmp_path: Path
) -> None:
    run_id, state, path = on_conductor(tmp_path, FULL if how == "compensation" else OK)
    key = _rows(run_id, state, tmp_path)[0]["key"]  # reserve_flight
    saved = json.loads(path.read_text())
    if how == "result":
        _forge(
            saved,
            lambda recs: [dict(r, result="FL-forged") if r["key"] == key else r for r in recs],
        )
    elif how == "arguments":
        _forge(
            saved,
            lambda recs: [dict(r, args={"trip": "x"}) if r["key"] == key else r for r in recs],
        )
    elif how == "removed":
        _forge(saved, lambda recs: [r for r in recs if r["key"] != key])
    elif how == "inserted":  # a charge nobody made, carried by the model steps
        forged: list[dict[str, Any]] = []

        def add(recs: list[dict[str, Any]]) -> list[Any]:
            if len(recs) > 1 and not forged:
                forged.append(dict(recs[-1], key="agentc-forged", result="CH-forged"))
            return [*recs, *forged] if len(recs) > 1 else recs

        _forge(saved, add)
        key = "agentc-forged"
    else:  # the failure workflow's record says nothing was undone
        root = saved["simulator"]["workflows"][saved["workflow_id"]]
        comp = saved["simulator"]["workflows"][root["output"]["conductor.failure_workflow"]]
        for t in comp["tasks"]:
            (t.get("outputData") or {})["keys"] = []
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


def test_conductor_compensation_chains_the_failed_turns_tool_calls(
    svc: Any, tmp_path: Path
) -> None:
    """The hotel is full: the compensation's log holds the flight's record, then its
    compensation (the chain the server's ledger is checked against)."""
    from agentc.runtime_shims import step_audit
    from agentc.targets.conductor.effects import chain_head

    run_id, state, path = on_conductor(tmp_path, FULL)
    rows = _rows(run_id, state, tmp_path)
    assert [(r["name"], r["status"], r["comp_status"]) for r in rows] == [
        ("reserve_flight", "done", "done")
    ]
    saved = json.loads(path.read_text())
    flows = saved["simulator"]["workflows"]
    root = flows[saved["workflow_id"]]
    comp = flows[root["output"]["conductor.failure_workflow"]]
    keys = [k for k, _ in step_audit.read(chain_head(root, comp))]
    assert keys == [f"tool/{rows[0]['key']}", f"effect-compensated/{rows[0]['key']}"]


# ---------------------------------------------------------------- Temporal dev server
async def _temporal(address: str, inp: str) -> tuple[str, Any]:
    from agentc.targets.temporal import engine

    client = await engine.connect(address)
    loaded = engine.load(REF)
    q = f"achain-{uuid.uuid4().hex[:10]}"
    run_id = f"{q}-run"
    async with engine.running_worker(client, loaded, q):
        try:
            out = await asyncio.wait_for(
                engine.start(REF, address, inp, client=client, task_queue=q, run_id=run_id), 90
            )
        except agentc.AgentcError as exc:
            out = exc
    return run_id, out


def _temporal_turn_head(run_id: str, address: str) -> str:
    """The head the last model step returned (from the workflow's history)."""

    async def go() -> str:
        from agentc.runtime_shims.protocol import is_model_turn
        from agentc.targets.temporal.engine import connect

        client = await connect(address)
        hist = await client.get_workflow_handle(run_id).fetch_history()
        heads = []
        for e in hist.events:
            if e.HasField("activity_task_completed_event_attributes"):
                a = e.activity_task_completed_event_attributes
                out = (await client.data_converter.decode(a.result.payloads) or [None])[0]
                if is_model_turn(out) and out.get("audit"):
                    heads.append(out["audit"])
        return heads[-1]

    return asyncio.run(go())


def test_temporal_agent_tool_effects_chain_and_forged_rows_fail(
    svc: Any, temporal_address: str, tmp_path: Path
) -> None:
    from agentc.runtime_shims import step_audit
    from agentc.targets.effect_audit import checked
    from agentc.targets.temporal.effects import ledger

    run_id, out = asyncio.run(_temporal(temporal_address, OK))
    assert out.status == "done", out
    rows = asyncio.run(ledger(run_id, temporal_address))
    assert [(r["name"], r["target"], r["result"]) for r in rows] == [
        ("reserve_flight", "tool", "FL-t-1"),
        ("reserve_hotel", "tool", "HT-t-2"),
        ("charge_card", "tool", "CH-t-3"),
    ]
    head = _temporal_turn_head(run_id, temporal_address)
    assert [k for k, _ in step_audit.read(head)] == [f"tool/{r['key']}" for r in rows]
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
    # the dev server's history cannot be edited in place: the rows it gives are edited as a
    # server-side edit would change them, then checked against the chain
    for edit in ("result", "removed", "inserted", "status"):
        forged = [dict(x) for x in rows]
        key = rows[1]["key"]
        if edit == "result":
            forged[1]["result"] = "HT-forged"
        elif edit == "removed":
            del forged[1]
        elif edit == "inserted":
            forged.append(dict(rows[2], key="agentc-forged"))
            key = "agentc-forged"
        else:
            forged[1]["status"] = "started"
        with pytest.raises(agentc.AgentcError, match=f"effect ledger row {key}") as e:
            checked(run_id, forged, head)
        assert e.value.diagnostic.code.value == "AC131"


def test_temporal_agent_compensation_extends_the_chain(
    svc: Any, temporal_address: str, tmp_path: Path
) -> None:
    from agentc.targets.temporal.effects import ledger

    run_id, out = asyncio.run(_temporal(temporal_address, FULL))
    assert isinstance(out, agentc.AgentcError) and "no room left" in str(out), out
    rows = asyncio.run(ledger(run_id, temporal_address))
    assert [(r["name"], r["status"], r["comp_status"]) for r in rows] == [
        ("reserve_flight", "done", "done")
    ]
    r = cli("effects", run_id, "--engine", "temporal", "--address", temporal_address, cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_a_tool_call_no_model_step_followed_is_checked_against_its_own_link(
    local_store: str,
) -> None:
    """A sibling of the call that failed the run (no compensation to chain it): its row is
    checked against its tool step's own link; without one it was inserted."""
    from agentc.runtime_shims.agent_effects import tool_link
    from agentc.targets.effect_audit import checked

    rec = {"key": "k1", "name": "reserve_flight", "class": "idempotent", "path": "p"}
    rec |= {"compensator": None, "args": {"trip": "t"}, "result": "FL-1", "digest": "d"}
    row = {"key": "k1", "name": "reserve_flight", "target": "tool", "class": "idempotent"}
    row |= {"path": "p", "compensator": None, "arguments": {"trip": "t"}, "result": "FL-1"}
    row |= {"digest": "d", "status": "done", "comp_status": None}
    link = tool_link(dict(rec, target="tool"))
    assert link is not None
    assert checked("r", [row], None, links={"k1": link}) == [row]
    for forged, links in (
        (dict(row, result="FL-forged"), {"k1": link}),
        (dict(row, status="started"), {"k1": link}),
        (row, {}),
    ):
        with pytest.raises(agentc.AgentcError, match="effect ledger row k1") as e:
            checked("r", [forged], None, links=links)
        assert e.value.diagnostic.code.value == "AC131"
