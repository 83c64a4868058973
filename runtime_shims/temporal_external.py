"""External steps on Temporal: an activity completed asynchronously (docs/policies.md
"External completion").

An external node's pause (its ``interrupt()`` of kind ``external_completion``,
``policy_gate.node_gate``) and an external agent tool call (``external_steps``) become one
activity, ``agentc-external``: a worker starts it — it logs what is asked (the input is in
the activity's scheduled event, where the outside system reads it too) — and calls
``activity.raise_complete_async()``, so no worker slot and no process is held while the
work happens elsewhere. Whoever finishes it completes the activity by its id
(``client.get_async_activity_handle(workflow_id=..., activity_id=...).complete(value)``;
``agentc complete RUN STEP --value JSON --engine temporal`` does that,
``targets/temporal/async_completion.py``); the workflow reads the value as the node's
return value (the answer to its interrupt) or as the tool's output.

Timeouts: the activity has one attempt (``maximum_attempts=1``: an external step is never
retried silently) and a ``schedule_to_close_timeout`` of the policy's ``timeout``; past
it the workflow fails with ``AC316`` naming the step. Without a ``timeout`` the wait is as
unbounded as any other pause (a signal wait): Temporal needs a bound, so it is
``UNBOUNDED``. No heartbeat timeout: the outside system is not a worker (it may still
heartbeat through the handle). The run's ``resume`` signal still answers the pause too
(``agentc resume RUN --value '{"<id>": VALUE}'``): the activity is then cancelled.

Workflow-side code here is deterministic (workflow APIs only).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError as TemporalTimeout

from agentc.errors import Code
from agentc.runtime_shims.external_steps import is_external, is_external_type  # noqa: F401 - used by temporal_runtime
from agentc.runtime_shims.policy_gate import EXTERNAL_KIND

ACTIVITY = "agentc-external"
UNBOUNDED = timedelta(days=3650)
STEP_FAILED = "AgentcStepFailed"
"""``temporal_runtime.STEP_FAILED``: the workflow fails (not resumable by a retry)."""


def _options(timeout: float | None) -> dict[str, Any]:
    return {
        "schedule_to_close_timeout": timedelta(seconds=timeout) if timeout else UNBOUNDED,
        "retry_policy": RetryPolicy(maximum_attempts=1),
    }


async def wait(
    run: Any, ref: str, interrupt: dict[str, Any], payload: dict[str, Any] | None = None
) -> Any:
    """Wait for an external step's value: the async-completed activity's result, or the
    ``resume`` signal's answer for the interrupt's id (whichever comes first)."""
    n = getattr(run, "external_waits", 0) + 1
    run.external_waits = n
    wid = workflow.info().workflow_id
    aid = f"external-{ref}-{n}"
    q = interrupt["value"]
    entry = {"kind": "interrupt", **interrupt, "task": ref, "workflow_id": wid, "activity_id": aid}
    run.waiting.append(entry)
    handle = workflow.start_activity(
        ACTIVITY,
        payload or {"step": ref, "question": q},
        activity_id=aid,
        **_options(q.get("timeout")),
    )
    iid = interrupt["id"]
    try:
        await workflow.wait_condition(lambda: handle.done() or iid in run.answers)
    finally:
        run.waiting = [w for w in run.waiting if w.get("activity_id") != aid]
    if not handle.done():  # answered by the resume signal
        handle.cancel()
        return run.answers[iid]
    try:
        return handle.result()
    except ActivityError as err:
        if isinstance(err.cause, TemporalTimeout):
            what = (
                f"node {q['node']!r}"
                if q.get("node")
                else f"tool {q.get('tool')!r} (call {q.get('call_id')})"
            )
            raise ApplicationError(
                f"{Code.EXTERNAL_TIMED_OUT.value}: external {what} was not completed within "
                f"{q.get('timeout')} s (policy timeout)",
                type=STEP_FAILED,
                non_retryable=True,
            ) from None
        raise


async def tool(run: Any, ref: str, inp: dict[str, Any]) -> dict[str, Any]:
    """An external agent tool call (a task of an ``-_external`` type in the model step's
    fork): its output, with its packed spec so the next model step journals it
    (``external_steps.completed_entries``)."""
    q = {
        "kind": EXTERNAL_KIND,
        **{k: inp[k] for k in ("tool", "timeout") if inp.get(k)},
        "external": inp["external"],
    }
    value = await wait(run, ref, {"id": ref, "value": q}, {"step": ref, **inp})
    return {"resume": value, "external": inp["external"]}


def activity_defn() -> Any:
    """The worker's ``agentc-external`` activity: the submit part, then async completion."""

    @activity.defn(name=ACTIVITY)
    async def external_step(payload: dict) -> Any:
        info = activity.info()
        activity.logger.info(
            "external step %s of %s waits for completion (activity id %s)",
            payload.get("step"),
            info.workflow_id,
            info.activity_id,
        )
        activity.raise_complete_async()

    return external_step


def needed(wf: Any) -> bool:
    p = getattr(wf, "policies", None)
    return p is not None and any(r.external for r in (*p.nodes, *p.tools))
