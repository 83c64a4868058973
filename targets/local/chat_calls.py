"""Chat-model calls made inside LangGraph nodes, journaled one by one (docs/replay.md).

A LangGraph node that calls a langchain-core ``BaseChatModel`` is one step to the
executor: its writes are journaled when it finishes. To audit (and replay) what the model
answered inside it, the local executor puts a ``ChatRecorder`` — a langchain-core callback
handler, the SDK's public hook — in the node's ``config["callbacks"]``. langchain-core
hands it to every chat model the node calls (with that config, or through the child
config LangGraph sets), calling ``on_chat_model_start`` (the request) and ``on_llm_end``
(the response). Each call becomes one row of the ``chat_calls`` table, committed as it
ends, with an audit note (kind ``chat``) in the same transaction, so ``agentc history``
lists it as a ``model`` event between the node's start and its writes, and the audit
chain covers it.

``request digest``: sha256 of the messages sent (langchain-core's ``dumps``, message ids
left out, as its LLM cache keys a prompt), so two calls that asked the same thing have
the same digest. The response is the model's ``AIMessage``.

Recording never changes what the node gets: a normal run does not reuse recorded calls
(a retried or resumed node calls its model again, as under ``graph.invoke``). Only a
replay answers calls from the record (``compiler/audit/replay_chat.py``): it sets
``ChatRecorder.answers``.
"""

from __future__ import annotations

import base64
import sqlite3
from typing import Any

from agentc.runtime_shims.audit_events import Event
from agentc.semantics.codec import dumps, loads, to_jsonable

from . import audit_log

SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_calls(
  run_id TEXT, ns TEXT, step INTEGER, task TEXT, n INTEGER, node TEXT, digest TEXT, t TEXT, v BLOB,
  PRIMARY KEY(run_id, ns, step, task, n));
"""
from agentc.runtime_shims.chat_answers import MARK  # noqa: E402,F401 - a replayed response's mark


from agentc.runtime_shims.chat_capture import ChatCapture  # noqa: E402 - one recorder (and digest) on every target


def key(ns: str, step: int, task: str, n: int) -> str:
    """The event key of call ``n`` of a task (the task's own key is ``ns/step/task``)."""
    return f"{ns}/{step}/{task}/chat:{n}"


# ---------------------------------------------------------------- the table
def save(
    db: sqlite3.Connection,
    run_id: str,
    ns: str,
    step: int,
    task: str,
    node: str,
    request: str,
    message: Any,
    n: int | None = None,
    metadata: dict[str, Any] | None = None,
) -> int:
    """Inside a journal transaction: one call (``n``: its number; default the next one);
    ``metadata``: what the ``messages`` stream pairs with it (``stream_capture.call_meta``)."""
    if n is None:
        row = db.execute(
            "SELECT MAX(n) FROM chat_calls WHERE run_id=? AND ns=? AND step=? AND task=?",
            (run_id, ns, step, task),
        ).fetchone()
        n = 0 if row[0] is None else row[0] + 1
    t, v = dumps(record(request, message, metadata))
    db.execute(
        "INSERT INTO chat_calls(run_id, ns, step, task, n, node, digest, t, v) "
        "VALUES(?,?,?,?,?,?,?,?,?)",
        (run_id, ns, step, task, n, node, request, t, v),
    )
    audit_log.note(db, run_id, "chat", ns, step, task, {"n": n}, v)
    return n


def record(request: str, message: Any, metadata: dict[str, Any] | None) -> dict[str, Any]:
    """What a call's row holds (``step_history`` rebuilds an engine's calls the same way)."""
    out = {"digest": request, "message": message}
    if metadata is not None:
        out["metadata"] = metadata
    return out


def rows(
    db: sqlite3.Connection, run_id: str, ns: str, step: int, task: str
) -> list[tuple[int, str, Any]]:
    """A task's recorded calls: (number, request digest, response message), in order."""
    return [
        (n, d, loads(t, v)["message"])
        for n, d, t, v in db.execute(
            "SELECT n, digest, t, v FROM chat_calls WHERE run_id=? AND ns=? AND step=? AND task=? "
            "ORDER BY n",
            (run_id, ns, step, task),
        )
    ]


def value(db: sqlite3.Connection, run_id: str, note: dict[str, Any]) -> bytes | None:
    """The journaled bytes an audit note of kind ``chat`` covers (``history.verify``)."""
    row = db.execute(
        "SELECT v FROM chat_calls WHERE run_id=? AND ns=? AND step=? AND task=? AND n=?",
        (run_id, note["ns"], note["step"], note["task"], note["info"].get("n")),
    ).fetchone()
    return row[0] if row else None


def event(db: sqlite3.Connection, run_id: str, note: dict[str, Any]) -> Event | None:
    """The ``model`` event of an audit note of kind ``chat`` (``history.read``)."""
    ns, step, task, n = note["ns"], note["step"], note["task"], note["info"].get("n")
    row = db.execute(
        "SELECT node, digest, t, v FROM chat_calls WHERE run_id=? AND ns=? AND step=? AND task=? "
        "AND n=?",
        (run_id, ns, step, task, n),
    ).fetchone()
    if row is None:
        return None
    node, request, t, v = row
    message = to_jsonable(loads(t, v)["message"])
    return Event(
        0,
        "model",
        key=key(ns, step, task, n),
        name=node,
        ns=ns,
        step=step,
        at=note["at"],
        data={"task": task, "call": n, "request_digest": request, "response": [message]},
        raw={"t": t, "b64": base64.b64encode(v).decode()},
    )


# ---------------------------------------------------------------- the recorder
class ChatRecorder(ChatCapture):
    """Journals each chat-model call of one node execution as it ends — the engines'
    ``ChatCapture`` (the same callbacks, ``run_inline``), keeping each live call in the
    journal instead of a step output; a call a replay answered from the record is already
    journaled."""

    def __init__(self, journal: Any, run_id: str, ns: str, step: int, task: str, node: str) -> None:
        super().__init__()
        self.journal, self.run_id, self.ns, self.step, self.task, self.node = (
            journal,
            run_id,
            ns,
            step,
            task,
            node,
        )

    def keep(self, request: str, message: Any, answered: bool) -> None:
        if answered:
            return
        with self.journal.tx() as j:
            save(
                j.db,
                self.run_id,
                self.ns,
                self.step,
                self.task,
                self.node,
                request,
                message,
                metadata=self.last_meta,
            )


def attach(
    config: dict[str, Any], journal: Any, run_id: str, ns: str, step: int, task: str, node: str
) -> ChatRecorder:
    """Put a recorder in a node's config (``lg.node_config`` gives a ``callbacks`` list)."""
    recorder = ChatRecorder(journal, run_id, ns, step, task, node)
    config["callbacks"] = [*(config.get("callbacks") or []), recorder]
    return recorder
