"""The compare page: two runs side by side and their trajectory diff (docs/ui.md).

The diff is ``agentc.audit.trajectory.diff`` — the code behind ``agentc replay`` and
``agentc fork`` — over the two runs' histories as ``agentc history`` reads them
(``run_view.RunView.history``), so the page shows exactly what the command line would
print for the same two runs. This module only classifies the diff's lines for styling
and works out how the two runs are related (``targets/local/lineage.py``).
"""

from __future__ import annotations

from typing import Any

from agentc.audit import trajectory
from agentc.audit.replay import answers_in_place
from agentc.runtime_shims.audit_events import History


def classify(line: str) -> str:
    """A unified-diff line's role: head, hunk, del, add or ctx."""
    if line.startswith(("---", "+++")):
        return "head"
    if line.startswith("@@"):
        return "hunk"
    return {"-": "del", "+": "add"}.get(line[:1], "ctx")


def diff(a: History, b: History, b_derived_from_a: bool = False) -> list[tuple[str, str]]:
    """``(role, line)`` for each line of ``agentc replay``'s trajectory diff of b against a.
    ``b_derived_from_a``: b is a fork of a, whose seeded answers are put back where a got
    them (``replay.answers_in_place``), as ``agentc fork`` reports them."""
    if b_derived_from_a:
        b = answers_in_place(a, b)
    return [(classify(line), line) for line in trajectory.diff(a, b)]


def relation(
    a_id: str, b_id: str, a_lineage: dict[str, Any], b_lineage: dict[str, Any]
) -> dict[str, Any] | None:
    """The lineage row that ties the two runs (b forked from a, or a from b), if any."""
    for row in (b_lineage["origin"], a_lineage["origin"]):
        if row is not None and {row["run_id"], row["origin"]} == {a_id, b_id}:
            return row
    return None
