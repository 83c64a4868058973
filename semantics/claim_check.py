"""Values and journals as engines carry them: inline when small, references otherwise.

``put_value`` packs a value (LangGraph's serializer, base64: no ``$`` or braces, nothing an
engine evaluates) and, above ``blobs.INLINE_MAX``, writes the packed text to the store and
returns its ``blob:sha256:`` reference instead; ``get_value`` reads either back.

An agent run's journal (step key → value, ``runtime_shims/agent_steps.py``) grows by a
model response and its tool outputs each turn. Carrying it whole made a model activity's
input pass Temporal's 2 MB payload cap after ~50 pages of 40 KB, and cost history bytes
per turn proportional to the run's length (issue 11). Here a journal is a *manifest*:
step key → entry text (an inline value or a reference), stored as a chain — each link
holds the entries added since its ``base`` — so a step writes what it added, not the whole
run; every ``CHAIN_MAX`` links the chain is flattened into one manifest so a worker that
starts cold reads a bounded number of links. A manifest small enough stays inline
(``journal:`` + its JSON in base64: no ``$`` or braces), a larger one is a blob like any value.
Manifests are immutable
and content-addressed, so a worker keeps the ones it read (``_MANIFESTS``).
"""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from typing import Any

from agentc.semantics import blobs
from agentc.semantics.codec import dumps, loads

JOURNAL = "journal:"
CHAIN_MAX = 32
"""Links of a journal chain before it is flattened (bounds a cold worker's reads)."""


def put_value(value: Any) -> str:
    t, data = dumps(value)
    text = t + ":" + base64.b64encode(data).decode("ascii")
    if len(text) <= blobs.INLINE_MAX:
        return text
    return blobs.store().put(text.encode("ascii"))


def get_value(text: str) -> Any:
    if blobs.is_ref(text):
        text = blobs.store().get(text).decode("ascii")
    t, _, data = text.partition(":")
    return loads(t, base64.b64decode(data))


# ---------------------------------------------------------------- journals
_LOCK = threading.Lock()
_MANIFESTS: OrderedDict[str, tuple[dict[str, str], int]] = OrderedDict()
_KEEP = 64


def _manifest(text: str) -> tuple[dict[str, str], int]:
    """A journal text as (step key → entry text, chain depth)."""
    with _LOCK:
        hit = _MANIFESTS.get(text)
        if hit is not None:
            _MANIFESTS.move_to_end(text)
            return hit
    if text.startswith(JOURNAL):
        m = json.loads(base64.b64decode(text[len(JOURNAL) :]))
    elif blobs.is_ref(text):
        m = json.loads(blobs.store().get(text))
    else:  # a journal packed whole (runs started before the claim check)
        values = get_value(text)
        m = {"base": None, "depth": 0, "add": {k: put_value(v) for k, v in values.items()}}
    entries: dict[str, str] = {}
    depth = 0
    if m.get("base"):
        base, depth = _manifest(m["base"])
        entries.update(base)
        depth += 1
    add = m["add"]  # pairs in the order the steps were journaled (older texts: a dict)
    entries.update(add.items() if isinstance(add, dict) else add)
    hit = (entries, depth)
    with _LOCK:
        _MANIFESTS[text] = hit
        while len(_MANIFESTS) > _KEEP:
            _MANIFESTS.popitem(last=False)
    return hit


def load_journal(text: str | None) -> dict[str, str]:
    """Step key → entry text (a copy: callers add to it)."""
    return dict(_manifest(text)[0]) if text else {}


def save_journal(entries: dict[str, str], base: str | None = None) -> str:
    """The journal ``entries`` as a link on ``base`` (a journal text they extend): only the
    entries ``base`` lacks are written. Returns the new journal text."""
    base_entries, depth = _manifest(base) if base else ({}, -1)
    if depth + 1 >= CHAIN_MAX:
        base, add = None, dict(entries)
        depth = -1
    else:
        add = {k: v for k, v in entries.items() if base_entries.get(k) != v}
        if base and not add:
            return base
    # the entries as pairs, in the order they were journaled (history and audit read that order)
    body = json.dumps(
        {"base": base, "depth": depth + 1, "add": [[k, v] for k, v in add.items()]},
        sort_keys=True,
        separators=(",", ":"),
    )
    text = JOURNAL + base64.b64encode(body.encode("utf-8")).decode("ascii")
    if len(text) > blobs.INLINE_MAX:
        text = blobs.store().put(body.encode("utf-8"))
    full = {**base_entries, **add} if base else dict(add)
    with _LOCK:
        _MANIFESTS[text] = (full, depth + 1)
        while len(_MANIFESTS) > _KEEP:
            _MANIFESTS.popitem(last=False)
    return text


def values(entries: dict[str, str]) -> dict[str, Any]:
    return {k: get_value(t) for k, t in entries.items()}


def entries_of(values_: dict[str, Any]) -> dict[str, str]:
    return {k: put_value(v) for k, v in values_.items()}


# ---------------------------------------------------------------- results
RESULT_INLINE_MAX = 32 * 1024
"""A run's final state or output stays inline in the engine's workflow output up to this
size (what operators see in the engine's UI); a larger one is a reference that
``agentc run``/``simulate`` resolve (``resolve_result``)."""
RESULT_KEY = "agentc_blob"


def result_value(value: Any, inline_max: int = RESULT_INLINE_MAX) -> Any:
    """A JSON result (or a node's readable update) as an engine payload: itself, or
    ``{"agentc_blob": ref}``."""
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if len(body.encode("utf-8")) <= inline_max:
        return value
    return {RESULT_KEY: blobs.store().put(body.encode("utf-8"))}


def resolve_result(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {RESULT_KEY} and blobs.is_ref(value[RESULT_KEY]):
        return json.loads(blobs.store().get(value[RESULT_KEY]))
    return value
