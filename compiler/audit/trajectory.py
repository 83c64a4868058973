"""A run's trajectory — the lines a replay diff compares — from its history.

What an agent *did*, without what differs between two equal runs: steps (node names per
superstep, model turns per agent), tool calls with their arguments and results, and the
final output. Message ids (LangGraph assigns random ones) and timings are left out.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from agentc.runtime_shims.audit_events import History

_INTERNAL = ("branch:", "__pregel", "__start__")


def _plain(value: Any) -> Any:
    """JSON without volatile fields (message ids, LangChain run metadata)."""
    if isinstance(value, dict):
        return {
            k: _plain(v)
            for k, v in value.items()
            if k not in ("id", "response_metadata", "usage_metadata", "additional_kwargs")
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _j(value: Any) -> str:
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False)


def _scheduled(events: list[Any]) -> list[Any]:
    """Events with the order of concurrent steps fixed: tasks of one LangGraph superstep by
    task key, a run of tool calls of one model turn by call id, an input guardrail (the SDK
    runs it beside the agent's first model turn) before that turn. Which of them committed
    first is scheduling, not behaviour."""
    out: list[Any] = []
    block: list[Any] = []

    def group(e: Any) -> Any:
        if e.kind == "node" or (
            e.kind == "model" and e.ns != "agents"
        ):  # a node's chat calls with it
            return ("node", e.ns, e.step)
        if e.kind == "tool":
            return ("tool", tuple(e.data.get("scope") or ()))
        return None

    def flush() -> None:
        if block:
            out.extend(
                sorted(
                    block,
                    key=lambda e: (
                        e.data.get("task") or "",
                        e.kind == "node",
                        e.data.get("call_id") or "",
                        e.data.get("call") or 0,
                        e.key,
                    ),
                )
            )
            block.clear()

    for e in events:
        if (
            e.kind == "guardrail"
            and e.data.get("guardrail") == "input_guardrail"
            and not block
            and out
            and out[-1].kind == "model"
        ):
            out.insert(len(out) - 1, e)  # run beside the first model turn: listed before it
            continue
        g = group(e)
        if g is None or (block and group(block[0]) != g):
            flush()
        if g is None:
            out.append(e)
        else:
            block.append(e)
    flush()
    return out


def lines(h: History) -> list[str]:
    out: list[str] = []
    for e in _scheduled(h.events):
        d = e.data
        match e.kind:
            case "node":
                where = f"{e.ns}/" if e.ns else ""
                out.append(f"step {where}{e.step} {e.name}")
                for ch, value in d.get("writes", []):
                    if ch.startswith(_INTERNAL):
                        continue
                    out.append(f"  write {ch} = {_j(value)}")
                    for msg in value if isinstance(value, list) else [value]:
                        for call in (msg.get("tool_calls") or []) if isinstance(msg, dict) else []:
                            out.append(f"  tool call {call.get('name')}({_j(call.get('args'))})")
            case "model":
                out.append(f"model {e.name}")
                for item in d.get("response") or []:
                    match item.get("type"):
                        case "function_call":
                            out.append(f"  call {item.get('name')}({item.get('arguments')})")
                        case "message":
                            text = " ".join(
                                c.get("text", "")
                                for c in item.get("content", [])
                                if isinstance(c, dict)
                            )
                            out.append(f"  say {text}")
                        case "ai":  # a chat model's message inside a LangGraph node
                            from .render import _chat_summary

                            out.extend(f"  {line}" for line in _chat_summary(item))
                        case other:
                            out.append(f"  {other}")
            case "tool":
                out.append(f"tool {e.name}({_j(d.get('arguments'))}) -> {_j(d.get('result'))}")
            case "guardrail":
                out.append(f"guardrail {e.name} -> {_j(d.get('result'))}")
            case "resume":
                out.append(f"resume {_j(d.get('value'))}")
    out.append(f"status {h.status}")
    if h.status == "done":
        out.append(f"final {_j(h.output)}")
    if h.interrupts:
        out.append(f"waiting {_j(h.interrupts)}")
    return out


def diff(original: History, replayed: History) -> list[str]:
    """A unified diff of the two trajectories (empty: the replay did what the run did)."""
    return list(
        difflib.unified_diff(
            lines(original),
            lines(replayed),
            f"original {original.run_id}",
            f"replay {replayed.run_id}",
            lineterm="",
            n=2,
        )
    )
