"""Fan-out policies for parallel branches on Temporal (docs/policies.md "Fan-outs"): the
nodes of one superstep of the root graph that are no ``Send`` packets (static edges, or a
router returning several targets). The code generator knows the policy (it is part of the
IR) and emits ``await self.branches(FAN, STEPS)`` instead of ``asyncio.gather`` of the
steps for a block that runs a governed node (``targets/temporal/codegen.py``).

Workflow side (workflow APIs only), as ``temporal_fanout`` does for ``Send`` packets:
each node's activity heartbeats and is cancelled with ``WAIT_CANCELLATION_COMPLETED``; at
the first failure (``fail_fast``) or when the ``deadline`` timer fires, the unfinished
siblings are cancelled (the worker cancels the node through ``cancel_scope``: at its next
``await``; a node that has not started never starts) and the workflow goes on only once
each has stopped. Then, as ``_activity`` does for any failed step: a saga with completed
compensable effects fails (its compensations run, ``temporal_saga``); otherwise the run
waits for ``agentc resume`` (an uncertain at_most_once call, AC305: also for the human's
decision, ``temporal_at_most_once``) and runs the failed and cancelled nodes again;
completed ones keep their writes. A node's ``interrupt()`` pauses it as ``step`` does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.exceptions import ActivityError, ApplicationError

from .temporal_at_most_once import uncertain_key
from .temporal_fanout import cancellable_activity, wait_scoped

NODE_FAILED = "AgentcNodeFailed"
DEADLINE = "AgentcFanoutDeadline"


async def _node(run: Any, ref: str, task_type: str, prev: list[str], carry: Any) -> Any:
    """``AgentWorkflow.step`` with a cancellable activity, failures left to the scope."""
    resumes: list[Any] = []
    while True:
        payload = run._payload(ref, prev)
        if resumes:  # the answers so far, and what the paused attempt left (nested_graphs)
            payload["resume"], payload["carry"] = resumes, carry
        elif carry is not None:  # what a failed attempt's invoked graphs left (as _activity)
            payload["carry"] = carry
        run.activities_running += 1
        try:
            o = await cancellable_activity(run, task_type, payload)
        finally:
            run.activities_running -= 1
        run.keep_effect(o)
        if o.get("status") != "interrupted":
            run.out[ref] = o
            return o
        carry = o.get("carry")
        ids = [i["id"] for i in o["interrupts"]]
        try:
            resumes.append({"resume": await run._ask(ref, o["interrupts"])})
        finally:  # cancelled while asking: the rerun asks again
            run.waiting = [w for w in run.waiting if w.get("id") not in ids]


def _start(run: Any, spec: list[Any], carry: Any) -> asyncio.Future:
    ref, task_type, prev, kind = spec
    if kind == "child":  # a subgraph node: a child workflow (cancelled with it)
        return asyncio.ensure_future(run.child(ref, task_type, prev))
    return asyncio.ensure_future(_node(run, ref, task_type, prev, carry))


async def scoped_steps(run: Any, fan: dict[str, Any], steps: list[list[Any]]) -> None:
    """Run ``steps`` (``[ref, task type, prev refs, "step" | "child"]``) under ``fan``."""
    finished: set[str] = set()
    carries: dict[str, Any] = {}
    while True:
        todo = [s for s in steps if s[0] not in finished]
        running = {s[0]: _start(run, s, carries.get(s[0])) for s in todo}
        done, pending, timed_out = await wait_scoped(list(running.values()), fan)
        failure: BaseException | None = None
        failed = todo[0]
        for s in todo:
            t = running[s[0]]
            if t.cancelled():
                continue
            exc = t.exception()
            if exc is None:
                finished.add(s[0])
            elif failure is None and t in done:
                failure, failed = exc, s
        if len(finished) == len(steps):
            return
        if failure is None:
            message = (
                (
                    f"AC311: the fan-out of {fan.get('node')!r} did not finish within its "
                    "deadline of "
                    f"{fan.get('deadline'):g} s; {len(pending)} task(s) were cancelled"
                )
                if timed_out
                else "the fan-out was cancelled"
            )
            failure = ApplicationError(
                message, type=DEADLINE if timed_out else "AgentcStepFailed", non_retryable=True
            )
        cause = failure.cause if isinstance(failure, ActivityError) else failure
        retryable = isinstance(cause, ApplicationError) and cause.type in (NODE_FAILED, DEADLINE)
        details = (
            cause.details[0]
            if isinstance(cause, ApplicationError)
            and cause.details
            and isinstance(cause.details[0], dict)
            else {}
        )
        effect = uncertain_key(details)  # AC305: a human decides, no compensation
        saga = effect is None and any(
            e.get("class") == "compensable" for e in getattr(run, "effects", ())
        )
        if not (run.retry_failed_steps and retryable) or saga:
            raise failure
        if details.get("carry") is not None:
            carries[failed[0]] = details["carry"]
        await run._await_retry(failed[1], str(getattr(cause, "message", cause)), effect)
