"""Answering chat-model calls inside a re-run node from a record (docs/replay.md, "Chat
models in nodes"), through langchain-core's public LLM cache interface
(``langchain_core.caches.BaseCache``, installed with ``set_llm_cache`` while a replay or an
engine fork's node runs): a chat model with the default ``cache=None`` consults the global
cache before calling its provider, and a hit returns the cached ``ChatGeneration`` as the
model's answer. Which call is being asked is told by the node's recorder (a callback
handler run inline just before the lookup), so the cache answers only calls of the node
being re-run, by request digest, each recorded answer once, in order; every other lookup
goes to the cache that was installed before (if any).

It lives in the runtime shims because both the local replay (``agentc.audit.replay_chat``)
and an engine fork's node step (``graph_fork.py``) use it, and shims never import the
audit layer above them.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from langchain_core.caches import BaseCache

MARK = "agentc_replayed_chat"
"""``generation_info`` key of a chat answer taken from the record."""


class RecordEnds(Exception):
    """The replay reached a step the record does not cover (``then="stop"``)."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


_asking: contextvars.ContextVar[tuple[Any, UUID, str] | None] = contextvars.ContextVar(
    "agentc_chat_asking", default=None
)


class Answers:
    """The recorded calls a replayed node execution may be answered with."""

    def __init__(
        self, rows: list[tuple[int, str, Any]], stop: bool, where: str, keys: list[str], stats: Any
    ) -> None:
        self.rows = list(zip(rows, keys))
        self.used: set[int] = set()
        self.stop, self.where, self.stats = stop, where, stats
        self.pending: dict[UUID, tuple[int, str]] = {}

    def asking(self, recorder: Any, run_id: UUID, request: str) -> None:
        _asking.set((self, run_id, request))

    def lookup(self, run_id: UUID, request: str) -> Any:
        from langchain_core.outputs import ChatGeneration

        for i, ((n, d, message), key) in enumerate(self.rows):
            if i not in self.used and d == request:
                self.used.add(i)
                self.pending[run_id] = (n, key)
                self.stats.used.append(key)
                return [
                    ChatGeneration(message=message.model_copy(deep=True), generation_info={MARK: n})
                ]
        if self.stop:
            raise RecordEnds(
                f"{self.where}: the record has no chat-model answer for request {request}"
            )
        return None

    def answered(self, recorder: Any, run_id: UUID, gen: Any) -> bool:
        """True when the call was taken from the record (the recorder journals nothing)."""
        hit = self.pending.pop(run_id, None)
        if hit is None or (gen.generation_info or {}).get(MARK) is None:
            self.stats.live += 1
            return False
        n = hit[0]
        recorded = next(m for (k, _, m), _ in self.rows if k == n)
        # langchain-core marks a cache hit's cost as 0 in usage_metadata: give the node the
        # message exactly as recorded (same object the model call returns)
        gen.message.usage_metadata = recorded.usage_metadata
        return True


class Stats:
    """What a replay's chat calls did: ``live`` calls made, recorded ``used`` (event keys)."""

    def __init__(self) -> None:
        self.live = 0
        self.used: list[str] = []

    def live_call(self) -> None:
        self.live += 1


class _ReplayCache(BaseCache):
    def __init__(self, previous: BaseCache | None) -> None:
        self.previous = previous

    def lookup(self, prompt: str, llm_string: str) -> Any:
        asking = _asking.get()
        if asking is None:
            return self.previous.lookup(prompt, llm_string) if self.previous is not None else None
        _asking.set(None)
        answers, run_id, request = asking
        return answers.lookup(run_id, request)

    def update(self, prompt: str, llm_string: str, return_val: Any) -> None:
        if self.previous is not None:
            self.previous.update(prompt, llm_string, return_val)

    def clear(self, **kwargs: Any) -> None:
        if self.previous is not None:
            self.previous.clear(**kwargs)

    async def alookup(self, prompt: str, llm_string: str) -> Any:
        return self.lookup(prompt, llm_string)  # in the caller's context (the recorder set it)

    async def aupdate(self, prompt: str, llm_string: str, return_val: Any) -> None:
        self.update(prompt, llm_string, return_val)


_lock = threading.Lock()
_depth = 0
_saved: list[Any] = []


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """The replay cache as langchain-core's global LLM cache while a replay runs."""
    from langchain_core.globals import get_llm_cache, set_llm_cache

    global _depth
    with _lock:
        if _depth == 0:
            _saved[:] = [get_llm_cache()]
            set_llm_cache(_ReplayCache(_saved[0]))
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                set_llm_cache(_saved.pop())
