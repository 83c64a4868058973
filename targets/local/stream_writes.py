"""A node's ``custom`` stream chunks on the local executor (docs/langgraph.md, "Streaming").

What a node passed to its stream writer, and which messages it wrote back from its input
(``runtime_shims/stream_capture.py``, ``record``), is journaled
when its attempt returns, one row per task, replaced by a later attempt's: a graph stream
follower (``graph_stream_source.py``) reads a task's row once the task's writes are
journaled, so it sees the chunks of the attempt whose writes the run kept.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from agentc.semantics.codec import dumps, loads

SCHEMA = """
CREATE TABLE IF NOT EXISTS stream_writes(
  run_id TEXT, ns TEXT, step INTEGER, task TEXT, t TEXT, v BLOB,
  PRIMARY KEY(run_id, ns, step, task));
"""


def save(journal: Any, run_id: str, ns: str, step: int, task: str, rec: dict[str, Any]) -> None:
    """``rec``: ``stream_capture.record``."""
    t, v = dumps(rec)
    with journal.tx() as j:
        j.db.execute(
            "INSERT OR REPLACE INTO stream_writes(run_id, ns, step, task, t, v) "
            "VALUES(?,?,?,?,?,?)",
            (run_id, ns, step, task, t, v),
        )


def read(db: sqlite3.Connection, run_id: str, step: int, task: str, ns: str = "") -> dict[str, Any]:
    """The task's ``stream_capture.record`` (empty: no row); ``ns``: its frame's namespace."""
    try:
        row = db.execute(
            "SELECT t, v FROM stream_writes WHERE run_id=? AND ns=? AND step=? AND task=?",
            (run_id, ns, step, task),
        ).fetchone()
    except sqlite3.OperationalError:  # a journal from before the table
        return {}
    return dict(loads(*row)) if row else {}
