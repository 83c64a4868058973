"""The local journal as a graph stream follower's source (``runtime_shims/graph_stream.py``).

Reads the root graph's task writes (``writes`` rows of namespace ``""``; a subgraph's frame's,
under its namespace, ``Snapshot.nested``), with their
``custom`` chunks (``stream_writes``) and chat calls (``chat_calls``), over a connection
of its own (WAL: the driving process commits while this one reads), only the rows
committed since the last read; and, for a resumed run, the root frame it starts from.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Callable

from agentc.semantics.codec import loads
from agentc.runtime_shims.graph_stream import Resumed, Snapshot

from . import stream_writes
from .stream_source import read_only


def chat_of(
    db: sqlite3.Connection, run_id: str, step: int, task: str, ns: str = ""
) -> list[tuple[Any, Any]]:
    """A task's journaled chat calls: ``(response, messages-stream metadata)``; ``ns``: its
    frame's namespace (``""``: the root graph)."""
    try:
        rows = db.execute(
            "SELECT t, v FROM chat_calls WHERE run_id=? AND ns=? AND step=? AND task=? ORDER BY n",
            (run_id, ns, step, task),
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    return [(r["message"], r.get("metadata")) for r in (loads(t, v) for t, v in rows)]


class JournalWrites:
    """``state()``: the run's driver's view (``running`` while it drives the run, then how
    it ended), read before the journal so what the rows show then is complete."""

    def __init__(self, path: str, run_id: str, state: Callable[[], str]) -> None:
        self.path, self.run_id, self.state = path, run_id, state
        self.db: sqlite3.Connection | None = None
        self.rowid = 0
        self.writes: dict[tuple[int, str], list[tuple[str, Any]]] = {}
        self.streamed = Snapshot({}, "")  # what the tasks streamed besides their writes
        self.nested: dict[str, Snapshot] = {}  # a subgraph frame's, by namespace

    def _connect(self) -> sqlite3.Connection | None:
        if self.db is None:
            self.db = read_only(self.path)
        return self.db

    async def __call__(self) -> Snapshot:
        state = self.state()  # before reading: what the rows show then is complete if it ended
        db = self._connect()
        if db is not None:
            try:
                rows = db.execute(
                    "SELECT rowid, ns, step, task, t, v FROM writes WHERE run_id=? AND rowid>? "
                    "ORDER BY rowid",
                    (self.run_id, self.rowid),
                ).fetchall()
            except sqlite3.OperationalError:  # the tables are not there yet
                rows = []
            for rowid, ns, step, task, t, v in rows:
                self.rowid = rowid
                into = self.nested.setdefault(ns, Snapshot({}, "")) if ns else self.streamed
                target = self.writes if not ns else into.writes
                target[(step, task)] = [tuple(w) for w in loads(t, v)]
                into.streamed((step, task), stream_writes.read(db, self.run_id, step, task, ns))
                into.chat[(step, task)] = chat_of(db, self.run_id, step, task, ns)
        s = self.streamed
        return Snapshot(
            dict(self.writes),
            state,
            dict(s.custom),
            dict(s.chat),
            dict(s.echoed),
            {ns: _copy(n) for ns, n in self.nested.items()},
        )

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


def resume_point(journal: Any, run_id: str, graph: Any, resolve: Any) -> Resumed:
    """The root frame a resume of ``run_id`` continues from (saved at its last barrier or
    pause) and the writes its step kept: read before the resume starts."""
    from agentc.semantics.pregel import Frame

    frame = Frame(graph, resolve)
    frame.restore(*journal.load_frame(run_id, ""))
    return Resumed(frame, journal.load_writes(run_id, "", frame.step))


def _copy(s: Snapshot) -> Snapshot:
    return Snapshot(dict(s.writes), "", dict(s.custom), dict(s.chat), dict(s.echoed))
