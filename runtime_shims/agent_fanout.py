"""Fan-out policies for an OpenAI Agents agent's parallel tool calls (docs/policies.md
"Fan-outs"): ``[policies.fanouts.AGENT]`` governs the function-tool calls of one model
response of agent ``AGENT``.

``fail_fast`` is what the SDK itself does when a call raises (``failure_error_function``
None: the error ends the run): its tool batch executor cancels the unfinished siblings
at their next ``await`` and raises once they have stopped. So on the local target (the
SDK's own loop, driven by journaled replay) the policy changes nothing for ``fail_fast``;
a call whose error the model reads (the SDK's default ``failure_error_function``) is not
a failure of the batch. What agentc adds:

* ``deadline`` — local: ``Deadlines`` bounds the live calls of one batch (the calls that
  run at the same time in one agent and nesting scope) by one clock; the first call still
  running at the deadline raises ``AC311``, which the SDK treats as a failing call, so it
  cancels the siblings the same way. A call that would start after the deadline never starts.
* the engines: each call is an activity (Temporal), so the workflow cancels the siblings
  (``temporal_agent_fanout``); the model step attaches ``spec`` to the turn it reports —
  with or without a policy, since ``fail_fast`` is the SDK's semantics (a plain gather
  of the activities would let a sibling run on and do its effect after the failure).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from agentc.errors import Code, RunFailed
from agentc.ir.model import agent_system
from agentc.semantics import claim_check


def policy_of(wf: Any, agent: str | None) -> Any:
    """The fan-out policy of ``agent``'s parallel tool calls that does something (None: none)."""
    policies = getattr(wf, "policies", None)
    if policies is None or agent is None or agent_system(wf) is None:
        return None
    f = next((f for f in policies.fanouts if f.name == agent), None)
    return f if f is not None and (f.mode == "fail_fast" or f.deadline) else None


def spec(wf: Any, agent: str | None) -> dict[str, Any] | None:
    """What the workflow needs to govern a reported batch (JSON). Without a policy, the
    SDK's own semantics: ``fail_fast`` (``Runner.run`` cancels the siblings of a failing
    call), so an engine never lets a sibling run on after the failure."""
    f = policy_of(wf, agent)
    if f is None:
        return (
            None
            if agent is None or getattr(getattr(wf, "body", None), "kind", None) != "agents"
            else {"node": agent, "mode": "fail_fast", "deadline": None}
        )
    return {"node": f.name, "mode": f.mode, "deadline": f.deadline}


def stamped(wf: Any, agent: str | None, inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs of a reported batch's tasks, each carrying the agent's fan-out policy —
    without one, the SDK's own ``fail_fast`` (``spec``) — so Conductor's worker-side watcher
    (targets/conductor/fanout.py) cancels a running sibling of a failing call as
    ``Runner.run`` does."""
    fan = spec(wf, agent)
    if fan is None:
        return inputs
    # packed as every other value of a tool-call task: Conductor evaluates the fork's inputs,
    # and the agent's name is the user's text (docs/conductor.md "Input resolution")
    packed = claim_check.put_value(fan)
    return {ref: {**inp, "fanout": packed} for ref, inp in inputs.items()}


def deadline_failure(name: str, deadline: float, source: Any = None) -> RunFailed:
    n = ""
    return RunFailed(
        Code.FANOUT_DEADLINE,
        f"the parallel tool calls of agent {name!r} did not finish within "
        f"their deadline of {deadline:g} s{n}",
        construct=f"fanout {name!r}",
        source=source,
        hint="raise the deadline ([policies.fanouts]), or resume the run to run the calls again",
    )


@dataclass
class _Batch:
    start: float
    running: int = 0


@dataclass
class Deadlines:
    """The local drive's clocks, one per batch of live calls (``Steps.fanout``)."""

    wf: Any
    batches: dict[tuple[Any, ...], _Batch] = field(default_factory=dict)

    async def run(
        self, agent: str, scope: tuple[str, ...], call: Callable[[], Awaitable[Any]]
    ) -> Any:
        f = policy_of(self.wf, agent)
        if f is None or not f.deadline:
            return await call()
        key = (agent, scope)
        batch = self.batches.get(key)
        if batch is None or batch.running == 0:
            batch = self.batches[key] = _Batch(time.monotonic())
        left = batch.start + f.deadline - time.monotonic()
        if left <= 0:
            raise deadline_failure(agent, f.deadline, f.source)
        batch.running += 1
        try:
            return await asyncio.wait_for(call(), left)
        except asyncio.TimeoutError:
            raise deadline_failure(agent, f.deadline, f.source) from None
        finally:
            batch.running -= 1


def for_drive(wf: Any) -> Deadlines | None:
    """A local drive's ``Steps.fanout`` (None: no agent of ``wf`` has a deadline)."""
    policies = getattr(wf, "policies", None)
    if (
        policies is None
        or agent_system(wf) is None
        or not any(f.deadline for f in policies.fanouts)
    ):
        return None
    return Deadlines(wf)


_SUBMITTED: contextvars.ContextVar[list[concurrent.futures.Future[Any]] | None] = (
    contextvars.ContextVar("agentc_tool_threads", default=None)
)


class ThreadRecorder(concurrent.futures.ThreadPoolExecutor):
    """A drive's default executor (``asyncio.to_thread`` submits to it): it hands each
    thread's future to the sync tool call that submitted it (``thread_to_end``), so that
    what the thread returns is known even after its ``await`` was cancelled."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        fut = super().submit(fn, *args, **kwargs)
        seen = _SUBMITTED.get()
        if seen is not None:
            seen.append(fut)
        return fut


async def thread_to_end(
    call: Callable[[], Awaitable[Any]],
    late: Callable[[concurrent.futures.Future[Any]], None],
) -> Any:
    """A sync tool's call, whose body runs in the SDK's worker thread (``asyncio.to_thread``).
    A cancel (the SDK's own ``fail_fast`` when a sibling raises, a fan-out policy, a
    deadline, the drive's loop closing after a failure) stops the ``await`` but not the
    thread, which goes on and does its effect after the run failed, its result (what a
    compensator needs: a reservation id) lost. So the thread's future goes to ``late``
    (the drive settles it once the loop has closed and joined its threads — docs/effects.md
    "Late effects") and the cancel goes on. Only under a ``ThreadRecorder`` executor."""
    seen: list[concurrent.futures.Future[Any]] = []
    token = _SUBMITTED.set(seen)
    try:
        return await call()
    except asyncio.CancelledError:
        for fut in seen:
            late(fut)
        raise
    finally:
        _SUBMITTED.reset(token)


async def guarded(
    steps: Any,
    agent: str,
    scope: tuple[str, ...],
    key: str,
    call: Callable[[], Awaitable[Any]],
    *,
    interruptible: bool = True,
) -> Any:
    """Run one live tool call under the drive's fan-out rules: an engine step's own call
    in its activity's cancel scope (cancelled at its next ``await``; never started once
    the scope is cancelled), a local call under its batch's deadline. A call that is not
    ``interruptible`` (a sync tool: the SDK runs it in a thread that a cancel does not
    stop) is not cancelled once started: the step keeps its result, so an effect it
    completed stays known (targets/conductor/late_effects.py compensates it)."""
    if steps.cancel is not None and key == steps.watch and not interruptible:
        if steps.cancel.cancelled.is_set():
            raise asyncio.CancelledError()
        return await call()
    if steps.cancel is not None and key == steps.watch:
        task = asyncio.ensure_future(call())
        if not steps.cancel.register(asyncio.get_running_loop(), task):
            task.cancel()
            raise asyncio.CancelledError()
        try:
            return await task
        finally:
            steps.cancel.unregister(task)
    if steps.fanout is not None:
        return await steps.fanout.run(agent, scope, call)
    return await call()
