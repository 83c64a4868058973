"""The SQLite journal behind the local durable executor.

Layout (one row per thing that changed, nothing rewritten wholesale):

* ``runs``     — one row per run: entry REF, IR, status, pending interrupts, result.
* ``frames``   — one graph level (root or a subgraph task): step, stop, small flags.
* ``meta``     — that level's channel versions and versions-seen-per-node, one row each,
                 upserted only when they change (per-step cost is flat in graph size).
* ``channels`` — the latest checkpoint value of each channel; a superstep upserts only the
                 channels it changed, so cost does not grow with the size of the state.
* ``channel_items`` — what a list channel gained since its ``channels`` row was written:
                 a growing list costs each step its new items, not the whole list
                 (``list_items.py``).
* ``writes``   — each completed task's writes (the audit trail, and what a resumed run
                 reuses instead of re-running the node).
* ``resumes``  — answers given to a task's ``interrupt()`` calls, in order.
* ``carries``  — what a paused task leaves for its re-run: the answers its own
  ``interrupt()`` calls consumed, the checkpoints of graphs its node invokes.
* ``leases``   — which process drives a run now (``lease.py``: one driver per run).
* ``effects``  — the effect ledger (``effects_ledger.py``, docs/effects.md).
* ``audit``    — when each of the above commits happened, hash-chained (``audit_log.py``;
                 ``agentc history`` reads it, docs/replay.md).
* ``lineage``  — which run a fork came from, and where (``lineage.py``).
* ``chat_calls`` — chat-model calls made inside nodes (``chat_calls.py``).

Durability: WAL with ``synchronous=NORMAL`` survives a killed process (the default);
``durability="full"`` uses ``synchronous=FULL`` to survive power loss as well.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from agentc.semantics.codec import dumps, loads

from . import audit_log, chat_calls, effects_ledger, lease, lineage, list_items, stream_writes

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs(
  run_id TEXT PRIMARY KEY, entry TEXT, workflow TEXT, ir TEXT, status TEXT,
  created REAL, updated REAL, interrupts TEXT, error TEXT,
  context_t TEXT, context BLOB, output_t TEXT, output BLOB);
CREATE TABLE IF NOT EXISTS frames(
  run_id TEXT, ns TEXT, step INTEGER, stop INTEGER, state TEXT, PRIMARY KEY(run_id, ns));
CREATE TABLE IF NOT EXISTS meta(
  run_id TEXT, ns TEXT, key TEXT, value TEXT, PRIMARY KEY(run_id, ns, key));
CREATE TABLE IF NOT EXISTS channels(
  run_id TEXT, ns TEXT, name TEXT, t TEXT, v BLOB, PRIMARY KEY(run_id, ns, name));
CREATE TABLE IF NOT EXISTS writes(
  run_id TEXT, ns TEXT, step INTEGER, task TEXT, node TEXT, t TEXT, v BLOB,
  PRIMARY KEY(run_id, ns, step, task));
CREATE TABLE IF NOT EXISTS resumes(
  run_id TEXT, ns TEXT, task TEXT, t TEXT, v BLOB, PRIMARY KEY(run_id, ns, task));
CREATE TABLE IF NOT EXISTS carries(
  run_id TEXT, ns TEXT, task TEXT, t TEXT, v BLOB, PRIMARY KEY(run_id, ns, task));
"""

DURABILITY = {"normal": "NORMAL", "full": "FULL"}


class Journal:
    def __init__(self, path: str | Path, durability: str = "normal") -> None:
        self.path = str(path)
        self.lock = threading.RLock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={DURABILITY[durability]}")
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.executescript(
            SCHEMA
            + list_items.SCHEMA
            + lease.SCHEMA
            + effects_ledger.SCHEMA
            + audit_log.SCHEMA
            + lineage.SCHEMA
            + chat_calls.SCHEMA
            + stream_writes.SCHEMA
        )
        self.held: dict[str, str] = {}
        """run id -> lease token of the runs this journal drives (checked on every commit)."""
        self.lists = list_items.ListItems()
        """The stored lists of the runs it drives, to write only what a step appended."""

    def close(self) -> None:
        self.db.close()

    # ---------------------------------------------------------------- transactions
    @contextlib.contextmanager
    def tx(self) -> Iterator["Journal"]:
        """One atomic, committed transaction. Thread-safe: subgraph tasks run in worker
        threads and share this connection."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for run_id, token in self.held.items():  # fencing + renewal (progress)
                    lease.renew(self.db, run_id, token)
                yield self
            except BaseException:
                self.lists.forget()  # it may know values this transaction did not keep
                self.db.execute("ROLLBACK")
                raise
            try:
                self.db.execute("COMMIT")
            except BaseException:
                self.lists.forget()
                raise

    # ---------------------------------------------------------------- leases
    @contextlib.contextmanager
    def driving(self, run_id: str, create: Any = None) -> Iterator[None]:
        """Hold the run's lease while the body drives it (``lease.py``). ``create()`` runs
        in the transaction that takes the lease (a new run is never visible unleased)."""
        with self.tx():
            if create is not None:
                create()
            token = lease.acquire(self.db, run_id)
            self.lists.forget(run_id)  # another process may have written the run since
        self.held[run_id] = token
        beat = lease.Heartbeat(self.path, run_id, token) if self.path != ":memory:" else None
        try:
            yield
        finally:
            if beat is not None:
                beat.stop()
            self.held.pop(run_id, None)
            with self.tx():
                self.lists.forget(run_id)
                lease.release(self.db, run_id, token)

    # ---------------------------------------------------------------- runs
    def create_run(
        self, run_id: str, entry: str | None, workflow: str, ir_json: str, context: Any
    ) -> None:
        """Inside ``tx()``: the existence check and the insert are one transaction."""
        from agentc.errors import AgentcError, Code

        found = self.db.execute("SELECT status FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if found is not None:
            raise AgentcError(
                Code.RUN_EXISTS,
                f"run {run_id!r} already exists in {self.path} ({found[0]})",
                construct=run_id,
                hint=f"choose another --run-id, leave it out for a random one, or continue "
                f"that run with `agentc resume {run_id}`",
            )
        ct, cv = dumps(context)
        now = time.time()
        self.db.execute(
            "INSERT INTO runs(run_id, entry, workflow, ir, status, created, updated, interrupts, "
            "context_t, context)"
            " VALUES(?,?,?,?,?,?,?,?,?,?)",
            (run_id, entry, workflow, ir_json, "running", now, now, "[]", ct, cv),
        )

    def run(self, run_id: str) -> dict[str, Any] | None:
        return run_row(self.db, run_id)

    def existing(self, run_id: str) -> dict[str, Any]:
        """The run's row, or the diagnostic for a run this journal does not have."""
        from agentc.errors import AgentcError, Code

        run = self.run(run_id)
        if run is None:
            raise AgentcError(
                Code.UNKNOWN_RUN,
                f"no run {run_id!r} in {self.path}",
                construct=run_id,
                hint="list runs with `agentc runs --db PATH`",
            )
        return run

    def resumable(self, run_id: str) -> dict[str, Any]:
        """The run's row, or the diagnostic for a run that does not exist or has finished."""
        from agentc.errors import AgentcError, Code

        run = self.existing(run_id)
        if run["status"] in ("done", "compensated", "cancelled"):
            raise AgentcError(
                Code.RUN_NOT_RESUMABLE,
                f"run {run_id} already finished ({run['status']})",
                construct=run_id,
                hint="start a new run with `agentc run`",
            )
        return run

    def runs(self) -> list[dict[str, Any]]:
        """Every run, with the status a user needs: a ``running`` run whose driver died is
        ``crashed`` (or ``interrupted`` when it let go), see ``lease.effective_status``; a
        waiting one past an external step's deadline is ``timed_out``
        (``external_deadlines.shown_status``)."""
        from .external_deadlines import shown_status

        rows = self.db.execute(
            "SELECT run_id, workflow, entry, status, created, updated, interrupts FROM runs "
            "ORDER BY created, run_id"
        ).fetchall()
        out = []
        for r in rows:
            row = dict(zip(("run_id", "workflow", "entry", "status", "created", "updated"), r))
            found = lease.holder(self.db, row["run_id"])
            # a waiting run past an external step's deadline nobody fired yet: "timed_out"
            waits = json.loads(r[6] or "[]")
            row["status"] = shown_status(self.db, row["run_id"], row["status"], waits, found)
            row["holder"] = found.to_json() if found is not None and found.alive() else None
            out.append(row)
        return out

    def set_status(
        self,
        run_id: str,
        status: str,
        *,
        interrupts: list[Any] | None = None,
        error: str | None = None,
        output: Any = None,
    ) -> None:
        ot, ov = dumps(output) if output is not None else (None, None)
        self.db.execute(
            "UPDATE runs SET status=?, updated=?, interrupts=?, error=?, output_t=?, output=? "
            "WHERE run_id=?",
            (status, time.time(), json.dumps(interrupts or []), error, ot, ov, run_id),
        )
        info = {"status": status, "error": error, effects_ledger.CHAINED: 1}
        audit_log.note(self.db, run_id, "status", info=info, value=ov)

    # ---------------------------------------------------------------- frames
    def load_frame(
        self, run_id: str, ns: str
    ) -> tuple[int, int, dict[str, Any], dict[str, str], dict[str, Any]] | None:
        row = self.db.execute(
            "SELECT step, stop, state FROM frames WHERE run_id=? AND ns=?", (run_id, ns)
        ).fetchone()
        if row is None:
            return None
        meta = dict(
            self.db.execute("SELECT key, value FROM meta WHERE run_id=? AND ns=?", (run_id, ns))
        )
        return row[0], row[1], json.loads(row[2]), meta, list_items.read_values(self.db, run_id, ns)

    def save_frame(
        self,
        run_id: str,
        ns: str,
        step: int,
        stop: int,
        state: dict[str, Any],
        changed: Iterable[tuple[str, Any]],
        meta: dict[str, str] | None = None,
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO frames(run_id, ns, step, stop, state) VALUES(?,?,?,?,?)",
            (run_id, ns, step, stop, json.dumps(state, sort_keys=True)),
        )
        if meta:
            self.db.executemany(
                "INSERT OR REPLACE INTO meta(run_id, ns, key, value) VALUES(?,?,?,?)",
                [(run_id, ns, k, v) for k, v in meta.items()],
            )
        self.lists.save(self.db, run_id, ns, changed, _EMPTY, remember=run_id in self.held)

    def set_stop(self, run_id: str, ns: str, stop: int) -> None:
        self.db.execute("UPDATE frames SET stop=? WHERE run_id=? AND ns=?", (stop, run_id, ns))

    # ---------------------------------------------------------------- task writes
    def save_writes(
        self, run_id: str, ns: str, step: int, task: str, node: str, writes: list[tuple[str, Any]]
    ) -> None:
        t, v = dumps(writes)
        self.db.execute(
            "INSERT OR REPLACE INTO writes(run_id, ns, step, task, node, t, v) "
            "VALUES(?,?,?,?,?,?,?)",
            (run_id, ns, step, task, node, t, v),
        )
        audit_log.note(self.db, run_id, "node", ns, step, task, value=v)

    def load_writes(self, run_id: str, ns: str, step: int) -> dict[str, list[tuple[str, Any]]]:
        return {
            task: [tuple(w) for w in loads(t, v)]
            for task, t, v in self.db.execute(
                "SELECT task, t, v FROM writes WHERE run_id=? AND ns=? AND step=?",
                (run_id, ns, step),
            )
        }

    def task_history(self, run_id: str) -> list[tuple[str, int, str, str]]:
        return list(
            self.db.execute(
                "SELECT ns, step, task, node FROM writes WHERE run_id=? ORDER BY rowid", (run_id,)
            )
        )

    # ---------------------------------------------------------------- agent-run steps
    def save_step(self, run_id: str, key: str, kind: str, value: Any) -> None:
        """One completed step of an OpenAI Agents SDK run (model response, tool output,
        guardrail result), keyed by what identifies it on replay."""
        t, v = dumps(value)
        self.db.execute(
            "INSERT OR REPLACE INTO writes(run_id, ns, step, task, node, t, v) "
            "VALUES(?,?,?,?,?,?,?)",
            (run_id, "agents", 0, key, kind, t, v),
        )
        audit_log.note(self.db, run_id, kind, "agents", 0, key, value=v)

    def load_steps(self, run_id: str) -> dict[str, Any]:
        return {
            task: loads(t, v)
            for task, t, v in self.db.execute(
                "SELECT task, t, v FROM writes WHERE run_id=? AND ns='agents' ORDER BY rowid",
                (run_id,),
            )
        }

    def note(self, run_id: str, kind: str, **info: Any) -> None:
        """Inside ``tx()``: an audit note with no journal row of its own (a retry)."""
        audit_log.note(
            self.db,
            run_id,
            kind,
            info.pop("ns", ""),
            info.pop("step", None),
            info.pop("task", None),
            info,
        )

    # ---------------------------------------------------------------- interrupts
    def resume_values(self, run_id: str, ns: str, task: str) -> list[Any]:
        row = self.db.execute(
            "SELECT t, v FROM resumes WHERE run_id=? AND ns=? AND task=?", (run_id, ns, task)
        ).fetchone()
        return list(loads(*row)) if row else []

    def add_resume(self, run_id: str, ns: str, task: str, value: Any) -> None:
        values = self.resume_values(run_id, ns, task) + [value]
        t, v = dumps(values)
        self.db.execute(
            "INSERT OR REPLACE INTO resumes(run_id, ns, task, t, v) VALUES(?,?,?,?,?)",
            (run_id, ns, task, t, v),
        )
        audit_log.note(
            self.db, run_id, "resume", ns, None, task, {"index": len(values) - 1}, dumps(value)[1]
        )

    def carry(self, run_id: str, ns: str, task: str) -> Any:
        """What a paused task's attempt left for its re-run (``nested_graphs.NestedRuns.carry``)."""
        row = self.db.execute(
            "SELECT t, v FROM carries WHERE run_id=? AND ns=? AND task=?", (run_id, ns, task)
        ).fetchone()
        return loads(*row) if row else None

    def save_carry(self, run_id: str, ns: str, task: str, carry: Any) -> None:
        t, v = dumps(carry)
        self.db.execute(
            "INSERT OR REPLACE INTO carries(run_id, ns, task, t, v) VALUES(?,?,?,?,?)",
            (run_id, ns, task, t, v),
        )


from agentc.semantics.pregel import EMPTY as _EMPTY  # noqa: E402  (marker: delete the row)

EMPTY = _EMPTY


def run_row(db: sqlite3.Connection, run_id: str) -> dict[str, Any] | None:
    """A run's row, decoded (interrupts as a list, context and output as values); also
    read by the console over a read-only connection (run_view.py)."""
    row = db.execute(
        "SELECT run_id, entry, workflow, ir, status, created, updated, interrupts, error,"
        " context_t, context, output_t, output FROM runs WHERE run_id=?",
        (run_id,),
    ).fetchone()
    if row is None:
        return None
    keys = (
        "run_id",
        "entry",
        "workflow",
        "ir",
        "status",
        "created",
        "updated",
        "interrupts",
        "error",
    )
    out = dict(zip(keys, row[:9]))
    out["interrupts"] = json.loads(out["interrupts"] or "[]")
    out["context"] = loads(row[9], row[10]) if row[9] else None
    out["output"] = loads(row[11], row[12]) if row[11] else None
    return out
