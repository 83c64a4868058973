"""Unfinished effect states in the run's audit chain on the engines (docs/effects.md, "On
the engines"): a step that reports an effect it did not finish — an ``at_most_once`` call
cut off (AC305: ``started``, then ``failed`` once a human forgot it) or a node paused at
``interrupt()`` after its effect (``paused``) — writes its own record to the payload store
(``step_audit.unfinished``) and carries the link; ``agentc effects/history --verify
--engine ...`` check such a row against it, so a forged or edited row in one of those
states fails with AC131 naming it. Scenarios of tests/test_at_most_once_engines.py."""

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
from agentc.targets.conductor.simulate import Simulation
from booking_service import serving
from lost_answers import lose_once
from test_at_most_once_engines import AGENT, AGENT_INPUT, AGENT_POLICY, INPUT, POLICY, SAGA


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
    with serving(monkeypatch, tmp_path, POLICY) as s:
        yield s


def _cut_off(tmp_path: Path, ref: str) -> tuple[str, Path, Path]:
    """A simulation blocked on a cut-off ``charge_card`` (AC305), saved."""
    if ref == AGENT:
        (tmp_path / "pyproject.toml").write_text(AGENT_POLICY)
    out = tmp_path / "cond"
    agentc.compile(ref, target="conductor").write(out)
    sim = Simulation.of(out)
    lost = lose_once(sim, "charge_card")
    with pytest.raises(agentc.AgentcError) as err:
        sim.start(INPUT if ref == SAGA else AGENT_INPUT)
    assert lost and err.value.code.value == "AC305", err.value
    states = tmp_path / "sims"
    path = Path(sim.save(states / f"{sim.run_id}.json"))
    return sim.run_id, states, path


def _waiting_output(saved: dict[str, Any]) -> dict[str, Any]:
    tasks = saved["simulator"]["workflows"][saved["workflow_id"]]["tasks"]
    return next(t["outputData"] for t in tasks if "uncertain" in (t.get("outputData") or {}))


def _check(run_id: str, states: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return cli("effects", run_id, "--engine", "conductor", "--state-dir", str(states), cwd=cwd)


@pytest.mark.parametrize("ref", [SAGA, AGENT])
@pytest.mark.parametrize("how", ["arguments", "forged", "failed-edited"])
def test_conductor_cut_off_call_row_forged_on_the_server_fails_with_ac131(
    how: str, ref: str, svc: Any, tmp_path: Path
) -> None:
    run_id, states, path = _cut_off(tmp_path, ref)
    r = cli(
        "effects",
        run_id,
        "--engine",
        "conductor",
        "--state-dir",
        str(states),
        "--json",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    (row,) = [x for x in json.loads(r.stdout) if x["name"] == "charge_card"]
    assert row["status"] == "started"
    key = row["key"]
    if how == "failed-edited":  # a human forgot it (failed), then the server's record was edited
        f = cli(
            "effects",
            run_id,
            "--forget",
            key,
            "--engine",
            "conductor",
            "--state-dir",
            str(states),
            cwd=tmp_path,
        )
        assert f.returncode == 0, f.stderr
        assert _check(run_id, states, tmp_path).returncode == 0
    saved = json.loads(path.read_text())
    rec = _waiting_output(saved)["uncertain"]
    if how == "forged":  # a call nobody started
        rec["key"] = key = "agentc-forged"
    else:
        rec["args"] = {"forged": True}
    path.write_text(json.dumps(saved))
    for cmd in (("effects", run_id), ("history", run_id, "--verify")):
        r = cli(*cmd, "--engine", "conductor", "--state-dir", str(states), cwd=tmp_path)
        assert r.returncode == 2 and "AC131" in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert f"effect ledger row {key}" in r.stderr, r.stderr


@pytest.mark.parametrize("how", ["arguments", "forged"])
def test_conductor_paused_row_forged_on_the_server_fails_with_ac131(
    how: str, svc: Any, tmp_path: Path
) -> None:
    ref = "agentc.fixtures.langgraph.booking_approval:graph"
    out, states = tmp_path / "cond", tmp_path / "sims"
    agentc.compile(ref, target="conductor").write(out)
    r = cli(
        "simulate", str(out), "--input", '{"trip": "c"}', "--state-dir", str(states), cwd=tmp_path
    )
    assert r.returncode == 3, r.stderr
    run_id = json.loads(r.stdout)["run_id"]
    r = cli(
        "effects",
        run_id,
        "--engine",
        "conductor",
        "--state-dir",
        str(states),
        "--json",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert [(x["name"], x["status"]) for x in json.loads(r.stdout)] == [("book", "paused")]
    path = states / f"{run_id}.json"
    saved = json.loads(path.read_text())
    tasks = saved["simulator"]["workflows"][saved["workflow_id"]]["tasks"]
    paused = next(t["outputData"] for t in tasks if (t.get("outputData") or {}).get("effect"))
    key = paused["effect"]["key"]
    if how == "forged":
        paused["effect"]["key"] = key = "agentc-forged"
    else:
        paused["effect"]["args"] = {"trip": "forged"}
    path.write_text(json.dumps(saved))
    r = _check(run_id, states, tmp_path)
    assert r.returncode == 2 and "AC131" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert f"effect ledger row {key}" in r.stderr, r.stderr


# ---------------------------------------------------------------- Temporal dev server
def test_temporal_cut_off_agent_tool_row_is_checked_against_its_workers_record(
    svc: Any, temporal_address: str, tmp_path: Path
) -> None:
    """The retried tool activity answers AC305 with its own record's link (in the failure's
    details); the server's ``started`` row verifies against it, a forged one does not."""
    from temporalio import activity

    from agentc.targets.effect_audit import checked
    from agentc.targets.temporal import engine
    from agentc.targets.temporal.effects import ledger, server_record

    (tmp_path / "pyproject.toml").write_text(AGENT_POLICY)
    lost: list[str] = []

    async def go() -> str:
        client = await engine.connect(temporal_address)
        loaded = engine.load(AGENT)
        names = sorted(loaded["worker"].layout.task_kinds)
        wrapped = []
        for fn, name in zip(loaded["activities"], names):

            def make(fn: Any = fn, name: str = name) -> Any:
                @activity.defn(name=name)
                def run(payload: dict) -> Any:
                    out = fn(payload)
                    if name.endswith("charge_card") and not lost:
                        lost.append(name)
                        raise RuntimeError("worker lost before reporting")
                    return out

                return run

            wrapped.append(make())
        loaded = {**loaded, "activities": [*wrapped, *loaded["activities"][len(names) :]]}
        q = f"unf-{uuid.uuid4().hex[:10]}"
        run_id = f"{q}-run"
        async with engine.running_worker(client, loaded, q):
            run = asyncio.ensure_future(
                engine.start(
                    AGENT, temporal_address, AGENT_INPUT, client=client, task_queue=q, run_id=run_id
                )
            )
            with pytest.raises(agentc.AgentcError) as err:
                await asyncio.wait_for(run, 90)
            assert err.value.code.value == "AC305", err.value
        return run_id

    run_id = asyncio.run(go())
    assert lost
    rows = asyncio.run(ledger(run_id, temporal_address))
    (row,) = [x for x in rows if x["name"] == "charge_card"]
    assert row["status"] == "started"
    rows, head, links = asyncio.run(server_record(run_id, temporal_address))
    assert links[row["key"]] == _failure_link(run_id, temporal_address)  # the AC305's own record
    assert checked(run_id, rows, head, links=links) == rows
    i = next(n for n, x in enumerate(rows) if x["name"] == "charge_card")
    for edit in ("arguments", "status", "unlinked"):
        forged, given = [dict(x) for x in rows], dict(links)
        if edit == "arguments":
            forged[i]["arguments"] = {"forged": True}
        elif edit == "status":
            forged[i]["status"] = "done"
        else:  # a cut-off call no worker reported
            del given[row["key"]]
        with pytest.raises(agentc.AgentcError, match=f"effect ledger row {row['key']}") as e:
            checked(run_id, forged, head, links=given)
        assert e.value.diagnostic.code.value == "AC131"


def _failure_link(run_id: str, address: str) -> str:
    async def go() -> str:
        from agentc.targets.temporal.engine import connect

        client = await connect(address)
        hist = await client.get_workflow_handle(run_id).fetch_history()
        for e in hist.events:
            if e.HasField("activity_task_failed_event_attributes"):
                d = e.activity_task_failed_event_attributes.failure.application_failure_info
                out = (await client.data_converter.decode(d.details.payloads) or [None])[0]
                if isinstance(out, dict) and out.get("audit"):
                    return str(out["audit"])
        raise AssertionError("no AC305 failure with a link")

    return asyncio.run(go())
