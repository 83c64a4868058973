"""The effect ledger in the hash chain (docs/effects.md "Ledger", docs/replay.md "Verifying"):
every change of a local ledger row appends an ``effect`` audit entry (key, old → new state,
result digest, row digest), so ``agentc history --verify`` reports a ledger row edited,
deleted or inserted after the fact, and exports carry the entries (transcript version 2;
version 1 still reads)."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import agentc
import harness
from agentc.audit import transcript, verify
# the recording booking service and the CLI runner of the effect tests (one server per module)
from test_effects import cli, service, svc  # noqa: F401

SAGA = "agentc.fixtures.langgraph.booking_saga:graph"
SAGA_POLICY = str(harness.ROOT / "fixtures" / "langgraph" / "booking_saga.policy.toml")
AGENT_SAGA = "agentc.fixtures.openai_agents.booking_saga:agent"



@pytest.fixture
def compensated(svc: Any, tmp_path: Path) -> Path:
    """The LangGraph saga with a full hotel: the flight is booked, then compensated."""
    db = tmp_path / "r.db"
    with pytest.raises(agentc.AgentcError):
        agentc.run(SAGA, {"trip": "t2", "hotel": "full", "amount": 1}, db=db, run_id="bad",
                   policy=SAGA_POLICY)
    return db


def _flight_key(db: Path) -> str:
    rows = agentc.effects_of("bad", db=db)
    return next(r["key"] for r in rows if r["name"] == "reserve_flight")


def test_every_ledger_change_is_a_chained_history_event(compensated: Path) -> None:
    h = agentc.history("bad", db=compensated)
    changes = [(e.name, e.data["from"], e.data["to"]) for e in h.events if e.kind == "effect"]
    assert changes == [
        ("reserve_flight", None, "started"),
        ("reserve_flight", "started", "done"),
        ("reserve_hotel", None, "started"),
        ("reserve_hotel", "started", "failed"),
        ("reserve_flight", "done", "done, compensating"),
        ("reserve_flight", "done, compensating", "done, compensated"),
    ]
    done = [e for e in h.events if e.kind == "effect" and e.data["to"] == "done"][0]
    row = next(r for r in agentc.effects_of("bad", db=compensated) if r["name"] == "reserve_flight")
    assert done.key == row["key"] and done.data["result_digest"] == row["digest"]
    assert verify("bad", db=compensated) is None  # an untouched run verifies
    r = cli("history", "bad", "--db", str(compensated), "--verify")
    assert r.exit_code == 0 and "effect" in r.output and "done, compensated" in r.output


def _tamper(db: Path, sql: str, *args: Any) -> None:
    con = sqlite3.connect(db)
    con.execute(sql, args)
    con.commit()
    con.close()


def _fails(db: Path, key: str, words: str) -> None:
    found = verify("bad", db=db)
    assert found is not None and key in found.reason and words in found.reason, found
    r = cli("history", "bad", "--db", str(db), "--verify")
    assert r.exit_code == 2 and "AC131" in r.output and key in r.output, r.output
    assert cli("export", "bad", "--db", str(db), "-o", str(db) + ".json").exit_code == 2


def test_an_edited_ledger_row_fails_verify_naming_it(compensated: Path) -> None:
    key = _flight_key(compensated)
    _tamper(compensated, "UPDATE effects SET comp_status=NULL, comp_finished=NULL WHERE key=?", key)
    _fails(compensated, key, "edited")


def test_an_edited_result_fails_verify(compensated: Path) -> None:
    from agentc.semantics.codec import dumps

    key = _flight_key(compensated)
    _tamper(compensated, "UPDATE effects SET result=? WHERE key=?", dumps({"flight": "X"})[1], key)
    _fails(compensated, key, "edited")


def test_a_deleted_ledger_row_fails_verify_naming_it(compensated: Path) -> None:
    key = _flight_key(compensated)
    _tamper(compensated, "DELETE FROM effects WHERE key=?", key)
    _fails(compensated, key, "deleted")


def test_an_inserted_ledger_row_fails_verify_naming_it(compensated: Path) -> None:
    _tamper(compensated, "INSERT INTO effects(run_id, key, name, class, status, started)"
            " VALUES('bad', 'agentc-forged', 'charge_card', 'compensable', 'done', 1.0)")
    _fails(compensated, "agentc-forged", "inserted")


def test_a_deleted_effect_audit_entry_fails_verify(compensated: Path) -> None:
    _tamper(compensated, "DELETE FROM audit WHERE seq=(SELECT MAX(seq) FROM audit WHERE kind='effect')")
    assert verify("bad", db=compensated) is not None


def test_agent_tool_ledger_is_chained_too(svc: Any, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    agentc.run(AGENT_SAGA, "book trip t1 hotel ok amount 420", db=db, run_id="bad")
    keys = [e.key for e in agentc.history("bad", db=db).events if e.kind == "effect"]
    assert len(keys) == 6 and verify("bad", db=db) is None  # three tools: started, done each
    _tamper(db, "UPDATE effects SET status='compensated' WHERE key=?", keys[-1])
    _fails(db, keys[-1], "edited")


def test_export_carries_ledger_entries_and_version_1_still_loads(compensated: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "bad.json"
    r = cli("export", "bad", "--db", str(compensated), "-o", str(out))
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["version"] == transcript.VERSION == 2
    effects = [e for e in data["events"] if e["kind"] == "effect"]
    assert len(effects) == 6 and effects[-1]["data"]["to"] == "done, compensated"
    assert cli("verify", str(out)).exit_code == 0
    effects[-1]["data"]["to"] = "done"  # hide the compensation in the transcript
    (tmp_path / "edited.json").write_text(json.dumps(data))
    r = cli("verify", str(tmp_path / "edited.json"))
    assert r.exit_code == 2 and "AC131" in r.output
    old = [e for e in json.loads(out.read_text())["events"] if e["kind"] != "effect"]
    v1 = {**json.loads(out.read_text()), "version": 1}
    # a version-1 transcript (no effect events) of an agent run: rechain it as written then
    from agentc.runtime_shims.audit_events import Event, chain

    events = chain([Event.from_json({**e, "seq": 0, "hash": ""}) for e in old])
    v1.update(events=[e.to_json() for e in events], count=len(events), head=events[-1].hash)
    (tmp_path / "v1.json").write_text(json.dumps(v1))
    r = cli("verify", str(tmp_path / "v1.json"))
    assert r.exit_code == 0, r.output
    schema = json.loads(cli("transcript-schema").output)
    assert "effect" in schema["$defs"]["EventModel"]["properties"]["kind"]["enum"]
