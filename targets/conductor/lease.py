"""A Conductor worker's lease extension on a node's progress (docs/policies.md "Node
timeouts", docs/conductor.md "Leases: response timeouts and extendLease").

Conductor's heartbeat is a task update with ``status: IN_PROGRESS`` and ``extendLease:
true``: the server then only sets the task's ``updateTime`` to now, which moves the
``responseTimeoutSeconds`` deadline (``WorkflowExecutorOps.updateTask`` → ``extendLease``;
the emulator follows it in ``emulator/leases.py``). An idle-timed node's TaskDef gets
``responseTimeoutSeconds`` = ``ceil(idle_timeout) + node_timeouts.ENGINE_GRACE_S`` (the
lowering), and the worker extends the lease whenever the node makes progress as LangGraph
counts it (``node_timeouts.reporting``: at most about four times per idle window), at most
once per quarter of that timeout. A healthy node reaches the server well within it (its
progress gaps are shorter than its idle limit, or LangGraph cancels it, and the throttle
adds at most a quarter), so the server only times out an attempt whose worker cannot
report — a node blocking its event loop, a dead worker — as Temporal's heartbeat timeout
does (``runtime_shims/temporal_progress.py``).

conductor-python's own lease extension (``Worker(lease_extend_enabled=True)``, its
``LeaseManager``) beats on a timer from a thread of its own, whatever the task does, so it
would keep a wedged node's lease alive for ever: the worker leaves it off and beats on
progress instead.

A lost update (the server unreachable, the task already ended) is dropped: the lease then
runs out and the server times the task out, which is the loud outcome.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Callable, Iterator

from agentc.runtime_shims import node_timeouts

BEATS_PER_TIMEOUT = 4
"""Lease extensions sent at most this many times per ``responseTimeoutSeconds``."""


def throttled(
    send: Callable[[], None],
    now: Callable[[], float],
    every_s: float,
    since: float | None = None,
) -> Callable[[], None]:
    """A progress hook calling ``send()`` at most once per ``every_s`` seconds of ``now()``
    (callable from any thread), counted from ``since`` (default: now — the poll)."""
    last = [now() if since is None else since]
    lock = threading.Lock()

    def beat() -> None:
        t = now()
        with lock:
            if t - last[0] < every_s:
                return
            last[0] = t
        try:
            send()
        except Exception:  # noqa: BLE001 - a lost extension: the server's timeout is the backstop
            pass

    return beat


def simulated() -> Callable[[], None] | None:
    """The hook of the task the calling poller thread runs in a simulation (None: none, or
    its TaskDef has no response timeout): lease extensions in the simulator's virtual time."""
    from .emulator.leases import current

    lease = current()
    if lease is None or lease.response_timeout_s <= 0:
        return None
    return throttled(
        lease.extend, lambda: lease.now_ms() / 1000, lease.response_timeout_s / BEATS_PER_TIMEOUT
    )


class _Live:
    """The hook of one task on a live server. The task's ``responseTimeoutSeconds`` is read
    from the server on the first progress (``GET /api/tasks/{id}``): only an idle-timed
    node's progress ever calls the hook, so other tasks cost no request."""

    def __init__(self, server: Any, workflow_id: str, task_id: str) -> None:
        self.server, self.workflow_id, self.task_id = server, workflow_id, task_id
        self.tasks: Any = None
        self.start = time.monotonic()
        self.hook: Callable[[], None] | None = None
        self.lock = threading.Lock()

    def send(self) -> None:
        from conductor.client.http.models.task_result import TaskResult
        from conductor.client.http.models.task_result_status import TaskResultStatus

        result = TaskResult(
            task_id=self.task_id,
            workflow_instance_id=self.workflow_id,
            extend_lease=True,
        )
        result.status = TaskResultStatus.IN_PROGRESS
        self.tasks.update_task(result)

    def __call__(self) -> None:
        with self.lock:
            if self.hook is None:
                from .live_task import clients

                self.tasks = clients(self.server)["tasks"]
                try:
                    found = self.tasks.get_task(self.task_id)
                    timeout = float(getattr(found, "response_timeout_seconds", None) or 0)
                except Exception:  # noqa: BLE001 - unknown: beat as often as the grace allows
                    timeout = float(node_timeouts.ENGINE_GRACE_S)
                every = timeout / BEATS_PER_TIMEOUT if timeout > 0 else float("inf")
                self.hook = throttled(self.send, time.monotonic, every, since=self.start)
            hook = self.hook
        hook()


def live(server: Any, workflow_id: str, task_id: str) -> Callable[[], None] | None:
    """The hook of a task a live worker runs (``live_task.run``; None: no server to tell)."""
    if server is None or not workflow_id or not task_id:
        return None
    return _Live(server, workflow_id, task_id)


@contextlib.contextmanager
def extending(hook: Callable[[], None] | None) -> Iterator[None]:
    """Within this block an idle-timed node's progress extends the task's lease."""
    if hook is None:
        yield
        return
    with node_timeouts.reporting(hook):
        yield
