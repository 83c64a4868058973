"""A local run's history, read from its SQLite journal (``journal.py``, ``audit_log.py``).

One read API, ``read(journal, run_id) -> History`` (``read_db`` over a bare connection),
shared by ``agentc history``, ``agentc export``, replay/fork and the web console
(``run_view.py`` builds its timeline, diagram counts and past states from these events,
so the console and ``agentc history`` cannot disagree). Events come in commit order (the
``audit`` table's); a journal older than that table gives them in row order, untimed.
Every replayable event keeps its exact journaled bytes (``raw``), so a replay from the
transcript alone reuses what the run produced, not a JSON approximation of it.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from typing import Any

from agentc.runtime_shims.agent_tool_usage import tool_value
from agentc.runtime_shims.audit_events import Event, History, chain
from agentc.semantics.codec import loads, to_jsonable

from . import audit_log, effects_ledger, external_deadlines, lease
from .journal import Journal, run_row

START = "__start__"


def read(journal: Journal, run_id: str) -> History:
    return read_db(journal.db, run_id, where=journal.path)


def read_db(db: sqlite3.Connection, run_id: str, *, where: str = "the journal") -> History:
    """``read`` over any connection to a journal — the console's is read-only (``mode=ro``,
    ``run_view.py``): nothing here writes."""
    from agentc import ir as IR
    from agentc.errors import AgentcError, Code

    run = run_row(db, run_id)
    if run is None:
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"no run {run_id!r} in {where}",
            construct=run_id,
            hint="list runs with `agentc runs --db PATH`",
        )
    wf = IR.load(run["ir"])
    found = lease.holder(db, run_id)
    # a dead driver's run is "crashed"; one past an external deadline not fired, "timed_out"
    status = external_deadlines.shown_status(db, run_id, run["status"], run["interrupts"], found)
    hist = History(
        run_id=run_id,
        engine="local",
        kind=wf.body.kind,
        entry=run["entry"],
        workflow=run["workflow"],
        status=status,
        created=run["created"],
        updated=run["updated"],
        context=to_jsonable(run["context"]),
        output=to_jsonable(run["output"]),
        error=run["error"],
        interrupts=to_jsonable(run["interrupts"]),
        fingerprint=IR.fingerprint(wf),
        origin=_origin(db, run_id),
    )
    hist.events = chain(_events(db, run_id, run))
    return hist


def _origin(db: sqlite3.Connection, run_id: str) -> dict[str, Any] | None:
    """Where a fork (or kept replay) came from (``lineage.py``), as ``History.origin``."""
    from . import lineage

    row = lineage.origin_of(db, run_id)
    return (
        None if row is None else {k: row[k] for k in ("origin", "kind", "at", "changed", "value")}
    )


def _events(db: sqlite3.Connection, run_id: str, run: dict[str, Any]) -> list[Event]:
    writes = {
        (ns, step, task): (node, t, v)
        for ns, step, task, node, t, v in db.execute(
            "SELECT ns, step, task, node, t, v FROM writes WHERE run_id=? ORDER BY rowid", (run_id,)
        )
    }
    resumes = {
        (ns, task): loads(t, v)
        for ns, task, t, v in db.execute(
            "SELECT ns, task, t, v FROM resumes WHERE run_id=?", (run_id,)
        )
    }
    args: dict[str, Any] = {}
    """call id -> arguments, from the model outputs seen so far (tool events show them)."""
    out: list[Event] = []
    seen: set[tuple[str, int, str]] = set()

    def step_event(k: tuple[str, int, str], at: float | None) -> None:
        if k in seen or k not in writes:
            return
        seen.add(k)
        node, t, v = writes[k]
        out.append(_step(k, node, t, v, at, args))

    for n in audit_log.notes(db, run_id):
        kind, ns, task = n["kind"], n["ns"], n["task"]
        if kind == "resume":
            values = resumes.get((ns, task)) or []
            i = n["info"].get("index", 0)
            value = values[i] if i < len(values) else None
            out.append(
                Event(
                    0,
                    "resume",
                    key=f"{ns}/{task}" if ns else str(task),
                    ns=ns,
                    at=n["at"],
                    data={"value": to_jsonable(value), "index": i},
                )
            )
        elif kind == "status":
            out.append(
                Event(
                    0,
                    "status",
                    at=n["at"],
                    data={"status": n["info"].get("status"), "error": n["info"].get("error")},
                )
            )
        elif kind == "chat":  # a chat-model call inside a node (chat_calls.py)
            from .chat_calls import event

            found = event(db, run_id, n)
            if found is not None:
                out.append(found)
        elif kind == effects_ledger.NOTE:  # an effect ledger row changed
            out.append(effects_ledger.event(n))
        elif kind == "retry":
            info = dict(n["info"])
            out.append(
                Event(
                    0,
                    "retry",
                    key=_key(ns, n["step"], task),
                    name=info.pop("node", None),
                    ns=ns,
                    step=n["step"],
                    at=n["at"],
                    data=info,
                )
            )
        else:
            step_event((ns, n["step"], task), n["at"])
    for k in writes:  # journaled before the audit table existed
        step_event(k, None)
    if not any(e.kind == "status" for e in out):
        out.append(
            Event(
                0,
                "status",
                at=run["updated"],
                data={"status": run["status"], "error": run["error"]},
            )
        )
    last = [e for e in out if e.kind == "status"][-1]
    if last.data.get("status") == "done":
        last.data["output"] = to_jsonable(run["output"])
    return out


def verify(journal: Journal, run_id: str) -> tuple[int, str] | None:
    """The first audit entry of the run that no longer matches the journal (see
    ``audit_log.verify``): an edited or deleted journal row or audit entry; then an
    effect ledger row edited, deleted or inserted (``effects_ledger.verify``)."""
    from agentc.semantics.codec import dumps

    db = journal.db
    if journal.run(run_id) is None:
        from agentc.errors import AgentcError, Code

        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"no run {run_id!r} in {journal.path}",
            construct=run_id,
            hint="list runs with `agentc runs --db PATH`",
        )

    def value_of(n: dict[str, Any]) -> bytes | None:
        if n["kind"] == "status":
            if n["info"].get("status") != "done":
                return None
            row = db.execute("SELECT output FROM runs WHERE run_id=?", (run_id,)).fetchone()
            return row[0] if row else None
        if n["kind"] in ("retry", effects_ledger.NOTE):  # an effect: effects_ledger.verify
            return None
        if n["kind"] == "chat":
            from .chat_calls import value

            return value(db, run_id, n)
        if n["kind"] == "resume":
            row = db.execute(
                "SELECT t, v FROM resumes WHERE run_id=? AND ns=? AND task=?",
                (run_id, n["ns"], n["task"]),
            ).fetchone()
            values = loads(*row) if row else []
            i = n["info"].get("index", 0)
            return dumps(values[i])[1] if i < len(values) else None
        row = db.execute(
            "SELECT v FROM writes WHERE run_id=? AND ns=? AND step=? AND task=?",
            (run_id, n["ns"], n["step"], n["task"]),
        ).fetchone()
        return row[0] if row else None

    found = audit_log.verify(db, run_id, value_of)
    if found is not None:
        return found
    return effects_ledger.verify(db, run_id, audit_log.notes(db, run_id))


def _key(ns: str, step: int | None, task: str | None) -> str:
    return f"{ns}/{step}/{task}" if ns != "agents" else str(task)


def _raw(t: str, v: bytes) -> dict[str, str]:
    return {"t": t, "b64": base64.b64encode(v).decode()}


def _step(
    k: tuple[str, int, str], node: str, t: str, v: bytes, at: float | None, args: dict[str, Any]
) -> Event:
    ns, step, task = k
    value = loads(t, v)
    raw = _raw(t, v)
    if ns != "agents":  # a LangGraph task
        writes = [[ch, to_jsonable(val)] for ch, val in value]
        kind = "input" if node == START and ns == "" else "node"
        return Event(
            0,
            kind,
            key=_key(ns, step, task),
            name=node,
            ns=ns,
            step=step,
            at=at,
            data={"task": task, "writes": writes},
            raw=raw,
        )
    scope, base = _unscope(task)
    parts = base.rsplit("#", 1)[0].split(":")
    data: dict[str, Any] = {"scope": scope} if scope else {}
    if node == "input":
        return Event(
            0,
            "input",
            key=task,
            ns=ns,
            at=at,
            data={
                **data,
                "input": to_jsonable(value.get("input")),
                "max_turns": value.get("max_turns"),
            },
            raw=raw,
        )
    if node == "model":
        for item in value.get("output", []):
            if item.get("type") == "function_call":
                args[item.get("call_id")] = _parse(item.get("arguments"))
        return Event(
            0,
            "model",
            key=task,
            name=":".join(parts[1:-1]),
            ns=ns,
            at=at,
            data={
                **data,
                "request_digest": parts[-1],
                "response": to_jsonable(value.get("output")),
                "usage": to_jsonable(value.get("usage")),
            },
            raw=raw,
        )
    if node == "tool":
        result, changes, _ = tool_value(value)
        call_id = parts[-1]
        return Event(
            0,
            "tool",
            key=task,
            name=parts[-2],
            ns=ns,
            at=at,
            data={
                **data,
                "agent": ":".join(parts[1:-2]),
                "call_id": call_id,
                "arguments": args.get(call_id),
                "result": to_jsonable(result),
                "context_changes": to_jsonable(changes),
            },
            raw=raw,
        )
    if node == "hook":  # an agent's lifecycle hook ran (openai_agents_replay.JournaledHooks)
        return Event(
            0,
            "hook",
            key=task,
            name=parts[1],
            ns=ns,
            at=at,
            data={
                **data,
                "agent": parts[2] if len(parts) > 2 else None,
                "detail": ":".join(parts[3:]) or None,
                "context_changes": to_jsonable(value),
            },
            raw=raw,
        )
    return Event(
        0,
        "guardrail",
        key=task,
        name=":".join(parts[2:]),
        ns=ns,
        at=at,
        data={**data, "guardrail": node, "result": to_jsonable(value)},
        raw=raw,
    )


def _unscope(task: str) -> tuple[list[str], str]:
    """A nested step's key is ``json([*scope, base])#n`` (``openai_agents_replay.scoped_key``)."""
    body, _, n = task.rpartition("#")
    if body.startswith("["):
        path = json.loads(body)
        return path[:-1], f"{path[-1]}#{n}"
    return [], task


def _parse(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        return text
