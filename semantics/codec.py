"""Serialization for journaled values, and plain-JSON rendering for CLI output.

Journal values go through LangGraph's own ``JsonPlusSerializer`` (what its checkpointers
use), so messages, pydantic models, dataclasses and ``Send`` packets round-trip exactly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import datetime
import enum
import uuid
from typing import Any

_SERDE = None


class _Everything:
    def __contains__(self, key: object) -> bool:
        return True


def serde() -> Any:
    global _SERDE
    if _SERDE is None:
        from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer, _create_msgpack_ext_hook

        # agentc reads back only what it wrote itself (its journal, its workflow payloads),
        # so every type may be revived — user dataclasses and models, the SDKs' own types —
        # without LangGraph's per-type "unregistered type" warning
        _SERDE = JsonPlusSerializer(__unpack_ext_hook__=_create_msgpack_ext_hook(_Everything()))
    return _SERDE


def dumps(value: Any) -> tuple[str, bytes]:
    return serde().dumps_typed(value)


def loads(t: str, data: bytes) -> Any:
    return serde().loads_typed((t, data))


def to_jsonable(value: Any) -> Any:
    """Render state for humans and JSON consumers (messages and models as plain dicts)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(v) for v in value), key=repr)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return to_jsonable(dump(mode="json"))
        except TypeError:
            return to_jsonable(dump())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, (datetime.datetime, datetime.date, uuid.UUID)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return repr(value)


def digest(*parts: Any) -> str:
    """A short stable digest of JSON-able parts (journal keys of agent runs: model requests,
    tool arguments, pauses); models' pydantic objects by their JSON, anything else by repr."""
    text = json.dumps(parts, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _plain(o: Any) -> Any:
    dump = getattr(o, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    return repr(o)
