"""Is a list channel's new value the stored one with items appended? Shared by the
engines' chains (``channel_chains.py``) and the local journal (``targets/local/list_items.py``).

Both keep a copy of the stored list decoded apart from the frame's own (a node may mutate
an item of the frame's list in place, which ``graph.invoke`` keeps), and call the new value
an extension when it is at least as long and its first items equal (``==``, same type) the
stored ones. Anything else — an earlier item mutated in place, an item replaced or removed
by id (``add_messages``), a rebuilt list — is stored whole. Items of immutable types can be
shared between the two copies: nothing can change them in place, and the identity check
then skips the comparison.
"""

from __future__ import annotations

from typing import Any, Iterable

IMMUTABLE = (str, int, float, bool, bytes, type(None))


def all_immutable(items: Iterable[Any]) -> bool:
    return all(type(x) in IMMUTABLE for x in items)


def extends(value: list[Any], prev: tuple[Any, ...]) -> bool:
    """``value`` starts with the items of ``prev`` (O(len(prev)) cheap comparisons)."""
    if len(value) < len(prev):
        return False
    try:
        for a, b in zip(value, prev):
            if a is not b and (type(a) is not type(b) or not bool(a == b)):
                return False
    except Exception:  # noqa: BLE001 - an item whose == raises (arrays): not comparable, store whole
        return False
    return True
