"""Audit trail, transcripts and replay (docs/replay.md).

``history(run_id, db=...)`` reads a run's ordered events (``runtime_shims/audit_events``);
``transcript`` writes and reads the portable, hash-chained JSON form; ``replay`` reruns an
agent from a record with zero model calls, optionally altering one step; ``render`` turns
events into the text ``agentc history`` prints.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from agentc.runtime_shims.audit_events import Break, Event, History

__all__ = ["history", "verify", "Event", "History", "Break"]


def history(run_id: str, *, db: str | Path | None = None, engine: str = "local", **options: Any) -> History:
    """The run's ordered events. ``engine``: ``local`` (the SQLite journal at ``db``)."""
    from agentc.errors import AgentcError, Code

    if engine != "local":
        raise AgentcError(Code.CONFIG, f"history from engine {engine!r} is not supported yet", construct=engine,
                          hint="export the run from the local executor (`--engine local`)")
    from agentc.api import DEFAULT_DB, _journal, _require_db
    from agentc.targets.local import history as local

    db = db or DEFAULT_DB
    _require_db(db)
    journal = _journal(db)
    try:
        return local.read(journal, run_id)
    finally:
        journal.close()


def verify(run_id: str, *, db: str | Path | None = None) -> Break | None:
    """Check a local run's journal against its hash-chained audit entries."""
    from agentc.api import DEFAULT_DB, _journal, _require_db
    from agentc.targets.local import history as local

    db = db or DEFAULT_DB
    _require_db(db)
    journal = _journal(db)
    try:
        found = local.verify(journal, run_id)
    finally:
        journal.close()
    return None if found is None else Break(*found)
