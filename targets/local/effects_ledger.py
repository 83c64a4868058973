"""The effect ledger of the local journal (docs/effects.md, "Ledger").

One row per classified effect a run performed (a node or tool named in the effect
policy, other than ``pure``): its idempotency key, class, when it started and finished,
a digest of its result, and what compensation did with it. The row of a call is written
*before* the call (``started``), so a crash during the call leaves a row that is started
but not finished: what ``at_most_once`` and the crash tests look at. The original
arguments and result are kept for the compensator.

Every function here runs inside the caller's ``Journal.tx()``.

The rows change in place, so each change also appends an ``effect`` note to the run's
hash-chained audit entries (``audit_log.py``), in the same transaction: the key, the
state before and after (``started`` → ``done``, ``done`` → ``done, compensated``...),
the result's digest and a digest of the whole row as it now is (``row_digest``).
``verify`` then checks the table against the chain: a row edited after its last note, a
row deleted, or a row with no note at all (inserted) is reported (docs/effects.md,
"Ledger"; docs/replay.md, "Verifying"). ``event`` turns a note into the ``effect`` event
``agentc history`` lists and transcripts carry.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from agentc.runtime_shims.audit_events import Event
from agentc.semantics.codec import dumps, loads, to_jsonable

from . import audit_log

SCHEMA = """
CREATE TABLE IF NOT EXISTS effects(
  run_id TEXT, key TEXT, name TEXT, target TEXT, class TEXT, path TEXT, compensator TEXT,
  status TEXT, started REAL, finished REAL, digest TEXT, error TEXT,
  args_t TEXT, args BLOB, result_t TEXT, result BLOB,
  comp_status TEXT, comp_started REAL, comp_finished REAL, comp_error TEXT,
  PRIMARY KEY(run_id, key));
"""

_COLS = (
    "key",
    "name",
    "target",
    "class",
    "path",
    "compensator",
    "status",
    "started",
    "finished",
    "digest",
    "error",
    "args_t",
    "args",
    "result_t",
    "result",
    "comp_status",
    "comp_started",
    "comp_finished",
    "comp_error",
)


def get(db: Any, run_id: str, key: str) -> dict[str, Any] | None:
    row = db.execute(
        f"SELECT {', '.join(_COLS)} FROM effects WHERE run_id=? AND key=?", (run_id, key)
    ).fetchone()
    return _row(row) if row else None


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    out = dict(zip(_COLS, row))
    out["args"] = loads(out.pop("args_t"), out["args"]) if out["args_t"] else None
    out["result"] = loads(out.pop("result_t"), out["result"]) if out["result_t"] else None
    return out


def start(
    db: Any,
    run_id: str,
    key: str,
    *,
    name: str,
    target: str,
    kind: str,
    path: str,
    compensator: str | None,
    args: Any,
) -> None:
    """Record that the effect is about to be called (again: a re-run keeps the first row's
    start time and arguments)."""
    at, av = dumps(args)
    before = _raw(db, run_id, key)
    db.execute(
        "INSERT OR IGNORE INTO effects(run_id, key, name, target, class, path, compensator, "
        "status, started,"
        " args_t, args) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
        (run_id, key, name, target, kind, path, compensator, "started", time.time(), at, av),
    )
    db.execute(
        "UPDATE effects SET status='started', error=NULL WHERE run_id=? AND key=? AND "
        "status!='done'",
        (run_id, key),
    )
    _noted(db, run_id, key, before)


def finish(db: Any, run_id: str, key: str, result: Any, digest: str) -> None:
    rt, rv = dumps(result)
    before = _raw(db, run_id, key)
    db.execute(
        "UPDATE effects SET status='done', finished=?, digest=?, result_t=?, result=?, error=NULL"
        " WHERE run_id=? AND key=?",
        (time.time(), digest, rt, rv, run_id, key),
    )
    _noted(db, run_id, key, before)


def failed(db: Any, run_id: str, key: str, error: str) -> None:
    """The call raised: the user's code reports the effect did not happen."""
    before = _raw(db, run_id, key)
    db.execute(
        "UPDATE effects SET status='failed', error=? WHERE run_id=? AND key=? AND status!='done'",
        (error, run_id, key),
    )
    _noted(db, run_id, key, before)


def paused(db: Any, run_id: str, key: str) -> None:
    """The call paused at ``interrupt()`` after its effect (it re-runs on resume): the
    effect happened but has no result yet; it is compensated with ``result=None``."""
    before = _raw(db, run_id, key)
    db.execute(
        "UPDATE effects SET status='paused' WHERE run_id=? AND key=? AND status!='done'",
        (run_id, key),
    )
    _noted(db, run_id, key, before)


def forget(db: Any, run_id: str, key: str) -> bool:
    """A human decided an uncertain ``at_most_once`` call did not happen: the next resume
    calls it again."""
    before = _raw(db, run_id, key)
    cur = db.execute(
        "UPDATE effects SET status='failed', error='forgotten by a human' WHERE run_id=? AND key=?"
        " AND status='started'",
        (run_id, key),
    )
    _noted(db, run_id, key, before)
    return cur.rowcount > 0


def rows(db: Any, run_id: str) -> list[dict[str, Any]]:
    found = db.execute(
        f"SELECT {', '.join(_COLS)} FROM effects WHERE run_id=? ORDER BY started, rowid", (run_id,)
    ).fetchall()
    return [_row(r) for r in found]


def to_json(row: dict[str, Any]) -> dict[str, Any]:
    """A ledger row as ``agentc effects --json`` prints it."""
    keep = (
        "key",
        "name",
        "target",
        "class",
        "path",
        "status",
        "started",
        "finished",
        "digest",
        "error",
        "compensator",
        "comp_status",
        "comp_started",
        "comp_finished",
        "comp_error",
    )
    out = {k: row[k] for k in keep}
    out["arguments"] = to_jsonable(row["args"])
    out["result"] = to_jsonable(row["result"])
    return out


def to_compensate(db: Any, run_id: str) -> list[dict[str, Any]]:
    """Completed compensable effects not yet compensated, latest first (reverse order of
    completion: a saga undoes its last step first)."""
    return [
        r
        for r in sorted(rows(db, run_id), key=lambda r: r["finished"] or r["started"], reverse=True)
        if r["class"] == "compensable"
        and r["status"] in ("done", "paused")
        and r["comp_status"] != "done"
    ]


def comp_start(db: Any, run_id: str, key: str) -> None:
    before = _raw(db, run_id, key)
    db.execute(
        "UPDATE effects SET comp_status='started', comp_started=COALESCE(comp_started, ?), "
        "comp_error=NULL"
        " WHERE run_id=? AND key=?",
        (time.time(), run_id, key),
    )
    _noted(db, run_id, key, before)


def comp_finish(db: Any, run_id: str, key: str) -> None:
    before = _raw(db, run_id, key)
    db.execute(
        "UPDATE effects SET comp_status='done', comp_finished=? WHERE run_id=? AND key=?",
        (time.time(), run_id, key),
    )
    _noted(db, run_id, key, before)


def comp_failed(db: Any, run_id: str, key: str, error: str) -> None:
    before = _raw(db, run_id, key)
    db.execute(
        "UPDATE effects SET comp_status='failed', comp_error=? WHERE run_id=? AND key=?",
        (error, run_id, key),
    )
    _noted(db, run_id, key, before)


# ---------------------------------------------------------------- the hash chain

NOTE = "effect"
"""The ``audit`` note kind of a ledger change."""
CHAINED = "ledger"
"""A key of every status note a run writes (``Journal.set_status``): the run's ledger is
in its chain, so a ledger row without a note was inserted (a journal written before the
ledger was chained has rows without notes and no such key: its rows are not checked)."""


def _raw(db: Any, run_id: str, key: str) -> tuple[Any, ...] | None:
    found: tuple[Any, ...] | None = db.execute(
        f"SELECT {', '.join(_COLS)} FROM effects WHERE run_id=? AND key=?", (run_id, key)
    ).fetchone()
    return found


def row_digest(raw: tuple[Any, ...]) -> str:
    """sha256 of every column of a ledger row (blobs as hex): what its last note holds."""
    cols = {c: (v.hex() if isinstance(v, bytes) else v) for c, v in zip(_COLS, raw)}
    body = json.dumps(cols, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(body.encode()).hexdigest()


def state(raw: tuple[Any, ...] | dict[str, Any] | None) -> str | None:
    """A row's state in one word or two: ``started``, ``done``, ``done, compensated``..."""
    if raw is None:
        return None
    row = raw if isinstance(raw, dict) else dict(zip(_COLS, raw))
    comp = {"started": "compensating", "done": "compensated", "failed": "compensation failed"}
    extra = comp.get(row["comp_status"] or "")
    return f"{row['status']}, {extra}" if extra else str(row["status"])


def _noted(db: Any, run_id: str, key: str, before: tuple[Any, ...] | None) -> None:
    """Append the chain entry of a change (none when the statement changed nothing)."""
    after = _raw(db, run_id, key)
    if after is None or after == before:
        return
    row = dict(zip(_COLS, after))
    info = {
        "name": row["name"],
        "class": row["class"],
        "from": state(before),
        "to": state(after),
        "result_digest": row["digest"],
        "row": row_digest(after),
    }
    audit_log.note(db, run_id, NOTE, task=key, info=info)


def event(note: dict[str, Any]) -> Event:
    """The history event of an ``effect`` note (``targets/local/history.py``)."""
    info = note["info"]
    return Event(
        0,
        NOTE,
        key=note["task"] or "",
        name=info.get("name"),
        at=note["at"],
        data={k: info.get(k) for k in ("class", "from", "to", "result_digest", "row")},
    )


def verify(db: Any, run_id: str, notes: list[dict[str, Any]]) -> tuple[int, str] | None:
    """The ledger against the run's (already verified) chain: each row must be what its
    last ``effect`` note says, and each noted row must still exist. Returns (audit entry
    position, reason) for the first that does not, naming the row."""
    last: dict[str, tuple[int, dict[str, Any]]] = {}
    for i, n in enumerate(notes, 1):
        if n["kind"] == NOTE:
            last[n["task"]] = (i, n)
    found = db.execute(
        f"SELECT {', '.join(_COLS)} FROM effects WHERE run_id=? ORDER BY started, rowid", (run_id,)
    ).fetchall()
    rows = {r[0]: r for r in found}
    for key, (i, n) in last.items():
        info, raw = n["info"], rows.get(key)
        what = f"effect ledger row {key} ({info.get('name')})"
        if raw is None:
            return i, f"audit entry {i} (effect {key}): {what} was deleted"
        if row_digest(raw) != info.get("row"):
            return i, (
                f"audit entry {i} (effect {key}): {what} was edited: the chain says "
                f"{info.get('to')!r}, the row now says {state(raw)!r}"
            )
    chained = any(n["kind"] == "status" and n["info"].get(CHAINED) for n in notes)
    for key, raw in rows.items():
        if key not in last and chained:
            name = dict(zip(_COLS, raw))["name"]
            return len(notes) + 1, (
                f"effect ledger row {key} ({name}, {state(raw)!r}) is in no audit entry: "
                "it was inserted after the fact"
            )
    return None
