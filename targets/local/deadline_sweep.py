"""Fire the due external-step deadlines of a local store with nobody continuing the runs
(``agentc timers``, docs/policies.md "External completion").

A local run paused at an external step holds no process, so nothing is awake at its
deadline. ``sweep`` is what a cron job or a systemd timer runs: it finds every waiting run
one of whose timed external steps is at or past its deadline and fires it
(``external_deadlines.fire``: ``AC316``, compensation, under the run's lease). It is
idempotent (a fired run is no longer waiting) and safe with two sweeps, or a sweep and an
``agentc complete``, at once: the lease lets one of them in, the other finds the run
busy (``AC124``, reported as ``busy``, retried at the next wake) or already failed.

``watch`` is the long-running form: sweep, then sleep until the earliest deadline still
ahead — computed from the table, not polled — but at most ``rescan`` seconds, because a
run that pauses in another process meanwhile writes a deadline this process cannot be
told about (SQLite has no notifications); a busy run is retried after ``BUSY_RETRY``.
The clock and the sleep are injectable, so tests move time instead of waiting.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentc.errors import AgentcError, Code

from . import external_deadlines as deadlines

BUSY_RETRY = 5.0
"""Seconds before a due run another process holds is tried again."""
RESCAN = 60.0
"""Default longest sleep of ``watch``: how late it may notice a deadline stamped meanwhile."""


@dataclass
class Sweep:
    """One sweep's outcome (JSON for the CLI): ``fired`` — run id, final status, the
    ``AC316`` text (with what was compensated); ``busy`` — due runs another process
    held; ``failed`` — runs whose firing itself failed (a compensator raised: the run stays
    ``compensating``, ``agentc resume`` finishes it); ``next_deadline`` — the earliest
    deadline still ahead (None: no timed step waits)."""

    at: float
    fired: list[dict[str, Any]] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    next_deadline: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "fired": self.fired,
            "busy": self.busy,
            "failed": self.failed,
            "next_deadline": self.next_deadline,
        }


def pending(db: sqlite3.Connection) -> list[tuple[float, str]]:
    """(deadline, run id) of every timed external step a waiting run waits for, earliest
    first (read-only)."""
    out: list[tuple[float, str]] = []
    try:
        runs = db.execute(
            "SELECT DISTINCT r.run_id, r.interrupts FROM runs r JOIN external_deadlines d"
            " ON d.run_id = r.run_id WHERE r.status = 'waiting'"
        ).fetchall()
    except sqlite3.OperationalError:  # no deadline was ever stamped in this store
        return out
    for run_id, interrupts in runs:
        for deadline, _ in deadlines.waiting_deadlines(db, run_id, json.loads(interrupts or "[]")):
            out.append((deadline, run_id))
    return sorted(out)


def sweep(db: str | Path, *, now: float | None = None) -> Sweep:
    """Fire every deadline of the store at ``db`` that is due at ``now`` (default: the
    deadline clock, ``external_deadlines.clock``)."""
    from .journal import Journal

    if str(db) != ":memory:" and not Path(db).exists():
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"no run database at {db}",
            construct=str(db),
            hint="pass the --db the runs were started with",
        )
    now = deadlines.clock() if now is None else now
    out = Sweep(at=now)
    journal = Journal(db)
    try:
        due = sorted({run_id for d, run_id in pending(journal.db) if now >= d})
        for run_id in due:
            try:
                err = deadlines.fire(journal, run_id, now=now, by="agentc timers")
            except AgentcError as exc:
                if exc.code is Code.RUN_BUSY:
                    out.busy.append(run_id)
                else:  # a compensator raised: loud, per run; the sweep goes on
                    out.failed.append({"run_id": run_id, "error": exc.diagnostic.render()})
                continue
            if err is None:  # completed or fired by another process meanwhile
                continue
            row = journal.existing(run_id)
            out.fired.append(
                {
                    "run_id": run_id,
                    "status": row["status"],
                    "step": err.details.get("step"),
                    "error": err.diagnostic.render(),
                    "compensated": err.details.get("compensated", []),
                }
            )
        ahead = [d for d, run_id in pending(journal.db) if d > now and run_id not in out.busy]
        out.next_deadline = min(ahead) if ahead else None
    finally:
        journal.close()
    return out


def next_wake(result: Sweep, rescan: float = RESCAN) -> float:
    """When ``watch`` sweeps again: the earliest deadline ahead, a busy run's retry, or the
    rescan bound, whichever comes first (never earlier than the sweep: no busy loop)."""
    wake = result.at + rescan
    if result.next_deadline is not None:
        wake = min(wake, result.next_deadline)
    if result.busy:
        wake = min(wake, result.at + BUSY_RETRY)
    return max(wake, result.at)


def watch(
    db: str | Path,
    *,
    rescan: float = RESCAN,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Iterator[tuple[Sweep, float]]:
    """Sweep, yield (the sweep, the time of the next wake), sleep until then, forever
    (the caller stops iterating). ``clock``/``sleep``: injectable (tests)."""
    import time

    clock = clock or deadlines.clock
    sleep = sleep or time.sleep
    while True:
        result = sweep(db, now=clock())
        wake = next_wake(result, rescan)
        yield result, wake
        delay = wake - clock()
        if delay > 0:
            sleep(delay)
