"""Events as the text ``agentc history`` prints: one line each, the details indented."""

from __future__ import annotations

import datetime
import json
from typing import Any

from agentc.runtime_shims.audit_events import Event, History


def _short(value: Any, width: int = 100) -> str:
    text = (
        value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    )
    return text if len(text) <= width else text[: width - 1] + "…"


def _when(at: float | None) -> str:
    if at is None:
        return "--:--:--.---"
    return datetime.datetime.fromtimestamp(at, datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def line(e: Event) -> str:
    d = e.data
    head = f"{e.seq:>4}  {_when(e.at)}  {e.kind:<9}"
    match e.kind:
        case "input":
            body = _short(d.get("input", d.get("writes")))
        case "node":
            where = f"{e.ns}/" if e.ns else ""
            writes = _short({c: v for c, v in d.get("writes", [])})
            body = f"{where}step {e.step} {e.name}  writes {writes}"
        case "model":
            where = (
                f"{e.ns + '/' if e.ns else ''}step {e.step} "
                if e.ns != "agents" and e.step is not None
                else ""
            )
            summary = _short(_model_summary(d.get("response")))
            body = f"{where}{e.name}  request {d.get('request_digest')}  → {summary}"
        case "tool":
            body = f"{e.name}({_short(d.get('arguments'), 60)})  → {_short(d.get('result'), 60)}"
        case "guardrail":
            body = f"{e.name}  → {_short(d.get('result'), 80)}"
        case "resume":
            body = f"{e.key}  value {_short(d.get('value'))}"
        case "retry":
            body = f"{e.name} attempt {d.get('attempt')} failed: {d.get('error')}"
        case "status":
            body = str(d.get("status")) + (
                f"  {d['error'].splitlines()[0]}" if d.get("error") else ""
            )
        case _:
            body = _short(d)
    return head + "  " + body


def _model_summary(items: Any) -> list[str]:
    out = []
    for i in items or []:
        match i.get("type"):
            case "function_call":
                out.append(f"call {i.get('name')}({i.get('arguments')})")
            case "message":
                out.append(
                    "say "
                    + " ".join(
                        c.get("text", "") for c in i.get("content", []) if isinstance(c, dict)
                    )
                )
            case (
                "ai"
            ):  # a chat model's AIMessage inside a LangGraph node (targets/local/chat_calls.py)
                out.extend(_chat_summary(i))
            case other:
                out.append(str(other))
    return out


def _chat_summary(message: dict[str, Any]) -> list[str]:
    calls = [
        f"call {c.get('name')}({json.dumps(c.get('args'), sort_keys=True)})"
        for c in message.get("tool_calls") or []
    ]
    content = message.get("content")
    return ([f"say {content}"] if content else []) + calls


def text(h: History) -> str:
    head = [
        f"run {h.run_id}  {h.kind} {h.workflow}  entry {h.entry or '-'}  engine {h.engine}  "
        f"status {h.status}"
    ]
    if h.origin:
        o = h.origin
        head.append(
            f"{o.get('kind') or 'fork'} of {o.get('origin')} at event {o.get('at')}"
            + (f", its output replaced by {_short(o.get('value'), 80)}" if o.get("changed") else "")
        )
    return "\n".join(head + [line(e) for e in h.events])
