"""When things happened in a local run, hash-chained: the journal's ``audit`` table.

The journal's own tables say *what* a run did (``writes``, ``resumes``, ``runs``) but not
*when*, nor what was retried; this table adds one small row per commit that matters to an
audit — a task's writes, an agent step, an answer to a pause, a status change, a retry —
with its wall-clock time, in commit order, in the same transaction as the thing noted.

Each row carries ``digest`` = sha256(previous row's digest + the row's canonical JSON +
sha256 of the journaled bytes it notes), so ``verify`` finds a journal row edited or
deleted after the fact, and a deleted or edited note (docs/replay.md, "Verifying").
``history.py`` joins this table with the journal. A journal written before this table
existed still reads (events then have no time, and there is nothing to verify).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, at REAL, kind TEXT,
  ns TEXT, step INTEGER, task TEXT, info TEXT, digest TEXT);
CREATE INDEX IF NOT EXISTS audit_run ON audit(run_id, seq);
"""
GENESIS = "0" * 64


def _digest(prev: str, row: dict[str, Any], value: bytes | None) -> str:
    body = json.dumps(row, sort_keys=True, separators=(",", ":"))
    vh = hashlib.sha256(value).hexdigest() if value is not None else ""
    return hashlib.sha256(f"{prev}|{body}|{vh}".encode()).hexdigest()


def note(
    db: sqlite3.Connection,
    run_id: str,
    kind: str,
    ns: str = "",
    step: int | None = None,
    task: str | None = None,
    info: dict[str, Any] | None = None,
    value: bytes | None = None,
) -> None:
    """Inside the journal transaction that commits the thing noted; ``value``: its bytes."""
    found = db.execute(
        "SELECT digest FROM audit WHERE run_id=? ORDER BY seq DESC LIMIT 1", (run_id,)
    ).fetchone()
    prev = found[0] if found and found[0] else GENESIS
    row = {
        "run_id": run_id,
        "at": time.time(),
        "kind": kind,
        "ns": ns,
        "step": step,
        "task": task,
        "info": json.dumps(info or {}, sort_keys=True, default=repr),
    }
    db.execute(
        "INSERT INTO audit(run_id, at, kind, ns, step, task, info, digest) VALUES(?,?,?,?,?,?,?,?)",
        (*row.values(), _digest(prev, row, value)),
    )


def notes(db: sqlite3.Connection, run_id: str) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT seq, at, kind, ns, step, task, info, digest FROM audit WHERE run_id=? ORDER BY seq",
        (run_id,),
    ).fetchall()
    return [
        {
            "seq": r[0],
            "at": r[1],
            "kind": r[2],
            "ns": r[3],
            "step": r[4],
            "task": r[5],
            "info": json.loads(r[6] or "{}"),
            "raw_info": r[6],
            "digest": r[7],
        }
        for r in rows
    ]


def verify(
    db: sqlite3.Connection, run_id: str, value_of: Callable[[dict[str, Any]], bytes | None]
) -> tuple[int, str] | None:
    """The first note (1-based position, reason) that does not verify, or None.
    ``value_of(note)``: the journaled bytes that note covers now (None: the row is gone)."""
    prev = GENESIS
    for i, n in enumerate(notes(db, run_id), 1):
        row = {
            "run_id": run_id,
            "at": n["at"],
            "kind": n["kind"],
            "ns": n["ns"],
            "step": n["step"],
            "task": n["task"],
            "info": n["raw_info"],
        }
        value = value_of(n)
        if value is None and n["kind"] not in ("status", "retry"):
            return (
                i,
                f"audit entry {i} ({n['kind']} {n['task']}): the journal row it records is missing",
            )
        if _digest(prev, row, value) != n["digest"]:
            what = (
                "the journal row it records was edited"
                if value is not None
                else "the entry was edited"
            )
            return (
                i,
                f"audit entry {i} ({n['kind']} {n['task'] or ''}): {what}, or an entry before it "
                "was removed",
            )
        prev = n["digest"]
    return None
