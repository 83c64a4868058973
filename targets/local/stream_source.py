"""The local journal as a stream follower's source (``runtime_shims/agent_stream.py``).

Reads a run's agent steps, its approval decisions and its status from the SQLite journal
over a connection of its own (WAL: the driving process commits while this one reads), only
the rows committed since the last read.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Callable

from agentc.runtime_shims.agent_stream import Snapshot
from agentc.semantics.codec import loads


def read_only(path: str) -> sqlite3.Connection | None:
    """A follower's own read-only connection to the journal (None: not created yet)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    except sqlite3.OperationalError:
        return None
    db.execute("PRAGMA busy_timeout=10000")
    return db


class JournalSource:
    """``state()``: the run's driver's view (``running`` while it drives the run, then how
    it ended), read before the journal so what the rows show then is complete."""

    def __init__(self, path: str, run_id: str, state: Callable[[], str]) -> None:
        self.path, self.run_id, self.state = path, run_id, state
        self.db: sqlite3.Connection | None = None
        self.rowid = 0
        self.entries: dict[str, Any] = {}

    def _connect(self) -> sqlite3.Connection | None:
        if self.db is None:
            self.db = read_only(self.path)
        return self.db

    def first(self) -> tuple[dict[str, Any], Any] | None:
        """The run's input record and its stored context, once the run exists."""
        db = self._connect()
        if db is None:
            return None
        try:
            row = db.execute(
                "SELECT t, v FROM writes WHERE run_id=? AND ns='agents' AND task='input'",
                (self.run_id,),
            ).fetchone()
            ctx = db.execute(
                "SELECT context_t, context FROM runs WHERE run_id=?", (self.run_id,)
            ).fetchone()
        except sqlite3.OperationalError:  # the tables are not there yet
            return None
        if row is None or ctx is None:
            return None
        return loads(*row), (loads(*ctx) if ctx[0] else None)

    async def __call__(self) -> Snapshot:
        state = self.state()  # before reading: what the rows show then is complete if it ended
        db = self._connect()
        if db is None:
            return Snapshot({}, {}, state)
        for rowid, key, t, v in db.execute(
            "SELECT rowid, task, t, v FROM writes WHERE run_id=? AND ns='agents' AND rowid>? "
            "ORDER BY rowid",
            (self.run_id, self.rowid),
        ):
            self.rowid = rowid
            if key != "input":
                self.entries[key] = loads(t, v)
        decisions: dict[str, Any] = {}
        for task, t, v in db.execute(
            "SELECT task, t, v FROM resumes WHERE run_id=? AND ns='agents'", (self.run_id,)
        ):
            values = loads(t, v)
            if task.startswith("pause:") and values:
                decisions[task[len("pause:") :]] = values[-1]
        return Snapshot(dict(self.entries), decisions, state)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
