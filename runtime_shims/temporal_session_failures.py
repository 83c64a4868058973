"""Temporal, workflow side: a tool call of a model turn failed for good beside calls that
completed, and the run has a ``--session`` — ask the model activity for a settle drive
(``session_failures.py``) so the completed calls are saved to the session as
``Runner.run`` saves them, before the run waits for ``agentc resume`` or fails.

Called by ``temporal_agent_fanout.scoped_run_steps`` once the turn's fan-out settled
(cancelled siblings stopped). The settle drive's journal entries (its session writes) are
kept under refs of their own in the turn's outputs, so the next model step merges them
into the run's journal and no later drive writes them again. Workflow APIs only.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from .protocol import CallTask, ModelTurn

SETTLE_KEY = "settle"
"""The model activity's input key for a settle drive (``session_failures.SETTLE_KEY``)."""


async def settle(
    run: Any,
    turn: ModelTurn,
    tasks_of: list[CallTask],
    results: dict[int, Any],
    failed_at: int,
    failure: BaseException,
    settled: dict[str, Any],
) -> None:
    """Add the settle drive's output to ``settled`` (ref → output), when there is
    something to save: a session, a failed function-tool call, completed siblings."""
    call = tasks_of[failed_at]
    if not turn.session or not results or call.child or "target" not in call.input:
        return
    cause = failure.cause if isinstance(failure, ActivityError) else failure
    if not isinstance(cause, ApplicationError):
        return
    details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
    added = [results[i] for i in sorted(results)] + list(settled.values()) + [details]
    try:
        out = await workflow.execute_activity(
            run.model_type,
            {
                "plan": run.plan,
                "run": run.inp,
                SETTLE_KEY: {
                    "journal": call.input.get("journal"),
                    "added": added,
                    "target": call.input["target"],
                    "error": cause.message,
                },
            },
            **run._options(run.model_type),
        )
    except ActivityError:  # the partial turn is not saved; the call's failure is what counts
        return
    if isinstance(out, dict) and out.get("entries"):
        settled[f"{tasks_of[0].ref}_session{len(settled)}"] = out
