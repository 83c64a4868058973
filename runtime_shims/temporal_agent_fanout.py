"""Fan-out policies of an agent's parallel tool calls on Temporal (docs/policies.md
"Fan-outs"; the local side and the policy lookup: ``agent_fanout``). The model step
attaches the policy of the responding agent to the turn it reports (``ModelTurn.fanout``, beside
its ``protocol.CallTask``s; without a policy ``fail_fast``, the SDK's own semantics:
``Runner.run`` cancels the siblings of a call that raises); ``AgentLoopWorkflow.run_steps``
then runs the turn's activities here instead of under a plain ``asyncio.gather`` (which lets
every sibling run to its end and do its effect after the run failed).

Workflow side (workflow APIs only): the tool activities get a heartbeat timeout and
``WAIT_CANCELLATION_COMPLETED`` (``temporal_fanout``'s approach: the worker heartbeats
from a helper thread and cancels the call through ``cancel_scope``); at the first failure
(``fail_fast``) or when the ``deadline`` timer fires, the unfinished siblings are
cancelled and the workflow goes on only once each has stopped. Then, as ``_activity``
does for any failed tool step: a saga with completed compensable effects fails (its
compensations run, ``temporal_saga``); otherwise the run waits for ``agentc resume`` (and,
for an uncertain at_most_once call, AC305, for the human's decision:
``temporal_at_most_once``) and runs the failed and cancelled calls again (completed ones
keep their outputs). A batch of one call without a deadline has no sibling to cancel: it
runs as a plain activity (no heartbeat needed).
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from . import temporal_external, temporal_session_failures
from .protocol import ModelTurn
from .temporal_at_most_once import uncertain_key
from .temporal_fanout import cancellable_activity, wait_scoped

NODE_FAILED = "AgentcNodeFailed"


async def scoped_run_steps(run: Any, turn: ModelTurn) -> dict[str, Any]:
    fan = turn.fanout or {}
    tasks_of = list(turn.tasks or ())
    wid = workflow.info().workflow_id
    results: dict[int, Any] = {}
    carries: dict[int, Any] = {}
    settled: dict[str, Any] = {}  # a failed turn's session writes (temporal_session_failures)

    def start(i: int) -> asyncio.Future:
        call = tasks_of[i]
        inp = call.input
        if i in carries:  # what the failed attempt's invoked graphs left (nested_graphs)
            inp = {**inp, "carry": carries[i]}
        if call.child:
            return asyncio.ensure_future(run._child(call.task_type, inp, f"{wid}.{call.ref}"))
        if temporal_external.is_external_type(
            call.task_type
        ):  # an external tool call waits (temporal_external)
            return asyncio.ensure_future(temporal_external.tool(run, call.ref, inp))
        fut: asyncio.Future
        if len(tasks_of) == 1 and not fan.get("deadline"):
            fut = asyncio.ensure_future(
                workflow.execute_activity(call.task_type, inp, **run._options(call.task_type))
            )
        else:
            fut = cancellable_activity(run, call.task_type, inp)
        return busy(fut)

    def busy(fut: asyncio.Future) -> asyncio.Future:
        """An activity counts as running until it ends (activity_status), not until the
        whole batch does: a sibling that waits for a pause (a child workflow's approval, an
        external call) is then reported while the others are done. Child workflows count in
        children_running, external calls in run.waiting."""
        run.activities_running += 1

        def ended(_: asyncio.Future) -> None:
            run.activities_running -= 1

        fut.add_done_callback(ended)
        return fut

    while True:
        todo = [i for i in range(len(tasks_of)) if i not in results]
        running = {i: start(i) for i in todo}
        outside = {
            running[i] for i in todo if temporal_external.is_external_type(tasks_of[i].task_type)
        }
        done, pending, timed_out = await wait_turn(list(running.values()), outside, fan)
        failure: BaseException | None = None
        failed_at = todo[0]
        for i, t in running.items():
            if t.cancelled():
                continue
            exc = t.exception()
            if exc is None:
                results[i] = t.result()
                run.keep_effect(
                    results[i]
                )  # a completed sibling's effect: compensable (temporal_saga)
            elif failure is None and t in done:
                failure, failed_at = exc, i
        if len(results) == len(tasks_of):
            return {**{tasks_of[i].ref: results[i] for i in range(len(tasks_of))}, **settled}
        if failure is None:
            message = (
                (
                    f"AC311: the parallel tool calls of agent {fan.get('node')!r} did not finish "
                    "within their "
                    f"deadline of {fan.get('deadline'):g} s; {len(pending)} call(s) were cancelled"
                )
                if timed_out
                else "the parallel tool calls were cancelled"
            )
            failure = ApplicationError(
                message,
                type="AgentcFanoutDeadline" if timed_out else "AgentcStepFailed",
                non_retryable=True,
            )
        await temporal_session_failures.settle(
            run, turn, tasks_of, results, failed_at, failure, settled
        )
        cause = failure.cause if isinstance(failure, ActivityError) else failure
        retryable = isinstance(cause, ApplicationError) and cause.type in (
            NODE_FAILED,
            "AgentcFanoutDeadline",
        )
        details = (
            cause.details[0]
            if isinstance(cause, ApplicationError)
            and cause.details
            and isinstance(cause.details[0], dict)
            else {}
        )
        effect = uncertain_key(
            details
        )  # AC305: a human decides, no compensation (temporal_at_most_once)
        saga = effect is None and any(
            e.get("class") == "compensable" for e in getattr(run, "effects", ())
        )
        if not (run.retry_failed_steps and retryable) or saga:
            raise failure
        if details.get("carry") is not None:
            carries[failed_at] = details["carry"]
        failed_call = tasks_of[
            failed_at
        ]  # what `pending` lists as the failed task: its step type, or a child's ref
        await run._await_retry(
            failed_call.ref if failed_call.child else failed_call.task_type,
            str(getattr(cause, "message", cause)),
            effect,
        )


async def wait_turn(
    tasks: list[asyncio.Future], outside: set[asyncio.Future], fan: dict[str, Any]
) -> tuple[list[Any], list[Any], bool]:
    """``wait_scoped`` for a turn, whose ``deadline`` bounds only the calls agentc runs: the
    wait for an external call (``outside``) is bounded by its own ``timeout``
    (docs/policies.md "External completion"), as locally (no process runs it) and on
    Conductor (no worker polls its task). Once the timed calls are done, the turn waits for
    the outside work without a timer; a timed call still running at the deadline cancels
    every sibling, the wait included (AC311), and ``fail_fast`` still stops at a failure."""
    deadline = fan.get("deadline")
    if not deadline or not outside:
        return await wait_scoped(tasks, fan)
    fail_fast = fan.get("mode") == "fail_fast"
    timed = [t for t in tasks if t not in outside]
    end = workflow.time() + float(deadline)
    pending = set(tasks)
    timed_out = False
    while pending:
        if fail_fast and any(_failed(t) for t in tasks):
            break
        left = end - workflow.time() if any(not t.done() for t in timed) else None
        if left is not None and left <= 0:
            timed_out = True
            break
        _, still = await workflow.wait(pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        pending = set(still)
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return [t for t in tasks if t not in pending], list(pending), timed_out


def _failed(t: asyncio.Future) -> bool:
    return t.done() and not t.cancelled() and t.exception() is not None
