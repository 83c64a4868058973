"""A read-only view of the local executor's journal, for people (``agentc ui``).

Why a module of its own: the journal (``journal.py``) is laid out for the executor — the
latest checkpoint, each task's writes, the answers given to ``interrupt()`` — not for
reading a run back. This module turns those rows into what a person asks about: the runs
and where each one stands, a run's event timeline, which nodes (or agents and tools) it
went through, and its state after any step. Every query of the web console goes through
here, so the SQL that reads a journal for display lives in one place.

Read-only by construction: the database is opened with SQLite's ``mode=ro``, so nothing
here can change a run (answering an approval goes through ``agentc.resume``).

State after a step: the journal keeps only the latest value of each channel plus every
task's writes. Earlier states are rebuilt from the writes the way the barrier applies
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

from agentc.runtime_shims.codec import loads, to_jsonable

from . import lease
from .journal import run_row

INTERNAL_PREFIXES = ("branch:", "__")
"""Channels the executor uses for routing (``branch:to:x``, ``__start__``), not state."""

STATUSES = ("running", "waiting", "done", "failed", "crashed", "interrupted")


@dataclass
class Event:
    """One entry of a run's timeline. ``data`` is JSON-able user data (rendered as text)."""

    kind: str  # input | node | model | tool | guardrail | answer | decision | pending | error | output
    title: str
    ns: str = ""
    step: int | None = None
    data: Any = None
    node: str | None = None


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
            counts = dict(db.execute(
                "SELECT run_id, COUNT(*) FROM writes WHERE node NOT IN ('__start__', 'input') GROUP BY run_id"))
            for rid, wf, entry, st, created, updated, interrupts in db.execute(
                    "SELECT run_id, workflow, entry, status, created, updated, interrupts FROM runs"
                    " ORDER BY created DESC, run_id"):
                st = lease.effective_status(st, lease.holder(db, rid))
                if status and st != status:
                    continue
                pending = json.loads(interrupts or "[]") if st == "waiting" else []
                out.append(RunSummary(rid, wf, entry, st, created, updated, counts.get(rid, 0),
                                      [waiting_label(p) for p in pending]))
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
            out["status"] = lease.effective_status(out["status"], lease.holder(db, run_id))
            if out["status"] != "waiting":
                out["interrupts"] = []
            out["ir"] = json.loads(out["ir"])
            out["context"] = to_jsonable(out["context"])
            out["output"] = to_jsonable(out["output"])
            out["agents"] = out["ir"].get("agents") is not None
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

    # ------------------------------------------------------------ timeline
    def _writes(self, db: sqlite3.Connection, run_id: str) -> list[tuple[str, int, str, str, Any]]:
        return [(ns, step, task, node, loads(t, v)) for ns, step, task, node, t, v in db.execute(
            "SELECT ns, step, task, node, t, v FROM writes WHERE run_id=? ORDER BY rowid", (run_id,))]

    def timeline(self, run_id: str) -> list[Event]:
        run = self.run(run_id)
        db = self._db()
        if run is None or db is None:
            return []
        try:
            writes = self._writes(db, run_id)
            answers = {(ns, task): loads(t, v) for ns, task, t, v in db.execute(
                "SELECT ns, task, t, v FROM resumes WHERE run_id=?", (run_id,))}
        finally:
            db.close()
        events = (_agent_events(writes, answers) if run["agents"] else _graph_events(writes, answers))
        for p in run["interrupts"]:
            node = f"{p.get('agent')}/{p.get('tool')}" if p.get("kind") == "approval" else p.get("node")
            events.append(Event("pending", "waiting: " + waiting_label(p), p.get("ns", ""), data=_pending_data(p),
                                node=node))
        if run["error"]:
            events.append(Event("error", "failed", data=run["error"]))
        if run["status"] == "done":
            events.append(Event("output", "finished", data=run["output"]))
        return events

    def taken(self, run_id: str) -> dict[str, int]:
        """How often each root-graph node ran (graphs), or each agent answered and each
        ``agent/tool`` ran (agent systems): what the diagram highlights."""
        db = self._db()
        if db is None:
            return {}
        try:
            counts: dict[str, int] = {}
            for ns, task, node in db.execute("SELECT ns, task, node FROM writes WHERE run_id=? ORDER BY rowid",
                                             (run_id,)):
                if ns == "agents":
                    key = "__start__" if task == "input" else _agent_key(task)
                    if key is not None:
                        counts[key] = counts.get(key, 0) + 1
                elif ns == "":
                    counts[node] = counts.get(node, 0) + 1
            return counts
        finally:
            db.close()

    # ------------------------------------------------------------ state at a step
    def steps(self, run_id: str) -> list[int]:
        """The root graph's completed supersteps (0 is the input)."""
        db = self._db()
        if db is None:
            return []
        try:
            return [s for (s,) in db.execute(
                "SELECT DISTINCT step FROM writes WHERE run_id=? AND ns='' ORDER BY step", (run_id,))]
        finally:
            db.close()

    def state_at(self, run_id: str, step: int | None = None) -> dict[str, Any]:
        """``{"values": ..., "unfolded": {channel: [writes per step]}, "checkpoint": bool}``:
        the root graph's state after superstep ``step`` (None: the latest checkpoint)."""
        run = self.run(run_id)
        db = self._db()
        if run is None or db is None or run["agents"]:
            return {"values": {}, "unfolded": {}, "checkpoint": False}
        try:
            last = db.execute("SELECT step FROM frames WHERE run_id=? AND ns=''", (run_id,)).fetchone()
            if step is None or (last is not None and step >= last[0] - 1):
                keys = set(run["ir"]["graph"]["state"]["keys"])
                chans = {n: to_jsonable(loads(t, v)) for n, t, v in db.execute(
                    "SELECT name, t, v FROM channels WHERE run_id=? AND ns='' ORDER BY name", (run_id,))
                         if n in keys}
                return {"values": dict(sorted({**to_jsonable(_initial(run["ir"]["graph"])), **chans}.items())),
                        "unfolded": {}, "checkpoint": True}
            writes = [w for w in self._writes(db, run_id) if w[0] == "" and w[1] <= step]
        finally:
            db.close()
        return _fold(run["ir"]["graph"], writes)


# ---------------------------------------------------------------- helpers (pure)
def waiting_label(p: dict[str, Any]) -> str:
    match p.get("kind"):
        case "interrupt":
            return f"interrupt in {p.get('node')}"
        case "breakpoint":
            return f"breakpoint {p.get('when')} {', '.join(p.get('nodes') or [])}"
        case "approval":
            return f"approval of {p.get('tool')} ({p.get('agent')})"
    return str(p.get("kind"))


def _pending_data(p: dict[str, Any]) -> Any:
    match p.get("kind"):
        case "interrupt":
            return to_jsonable(p.get("value"))
        case "approval":
            return {"tool": p.get("tool"), "arguments": p.get("arguments")}
    return {k: v for k, v in p.items() if k not in ("kind", "ns")}


def _task_order(task: str) -> tuple[str, ...]:
    """The barrier's order of a step's tasks (``pregel.path_key``) from a task key
    ``STEP:push:IDX`` / ``STEP:pull:NAME``."""
    _, kind, rest = task.split(":", 2) if task.count(":") >= 2 else ("", "pull", task)
    return ("__pregel_push", f"{int(rest):010d}") if kind == "push" and rest.isdigit() else ("__pregel_pull", rest)


def _graph_events(writes: list[tuple[str, int, str, str, Any]], answers: dict[tuple[str, str], Any]) -> list[Event]:
    events = []
    for ns, step, task, node, value in writes:
        if (ns, task) in answers:
            events.append(Event("answer", f"answers given to {node}", ns, step, to_jsonable(answers.pop((ns, task))),
                                node))
        visible = [[ch, to_jsonable(v)] for ch, v in value if not str(ch).startswith(INTERNAL_PREFIXES)]
        routes = [str(ch)[len("branch:to:"):] for ch, _ in value if str(ch).startswith("branch:to:")]
        if node == "__start__":
            events.append(Event("input", "input", ns, step, dict(visible) if visible else None))
            continue
        data: dict[str, Any] = {"writes": visible}
        if routes:
            data["next"] = routes
        events.append(Event("node", node, ns, step, data, node))
    for (ns, task), value in answers.items():  # answers to a task that has not finished yet
        events.append(Event("answer", f"answers given to {task.rpartition(':')[2]}", ns, None, to_jsonable(value)))
    return events


def _agent_key(task: str) -> str | None:
    base = _agent_base(task)
    parts = base.split(":")
    if parts[0] == "model" and len(parts) >= 2:
        return parts[1]
    if parts[0] == "tool" and len(parts) >= 3:
        return f"{parts[1]}/{parts[2]}"
    return None


def _agent_base(task: str) -> str:
    """A journaled agent step's own key, without its ``#n`` repeat count: nested
    (agent-as-tool) keys are a JSON list of the enclosing steps' keys and then the step's
    own (``openai_agents_replay.scoped_key``)."""
    body = task.rpartition("#")[0] or task
    if body.startswith("["):
        try:
            body = json.loads(body)[-1]
        except (ValueError, IndexError, TypeError, KeyError):
            pass
    return str(body)


_DONE = {"approve": "approved", "reject": "rejected"}


def _agent_events(writes: list[tuple[str, int, str, str, Any]], answers: dict[tuple[str, str], Any]) -> list[Event]:
    events: list[Event] = []
    decisions = {cid: d for (ns, key), found in answers.items() if ns == "agents"
                 for ds in (found if isinstance(found, list) else [found]) if isinstance(ds, dict)
                 for cid, d in ds.items()}
    proposed: dict[str, tuple[int, str, str]] = {}  # call id -> (event index, agent, tool)

    def decision(cid: str, agent: str, tool: str) -> Event:
        d = decisions.pop(cid)
        return Event("decision", f"{_DONE.get(d.get('action'), d.get('action'))}: {tool}",
                     data={"call_id": cid, **to_jsonable(d)}, node=f"{agent}/{tool}")

    for _, _, task, kind, value in writes:
        base = _agent_base(task)
        parts = base.split(":")
        prefix = "nested " if task.startswith("[") else ""
        match kind:
            case "input":
                events.append(Event("input", "input", data=to_jsonable(value.get("input"))))
            case "model":
                agent = parts[1] if len(parts) > 1 else ""
                items = _model_items(to_jsonable(value.get("output") if isinstance(value, dict) else value))
                for it in items if isinstance(items, list) else []:
                    if isinstance(it, dict) and it.get("call_id"):
                        proposed[it["call_id"]] = (len(events), agent, str(it.get("call")))
                events.append(Event("model", f"{prefix}model call: {agent}", data=items, node=agent or None))
            case "tool":
                call_id = parts[3] if len(parts) > 3 else ""
                if call_id in decisions:
                    events.append(decision(call_id, parts[1], parts[2]))
                output = value[0] if isinstance(value, (list, tuple)) and value else value
                events.append(Event("tool", f"{prefix}tool call: {parts[2] if len(parts) > 2 else base}",
                                    data={"call_id": call_id, "output": to_jsonable(output)},
                                    node=f"{parts[1]}/{parts[2]}" if len(parts) > 2 else None))
            case _:
                events.append(Event("guardrail", f"{prefix}{kind}: {parts[-1] if parts else base}",
                                    data=to_jsonable(value)))
    # decisions whose tool never ran (rejected): before the next model call after the
    # response that proposed the call, i.e. where the run went on
    for cid in sorted(decisions, key=lambda c: proposed.get(c, (len(events),))[0], reverse=True):
        at, agent, tool = proposed.get(cid, (len(events), "", cid))
        nxt = next((i for i in range(at + 1, len(events)) if events[i].kind == "model"), len(events))
        events.insert(nxt, decision(cid, agent, tool))
    return events


def _model_items(items: Any) -> Any:
    """A model response's output items, reduced to what a person reads: tool calls with
    their parsed arguments, and message text."""
    if not isinstance(items, list):
        return items
    out = []
    for it in items:
        if isinstance(it, dict) and it.get("type") == "function_call":
            try:
                args = json.loads(it.get("arguments") or "null")
            except ValueError:
                args = it.get("arguments")
            out.append({"call": it.get("name"), "call_id": it.get("call_id"), "arguments": args})
        elif isinstance(it, dict) and it.get("type") == "message":
            text = [c.get("text") for c in it.get("content") or [] if isinstance(c, dict) and "text" in c]
            out.append({"message": "".join(t for t in text if t)})
        else:
            out.append(it)
    return out


_TYPE_DEFAULTS = {"list": list, "sequence": list, "dict": dict, "mapping": dict, "str": str, "int": int,
                  "float": float, "tuple": tuple, "set": set}


def _initial(graph: dict[str, Any]) -> dict[str, Any]:
    """Reducer channels start at their type's default (``list()``...), written or not."""
    out = {}
    for spec in graph["channels"]:
        if spec["name"] in graph["state"]["keys"] and spec.get("kind") == "reducer" and \
                spec.get("initial") == "type_default":
            default = _TYPE_DEFAULTS.get(str(spec.get("type", "")).split("[", 1)[0].rsplit(".", 1)[-1].lower())
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
    return {"values": {k: to_jsonable(values[k]) for k in sorted(values)}, "unfolded": unfolded, "checkpoint": False}
