"""What a node streams besides its writes, recorded with its step so a durable run's
stream can serve LangGraph's ``custom`` and ``messages`` modes (docs/langgraph.md,
"Streaming").

* ``custom``: what a node passes to ``get_stream_writer()`` / a ``writer: StreamWriter``
  parameter. ``attach_writer`` gives the node's ``Runtime`` a writer that keeps the chunks
  of this attempt; the step worker returns them in its output (``CUSTOM_KEY``, the engines'
  history keeps that), the local executor journals them beside the task's writes
  (``targets/local/stream_writes.py``). Only the attempt whose writes are journaled counts:
  a failed or crashed attempt's chunks are dropped with it.
* ``messages``: LangGraph's ``StreamMessagesHandler`` streams each chat model's response
  (with the callback metadata of the call) and then the messages a node returned that it
  has not seen yet. The chat calls are already recorded per step (``chat_capture.py``);
  ``call_meta`` is the metadata it records with each call, as the handler would keep it.
  ``node_messages`` finds the messages in a task's writes, as the handler finds them in a
  node's return value.
"""

from __future__ import annotations

from typing import Any

CUSTOM_KEY = "stream"
"""Step-output key of what a node streamed (``record``, ``pregel.encode``d)."""
TAG_NOSTREAM = "nostream"
"""langchain-core's tag that keeps a chat model's output off the ``messages`` stream
(``langgraph.constants.TAG_NOSTREAM``)."""


def attach_writer(config: dict[str, Any]) -> list[Any]:
    """Give the node's ``Runtime`` (``lg.node_config``) a stream writer; returns the list
    the node's chunks go to."""
    from agentc.compat.langgraph import CONFIG_KEY_RUNTIME as key

    chunks: list[Any] = []
    conf = config["configurable"]
    conf[key] = conf[key].override(stream_writer=chunks.append)
    return chunks


def record(chunks: list[Any], task_input: Any, writes: list[tuple[str, Any]]) -> dict | None:
    """What a finished attempt streamed: ``custom``, its stream writer's chunks, and
    ``echoed``, the ids of the messages it wrote that were in its input (LangGraph's
    handler marks a node's input messages seen, ``on_chain_start``, so it does not stream
    them again from the node's output; a follower cannot tell them apart itself, as
    ``add_messages`` gives unnamed messages random ids). ``None``: nothing to keep."""
    wrote = {m.id for m in node_messages(writes, None) if m.id is not None}
    echoed = sorted(wrote & message_ids(_state_values(task_input))) if wrote else []
    if not chunks and not echoed:
        return None
    return {"custom": list(chunks), "echoed": echoed}


def encoded(rec: dict[str, Any]) -> Any:
    from agentc.semantics.pregel import encode

    return encode(rec)


def decoded(output: dict[str, Any]) -> dict[str, Any]:
    """What a step output says the node streamed (``record``)."""
    from agentc.semantics.pregel import decode

    enc = output.get(CUSTOM_KEY)
    return dict(decode(enc)) if enc is not None else {}


def _state_values(value: Any) -> list[Any]:
    """Top-level values of a node's input (a dict, a pydantic model or a dataclass)."""
    import dataclasses

    if isinstance(value, dict):
        return list(value.values())
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:
        return [getattr(value, k, None) for k in fields]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [getattr(value, f.name) for f in dataclasses.fields(value)]
    return []


def call_meta(metadata: dict[str, Any] | None, tags: list[str] | None) -> dict[str, Any] | None:
    """The metadata the ``messages`` stream pairs with a chat call's response (the
    handler's ``on_chat_model_start``: the callback metadata, plus the user's tags), or
    ``None`` when the call is not streamed (no metadata, or tagged ``nostream``)."""
    if not metadata or (tags and TAG_NOSTREAM in tags):
        return None
    meta = dict(metadata)
    user = [t for t in tags or () if not t.startswith("seq:step")]
    if user:
        meta["tags"] = user
    return meta


def in_root_graph(meta: dict[str, Any], depth: int = 0) -> bool:
    """A call made by a node of the frame at ``depth`` (0: the root graph) itself, not by a
    graph invoked inside it (the handler streams those only with ``subgraphs=True``)."""
    from agentc.compat.langgraph import NS_SEP

    return len(str(meta.get("langgraph_checkpoint_ns", "")).split(NS_SEP)) <= depth + 1


def message_ids(values: Any) -> set[Any]:
    """The ids of the messages among ``values`` (top-level state values and lists of them)."""
    from langchain_core.messages import BaseMessage

    out: set[Any] = set()
    for value in values:
        if isinstance(value, BaseMessage):
            out.add(value.id)
        elif isinstance(value, (list, tuple)):
            out.update(m.id for m in value if isinstance(m, BaseMessage))
    out.discard(None)
    return out


def node_messages(writes: list[tuple[str, Any]], keys: Any) -> list[Any]:
    """The messages a task returned, in order: the values it wrote to state keys (``keys``;
    ``None``: any channel) that are
    messages or sequences of messages (the handler's ``_find_and_emit_messages``)."""
    from langchain_core.messages import BaseMessage

    out: list[Any] = []
    for ch, value in writes:
        if keys is not None and ((ch != keys) if isinstance(keys, str) else (ch not in keys)):
            continue
        if isinstance(value, BaseMessage):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            out.extend(m for m in value if isinstance(m, BaseMessage))
    return out
