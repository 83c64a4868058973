"""Check a run's input against the graph's input schema before anything runs.

The rule is LangGraph's: keys the input schema does not declare are ignored (START writes
only declared keys; its routers still see them), a graph whose state is one bare value
(``StateGraph(Annotated[list, add_messages])``) takes any value, an instance of a
pydantic/dataclass input schema is read field by field. What LangGraph would only fail on
later — a non-dict input for a dict state, a declared key with a value of the wrong type —
a durable run rejects up front with a diagnostic.
"""

from __future__ import annotations

import typing
from typing import Any

from ...errors import AgentcError, Code
from ...ir import Workflow
from ...semantics.langgraph_calls import Resolver, is_root


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
    if value is None or is_root(schema):
        return value
    resolve = Resolver(live)
    cls = resolve(("input_schema",))
    if (
        schema.kind in ("pydantic", "dataclass")
        and isinstance(cls, type)
        and isinstance(value, cls)
    ):
        return value  # LangGraph writes its fields (get_update_as_tuples)
    if not isinstance(value, dict):
        raise AgentcError(
            Code.INPUT_SCHEMA,
            f"input must be a JSON object, got {type(value).__name__}",
            construct=f"input schema {schema.name}",
            source=where,
            hint=f"pass an object with keys from: {', '.join(schema.keys)}",
        )
    from pydantic import TypeAdapter

    fields = getattr(cls, "model_fields", None) if schema.kind == "pydantic" else None
    missing = [
        k
        for k, f in (fields or {}).items()
        if f.is_required() and k in schema.keys and k not in value
    ]
    if (
        missing
    ):  # the first node's read of the state would fail on them (LangGraph's ValidationError)
        raise AgentcError(
            Code.INPUT_SCHEMA,
            f"input misses required field(s) of {schema.name}: {', '.join(missing)}",
            construct=f"input schema {schema.name}",
            source=where,
            hint=f"pass {', '.join(repr(k) for k in missing)} in the input",
        )
    hints = _hints(cls)
    for key, v in value.items():
        if key not in schema.keys:
            continue  # LangGraph ignores undeclared input keys
        ann = _checkable(hints.get(key, Any))
        if ann is None:
            continue
        try:
            TypeAdapter(ann).validate_python(v, strict=False)
        except Exception as exc:  # noqa: BLE001 - not checkable, or a real mismatch
            if type(exc).__name__ != "ValidationError":
                continue
            raise AgentcError(
                Code.INPUT_SCHEMA,
                f"input key {key!r} does not fit {schema.name}: expected {ann!r}, got {v!r}",
                construct=f"{schema.name}.{key}",
                source=where,
                hint=f"pass a value of type {getattr(ann, '__name__', ann)} for {key!r}",
            ) from None
    return value
