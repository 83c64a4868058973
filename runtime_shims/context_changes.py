"""What a tool or hook changed in the run's mutable context object, journaled with its
output and applied again when the step is replayed (``openai_agents_replay.py``): the SDK
hands every tool the same context object, and a replayed tool does not run, so its changes
must come from the journal."""

from __future__ import annotations

from typing import Any

from agentc.semantics.codec import dumps, loads


def _fields(context: Any) -> dict[str, Any] | None:
    if isinstance(context, dict):
        return context
    return getattr(context, "__dict__", None)


def _encoded(value: Any) -> Any:
    try:
        return dumps(value)
    except Exception:  # noqa: BLE001 - not serializable: compare by identity only
        return ("id", id(value))


def context_before(context: Any) -> Any:
    """What ``context_changes`` compares against: each field's encoded value (and a list's
    length, to tell an append from a replacement)."""
    fields = _fields(context)
    return (
        None
        if fields is None
        else {k: (_encoded(v), len(v) if isinstance(v, list) else None) for k, v in fields.items()}
    )


def context_changes(before: Any, context: Any) -> dict[str, Any] | None:
    """The fields a tool (or hook) set, appended to or removed, as ``{"set": {...},
    "append": {...}, "del": [...]}`` (deep copies). Parallel tool calls that each ran as
    their own step are merged by applying these in call order, which is what the SDK's
    shared context object gives when the tools touch different fields or append to the same
    list (a log, a list of bookings)."""
    fields = _fields(context)
    if before is None or fields is None:
        return None
    changed, appended = {}, {}
    for k, v in fields.items():
        if k in before and before[k][0] == _encoded(v):
            continue
        n = before[k][1] if k in before else None
        if n is not None and isinstance(v, list) and len(v) > n and _encoded(v[:n]) == before[k][0]:
            appended[k] = v[n:]
        else:
            changed[k] = v
    removed = [k for k in before if k not in fields]
    if not changed and not appended and not removed:
        return None
    out: dict[str, Any] = {"set": loads(*dumps(changed)), "del": removed}
    if appended:
        out["append"] = loads(*dumps(appended))
    return out


def apply_changes(context: Any, changes: dict[str, Any] | None) -> None:
    """Put a tool's journaled context changes into the live context object (same identity:
    tools and instructions hold references to it)."""
    fields = _fields(context)
    if not changes or fields is None:
        return
    for k in changes["del"]:
        fields.pop(k, None)
    fields.update(loads(*dumps(changes["set"])))
    for k, items in loads(*dumps(changes.get("append") or {})).items():
        if isinstance(fields.get(k), list):
            fields[k].extend(items)
        else:
            fields[k] = items
