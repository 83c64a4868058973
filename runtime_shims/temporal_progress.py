"""A Temporal activity's heartbeat on a node's progress (docs/policies.md "Node
timeouts"): an idle-timed node's activity has a heartbeat timeout (``idle_timeout`` +
``node_timeouts.ENGINE_GRACE_S``), and the worker heartbeats whenever the node makes
progress as LangGraph counts it (``node_timeouts.reporting``), so the server declares an
attempt lost only when its worker cannot report — the worker itself fails an idle attempt
with LangGraph's ``NodeTimeoutError`` long before."""

from __future__ import annotations

import contextvars
import threading
from typing import Callable

from temporalio import activity


def heartbeat() -> Callable[[], None]:
    """A hook that heartbeats the current activity, callable from any thread: the
    progress signals of a node (callback handlers, ``runtime.heartbeat()``) may fire outside
    the activity's thread, where its context is not set."""
    ctx = contextvars.copy_context()
    lock = threading.Lock()  # a context can be entered by one thread at a time

    def beat() -> None:
        with lock:
            try:
                ctx.run(activity.heartbeat)
            except Exception:  # noqa: BLE001 - the activity is ending: nothing to keep alive
                pass

    return beat
