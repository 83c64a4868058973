"""Which run a fork (or a kept replay) came from: one ``lineage`` row per derived run.

Why a table of its own: a fork's journal is a copy of its origin's prefix plus what ran
live, and a fork's id is the user's choice (``--run-id``), so nothing in the journal
says where a run came from. ``agentc fork`` writes the origin, the event it forked at and
the value that replaced that step here, in the transaction that seeds the fork's journal
(``compiler/audit/replay.py``); the web console reads it to show a fork's origin, list an
original's forks and open the two side by side (docs/ui.md).

Readers tolerate a journal made before this table existed (the console opens databases
read-only and cannot create it): such a journal has no forks.
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS lineage(
  run_id TEXT PRIMARY KEY, origin TEXT, kind TEXT, at INTEGER, value TEXT, created REAL);
CREATE INDEX IF NOT EXISTS lineage_origin ON lineage(origin, created);
"""

KINDS = ("fork", "replay")

_COLUMNS = "run_id, origin, kind, at, value, created"


def record(
    db: sqlite3.Connection,
    run_id: str,
    *,
    origin: str,
    kind: str,
    at: int | None,
    value: Any = None,
    changed: bool = False,
) -> None:
    """Inside the journal transaction that seeds run ``run_id``. ``value``: what replaced
    event ``at`` of ``origin`` (JSON-able), when ``changed``; else the step was kept."""
    if kind not in KINDS:
        raise ValueError(f"lineage kind {kind!r}: expected one of {KINDS}")
    db.execute(
        f"INSERT OR REPLACE INTO lineage({_COLUMNS}) VALUES(?,?,?,?,?,?)",
        (
            run_id,
            origin,
            kind,
            at,
            json.dumps(value, sort_keys=True) if changed else None,
            time.time(),
        ),
    )


def _rows(db: sqlite3.Connection, where: str, arg: str) -> list[dict[str, Any]]:
    try:
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM lineage WHERE {where} ORDER BY created, run_id", (arg,)
        ).fetchall()
    except sqlite3.OperationalError as exc:  # a journal older than this table
        if "no such table" in str(exc):
            return []
        raise
    return [
        {
            "run_id": r[0],
            "origin": r[1],
            "kind": r[2],
            "at": r[3],
            "changed": r[4] is not None,
            "value": json.loads(r[4]) if r[4] is not None else None,
            "created": r[5],
        }
        for r in rows
    ]


def origin_of(db: sqlite3.Connection, run_id: str) -> dict[str, Any] | None:
    """``{"origin", "kind", "at", "changed", "value", ...}`` for a derived run, else None."""
    found = _rows(db, "run_id=?", run_id)
    return found[0] if found else None


def derived_from(db: sqlite3.Connection, origin: str) -> list[dict[str, Any]]:
    """The runs forked (or replayed and kept) from ``origin``, oldest first."""
    return _rows(db, "origin=?", origin)
