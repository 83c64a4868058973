"""The ``timeout`` of an external step on the local target (docs/policies.md "External
completion"): how long the outside work may take, as on Temporal (AC316).

No local process waits while a run is paused, so nothing can fire at the deadline itself.
Instead the deadline is written when the run pauses (``stamp``: the moment of the pause +
the policy's ``timeout``, one row per waiting external step, kept across later pauses of
the same run), and every way of *continuing* the run checks it first (``enforce``):
``agentc complete`` and ``agentc resume`` of a run one of whose external steps is past its
deadline mark the run failed with ``AC316`` naming the step, and the value is not used —
exactly what a Temporal workflow does when the step's activity times out before the
completion arrives. A run nobody continues stays ``waiting`` in ``agentc runs``; the
deadline is in the pause's question (``timeout``) and in this table.
"""

from __future__ import annotations

import time
from typing import Any

from agentc.errors import Code, RunFailed
from agentc.runtime_shims.policy_gate import EXTERNAL_KIND

TABLE = (
    "CREATE TABLE IF NOT EXISTS external_deadlines("
    "run_id TEXT, id TEXT, deadline REAL, PRIMARY KEY(run_id, id))"
)


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


def overdue(
    db: Any, run_id: str, interrupts: list[dict[str, Any]], now: float | None = None
) -> dict[str, Any] | None:
    """The first waiting external step past its deadline (None: none)."""
    rows = _timed(interrupts)
    if not rows:
        return None
    db.execute(TABLE)
    now = clock() if now is None else now
    for i in rows:
        found = db.execute(
            "SELECT deadline FROM external_deadlines WHERE run_id=? AND id=?",
            (run_id, str(i["id"])),
        ).fetchone()
        if found is not None and now > found[0]:
            return i
    return None


def enforce(journal: Any, run_id: str) -> None:
    """Before a waiting run continues: when one of its external steps is past its deadline,
    the run fails (``AC316``, recorded in the journal) instead."""
    row = journal.existing(run_id)
    if row["status"] != "waiting":
        return
    late = overdue(journal.db, run_id, row["interrupts"])
    if late is None:
        return
    q = late["value"]
    what = f"node {q['node']!r}" if q.get("node") else f"tool {q.get('tool')!r} (call {late['id']})"
    exc = RunFailed(
        Code.EXTERNAL_TIMED_OUT,
        f"external {what} was not completed within {q['timeout']} s (policy timeout)",
        construct=f"external {what}",
        hint="the run failed at its deadline; start a new run (or raise the policy's timeout)",
    )
    with journal.tx() as j:
        j.set_status(run_id, "failed", error=exc.diagnostic.render())
    raise exc
