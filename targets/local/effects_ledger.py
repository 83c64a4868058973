"""The effect ledger of the local journal (docs/effects.md, "Ledger").

One row per classified effect a run performed (a node or tool named in the effect
policy, other than ``pure``): its idempotency key, class, when it started and finished,
a digest of its result, and what compensation did with it. The row of a call is written
*before* the call (``started``), so a crash during the call leaves a row that is started
but not finished: what ``at_most_once`` and the crash tests look at. The original
arguments and result are kept for the compensator.

Every function here runs inside the caller's ``Journal.tx()``.
"""

from __future__ import annotations

import time
from typing import Any

from agentc.semantics.codec import dumps, loads, to_jsonable

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


def finish(db: Any, run_id: str, key: str, result: Any, digest: str) -> None:
    rt, rv = dumps(result)
    db.execute(
        "UPDATE effects SET status='done', finished=?, digest=?, result_t=?, result=?, error=NULL"
        " WHERE run_id=? AND key=?",
        (time.time(), digest, rt, rv, run_id, key),
    )


def failed(db: Any, run_id: str, key: str, error: str) -> None:
    """The call raised: the user's code reports the effect did not happen."""
    db.execute(
        "UPDATE effects SET status='failed', error=? WHERE run_id=? AND key=? AND status!='done'",
        (error, run_id, key),
    )


def paused(db: Any, run_id: str, key: str) -> None:
    """The call paused at ``interrupt()`` after its effect (it re-runs on resume): the
    effect happened but has no result yet; it is compensated with ``result=None``."""
    db.execute(
        "UPDATE effects SET status='paused' WHERE run_id=? AND key=? AND status!='done'",
        (run_id, key),
    )


def forget(db: Any, run_id: str, key: str) -> bool:
    """A human decided an uncertain ``at_most_once`` call did not happen: the next resume
    calls it again."""
    cur = db.execute(
        "UPDATE effects SET status='failed', error='forgotten by a human' WHERE run_id=? AND key=?"
        " AND status='started'",
        (run_id, key),
    )
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
    db.execute(
        "UPDATE effects SET comp_status='started', comp_started=COALESCE(comp_started, ?), "
        "comp_error=NULL"
        " WHERE run_id=? AND key=?",
        (time.time(), run_id, key),
    )


def comp_finish(db: Any, run_id: str, key: str) -> None:
    db.execute(
        "UPDATE effects SET comp_status='done', comp_finished=? WHERE run_id=? AND key=?",
        (time.time(), run_id, key),
    )


def comp_failed(db: Any, run_id: str, key: str, error: str) -> None:
    db.execute(
        "UPDATE effects SET comp_status='failed', comp_error=? WHERE run_id=? AND key=?",
        (error, run_id, key),
    )
