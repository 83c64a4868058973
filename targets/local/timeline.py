"""A run's timeline for people, made from its audit history (``history.py``).

Why from the history and not from the journal's tables: ``agentc history`` and the web
console must not tell two stories about one run. The console's timeline, the diagram's
"what ran" counts, the list of supersteps and the per-task writes a past state is folded
from all come from the events ``history.read_db`` returns — the same events ``agentc
history`` prints, ``agentc export`` writes and replay diffs — reshaped here for reading:
a node's routing split from its state writes, a model response reduced to its tool calls
and text, an approval answer split into one decision per tool call.

Pure functions over ``History`` (no database): ``run_view.py`` does the reading.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from agentc.runtime_shims.audit_events import History
from agentc.runtime_shims.audit_events import Event as AuditEvent
from agentc.semantics.codec import loads, to_jsonable

INTERNAL_PREFIXES = ("branch:", "__")
"""Channels the executor uses for routing (``branch:to:x``, ``__start__``), not state."""

START = "__start__"


@dataclass
class Event:
    """One entry of a run's timeline. ``data`` is JSON-able user data (rendered as text);
    ``seq`` the history event it shows (the number ``agentc history`` prints and
    ``agentc fork --at`` takes), None for what is not a history event (what the run waits
    for, its error, its output)."""

    # input | node | model | tool | guardrail | hook | answer | decision | retry | pending | error |
    # output
    kind: str
    title: str
    ns: str = ""
    step: int | None = None
    data: Any = None
    node: str | None = None
    seq: int | None = None
    replayable: bool = False


def waiting_label(p: dict[str, Any]) -> str:
    match p.get("kind"):
        case "interrupt":
            return f"interrupt in {p.get('node')}"
        case "breakpoint":
            return f"breakpoint {p.get('when')} {', '.join(p.get('nodes') or [])}"
        case "approval":
            return f"approval of {p.get('tool')} ({p.get('agent')})"
    return str(p.get("kind"))


def events(h: History, run: dict[str, Any]) -> list[Event]:
    """The timeline of run ``run`` (its row, as ``RunView.run`` gives it) from history ``h``:
    the history's steps and answers, then what the run waits for, its error or output."""
    out = _agent_events(h.events) if h.kind == "agents" else _graph_events(h.events)
    for p in run["interrupts"]:
        node = f"{p.get('agent')}/{p.get('tool')}" if p.get("kind") == "approval" else p.get("node")
        out.append(
            Event(
                "pending",
                "waiting: " + waiting_label(p),
                p.get("ns", ""),
                data=_pending_data(p),
                node=node,
            )
        )
    if run["error"]:
        out.append(Event("error", "failed", data=run["error"]))
    if run["status"] == "done":
        out.append(Event("output", "finished", data=run["output"]))
    return out


def taken(h: History) -> dict[str, int]:
    """How often each root-graph node ran (graphs), or each agent answered and each
    ``agent/tool`` ran (agent systems): what the diagram highlights."""
    counts: dict[str, int] = {}
    for e in h.events:
        key: str | None = None
        if h.kind == "agents":
            match e.kind:
                case "input":
                    key = START
                case "model":
                    key = e.name
                case "tool":
                    key = f"{e.data.get('agent')}/{e.name}"
        elif e.kind in ("input", "node") and e.ns == "":
            key = e.name
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    return counts


def steps(h: History) -> list[int]:
    """The root graph's completed supersteps (0 is the input)."""
    return sorted(
        {
            e.step
            for e in h.events
            if e.kind in ("input", "node") and e.ns == "" and e.step is not None
        }
    )


def root_writes(h: History, upto: int) -> list[tuple[str, int, str, str, Any]]:
    """``(ns, step, task, node, writes)`` of the root graph's tasks through superstep
    ``upto``, with the exact journaled values (``raw``), for folding a past state."""
    return [
        (e.ns, e.step, e.data.get("task", ""), e.name or "", _decode(e))
        for e in h.events
        if e.kind in ("input", "node")
        and e.ns == ""
        and e.step is not None
        and e.step <= upto
        and e.raw is not None
    ]


def _decode(e: AuditEvent) -> Any:
    assert e.raw is not None
    return loads(e.raw["t"], base64.b64decode(e.raw["b64"]))


def _pending_data(p: dict[str, Any]) -> Any:
    match p.get("kind"):
        case "interrupt":
            return to_jsonable(p.get("value"))
        case "approval":
            return {"tool": p.get("tool"), "arguments": p.get("arguments")}
    return {k: v for k, v in p.items() if k not in ("kind", "ns")}


def _retry(e: AuditEvent) -> Event:
    return Event(
        "retry",
        f"retry: {e.name} (attempt {e.data.get('attempt')} failed)",
        e.ns,
        e.step,
        e.data,
        e.name,
        e.seq,
    )


def _task_of(e: AuditEvent) -> str:
    """A resume event's task key (its ``key`` is ``ns/task``, or ``task`` at the root)."""
    return e.key[len(e.ns) + 1 :] if e.ns and e.key.startswith(e.ns + "/") else e.key


def _graph_events(history: list[AuditEvent]) -> list[Event]:
    names = {(e.ns, e.data.get("task")): e.name for e in history if e.kind in ("input", "node")}
    out = []
    for e in history:
        match e.kind:
            case "input" | "node":
                writes = e.data.get("writes") or []
                visible = [[ch, v] for ch, v in writes if not str(ch).startswith(INTERNAL_PREFIXES)]
                routes = [
                    str(ch)[len("branch:to:") :]
                    for ch, _ in writes
                    if str(ch).startswith("branch:to:")
                ]
                if e.name == START:
                    out.append(
                        Event(
                            "input",
                            "input",
                            e.ns,
                            e.step,
                            dict(visible) if visible else None,
                            seq=e.seq,
                        )
                    )
                    continue
                data: dict[str, Any] = {"writes": visible}
                if routes:
                    data["next"] = routes
                out.append(
                    Event("node", e.name or "", e.ns, e.step, data, e.name, e.seq, replayable=True)
                )
            case "resume":
                task = _task_of(e)
                node = names.get((e.ns, task)) or task.rpartition(":")[2]
                out.append(
                    Event(
                        "answer",
                        f"answer given to {node}",
                        e.ns,
                        None,
                        e.data.get("value"),
                        node,
                        e.seq,
                    )
                )
            case "retry":
                out.append(_retry(e))
    return out


_DONE = {"approve": "approved", "reject": "rejected"}


def _agent_events(history: list[AuditEvent]) -> list[Event]:
    out: list[Event] = []
    proposed: dict[
        str, tuple[str, str]
    ] = {}  # call id -> (agent, tool), from the model responses so far
    for e in history:
        prefix = "nested " if e.data.get("scope") else ""
        match e.kind:
            case "input":
                out.append(Event("input", "input", data=e.data.get("input"), seq=e.seq))
            case "model":
                items = _model_items(e.data.get("response"))
                for it in items if isinstance(items, list) else []:
                    if isinstance(it, dict) and it.get("call_id"):
                        proposed[it["call_id"]] = (e.name or "", str(it.get("call")))
                out.append(
                    Event(
                        "model",
                        f"{prefix}model call: {e.name}",
                        data=items,
                        node=e.name or None,
                        seq=e.seq,
                        replayable=True,
                    )
                )
            case "tool":
                out.append(
                    Event(
                        "tool",
                        f"{prefix}tool call: {e.name}",
                        data={
                            "call_id": e.data.get("call_id"),
                            "arguments": e.data.get("arguments"),
                            "output": e.data.get("result"),
                        },
                        node=f"{e.data.get('agent')}/{e.name}",
                        seq=e.seq,
                        replayable=True,
                    )
                )
            case "guardrail":
                out.append(
                    Event(
                        "guardrail",
                        f"{prefix}{e.data.get('guardrail')}: {e.name}",
                        data=e.data.get("result"),
                        seq=e.seq,
                        replayable=True,
                    )
                )
            case "hook":
                out.append(
                    Event(
                        "hook",
                        f"{prefix}hook: {e.name}"
                        + (f" ({e.data['agent']})" if e.data.get("agent") else ""),
                        data=e.data.get("context_changes"),
                        seq=e.seq,
                    )
                )
            case "resume":
                out.extend(_decisions(e, proposed))
            case "retry":
                out.append(_retry(e))
    return out


def _decisions(e: AuditEvent, proposed: dict[str, tuple[str, str]]) -> list[Event]:
    """An answer to tool approvals (``{call id: {"action", "message"}}``): one decision per
    tool call, named by the tool the model proposed."""
    value = e.data.get("value")
    if not isinstance(value, dict) or not all(isinstance(d, dict) for d in value.values()):
        return [Event("answer", "answer", data=value, seq=e.seq)]
    out = []
    for cid, d in value.items():
        agent, tool = proposed.get(cid, ("", cid))
        out.append(
            Event(
                "decision",
                f"{_DONE.get(d.get('action'), d.get('action'))}: {tool}",
                data={"call_id": cid, **d},
                node=f"{agent}/{tool}",
                seq=e.seq,
            )
        )
    return out


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
            text = [
                c.get("text")
                for c in it.get("content") or []
                if isinstance(c, dict) and "text" in c
            ]
            out.append({"message": "".join(t for t in text if t)})
        else:
            out.append(it)
    return out
