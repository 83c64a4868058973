"""Fan-out policies on Temporal (docs/policies.md "Fan-outs"): the workflow side runs a
``Send`` fan-out's activities under the policy the step worker attached to the spec
(``policy_gate.fanout_spec``); the worker side (``run_cancellable``) heartbeats so a
cancellation reaches the activity, and cancels the node through ``cancel_scope``.

Workflow side (deterministic: workflow APIs only): ``fail_fast`` — the first activity that
fails cancels its siblings (``WAIT_CANCELLATION_COMPLETED``: the workflow goes on only
once each sibling has stopped, so none starts its effect after the cancellation);
``deadline`` — a workflow timer for the whole fan-out. Then, as for any failed step of a
graph workflow, the run waits for ``agentc resume`` and runs the failed and cancelled
tasks again (completed ones keep their results).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from datetime import timedelta
from typing import Any, Callable

from temporalio import activity, workflow
from temporalio.exceptions import ActivityError, ApplicationError

from .protocol import Status

HEARTBEAT_S = 10.0
"""Heartbeat timeout of a fan-out activity: the server declares the activity lost after
this long without a heartbeat (generous: a busy machine must not lose a live activity)."""

BEAT_S = 0.1
"""How often the activity's helper thread heartbeats."""

THROTTLE_S = 0.25
"""The worker's ``max_heartbeat_throttle_interval`` (``engine.running_worker``): the SDK
sends a heartbeat at most this often — a cancellation reaches the activity in the
response of the next one. (Without it the SDK throttles to 0.8 × the heartbeat timeout,
so a short timeout was the only way to a prompt cancellation.)"""


def _error(exc: BaseException) -> tuple[str, str]:
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, ApplicationError):
        return cause.type or "", cause.message
    return "", str(exc)


def cancellable_activity(run: Any, name: str, inp: dict[str, Any]) -> asyncio.Future:
    """One activity of a governed fan-out: it heartbeats (``run_cancellable``), and a
    cancellation completes only once the activity has stopped."""
    from temporalio.workflow import ActivityCancellationType

    return asyncio.ensure_future(
        workflow.execute_activity(
            name,
            {**inp, "fanout": True},
            # its own heartbeat timeout: it beats all along (an idle-timed node's may differ)
            **{**run._options(name), "heartbeat_timeout": timedelta(seconds=HEARTBEAT_S)},
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
    )


async def wait_scoped(
    tasks: list[asyncio.Future], fan: dict[str, Any]
) -> tuple[list[Any], list[Any], bool]:
    """Wait for ``tasks`` under the policy ``fan`` (``fail_fast``: until the first failure;
    ``deadline``: a workflow timer), cancel the unfinished ones and wait until they have
    stopped. Returns the done and the cancelled tasks, and whether the deadline fired."""
    when = asyncio.FIRST_EXCEPTION if fan.get("mode") == "fail_fast" else asyncio.ALL_COMPLETED
    done, pending = await workflow.wait(tasks, timeout=fan.get("deadline"), return_when=when)
    timed_out = bool(pending) and not any(t.exception() is not None for t in done)
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return done, pending, timed_out


async def scoped_gather(
    run: Any, pairs: list[tuple[str, dict[str, Any]]], fan: dict[str, Any]
) -> list[Any]:
    results: list[Any] = [None] * len(pairs)
    done_ix: set[int] = set()
    while True:
        todo = [i for i in range(len(pairs)) if i not in done_ix]
        tasks = {i: cancellable_activity(run, pairs[i][0], pairs[i][1]) for i in todo}
        done, pending, timed_out = await wait_scoped(list(tasks.values()), fan)
        failure: tuple[str, str] | None = None
        for i, t in tasks.items():
            if t.cancelled():
                continue
            exc = t.exception()
            if exc is None:
                results[i] = t.result()
                done_ix.add(i)
            elif failure is None and not _was_cancelled(exc):
                failure = _error(exc)
        if len(done_ix) == len(pairs):
            return results
        if failure is None and timed_out:
            failure = (
                "AgentcFanoutDeadline",
                f"AC311: the fan-out of {fan.get('node')!r} did not finish within its "
                f"deadline of {fan.get('deadline'):g} s; {len(pending)} task(s) were cancelled",
            )
        kind, message = failure or ("", "the fan-out was cancelled")
        if not run.retry_failed_steps or kind not in ("AgentcNodeFailed", "AgentcFanoutDeadline"):
            raise ApplicationError(message, type=kind or "AgentcStepFailed", non_retryable=True)
        await run._await_retry(pairs[todo[0]][0], message)


def _was_cancelled(exc: BaseException) -> bool:
    from temporalio.exceptions import CancelledError

    return isinstance(exc, (asyncio.CancelledError, CancelledError)) or isinstance(
        getattr(exc, "cause", None), CancelledError
    )


# ---------------------------------------------------------------- worker side
def run_cancellable(call: Callable[[], Any]) -> Any:
    """Run one fan-out activity's step: heartbeat from a helper thread; when the workflow
    cancels the activity, cancel the node (``cancel_scope``: an async node at its next
    await; a task that has not started never starts) and report the cancellation."""
    from agentc.semantics.cancel_scope import CancelScope, entered

    scope = CancelScope()
    stop = threading.Event()
    ctx = contextvars.copy_context()

    def beat() -> None:
        while not stop.wait(BEAT_S):
            try:
                ctx.run(activity.heartbeat)
                if ctx.run(activity.is_cancelled):
                    scope.cancel()
                    return
            except Exception:  # noqa: BLE001 - the activity is ending
                return

    helper = threading.Thread(target=beat, daemon=True, name="agentc-heartbeat")
    helper.start()
    previous = entered(scope)
    out: Any = None
    try:
        with activity.shield_thread_cancel_exception():  # cancel at an await, not mid-bytecode
            out = call()
    except BaseException:
        if not scope.cancelled.is_set():
            raise
        if _late_effect(out):  # the cancel arrived as the shield ended, after the effect
            return out
        from temporalio.exceptions import CancelledError

        raise CancelledError(
            "cancelled by its fan-out"
        ) from None  # whatever the cancelled call raised
    finally:
        entered(previous)
        stop.set()
        helper.join()
    if scope.cancelled.is_set() and not _late_effect(out):
        from temporalio.exceptions import CancelledError

        raise CancelledError("cancelled by its fan-out")
    return out


def _late_effect(out: Any) -> bool:
    """A step its fan-out cancelled that completed a compensable effect anyway (a sync tool
    is not stopped once started: ``agent_fanout.guarded``): its activity completes with it
    rather than report a cancellation — a cancel-requested activity may still complete, and
    the workflow (waiting with ``WAIT_CANCELLATION_COMPLETED``) then keeps the effect for
    its saga (docs/effects.md "Late effects")."""
    output = getattr(out, "output", None)
    effect = output.get("effect") if isinstance(output, dict) else None
    return (
        getattr(out, "status", None) is Status.COMPLETED
        and isinstance(effect, dict)
        and effect.get("class") == "compensable"
    )
