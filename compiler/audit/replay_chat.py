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

from typing import Any

from agentc.runtime_shims.chat_answers import Answers, RecordEnds, Stats, installed

__all__ = ["Answers", "RecordEnds", "Stats", "installed", "fit"]


def fit(value: Any) -> Any:
    """``--set`` for a chat call: the model's reply, an ``AIMessage`` as JSON (``{"type":
    "ai", "content": ..., "tool_calls": [...]}``, or a role/content dict) or its text."""
    from langchain_core.messages import AIMessage, convert_to_messages

    if isinstance(value, str):
        return AIMessage(content=value)
    if not isinstance(value, dict):
        raise ValueError(
            "a chat-model call takes the model's reply: a JSON object "
            '({"type": "ai", "content": ..., "tool_calls": [...]}) or a string'
        )
    body = {k: v for k, v in value.items() if k != "id"}
    message = convert_to_messages(
        [{"type": "ai", **body} if "type" not in body and "role" not in body else body]
    )[0]
    if not isinstance(message, AIMessage):
        raise ValueError(f"a chat model replies with an AI message, not a {message.type!r} message")
    return message
