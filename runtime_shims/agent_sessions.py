"""Warm agent runs: a worker keeps each engine run's ``Runner.run`` suspended between steps.

Why: an engine step of an agent system (``agent_steps.py``) drives the SDK's own
``Runner.run`` by journaled replay. Driven from the first turn at every step, a run of N
turns replayed O(N²) turns, on top of the SDK's own work per turn — measured at 100
turns: 139 s in the Conductor simulation and 158 s on Temporal for a 2 s native run
(docs/benchmarks.md). Temporal keeps recently used workflows in memory for the same
reason (its sticky cache). Here a worker keeps the drive itself: the task running
``Runner.run`` stays suspended where it parked (``Steps.park``), on its own event loop,
and the run's next step in this process runs that loop again and wakes the task with the
journal entries the other steps added, instead of replaying the run.

Correctness does not depend on the cache. A session is reused only when the journal a
step brings agrees with every entry the session consumed or reported (the same claim-check
texts), so it stands at a point the journal's replay passes through, and waking it does
what a replay would do from there: journaled steps return their recorded values (tools'
context changes applied), the first missing one runs or parks under the new step's admit
policy. Otherwise — another worker ran steps with other results, this process restarted,
the session was evicted, a concurrent step holds it — the step drives cold from the
journal, as before, and that drive becomes the session. A failed drive is dropped.

``AGENTC_WARM_RUNS``: how many sessions a worker process keeps (default 64; 0 turns warm
runs off, every step replays the run).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Coroutine, Hashable, TypeVar

T = TypeVar("T")

DEFAULT_KEEP = 64
IDLE_S = 600.0
"""A session unused for this long is closed when another step gives one back."""


def _keep() -> int:
    try:
        return max(0, int(os.environ.get("AGENTC_WARM_RUNS", DEFAULT_KEEP)))
    except ValueError:
        return DEFAULT_KEEP


class Session:
    """One drive of a run: its event loop, the task running the SDK, its ``Steps`` and the
    journal entries (key → claim-check text) it has consumed or reported. The loop runs
    only while a step uses the session (``call``, in the step's thread), so between steps
    nothing of the run moves: its tasks wait where they parked. The user's objects stay
    wrapped for journaling while the session lives (the wrappers pass calls made outside a
    drive through unchanged, and ``agentc.compat.openai_agents.user_attr`` reads through
    them); ``close`` puts them back. Used by one step at a time (``take`` removes it from
    the registry)."""

    def __init__(self, key: Hashable | None) -> None:
        self.key = key
        self.texts: dict[str, str] = {}
        self.pending: dict[str, Any] = {}
        """Entries recorded since the last step reported (the steps' sink)."""
        self.steps: Any = None
        self.task: asyncio.Future[Any] | None = None
        self.release: Callable[[], None] | None = None
        """Puts back the user's objects the drive wrapped (``openai_agents_replay.install``)."""
        self.loop = asyncio.new_event_loop()
        self.used = time.monotonic()

    def call(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run the loop until ``make()`` completes, in the calling thread."""
        return self.loop.run_until_complete(make())

    def agrees(self, entries: dict[str, str]) -> bool:
        """Whether the journal ``entries`` holds every entry this session consumed or
        reported, unchanged (so the session stands at a point of its replay)."""
        return all(entries.get(k) == t for k, t in self.texts.items())

    def record(self, key: str, kind: str, value: Any) -> None:
        self.pending[key] = value

    def drain(self) -> dict[str, Any]:
        new, self.pending = self.pending, {}
        return new

    @property
    def alive(self) -> bool:
        """Whether the drive can go on for the run's next step: still running, and every
        live event of it came in the order a replay gives (``Steps.live``)."""
        return (
            self.task is not None
            and not self.task.done()
            and not self.loop.is_closed()
            and not getattr(self.steps, "out_of_order", False)
        )

    def close(self) -> None:
        """Cancel the drive, put back the user's objects, close its loop."""
        if self.loop.is_closed():
            return

        async def stop() -> None:
            if self.steps is not None:
                self.steps.closing = True  # nothing of the user's runs while the drive unwinds
            # the run's own task first: the SDK tears its tool tasks down as a teardown (a tool
            # task cancelled by itself counts as a failed call, whose hooks the SDK runs)
            if self.task is not None and not self.task.done():
                self.task.cancel()
                await asyncio.gather(self.task, return_exceptions=True)
            me = asyncio.current_task()
            while tasks := [t for t in asyncio.all_tasks() if t is not me and not t.done()]:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            await self.loop.shutdown_asyncgens()
            await self.loop.shutdown_default_executor()

        try:
            self.call(stop)
        finally:
            self.loop.close()
            if self.release is not None:
                self.release()
                self.release = None


_LOCK = threading.Lock()
_SESSIONS: OrderedDict[Hashable, Session] = OrderedDict()


STATS = {"warm": 0, "cold": 0}
"""Steps this process drove on a warm session / from the journal's start (tests, benchmarks)."""


def take(key: Hashable | None, entries: dict[str, str]) -> Session:
    """The warm session for ``key`` if it agrees with ``entries`` (removed from the
    registry while a step uses it), else a new one."""
    found = None
    if key is not None:
        with _LOCK:
            found = _SESSIONS.pop(key, None)
    warm = found is not None and found.alive and found.agrees(entries)
    with _LOCK:
        STATS["warm" if warm else "cold"] += 1
    if warm:
        assert found is not None
        return found
    if found is not None:
        found.close()
    return Session(key)


def give_back(session: Session) -> None:
    """Keep a session whose drive can go on for the run's next step; close any other, the
    least recently used beyond the limit, and those idle for longer than ``IDLE_S`` (a run
    abandoned by its engine must not keep its agents wrapped for ever)."""
    keep = _keep()
    if session.key is None or not session.alive or keep == 0:
        session.close()
        return
    now = time.monotonic()
    session.used = now
    with _LOCK:
        replaced = _SESSIONS.pop(session.key, None)
        _SESSIONS[session.key] = session
        evicted = [_SESSIONS.popitem(last=False)[1] for _ in range(max(0, len(_SESSIONS) - keep))]
        while _SESSIONS:
            oldest = next(iter(_SESSIONS.values()))
            if now - oldest.used <= IDLE_S:
                break
            evicted.append(_SESSIONS.popitem(last=False)[1])
    for s in ([replaced] if replaced is not None else []) + evicted:
        s.close()


def held(workflow_id: str) -> int:
    """How many sessions this worker keeps for the engine run ``workflow_id``."""
    with _LOCK:
        return sum(1 for k in _SESSIONS if isinstance(k, tuple) and k and k[0] == workflow_id)


def close_all() -> None:
    """Close every kept session (a worker shutting down; tests)."""
    with _LOCK:
        sessions = list(_SESSIONS.values())
        _SESSIONS.clear()
    for s in sessions:
        s.close()


def count() -> int:
    with _LOCK:
        return len(_SESSIONS)


atexit.register(close_all)
