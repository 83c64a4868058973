"""Fan-out policies of an agent's parallel tool calls on Temporal (docs/policies.md
"Fan-outs"; the local side and the policy lookup: ``agent_fanout``). The model step
attaches the policy of the responding agent to the turn it reports (``turn["fanout"]``, beside
its ``protocol.CallTask``s);
``AgentLoopWorkflow.run_steps`` then runs the turn's activities here instead of under a
plain ``asyncio.gather`` (which lets every sibling run to its end).

Workflow side (workflow APIs only): the tool activities get a heartbeat timeout and
``WAIT_CANCELLATION_COMPLETED`` (``temporal_fanout``'s approach: the worker heartbeats
from a helper thread and cancels the call through ``cancel_scope``); at the first failure
(``fail_fast``) or when the ``deadline`` timer fires, the unfinished siblings are
cancelled and the workflow goes on only once each has stopped. Then, as ``_activity``
does for any failed tool step: a saga with completed compensable effects fails (its
compensations run, ``temporal_saga``); otherwise the run waits for ``agentc resume`` and
runs the failed and cancelled calls again (completed ones keep their outputs).
"""
from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from .protocol import CALLS_KEY, CallTask
from .temporal_fanout import cancellable_activity, wait_scoped

NODE_FAILED = "AgentcNodeFailed"


async def scoped_run_steps(run: Any, turn: dict[str, Any]) -> dict[str, Any]:
    fan = turn["fanout"]
    tasks_of = [CallTask.from_dict(c) for c in turn[CALLS_KEY]]
    wid = workflow.info().workflow_id
    results: dict[int, Any] = {}

    def start(i: int) -> asyncio.Future:
        call = tasks_of[i]
        if call.child:
            return asyncio.ensure_future(run._child(call.task_type, call.input, f"{wid}.{call.ref}"))
        return cancellable_activity(run, call.task_type, call.input)

    while True:
        todo = [i for i in range(len(tasks_of)) if i not in results]
        running = {i: start(i) for i in todo}
        run.activities_running += len(running)
        try:
            done, pending, timed_out = await wait_scoped(list(running.values()), fan)
        finally:
            run.activities_running -= len(running)
        failure: BaseException | None = None
        for i, t in running.items():
            if t.cancelled():
                continue
            exc = t.exception()
            if exc is None:
                results[i] = t.result()
                run.keep_effect(results[i])  # a completed sibling's effect: compensable (temporal_saga)
            elif failure is None and t in done:
                failure = exc
        if len(results) == len(tasks_of):
            return {tasks_of[i].ref: results[i] for i in range(len(tasks_of))}
        if failure is None:
            message = (f"AC311: the parallel tool calls of agent {fan.get('node')!r} did not finish within their "
                       f"deadline of {fan.get('deadline'):g} s; {len(pending)} call(s) were cancelled") if timed_out \
                else "the parallel tool calls were cancelled"
            failure = ApplicationError(message, type="AgentcFanoutDeadline" if timed_out else "AgentcStepFailed",
                                       non_retryable=True)
        cause = failure.cause if isinstance(failure, ActivityError) else failure
        retryable = isinstance(cause, ApplicationError) and cause.type in (NODE_FAILED, "AgentcFanoutDeadline")
        saga = any(e.get("class") == "compensable" for e in getattr(run, "effects", ()))
        if not (run.retry_failed_steps and retryable) or saga:
            raise failure
        first = tasks_of[todo[0]]  # what `pending` lists as the failed task: its step type, or a child's ref
        await run._await_retry(first.ref if first.child else first.task_type, str(getattr(cause, "message", cause)))
