"""One row of ``agentc effects`` built from an effect record (semantics/effects.py): the
local ledger's columns, which every engine reader fills from its own server's facts — the
step's task or activity, a waiting uncertain call, a late compensation, a row only the
audit chain still holds. One builder, so a column added to the ledger reaches them all."""

from __future__ import annotations

from typing import Any


def ledger_row(
    rec: dict[str, Any],
    *,
    status: str,
    started: float | None = None,
    finished: float | None = None,
    digest: str | None = None,
    error: str | None = None,
    result: Any = None,
) -> dict[str, Any]:
    """The row of ``rec`` in state ``status``; no compensation yet (``comp_*`` None)."""
    return {
        "key": rec["key"],
        "name": rec["name"],
        "target": rec.get("target", "node"),
        "class": rec["class"],
        "path": rec["path"],
        "compensator": rec["compensator"],
        "status": status,
        "started": started,
        "finished": finished,
        "digest": digest,
        "error": error,
        "arguments": rec.get("args"),
        "result": result,
        "comp_status": None,
        "comp_started": None,
        "comp_finished": None,
        "comp_error": None,
    }


def epoch_s(ms: Any) -> float | None:
    """A server's epoch milliseconds (Conductor's ``startTime``/``endTime``; 0 or absent:
    not yet) as the ledger's epoch seconds."""
    return ms / 1000.0 if isinstance(ms, (int, float)) and ms > 0 else None


__all__ = ["epoch_s", "ledger_row"]
