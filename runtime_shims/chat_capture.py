"""Chat-model calls a LangGraph node makes on an engine, carried in its step's output
(docs/replay.md, "Chat models in nodes").

On the local executor each chat call is journaled as it ends (``targets/local/chat_calls.py``).
A Temporal activity or a Conductor worker task has no journal of its own: what it records
is what it returns, and the engine keeps that in the run's history. So the step worker
(``runtime_shims/steps.py``) puts a ``ChatCapture`` — the same langchain-core callback the
local recorder is (``on_chat_model_start``/``on_llm_end``, the SDK's public hook) — in the
node's ``config["callbacks"]``, and adds what it saw to the step's output as ``chat``:
``[[request digest, encoded AIMessage], ...]`` in the order the calls ended
(``pregel.encode``: a claim-check reference above the inline bound).
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
        self.answers: Any = None

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        request = digest(messages[0])
        self.started[run_id] = request
        if self.answers is not None:
            self.answers.asking(self, run_id, request)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        request = self.started.pop(run_id, None)
        if request is None:  # a completion model (on_llm_start), not a chat model
            return
        gen = response.generations[0][0]
        answered = self.answers is not None and self.answers.answered(self, run_id, gen)
        self.keep(request, gen.message, answered)

    def keep(self, request: str, message: Any, answered: bool) -> None:
        """One ended call (``answered``: taken from the record). An engine step keeps every
        call for its output, answered ones too: they are part of the fork's record; the
        local recorder (``targets/local/chat_calls.py``) journals the live ones instead."""
        self.calls.append((request, message))

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.started.pop(run_id, None)

    def encoded(self) -> list[list[Any]]:
        from agentc.semantics.pregel import encode

        return [[request, encode(message)] for request, message in self.calls]


def attach(config: dict[str, Any]) -> ChatCapture:
    capture = ChatCapture()
    config["callbacks"] = [*(config.get("callbacks") or []), capture]
    return capture


def decoded(output: dict[str, Any]) -> list[tuple[str, Any]]:
    """The calls a step output carries: ``[(digest, AIMessage)]``."""
    from agentc.semantics.pregel import decode

    return [(request, decode(enc)) for request, enc in output.get(OUTPUT_KEY) or []]
