"""``agentc complete RUN_ID NODE --value JSON``: finish a long-running step from outside.

A node marked ``external = true`` in the policy file (docs/policies.md, "External
completion") does not run in agentc: the run pauses with the node's input — holding no
process — until whoever did the work (a batch job, a human, a webhook handler) supplies
the node's return value. This finds that pause among the run's pending interrupts and
resumes the run with the value as the answer to it alone.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import AgentcError, Code


def complete(run_id: str, node: str, value: Any, *, db: str | Path) -> Any:
    from .api import _journal, _require_db, resume
    from agentc.runtime_shims.policy_gate import EXTERNAL_KIND

    _require_db(db)
    journal = _journal(db)
    try:
        row = journal.existing(run_id)
    finally:
        journal.close()
    waiting = [i for i in row["interrupts"] if isinstance(i.get("value"), dict)
               and i["value"].get("kind") == EXTERNAL_KIND] if row["status"] == "waiting" else []
    mine = [i for i in waiting if i["value"].get("node") == node]
    if not mine:
        listing = ", ".join(sorted({i["value"]["node"] for i in waiting})) or "none"
        raise AgentcError(Code.INVALID_RESUME, f"run {run_id} does not wait for node {node!r} to be completed",
                          construct=run_id, hint=f"nodes waiting for completion: {listing}")
    return resume(run_id, {mine[0]["id"]: value}, db=db)
