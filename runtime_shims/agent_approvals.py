"""Tool approvals of a journaled agent run: ``Runner.run`` then the SDK's own resumption
at each pause whose decisions are journaled (``run_with_decisions``), a pause's identity,
and ``agentc resume``'s value checked against what is pending (``decide``)."""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

from agentc.semantics.codec import digest as _digest


def call_id(item: Any) -> str:
    raw = getattr(item, "raw_item", None)
    return (
        getattr(raw, "call_id", None)
        or (raw.get("call_id") if isinstance(raw, dict) else None)
        or item.tool_name
    )


def parse_args(raw: Any) -> Any:
    try:
        return json.loads(raw) if isinstance(raw, str) and raw else raw
    except json.JSONDecodeError:
        return raw


async def run_with_decisions(
    agent: Any,
    input: Any,
    kwargs: dict[str, Any],
    decisions_at: Callable[[str], Optional[dict[str, Any]]],
) -> tuple[str, Any]:
    """``Runner.run``, then the SDK's own resumption at each approval pause whose
    decisions are known (``decisions_at(pause_id)``: call id → ``{"action", "message"}``).
    Returns ``("waiting", pending approvals)`` or ``("done", RunResult)``."""
    from agents import Runner

    from agentc.errors import AgentcError, Code

    result = await Runner.run(agent, input, **kwargs)
    while result.interruptions:
        pause = pause_id(result.interruptions)
        chosen = decisions_at(pause)
        if not chosen:
            return "waiting", [
                {
                    "kind": "approval",
                    "id": call_id(i),
                    "tool": i.tool_name,
                    "arguments": parse_args(i.arguments),
                    "agent": i.agent.name,
                    "pause": pause,
                }
                for i in result.interruptions
            ]
        state = result.to_state()
        for item in state.get_interruptions():
            d = chosen.get(call_id(item))
            if d is None:
                raise AgentcError(
                    Code.GRAPH_CHANGED,
                    f"the replayed run paused for {item.tool_name} "
                    "which the recorded decisions do not cover",
                    construct=str(item.tool_name),
                    hint="the agent's code or model changed since the run started",
                )
            if (
                d["action"] == "approve"
            ):  # "always": the SDK's sticky decision for the rest of the run
                state.approve(item, always_approve=bool(d.get("always")))
            else:
                state.reject(
                    item, always_reject=bool(d.get("always")), rejection_message=d.get("message")
                )
        result = await Runner.run(
            agent, state, **{k: v for k, v in kwargs.items() if k != "context"}
        )
    return "done", result


def pause_id(interruptions: list[Any]) -> str:
    """A pause's identity: its pending call ids. Not a count of pauses: a workflow step
    for an agent used as a tool replays the outer run, where the nested run's pauses
    appear, while the outer run's own steps replay the tool's recorded output."""
    return "p" + _digest(sorted(call_id(i) for i in interruptions))[:16]


def final_result(result: Any, run: dict[str, Any] | None = None) -> dict[str, Any]:
    """A finished run's output, as its description ``run`` asks (``run_result.py``)."""
    from agentc.runtime_shims.run_result import output_of

    return output_of(result, run)


def decide(run_id: str, pending: list[dict[str, Any]], value: Any) -> dict[str, dict[str, Any]]:
    """``agentc resume``'s value for an approval pause — ``{"approve": [...], "reject":
    [...]}`` with tool names or call ids, or ``{"id", "always"}`` objects (``always``: the
    SDK's ``always_approve`` / ``always_reject``, for the rest of the run; a rejection may
    have a ``message``) — as call id → decision; every pending approval must be decided."""
    from agentc.errors import AgentcError, Code

    listing = ", ".join(f"{p['tool']} ({p['id']})" for p in pending)
    if not isinstance(value, dict) or not set(value) <= {"approve", "reject"}:
        raise AgentcError(
            Code.INVALID_RESUME,
            "the run waits for tool approvals",
            construct=run_id,
            hint='pass --value \'{"approve": [...], "reject": [...]}\' with tool names or call ids '
            "from: " + listing,
        )
    decisions: dict[str, dict[str, Any]] = {}
    for action in ("approve", "reject"):
        for entry in value.get(action) or []:
            ident, message = (
                (entry.get("id"), entry.get("message"))
                if isinstance(entry, dict)
                else (entry, None)
            )
            always = entry.get("always", False) if isinstance(entry, dict) else False
            if not isinstance(always, bool):
                raise AgentcError(
                    Code.INVALID_RESUME,
                    f'"always" of {ident!r} must be true or false, not {always!r}',
                    construct=run_id,
                    hint=f'e.g. {{"{action}": [{{"id": "{ident}", "always": true}}]}}',
                )
            for p in pending:
                if ident in (p["id"], p["tool"]) and p["id"] not in decisions:
                    decisions[p["id"]] = {
                        "action": action,
                        "message": message,
                        **({"always": True} if always else {}),
                    }
                    break
            else:
                raise AgentcError(
                    Code.INVALID_RESUME,
                    f"nothing pending matches {ident!r}",
                    construct=run_id,
                    hint="pending: " + listing,
                )
    missing = [p for p in pending if p["id"] not in decisions]
    if missing:
        raise AgentcError(
            Code.INVALID_RESUME,
            "every pending tool call needs a decision",
            construct=run_id,
            hint="undecided: " + ", ".join(f"{p['tool']} ({p['id']})" for p in missing),
        )
    return decisions
