"""The ``timeout`` of an external step on the local target (docs/policies.md "External
completion"): how long the outside work may take, as on Temporal (AC316).

No local process waits while a run is paused. The deadline is written when the run pauses
(``stamp``: the moment of the pause + the policy's ``timeout``, one row per waiting
external step, kept across later pauses of the same run) and fired by whoever comes first:

* ``agentc timers`` (``deadline_sweep.py``: one sweep, or ``--watch``), with nobody
  continuing the run;
* ``agentc complete`` / ``agentc resume`` of the run (``enforce``): the value is not used.

Firing (``fire``) is one code path for all of them, under the run's lease (``lease.py``),
so two processes never fire a run twice nor fire a run another process is continuing:
the run is marked failed with ``AC316`` naming the step (a status entry in the audit
chain), and its compensable effects are compensated (``compensation.after_failure``),
exactly as when a node fails — what a Temporal workflow does when the step's activity
times out. A run past its deadline that nobody fired yet is *shown* as ``timed_out`` by
every read (``shown_status``: ``agentc runs``, ``agentc history``, the console); a read
never fires it (reads write nothing and run no user code).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from agentc.errors import AgentcError, Code, RunFailed
from agentc.runtime_shims.policy_gate import EXTERNAL_KIND

from . import lease

TABLE = (
    "CREATE TABLE IF NOT EXISTS external_deadlines("
    "run_id TEXT, id TEXT, deadline REAL, PRIMARY KEY(run_id, id))"
)
TIMED_OUT = "timed_out"
"""The status reads show for a waiting run past a deadline nobody fired yet."""


def clock() -> float:
    """Wall-clock seconds (tests move it, as the engines' time-skipping tests move theirs)."""
    return time.time()


def _timed(interrupts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        i
        for i in interrupts or ()
        if isinstance(i.get("value"), dict)
        and i["value"].get("kind") == EXTERNAL_KIND
        and i["value"].get("timeout")
        and i.get("id") is not None
    ]


def stamp(db: Any, run_id: str, interrupts: list[dict[str, Any]], now: float | None = None) -> None:
    """Record the deadline of each timed external step the run now waits for (a step that
    already has one keeps it: a later pause of the same run does not extend it)."""
    rows = _timed(interrupts)
    if not rows:
        return
    now = clock() if now is None else now
    db.execute(TABLE)
    db.executemany(
        "INSERT OR IGNORE INTO external_deadlines(run_id, id, deadline) VALUES(?,?,?)",
        [(run_id, str(i["id"]), now + float(i["value"]["timeout"])) for i in rows],
    )


def deadlines(db: sqlite3.Connection, run_id: str) -> dict[str, float]:
    """Step id -> deadline of the run (read-only: a journal without the table has none)."""
    try:
        return dict(
            db.execute("SELECT id, deadline FROM external_deadlines WHERE run_id=?", (run_id,))
        )
    except sqlite3.OperationalError:  # no such table (no timed step ever paused here)
        return {}


def waiting_deadlines(
    db: sqlite3.Connection, run_id: str, interrupts: list[dict[str, Any]]
) -> list[tuple[float, dict[str, Any]]]:
    """(deadline, interrupt) of each timed external step the run waits for, earliest first."""
    rows = _timed(interrupts)
    if not rows:
        return []
    known = deadlines(db, run_id)
    found = [(known[str(i["id"])], i) for i in rows if str(i["id"]) in known]
    return sorted(found, key=lambda f: f[0])


def overdue(
    db: Any, run_id: str, interrupts: list[dict[str, Any]], now: float | None = None
) -> dict[str, Any] | None:
    """The first waiting external step at or past its deadline (None: none)."""
    now = clock() if now is None else now
    for deadline, i in waiting_deadlines(db, run_id, interrupts):
        if now >= deadline:
            return i
    return None


def shown_status(
    db: sqlite3.Connection,
    run_id: str,
    status: str,
    interrupts: list[dict[str, Any]],
    found: lease.Holder | None = None,
    now: float | None = None,
) -> str:
    """What every read reports (``agentc runs``/``history``, the console): the lease's
    view (``lease.effective_status``), and ``timed_out`` for a waiting run one of whose
    external steps is past its deadline that no sweep or continuation fired yet."""
    shown = lease.effective_status(status, found)
    if shown == "waiting" and overdue(db, run_id, interrupts, now) is not None:
        return TIMED_OUT
    return shown


def _error(late: dict[str, Any], deadline: float, by: str) -> RunFailed:
    q = late["value"]
    what = f"node {q['node']!r}" if q.get("node") else f"tool {q.get('tool')!r} (call {late['id']})"
    at = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(deadline))
    return RunFailed(
        Code.EXTERNAL_TIMED_OUT,
        f"external {what} was not completed within {q['timeout']} s (policy timeout; "
        f"deadline {at}, fired by {by})",
        construct=f"external {what}",
        hint="the run failed at its deadline; start a new run (or raise the policy's timeout)",
        details={"step": str(late["id"]), "deadline": deadline, "fired_by": by},
    )


def fire(journal: Any, run_id: str, *, now: float | None = None, by: str) -> AgentcError | None:
    """Fire the run's deadline if one is due: under the run's lease (``AC124`` when another
    live process drives it), the run fails with ``AC316`` and is compensated when it has
    completed compensable effects. Returns the run's error (None: nothing was due — not
    waiting any more, or not yet late: idempotent). ``by`` names who fired (audit text)."""
    from . import compensation

    with journal.driving(run_id):  # one driver: a second sweep, or a `complete`, waits its turn
        row = journal.existing(run_id)
        if row["status"] != "waiting":
            return None
        due = [
            (d, i)
            for d, i in waiting_deadlines(journal.db, run_id, row["interrupts"])
            if (clock() if now is None else now) >= d
        ]
        if not due:
            return None
        deadline, late = due[0]
        exc = _error(late, deadline, by)
        with journal.tx() as j:
            j.set_status(run_id, "failed", error=exc.diagnostic.render())
            # a later `agentc resume` runs the step again: a new pause gets a new deadline
            j.db.executemany(
                "DELETE FROM external_deadlines WHERE run_id=? AND id=?",
                [(run_id, str(i["id"])) for i in _timed(row["interrupts"])],
            )
        return compensation.after_failure(journal, run_id, exc)


def enforce(journal: Any, run_id: str, *, by: str = "the continuation") -> None:
    """Before a waiting run continues: when one of its external steps is past its deadline,
    the deadline fires (``fire``) and its ``AC316`` is raised instead."""
    row = journal.existing(run_id)
    if row["status"] != "waiting" or overdue(journal.db, run_id, row["interrupts"]) is None:
        return
    err = fire(journal, run_id, by=by)
    if err is not None:
        raise err
