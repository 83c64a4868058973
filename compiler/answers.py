"""Matching a resume value to pending interrupts — one rule for every engine (local
executor, Conductor simulation, Temporal): a single pending interrupt takes the value as
is; several take a map ``{interrupt id: value}``; a breakpoint ignores any value (LangGraph
resumes a static breakpoint the same way with or without ``Command(resume=...)``)."""

from __future__ import annotations

from typing import Any

from .errors import AgentcError, Code


def match_answers(
    run_id: str, interrupt_ids: list[str], value: Any, no_value: Any
) -> dict[str, Any]:
    """``{interrupt id: answer}``; ``{}`` when only breakpoints are pending."""
    if not interrupt_ids:
        return {}
    if value is no_value:
        raise AgentcError(
            Code.INVALID_RESUME,
            f"run {run_id} waits for an answer to interrupt()",
            construct=run_id,
            hint="pass the answer with --value JSON",
        )
    ids = set(interrupt_ids)
    if isinstance(value, dict) and value and set(value) <= ids:
        return dict(value)
    if len(ids) == 1:
        return {interrupt_ids[0]: value}
    raise AgentcError(
        Code.INVALID_RESUME,
        f"{len(ids)} interrupts are pending; answer each by id",
        construct=run_id,
        hint="pass --value '{\"<interrupt id>\": value, ...}' with ids from: "
        + ", ".join(sorted(ids)),
    )


def in_task_order(pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pending interrupts of parallel tasks in LangGraph's ``get_state().tasks`` order (the
    graph's node order, stamped as ``order`` by the step worker), not in the order the
    tasks happened to pause; a stable sort, so one node's interrupts keep their order. The
    ``order`` stamp itself is dropped: it is not part of what a pause reports."""
    ordered = sorted(pending, key=lambda i: i.get("order", -1))
    return [{k: v for k, v in i.items() if k != "order"} for i in ordered]
