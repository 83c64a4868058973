"""Growing list channels as chains: a step writes what it appended, not the whole list.

A LangGraph tool-calling loop keeps its conversation in a list channel that every step
extends (``Annotated[list, add_messages]``, ``Annotated[list, operator.add]``). The Pregel
frame travels between engine steps as JSON (``pregel.to_json``), and before this module
each step wrote the whole channel value as one blob: O(n) bytes per step, O(n²) per run
(100 KB × 100 turns on Temporal took 22.75 s against 0.165 s natively, and 100 KB × 1,000
turns would have written about 50 GB; docs/benchmarks.md). Here such a value travels as
``["chain", text]``, where ``text`` is a *link* (inline ``link:`` + base64 JSON, or a
claim-check blob reference when larger than ``blobs.INLINE_MAX``)::

    {"base": <the previous link text> | null, "depth": d, "len": items in the whole list,
     "add": [segment, ...]}

A segment is a slice of the list packed like any value (``claim_check.put_value``: inline
when small, else a content-addressed blob). A link holds the segment its step appended
and names the link it extends; every ``CHAIN_MAX`` links the chain is flattened into one
link that lists every segment (references, not the data: small inline segments are
merged into one), so a worker that starts cold reads at most ``CHAIN_MAX`` links plus
the segments, and no step ever rewrites the list's bytes.

When is a value an extension? The frame remembers the link each channel was read from
(``Frame.chains``); at ``to_json`` the channel's new value extends it when it is a
``list`` at least as long whose first items equal (``==``, same type) the items the link
holds, decoded separately from the frame's own copy (``_pristine``). So a node that
*mutated* an earlier item in place (which ``graph.invoke`` would keep) is seen, and the
value is stored whole, as is any value that is not an extension (a message replaced or
removed by id, a list rebuilt). Comparing costs O(n) cheap comparisons per step; no step
re-serializes, hashes or writes the earlier items. Equality is the test, so an item
replaced by an equal one of the same type is kept as the stored one (the same value).
"""

from __future__ import annotations

import base64
import json
import pickle
import threading
from collections import OrderedDict
from typing import Any

from agentc.semantics import blobs
from agentc.semantics.claim_check import get_value, put_value
from agentc.semantics.codec import loads
from agentc.semantics.list_prefix import all_immutable, extends

TAG = "chain"
LINK = "link:"
CHAIN_MAX = 32
"""Links of a chain before it is flattened (bounds a cold worker's reads)."""

_LOCK = threading.Lock()
_LINKS: OrderedDict[str, tuple[tuple[str, ...], int, int]] = OrderedDict()
_PRISTINE: OrderedDict[str, tuple[Any, ...]] = OrderedDict()
_KEEP_LINKS = 256
_KEEP_PRISTINE = 8
"""Decoded lists kept per process (the last few steps' values: a warm worker decodes only
what a step appended)."""


def _remember(cache: OrderedDict[str, Any], key: str, value: Any, keep: int) -> None:
    with _LOCK:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > keep:
            cache.popitem(last=False)


def _cached(cache: OrderedDict[str, Any], key: str) -> Any:
    with _LOCK:
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
        return hit


def _read(text: str) -> dict[str, Any]:
    if blobs.is_ref(text):
        return json.loads(blobs.store().get(text))
    return json.loads(base64.b64decode(text[len(LINK) :]))


def link(text: str) -> tuple[tuple[str, ...], int, int]:
    """A link text as (every segment of the list in order, chain depth, item count)."""
    hit = _cached(_LINKS, text)
    if hit is not None:
        return hit
    m = _read(text)
    segments: tuple[str, ...] = tuple(m["add"])
    if m.get("base"):
        base_segments, _, _ = link(m["base"])
        segments = base_segments + segments
    hit = (segments, m["depth"], m["len"])
    _remember(_LINKS, text, hit, _KEEP_LINKS)
    return hit


def _write(body: dict[str, Any], segments: tuple[str, ...]) -> str:
    raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text = LINK + base64.b64encode(raw).decode("ascii")
    if len(text) > blobs.INLINE_MAX:
        text = blobs.store().put(raw)
    _remember(_LINKS, text, (segments, body["depth"], body["len"]), _KEEP_LINKS)
    return text


def root(segment: str, length: int) -> str:
    """A chain of one segment (the whole list, packed as ``put_value`` packs it)."""
    return _write({"base": None, "depth": 0, "len": length, "add": [segment]}, (segment,))


def extend(base: str, added: list[Any]) -> str:
    """The link for ``base``'s list followed by ``added``: writes only ``added``."""
    segments, depth, length = link(base)
    segment = put_value(added)
    if depth + 1 >= CHAIN_MAX:
        flat = _merge_inline(segments + (segment,))
        return _write(
            {"base": None, "depth": 0, "len": length + len(added), "add": list(flat)}, flat
        )
    return _write(
        {"base": base, "depth": depth + 1, "len": length + len(added), "add": [segment]},
        segments + (segment,),
    )


def _merge_inline(segments: tuple[str, ...]) -> tuple[str, ...]:
    """Consecutive inline segments packed as one, so a flattened link lists references
    (about 80 bytes each) rather than carrying small items' data into every flattening."""
    out: list[str] = []
    run: list[str] = []

    def close() -> None:
        if len(run) > 1:
            out.append(put_value([x for s in run for x in get_value(s)]))
        else:
            out.extend(run)
        run.clear()

    for s in segments:
        if blobs.is_ref(s):
            close()
            out.append(s)
        else:
            run.append(s)
    close()
    return tuple(out)


_SEGMENTS: OrderedDict[str, tuple[str, Any, int]] = OrderedDict()
_SEGMENT_BYTES = [0]
SEGMENT_CACHE_BYTES = 256 * 1024 * 1024


def _segment(text: str) -> list[Any] | tuple[Any, ...]:
    """A segment's items, decoded from the store once per process. A segment of immutable
    items (strings, numbers) is shared: nothing can change it in place. Other items
    (messages, dicts) are the frame's own copies, since a node may mutate them: rebuilt
    for each frame from a pickle taken right after decoding (about 4x faster than
    LangGraph's serializer, which validates every message again; the pickle never leaves
    this process), or decoded anew when the items do not pickle."""
    with _LOCK:
        hit = _SEGMENTS.get(text)
        if hit is not None:
            _SEGMENTS.move_to_end(text)
    if hit is not None:
        kind, payload, _ = hit
        if kind == "shared":
            return payload
        if kind == "pickle":
            return pickle.loads(payload)
        return loads(*payload)
    packed = blobs.store().get(text).decode("ascii") if blobs.is_ref(text) else text
    t, _, data = packed.partition(":")
    raw = base64.b64decode(data)
    value = loads(t, raw)
    if type(value) is list and all_immutable(value):
        value = tuple(value)
        hit = ("shared", value, len(raw))
    else:
        try:
            snap = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
            hit = ("pickle", snap, len(snap))
        except Exception:  # noqa: BLE001 - an item pickle cannot copy: decode it each time
            hit = ("packed", (t, raw), len(raw))
    with _LOCK:
        if text not in _SEGMENTS:
            _SEGMENTS[text] = hit
            _SEGMENT_BYTES[0] += hit[2]
            while _SEGMENT_BYTES[0] > SEGMENT_CACHE_BYTES and len(_SEGMENTS) > 1:
                _, (_, _, size) = _SEGMENTS.popitem(last=False)
                _SEGMENT_BYTES[0] -= size
    return value  # the shared tuple's items are these very objects, or the caller's own copy


def items(text: str) -> list[Any]:
    """The list a link stands for; mutable items freshly decoded (the frame's own copy: a
    node may mutate it)."""
    segments, _, length = link(text)
    out = [x for s in segments for x in _segment(s)]
    if len(out) != length:
        from agentc.errors import AgentcError, Code

        raise AgentcError(
            Code.STORE_FAILED,
            f"a list chain in {blobs.store_url()} holds {len(out)} items where its "
            f"link says {length}",
            construct=blobs.store_url(),
            hint="the store was modified by something other than agentc",
        )
    return out


def _pristine(text: str) -> tuple[Any, ...]:
    """The link's items as stored, decoded apart from any frame's copy and never handed to
    user code: what "the previous value" was. Built from the base link's items when this
    process decoded them already, so a warm worker decodes only the newest segment."""
    hit = _cached(_PRISTINE, text)
    if hit is not None:
        return hit
    m = _read(text)
    if m.get("base") and _cached(_PRISTINE, m["base"]) is not None:
        value = _pristine(m["base"]) + tuple(x for s in m["add"] for x in _segment(s))
    else:
        value = tuple(items(text))
    _remember(_PRISTINE, text, value, _KEEP_PRISTINE)
    return value


def encode(value: Any, prev: str | None, whole: Any) -> list[str] | None:
    """The chain pair for a channel ``value`` read from link ``prev`` (or None), or None
    when the value is no list to chain; ``whole(value)`` packs it whole (``pregel.encode``)."""
    if type(value) is not list:
        return None
    if prev is not None and extends(value, _pristine(prev)):
        n = len(_pristine(prev))
        return [TAG, prev if n == len(value) else extend(prev, value[n:])]
    pair = whole(value)
    if pair[0] != "blob":  # small enough to travel inline: no chain needed
        return pair
    return [TAG, root(pair[1], len(value))]


def decode(text: str) -> list[Any]:
    return items(text)


def clear_caches() -> None:
    """Forget decoded links and lists (tests: read back as a cold worker would)."""
    with _LOCK:
        _LINKS.clear()
        _PRISTINE.clear()
        _SEGMENTS.clear()
        _SEGMENT_BYTES[0] = 0
