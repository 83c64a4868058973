"""Check a run's input against the graph's input schema before anything runs.

LangGraph silently drops unknown input keys and only fails on a bad value when some node
later reads it; a durable run should reject such input up front with a diagnostic.
"""
from __future__ import annotations

import typing
from typing import Any

from ...errors import AgentcError, Code
from ...ir import Workflow


def _hints(cls: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except Exception:  # noqa: BLE001 - unresolvable forward refs: skip type checks
        return {}


def _checkable(annotation: Any) -> Any:
    """The annotation without reducer metadata, or None when it should not be checked
    (messages are coerced by add_messages; managed values are not inputs)."""
    if typing.get_origin(annotation) is typing.Annotated:
        args = typing.get_args(annotation)
        if any(getattr(m, "__name__", "") in ("add_messages", "_add_messages") for m in args[1:]):
            return None
        annotation = args[0]
    text = repr(annotation)
    if "Message" in text or "Any" == text:
        return None
    return annotation


def validate_input(wf: Workflow, live: Any, value: Any) -> Any:
    g = wf.graph
    schema = g.input_schema
    where = schema.cls.source if schema.cls else g.source
    if value is None:
        return None
    if not isinstance(value, dict):
        raise AgentcError(Code.INPUT_SCHEMA, f"input must be a JSON object, got {type(value).__name__}",
                          construct=f"input schema {schema.name}", source=where,
                          hint=f"pass an object with keys from: {', '.join(schema.keys)}")
    managed = {c.name for c in g.channels if c.kind == "managed"}
    unknown = sorted(set(value) - set(schema.keys))
    if unknown:
        raise AgentcError(Code.INPUT_SCHEMA, f"input has keys the graph does not accept: {', '.join(unknown)}",
                          construct=f"input schema {schema.name}", source=where,
                          hint=f"accepted keys: {', '.join(k for k in schema.keys if k not in managed)}")
    from agentc.runtime_shims.langgraph_calls import Resolver

    resolve = Resolver(live)
    cls = resolve(("input_schema",))
    if schema.kind == "pydantic":
        try:
            cls.model_validate(value)
        except Exception as exc:  # noqa: BLE001 - pydantic ValidationError
            raise AgentcError(Code.INPUT_SCHEMA, f"input does not fit {schema.name}: {exc}",
                              construct=f"input schema {schema.name}", source=where,
                              hint="fix the input values to match the state model") from None
        return value
    from pydantic import TypeAdapter

    hints = _hints(cls)
    for key, v in value.items():
        ann = _checkable(hints.get(key, Any))
        if ann is None:
            continue
        try:
            TypeAdapter(ann).validate_python(v, strict=False)
        except Exception as exc:  # noqa: BLE001 - not checkable, or a real mismatch
            if type(exc).__name__ != "ValidationError":
                continue
            raise AgentcError(Code.INPUT_SCHEMA,
                              f"input key {key!r} does not fit {schema.name}: expected {ann!r}, got {v!r}",
                              construct=f"{schema.name}.{key}", source=where,
                              hint=f"pass a value of type {getattr(ann, '__name__', ann)} for {key!r}") from None
    return value
