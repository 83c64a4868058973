"""Growing list channels in the SQLite journal: a superstep writes what a list gained.

A LangGraph loop keeps its conversation in a list channel every step extends
(``Annotated[list, add_messages]``, ``Annotated[list, operator.add]``). Journaling the
whole value at every superstep made a run's cost quadratic in its length (100 KB × 100
turns: 6.6 s against 0.07 s natively; docs/benchmarks.md). Here a list value is stored as

* its ``channels`` row, with the type tag prefixed by ``LIST`` (``list+msgpack``): the list
  as it was when last stored whole, and
* ``channel_items`` rows ``(run_id, ns, name, seq)``, seq 1, 2, …: each a list of the items
  one superstep appended since, serialized alone.

The value is the row's list followed by every segment in seq order. A non-list value is a
plain row as before, and a journal written before this module (plain rows only, no
``channel_items`` table) reads the same: the table is created when a journal is opened for
writing, and readers only look at it when a row carries the prefix.

Whether a new value extends the stored one is the engines' chain test
(``semantics/list_prefix.py``, docs/claim-check.md): its first items equal those of a
copy of the stored list decoded apart from the frame's (items of immutable types are
shared), so an earlier item mutated in place, a message replaced or removed by id, or a
rebuilt list is stored whole. The copy is kept per run while this journal holds the run's
lease (only the holder writes it), so a step serializes and decodes only its new items; a
journal that does not know the copy (a resumed run) decodes it from the rows once. The
rows are written in the caller's transaction (``Journal.tx``): a crash keeps the old value
or the new one, never part of a step.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from typing import Any, Iterable

from agentc.semantics.codec import dumps, loads
from agentc.semantics.list_prefix import all_immutable, extends

LIST = "list+"
"""Type-tag prefix of a ``channels`` row whose list continues in ``channel_items``."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS channel_items(
  run_id TEXT, ns TEXT, name TEXT, seq INTEGER, t TEXT, v BLOB, PRIMARY KEY(run_id, ns, name, seq));
"""

KEEP = 64
"""Stored copies kept per journal (channels of the runs it drives; a miss costs one decode)."""


def read_values(db: sqlite3.Connection, run_id: str, ns: str) -> dict[str, Any]:
    """Every stored channel value of one graph level, lists reassembled. Also used by the
    console over a read-only connection (``run_view.py``)."""
    out: dict[str, Any] = {}
    lists = False
    for name, t, v in db.execute(
        "SELECT name, t, v FROM channels WHERE run_id=? AND ns=?", (run_id, ns)
    ):
        if t.startswith(LIST):
            lists = True
            out[name] = list(loads(t[len(LIST) :], v))
        else:
            out[name] = loads(t, v)
    if lists:  # only then: a journal written before has no channel_items table
        for name, t, v in db.execute(
            "SELECT name, t, v FROM channel_items WHERE run_id=? AND ns=? ORDER BY name, seq",
            (run_id, ns),
        ):
            if name in out:
                out[name].extend(loads(t, v))
    return out


def _apart(items: list[Any], t: str, v: bytes) -> tuple[Any, ...]:
    """The stored items as a copy no node can reach: shared when immutable, else decoded
    from the bytes just written."""
    return tuple(items) if all_immutable(items) else tuple(loads(t, v))


class ListItems:
    """Writes channel values for one ``Journal``; remembers, per (run, ns, channel), the
    stored list (decoded apart) and the next segment's seq."""

    def __init__(self) -> None:
        self.known: OrderedDict[tuple[str, str, str], tuple[tuple[Any, ...], int]] = OrderedDict()
        self.plain: set[tuple[str, str, str]] = set()
        """Channels known to have no ``channel_items`` rows (a plain value's step skips the
        delete)."""

    def forget(self, run_id: str | None = None) -> None:
        """Drop the copies of ``run_id`` (every run: None), e.g. when its lease is taken
        (another process may have written it) or a transaction rolled back."""
        if run_id is None:
            self.known.clear()
            self.plain.clear()
        else:
            for key in [k for k in self.known if k[0] == run_id]:
                del self.known[key]
            self.plain = {k for k in self.plain if k[0] != run_id}

    def save(
        self,
        db: sqlite3.Connection,
        run_id: str,
        ns: str,
        changed: Iterable[tuple[str, Any]],
        empty: Any,
        remember: bool,
    ) -> None:
        """Write ``changed`` channel values (``empty``: the channel holds none); inside the
        caller's transaction. ``remember``: this journal holds the run's lease, so the
        copies it keeps stay the stored values."""
        plain, deleted = [], []
        for name, value in changed:
            key = (run_id, ns, name)
            if value is empty:
                deleted.append(key)
                self.known.pop(key, None)
                self.plain.discard(key)
            elif type(value) is list:
                self._save_list(db, key, value, remember)
            else:
                plain.append((*key, *dumps(value)))
                if not remember or key not in self.plain:
                    db.execute("DELETE FROM channel_items WHERE run_id=? AND ns=? AND name=?", key)
                    if remember:
                        self.plain.add(key)
                self.known.pop(key, None)
        if plain:
            db.executemany(
                "INSERT OR REPLACE INTO channels(run_id, ns, name, t, v) VALUES(?,?,?,?,?)", plain
            )
        if deleted:
            db.executemany("DELETE FROM channels WHERE run_id=? AND ns=? AND name=?", deleted)
            db.executemany("DELETE FROM channel_items WHERE run_id=? AND ns=? AND name=?", deleted)

    def _save_list(
        self, db: sqlite3.Connection, key: tuple[str, str, str], value: list[Any], remember: bool
    ) -> None:
        self.plain.discard(key)
        prev = self.known.get(key) if remember else None
        if prev is None:
            prev = _stored(db, key)
        if prev is not None and extends(value, prev[0]):
            stored, seq = prev
            if len(value) > len(stored):
                added = value[len(stored) :]
                t, v = dumps(added)
                db.execute(
                    "INSERT INTO channel_items(run_id, ns, name, seq, t, v) VALUES(?,?,?,?,?,?)",
                    (*key, seq, t, v),
                )
                prev = (stored + _apart(added, t, v), seq + 1)
        else:  # stored whole: an earlier item changed, or no list was stored
            t, v = dumps(value)
            db.execute(
                "INSERT OR REPLACE INTO channels(run_id, ns, name, t, v) VALUES(?,?,?,?,?)",
                (*key, LIST + t, v),
            )
            db.execute("DELETE FROM channel_items WHERE run_id=? AND ns=? AND name=?", key)
            prev = (_apart(value, t, v), 1)
        if remember:
            self.known[key] = prev
            self.known.move_to_end(key)
            while len(self.known) > KEEP:
                self.known.popitem(last=False)
        else:
            self.known.pop(key, None)


def _stored(
    db: sqlite3.Connection, key: tuple[str, str, str]
) -> tuple[tuple[Any, ...], int] | None:
    """The list stored for a channel, decoded (apart from any frame), and its next seq;
    None when the row holds no list in this form (no row, a plain row written before)."""
    row = db.execute("SELECT t, v FROM channels WHERE run_id=? AND ns=? AND name=?", key).fetchone()
    if row is None or not row[0].startswith(LIST):
        return None
    items = list(loads(row[0][len(LIST) :], row[1]))
    last = 0
    for seq, t, v in db.execute(
        "SELECT seq, t, v FROM channel_items WHERE run_id=? AND ns=? AND name=? ORDER BY seq", key
    ):
        items.extend(loads(t, v))
        last = seq
    return tuple(items), last + 1
