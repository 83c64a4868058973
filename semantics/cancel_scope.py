"""Cancellation of a fan-out's sibling tasks (structured concurrency, docs/policies.md
"Fan-outs"). A scope is entered by each task's worker thread; an async node run in that
thread registers its asyncio task, so ``cancel()`` from any thread cancels it at its next
``await`` — before the side effect that follows. A task that has not started when the
scope is cancelled never starts. A sync node cannot be interrupted mid-call: it finishes
the call it is in (documented).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable

_LOCAL = threading.local()


class CancelScope:
    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self.lock = threading.Lock()
        self.tasks: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Task]] = {}

    def cancel(self) -> None:
        with self.lock:
            self.cancelled.set()
            for loop, task in self.tasks.values():
                loop.call_soon_threadsafe(task.cancel)

    def register(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task) -> bool:
        with self.lock:
            if self.cancelled.is_set():
                return False
            self.tasks[id(task)] = (loop, task)
            return True

    def unregister(self, task: asyncio.Task) -> None:
        with self.lock:
            self.tasks.pop(id(task), None)


def entered(scope: CancelScope | None) -> Any:
    """Set this thread's scope (None: leave it); returns the previous one."""
    previous = getattr(_LOCAL, "scope", None)
    _LOCAL.scope = scope
    return previous


def current() -> CancelScope | None:
    """The scope this thread is in (None: none)."""
    return getattr(_LOCAL, "scope", None)


def run_async(coro: Awaitable[Any]) -> Any:
    """``asyncio.run(coro)``, cancellable by the scope this thread is in (if any)."""
    scope: CancelScope | None = getattr(_LOCAL, "scope", None)
    if scope is None:
        return asyncio.run(coro)  # type: ignore[arg-type]

    async def main() -> Any:
        task = asyncio.current_task()
        assert task is not None
        if not scope.register(asyncio.get_running_loop(), task):
            coro.close()  # type: ignore[attr-defined]
            raise asyncio.CancelledError()
        try:
            return await coro
        finally:
            scope.unregister(task)

    return asyncio.run(main())
