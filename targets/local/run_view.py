"""A read-only view of the local executor's journal, for people (``agentc ui``).

Why a module of its own: the journal (``journal.py``) is laid out for the executor — the
latest checkpoint, each task's writes, the answers given to ``interrupt()`` — not for
reading a run back. This module turns those rows into what a person asks about: the runs
and where each one stands, a run's event timeline, which nodes (or agents and tools) it
went through, and its state after any step. Every query of the web console goes through
here, so the SQL that reads a journal for display lives in one place — and a run's events
are not read here at all but by ``history.read_db``, the reader behind ``agentc history``
(``timeline.py`` reshapes its events for the page), so the two cannot disagree.

Read-only by construction: the database is opened with SQLite's ``mode=ro``, so nothing
here can change a run (answering an approval goes through ``agentc.resume``).

State after a step: the journal keeps only the latest value of each channel plus every
task's writes. Earlier states are rebuilt from the writes (the history's ``node`` events,
with their exact journaled values) the way the barrier applies
them (tasks in task-path order; last value wins, ``operator.add`` and ``add_messages``
reduce). A channel with a user-defined reducer is not folded here (that would run user
code to display a page): its per-step writes are shown instead. The latest step shows
the journal's own checkpoint.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentc import ir as IR
from agentc.runtime_shims.audit_events import History
from agentc.semantics.codec import to_jsonable

from . import lease, lineage, list_items, timeline
from .external_deadlines import TIMED_OUT, shown_status
from .history import read_db
from .journal import run_row
from .timeline import INTERNAL_PREFIXES, Event, waiting_label

__all__ = ["STATUSES", "Event", "RunSummary", "RunView", "waiting_label"]

STATUSES = ("running", "waiting", "done", "failed", "crashed", "interrupted", TIMED_OUT)


@dataclass
class RunSummary:
    run_id: str
    workflow: str
    entry: str | None
    status: str
    created: float
    updated: float
    steps: int
    waiting_for: list[str] = field(default_factory=list)


class RunView:
    """Opens the journal per call (cheap, thread-safe, sees other processes' commits)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _db(self) -> sqlite3.Connection | None:
        if not self.path.exists():
            return None
        db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        db.execute("PRAGMA busy_timeout=5000")
        return db

    # ------------------------------------------------------------ runs
    def runs(self, status: str | None = None) -> list[RunSummary]:
        db = self._db()
        if db is None:
            return []
        try:
            out = []
            counts = dict(
                db.execute(
                    "SELECT run_id, COUNT(*) FROM writes WHERE node NOT IN ('__start__', 'input') "
                    "GROUP BY run_id"
                )
            )
            for rid, wf, entry, st, created, updated, interrupts in db.execute(
                "SELECT run_id, workflow, entry, status, created, updated, interrupts FROM runs"
                " ORDER BY created DESC, run_id"
            ):
                waits = json.loads(interrupts or "[]")
                st = shown_status(db, rid, st, waits, lease.holder(db, rid))
                if status and st != status:
                    continue
                pending = waits if st in ("waiting", TIMED_OUT) else []
                out.append(
                    RunSummary(
                        rid,
                        wf,
                        entry,
                        st,
                        created,
                        updated,
                        counts.get(rid, 0),
                        [waiting_label(p) for p in pending],
                    )
                )
            return out
        finally:
            db.close()

    def run(self, run_id: str) -> dict[str, Any] | None:
        """The run's row (IR parsed, context and output decoded), or None."""
        db = self._db()
        if db is None:
            return None
        try:
            out = run_row(db, run_id)
            if out is None:
                return None
            found = lease.holder(db, run_id)
            out["status"] = shown_status(db, run_id, out["status"], out["interrupts"], found)
            if out["status"] not in ("waiting", TIMED_OUT):
                out["interrupts"] = []
            out["ir"] = IR.load(out["ir"]).model_dump(
                mode="json"
            )  # journaled by any readable IR version
            out["context"] = to_jsonable(out["context"])
            out["output"] = to_jsonable(out["output"])
            out["agents"] = out["ir"]["body"]["kind"] == "agents"
            return out
        finally:
            db.close()

    def pending(self) -> list[dict[str, Any]]:
        """Every waiting run with its pending interrupts/approvals (the approvals page)."""
        out = []
        for r in self.runs("waiting"):
            run = self.run(r.run_id)
            if run is not None and run["interrupts"]:
                out.append({"run": r, "interrupts": run["interrupts"], "agents": run["agents"]})
        return out

    # ------------------------------------------------------------ one run's history
    def history(self, run_id: str) -> History | None:
        """The run's audit history — the events ``agentc history`` prints — read over this
        view's read-only connection (``history.read_db``), or None when there is no run."""
        db = self._db()
        if db is None:
            return None
        try:
            return (
                read_db(db, run_id, where=str(self.path))
                if run_row(db, run_id) is not None
                else None
            )
        finally:
            db.close()

    def timeline(self, run_id: str, h: History | None = None) -> list[Event]:
        """The run's timeline (``timeline.events``); ``h``: its history, if already read."""
        run = self.run(run_id)
        h = h or self.history(run_id)
        return [] if run is None or h is None else timeline.events(h, run)

    def taken(self, run_id: str, h: History | None = None) -> dict[str, int]:
        """How often each root-graph node ran (graphs), or each agent answered and each
        ``agent/tool`` ran (agent systems): what the diagram highlights."""
        h = h or self.history(run_id)
        return {} if h is None else timeline.taken(h)

    # ------------------------------------------------------------ lineage
    def lineage(self, run_id: str) -> dict[str, Any]:
        """``{"origin": row or None, "derived": [rows]}``: where a fork came from, and the
        runs forked from this one (``lineage.py``)."""
        db = self._db()
        if db is None:
            return {"origin": None, "derived": []}
        try:
            return {
                "origin": lineage.origin_of(db, run_id),
                "derived": lineage.derived_from(db, run_id),
            }
        finally:
            db.close()

    # ------------------------------------------------------------ state at a step
    def steps(self, run_id: str, h: History | None = None) -> list[int]:
        """The root graph's completed supersteps (0 is the input)."""
        h = h or self.history(run_id)
        return [] if h is None or h.kind == "agents" else timeline.steps(h)

    def state_at(
        self, run_id: str, step: int | None = None, h: History | None = None
    ) -> dict[str, Any]:
        """``{"values": ..., "unfolded": {channel: [writes per step]}, "checkpoint": bool}``:
        the root graph's state after superstep ``step`` (None: the latest checkpoint)."""
        run = self.run(run_id)
        db = self._db()
        if run is None or db is None or run["agents"]:
            if db is not None:
                db.close()
            return {"values": {}, "unfolded": {}, "checkpoint": False}
        try:
            last = db.execute(
                "SELECT step FROM frames WHERE run_id=? AND ns=''", (run_id,)
            ).fetchone()
            if step is None or (last is not None and step >= last[0] - 1):
                keys = set(run["ir"]["body"]["graph"]["state"]["keys"])
                chans = {
                    n: to_jsonable(v)
                    for n, v in sorted(list_items.read_values(db, run_id, "").items())
                    if n in keys
                }
                return {
                    "values": dict(
                        sorted(
                            {**to_jsonable(_initial(run["ir"]["body"]["graph"])), **chans}.items()
                        )
                    ),
                    "unfolded": {},
                    "checkpoint": True,
                }
        finally:
            db.close()
        h = h or self.history(run_id)
        return _fold(
            run["ir"]["body"]["graph"], timeline.root_writes(h, step) if h is not None else []
        )


# ---------------------------------------------------------------- helpers (pure)
def _task_order(task: str) -> tuple[str, ...]:
    """The barrier's order of a step's tasks (``pregel.path_key``) from a task key
    ``STEP:push:IDX`` / ``STEP:pull:NAME``."""
    _, kind, rest = task.split(":", 2) if task.count(":") >= 2 else ("", "pull", task)
    return (
        ("__pregel_push", f"{int(rest):010d}")
        if kind == "push" and rest.isdigit()
        else ("__pregel_pull", rest)
    )


_TYPE_DEFAULTS = {
    "list": list,
    "sequence": list,
    "dict": dict,
    "mapping": dict,
    "str": str,
    "int": int,
    "float": float,
    "tuple": tuple,
    "set": set,
}


def _initial(graph: dict[str, Any]) -> dict[str, Any]:
    """Reducer channels start at their type's default (``list()``...), written or not."""
    out = {}
    for spec in graph["channels"]:
        if (
            spec["name"] in graph["state"]["keys"]
            and spec.get("kind") == "reducer"
            and spec.get("initial") == "type_default"
        ):
            default = _TYPE_DEFAULTS.get(
                str(spec.get("type", "")).split("[", 1)[0].rsplit(".", 1)[-1].lower()
            )
            if default is not None:
                out[spec["name"]] = default()
    return out


def _fold(graph: dict[str, Any], writes: list[tuple[str, int, str, str, Any]]) -> dict[str, Any]:
    """The state after the last step in ``writes``, applied as the barrier would (see the
    module docstring for what is and is not folded)."""
    from langgraph.graph.message import add_messages

    keys = set(graph["state"]["keys"])  # the state's values (not joins, routes, START)
    kinds = {c["name"]: c for c in graph["channels"] if c["name"] in keys}
    values: dict[str, Any] = {}
    unfolded: dict[str, list[Any]] = {}
    values.update(_initial(graph))
    by_step: dict[int, list[tuple[str, list[Any]]]] = {}
    for _, step, task, _, value in writes:
        by_step.setdefault(step, []).append((task, value))
    for step in sorted(by_step):
        for _, value in sorted(by_step[step], key=lambda tv: _task_order(tv[0])):
            for ch, v in value:
                spec = kinds.get(ch)
                if spec is None or str(ch).startswith(INTERNAL_PREFIXES):
                    continue
                match spec.get("kind"), spec.get("builtin"):
                    case "reducer", "operator.add":
                        values[ch] = values[ch] + v if ch in values else v
                    case "reducer", "add_messages":
                        values[ch] = add_messages(values.get(ch, []), v)
                    case "reducer", _:
                        unfolded.setdefault(ch, []).append({"step": step, "write": to_jsonable(v)})
                    case _:
                        values[ch] = v
    return {
        "values": {k: to_jsonable(values[k]) for k in sorted(values)},
        "unfolded": unfolded,
        "checkpoint": False,
    }
