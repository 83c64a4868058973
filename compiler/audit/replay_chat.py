"""Replay of chat-model calls inside LangGraph nodes (docs/replay.md, "Chat models in nodes").

A replay that re-runs a node (the one holding an altered chat call) answers the node's
chat-model calls from the record instead of calling the model, through langchain-core's
public LLM cache interface (``langchain_core.caches.BaseCache``, installed with
``langchain_core.globals.set_llm_cache`` for the replay's duration): a chat model with the
default ``cache=None`` consults the global cache before calling its provider, and a hit
returns the cached ``ChatGeneration`` as the model's answer. Which call is being asked is
told by the node's ``ChatRecorder`` (targets/local/chat_calls.py, a callback handler run
inline just before the lookup), so the cache answers only calls of the node being
replayed, by request digest, each recorded answer once, in order; every other lookup
goes to the cache that was installed before (if any).

Not answered from the record (they run live, and ``then="stop"`` cannot stop them): a
model constructed with ``cache=False``, and a ``.stream()`` call to a model that
implements streaming (langchain-core does not consult the cache there).
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from langchain_core.caches import BaseCache

from agentc.targets.local.chat_calls import MARK

from .replay import RecordEnds

_asking: contextvars.ContextVar[tuple[Any, UUID, str] | None] = contextvars.ContextVar("agentc_chat_asking",
                                                                                       default=None)


class Answers:
    """The recorded calls a replayed node execution may be answered with."""

    def __init__(self, rows: list[tuple[int, str, Any]], stop: bool, where: str, keys: list[str],
                 stats: Any) -> None:
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
                return [ChatGeneration(message=message.model_copy(deep=True), generation_info={MARK: n})]
        if self.stop:
            raise RecordEnds(f"{self.where}: the record has no chat-model answer for request {request}")
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


def fit(value: Any) -> Any:
    """``--set`` for a chat call: the model's reply, an ``AIMessage`` as JSON (``{"type":
    "ai", "content": ..., "tool_calls": [...]}``, or a role/content dict) or its text."""
    from langchain_core.messages import AIMessage, convert_to_messages

    if isinstance(value, str):
        return AIMessage(content=value)
    if not isinstance(value, dict):
        raise ValueError("a chat-model call takes the model's reply: a JSON object "
                         "({\"type\": \"ai\", \"content\": ..., \"tool_calls\": [...]}) or a string")
    body = {k: v for k, v in value.items() if k != "id"}
    message = convert_to_messages([{"type": "ai", **body} if "type" not in body and "role" not in body else body])[0]
    if not isinstance(message, AIMessage):
        raise ValueError(f"a chat model replies with an AI message, not a {message.type!r} message")
    return message
