"""Local external deadlines that fire with nobody continuing the run (docs/policies.md
"External completion"; ``targets/local/deadline_sweep.py``, ``agentc timers``).

A run waits on an external step with a ``timeout``; nobody calls ``agentc complete``. Past
the deadline every read shows it ``timed_out``; a sweep fails it with ``AC316`` and runs
its failure handling (compensation of its completed compensable effects), once — a second
sweep, or a second process sweeping at the same time, does nothing more. ``--watch``
sleeps until the earliest deadline. Time is moved (the deadline clock, or the stored
deadline for other processes), never waited for."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest

import agentc
from agentc.complete import complete
from agentc.errors import AgentcError
from agentc.fixtures.langgraph import db_migration as M
from agentc.fixtures.openai_agents import db_admin as D
from agentc.targets.local import deadline_sweep, external_deadlines
from agentc.targets.local.journal import Journal
from test_external_tools import ASK, DONE as TOOL_DONE, REF as TOOL_REF
from test_policies_external import INPUT, REF

HOUR = 3600
T0 = 1_900_000_000.0
UNDO = "agentc.fixtures.external_undo"


def tool_policy(tmp_path, timeout=HOUR):
    p = tmp_path / "tool.toml"
    p.write_text(
        f"[policies.tools.backup_table]\nexternal = true\ntimeout = {timeout}\n\n"
        f'[effects.archive_rows]\nclass = "compensable"\ncompensator = "{UNDO}:unarchive"\n'
    )
    return p


def node_policy(tmp_path, timeout=HOUR, compensable=False):
    p = tmp_path / "node.toml"
    body = f"[policies.nodes.migrate]\nexternal = true\ntimeout = {timeout}\n"
    if compensable:
        body += f'\n[effects.plan]\nclass = "compensable"\ncompensator = "{UNDO}:unplan"\n'
    p.write_text(body)
    return p


@pytest.fixture
def clock(monkeypatch):
    """The deadline clock, moved by the test (``external_deadlines.clock``)."""
    now = [T0]
    monkeypatch.setattr(external_deadlines, "clock", lambda: now[0])
    return now


def start_tool_run(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTC_POLICY", str(tool_policy(tmp_path)))
    D.EXECUTED.clear()
    out = agentc.run(TOOL_REF, ASK, db=tmp_path / "runs.db")
    assert out.status == "waiting" and D.EXECUTED == ["archive prod_logs 10"], out
    return out


def status_of(db, run_id):
    (row,) = [r for r in agentc.runs(db) if r["run_id"] == run_id]
    return row["status"]


def stored_status(db, run_id):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT status FROM runs WHERE run_id=?", (run_id,)).fetchone()[0]


# ---------------------------------------------------------------- one sweep
def test_sweep_fires_an_external_tool_deadline_nobody_continues(tmp_path, monkeypatch, clock):
    db = tmp_path / "runs.db"
    out = start_tool_run(tmp_path, monkeypatch)
    clock[0] = T0 + 600  # before the deadline: nothing to fire; the next one is known
    early = deadline_sweep.sweep(db)
    assert early.fired == [] and early.next_deadline == T0 + HOUR
    assert status_of(db, out.run_id) == "waiting"

    clock[0] = T0 + HOUR + 1  # nobody completed it
    # every read reports it timed out; none of them fires it (reads run no user code)
    assert status_of(db, out.run_id) == "timed_out"
    assert agentc.history(out.run_id, db=db).status == "timed_out"
    assert stored_status(db, out.run_id) == "waiting" and D.EXECUTED == ["archive prod_logs 10"]

    swept = deadline_sweep.sweep(db)
    (fired,) = swept.fired
    assert fired["run_id"] == out.run_id and fired["step"] == out.interrupts[0]["id"]
    assert "AC316" in fired["error"] and "tool 'backup_table'" in fired["error"]
    assert "fired by agentc timers" in fired["error"]
    # its failure handling ran, as for a failed tool: the compensable sibling is undone
    assert fired["compensated"] == ["archive_rows"] and fired["status"] == "compensated"
    assert D.EXECUTED == ["archive prod_logs 10", "unarchive prod_logs 10"]
    assert status_of(db, out.run_id) == "compensated"

    # the journal's audit chain records it, and still verifies
    hist = agentc.history(out.run_id, db=db)
    last = [e for e in hist.events if e.kind == "status"][-1]
    assert last.data["status"] == "failed" and "AC316" in last.data["error"]
    assert hist.status == "compensated"
    assert any(e.kind == "effect" and "comp" in json.dumps(e.data) for e in hist.events), [
        (e.kind, e.data) for e in hist.events
    ]
    assert agentc.audit.verify(out.run_id, db=db) is None

    # a second sweep does nothing; a late completion is refused, naming the deadline
    again = deadline_sweep.sweep(db)
    assert again.fired == [] and again.busy == [] and again.failed == []
    assert D.EXECUTED == ["archive prod_logs 10", "unarchive prod_logs 10"]
    with pytest.raises(AgentcError) as exc:
        complete(out.run_id, out.interrupts[0]["id"], TOOL_DONE, db=db)
    assert exc.value.code.value == "AC112" and "AC316" in exc.value.diagnostic.message


def test_late_complete_runs_the_same_failure_handling(tmp_path, monkeypatch, clock):
    """`agentc complete` after the deadline fires it the same way (compensation included;
    before, it only marked the run failed and left the archived rows in place)."""
    db = tmp_path / "runs.db"
    out = start_tool_run(tmp_path, monkeypatch)
    clock[0] = T0 + HOUR + 1
    with pytest.raises(AgentcError) as exc:
        complete(out.run_id, out.interrupts[0]["id"], TOOL_DONE, db=db)
    assert exc.value.code.value == "AC316"
    assert D.EXECUTED == ["archive prod_logs 10", "unarchive prod_logs 10"]
    assert "fired by agentc complete" in str(exc.value)
    assert status_of(db, out.run_id) == "compensated"
    assert deadline_sweep.sweep(db).fired == []


def test_sweep_fires_a_node_deadline_and_a_resume_gets_a_new_deadline(tmp_path, monkeypatch, clock):
    db = tmp_path / "runs.db"
    monkeypatch.setenv("AGENTC_POLICY", str(node_policy(tmp_path)))
    out = agentc.run(REF, INPUT, db=db)
    clock[0] = T0 + HOUR + 1
    M.EXECUTED.clear()
    (fired,) = agentc.fire_deadlines(db).fired
    assert "node 'migrate'" in fired["error"] and fired["status"] == "failed"
    assert fired["compensated"] == [] and M.EXECUTED == []  # nothing to undo, nothing ran
    # as any failed run, a resume runs the step again: a new pause with its own deadline
    again = agentc.resume(out.run_id, db=db)
    assert again.status == "waiting" and status_of(db, out.run_id) == "waiting"
    assert deadline_sweep.sweep(db).next_deadline == T0 + 2 * HOUR + 1


def test_sweep_compensates_a_node_run(tmp_path, monkeypatch, clock):
    db = tmp_path / "runs.db"
    monkeypatch.setenv("AGENTC_POLICY", str(node_policy(tmp_path, compensable=True)))
    out = agentc.run(REF, INPUT, db=db)
    clock[0] = T0 + HOUR
    M.EXECUTED.clear()
    (fired,) = deadline_sweep.sweep(db).fired  # due at the deadline itself
    assert fired["run_id"] == out.run_id and fired["compensated"] == ["plan"]
    assert M.EXECUTED == ["unplan events"]


# ---------------------------------------------------------------- leases
def test_a_sweep_leaves_a_run_another_process_drives(tmp_path, monkeypatch, clock):
    db = tmp_path / "runs.db"
    out = start_tool_run(tmp_path, monkeypatch)
    clock[0] = T0 + HOUR + 1
    driver = Journal(db)
    try:
        with driver.driving(out.run_id):  # e.g. an `agentc complete` in flight
            busy = deadline_sweep.sweep(db)
            assert busy.fired == [] and busy.busy == [out.run_id]
            assert deadline_sweep.next_wake(busy) == busy.at + deadline_sweep.BUSY_RETRY
    finally:
        driver.close()
    assert [f["run_id"] for f in deadline_sweep.sweep(db).fired] == [out.run_id]


def test_two_concurrent_sweeps_fire_once(tmp_path, monkeypatch, clock):
    """Two `agentc timers` processes at once: one fires (and compensates), the other finds
    the run busy or already failed. Other processes cannot see this test's clock, so the
    stored deadlines are moved into the past instead."""
    db = tmp_path / "runs.db"
    runs = [start_tool_run(tmp_path, monkeypatch).run_id for _ in range(3)]
    with sqlite3.connect(db) as c:
        c.execute("UPDATE external_deadlines SET deadline = ?", (time.time() - 1,))
    effects = tmp_path / "effects.txt"
    env = {**os.environ, "AGENTC_DB": str(db), "AGENTC_EFFECTS_FILE": str(effects)}
    cmd = [sys.executable, "-m", "agentc.cli", "timers"]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    sweeps = [json.loads(o) for o, _ in outs]
    fired = sorted(f["run_id"] for s in sweeps for f in s["fired"])
    assert fired == sorted(runs)  # each run fired exactly once, by one of the two
    assert effects.read_text().split("\n")[:-1] == ["unarchive prod_logs 10"] * 3
    assert {status_of(db, r) for r in runs} == {"compensated"}
    clock[0] = T0 + 2 * HOUR
    assert deadline_sweep.sweep(db).fired == []


# ---------------------------------------------------------------- --watch
def test_watch_sleeps_until_the_earliest_deadline(tmp_path, monkeypatch, clock):
    db = tmp_path / "runs.db"
    tool = start_tool_run(tmp_path, monkeypatch)  # deadline T0 + 1 h
    monkeypatch.setenv("AGENTC_POLICY", str(node_policy(tmp_path, timeout=600)))
    node = agentc.run(REF, INPUT, db=db)  # deadline T0 + 10 min: the earliest
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # time passes only when the loop sleeps
        slept.append(seconds)
        clock[0] += seconds

    loop = deadline_sweep.watch(db, rescan=6 * HOUR, sleep=sleep)
    first, wake = next(loop)
    assert first.fired == [] and wake == T0 + 600
    second, wake = next(loop)
    assert [f["run_id"] for f in second.fired] == [node.run_id] and wake == T0 + HOUR
    third, wake = next(loop)
    assert [f["run_id"] for f in third.fired] == [tool.run_id]
    assert wake == T0 + HOUR + 6 * HOUR  # nothing waits: the rescan bound
    assert slept == [600, HOUR - 600]  # two sleeps, no polling in between


def test_watch_rescans_for_deadlines_stamped_meanwhile(tmp_path, clock):
    db = tmp_path / "runs.db"
    Journal(db).close()  # an empty store
    result = deadline_sweep.sweep(db)
    assert result.next_deadline is None
    assert deadline_sweep.next_wake(result, rescan=30) == T0 + 30


def test_timers_cli_without_a_store(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "agentc.cli", "timers", "--store", str(tmp_path / "none.db")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "AC120" in r.stderr and "Traceback" not in r.stderr
