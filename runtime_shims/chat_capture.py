"""Chat-model calls a LangGraph node makes on an engine, carried in its step's output
(docs/replay.md, "Chat models in nodes").

On the local executor each chat call is journaled as it ends (``targets/local/chat_calls.py``).
A Temporal activity or a Conductor worker task has no journal of its own: what it records
is what it returns, and the engine keeps that in the run's history. So the step worker
(``runtime_shims/steps.py``) puts a ``ChatCapture`` — the same langchain-core callback the
local recorder is (``on_chat_model_start``/``on_llm_end``, the SDK's public hook) — in the
node's ``config["callbacks"]``, and adds what it saw to the step's output as ``chat``:
``[[request digest, encoded AIMessage, encoded metadata], ...]`` in the order the calls
ended (``pregel.encode``: a claim-check reference above the inline bound; the metadata is
what LangGraph's ``messages`` stream pairs with the response, ``stream_capture.call_meta``).
``targets/step_history.py`` turns them into the ``model`` events the local history shows,
with the local journal's exact encoding, so an engine transcript's chat calls replay on
the local executor.

``answers``: a fork that re-runs a node whose chat call was altered
(``runtime_shims/graph_fork.py``) answers the calls from its record through
``agentc.audit.replay_chat`` (langchain-core's public LLM cache interface), as a local
replay does; answered calls are captured too (they are part of the fork's record).
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

OUTPUT_KEY = "chat"


def digest(messages: list[Any]) -> str:
    """sha256 of the messages sent (langchain-core's ``dumps``, message ids left out, as its
    LLM cache keys a prompt): two calls that asked the same thing have the same digest."""
    from langchain_core.load import dumps as lc_dumps

    plain = [
        m.model_copy(update={"id": None}) if getattr(m, "id", None) is not None else m
        for m in messages
    ]
    return hashlib.sha256(lc_dumps(plain).encode()).hexdigest()[:20]


class ChatCapture(BaseCallbackHandler):
    """Collects one node execution's chat calls: ``calls`` is ``[(digest, AIMessage)]``.
    ``run_inline``: called in the model's own thread/task, so the request is known before
    langchain-core consults its cache (where a fork answers it)."""

    run_inline = True
    raise_error = True

    def __init__(self) -> None:
        self.started: dict[UUID, str] = {}
        self.calls: list[tuple[str, Any]] = []
        self.metas: list[dict[str, Any] | None] = []
        """Each kept call's ``messages``-stream metadata (``stream_capture.call_meta``)."""
        self.meta_of: dict[UUID, dict[str, Any] | None] = {}
        self.last_meta: dict[str, Any] | None = None
        self.answers: Any = None

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        from .stream_capture import call_meta

        request = digest(messages[0])
        self.started[run_id] = request
        self.meta_of[run_id] = call_meta(kwargs.get("metadata"), kwargs.get("tags"))
        if self.answers is not None:
            self.answers.asking(self, run_id, request)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        request = self.started.pop(run_id, None)
        if request is None:  # a completion model (on_llm_start), not a chat model
            return
        gen = response.generations[0][0]
        self.last_meta = self.meta_of.pop(run_id, None)
        answered = self.answers is not None and self.answers.answered(self, run_id, gen)
        self.keep(request, gen.message, answered)

    def keep(self, request: str, message: Any, answered: bool) -> None:
        """One ended call (``answered``: taken from the record). An engine step keeps every
        call for its output, answered ones too: they are part of the fork's record; the
        local recorder (``targets/local/chat_calls.py``) journals the live ones instead."""
        self.calls.append((request, message))
        self.metas.append(self.last_meta)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.started.pop(run_id, None)
        self.meta_of.pop(run_id, None)

    def encoded(self) -> list[list[Any]]:
        from agentc.semantics.pregel import encode

        metas = self.metas + [None] * (len(self.calls) - len(self.metas))  # a fork's set calls
        return [
            [request, encode(message), encode(meta)]
            for (request, message), meta in zip(self.calls, metas)
        ]


def attach(config: dict[str, Any]) -> ChatCapture:
    capture = ChatCapture()
    config["callbacks"] = [*(config.get("callbacks") or []), capture]
    return capture


def decoded(output: dict[str, Any]) -> list[tuple[str, Any]]:
    """The calls a step output carries: ``[(digest, AIMessage)]``."""
    from agentc.semantics.pregel import decode

    return [(call[0], decode(call[1])) for call in output.get(OUTPUT_KEY) or []]


def decoded_meta(output: dict[str, Any]) -> list[dict[str, Any] | None]:
    """The ``messages``-stream metadata of each call a step output carries."""
    from agentc.semantics.pregel import decode

    return [decode(c[2]) if len(c) > 2 else None for c in output.get(OUTPUT_KEY) or []]
