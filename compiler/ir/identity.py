"""One identity for "the same workflow", used wherever a run outlives the process that
started it: the plan id that Conductor and Temporal workers check (AC122), the local
executor's check on resume, and `agentc check`'s drift detection.

It is the IR without what may change under a running workflow: source positions (a
comment or blank line above a node moves every line below it; a library's lines move
with its releases), warnings, and which lines hold ``interrupt()`` calls (their number
stays: each call site is a pause the plan lowers). See docs/ir.md, "Identity".

The digest is taken over the identity form, not over the file format: the program body is
laid out as in IR 1.0 (``graph`` and ``agents``, one of them null) under ``ir_version``
``IDENTITY_FORM``. A change of the file format that says the same thing (IR 2.0's ``body``
union) then leaves every plan id as it was, so runs in flight on Conductor and Temporal,
and the recorded histories replayed against new code, keep their identity.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .model import Workflow


IDENTITY_FORM = "1.0"
"""The layout the fingerprint hashes; change it only when "the same workflow" changes."""


def structure(wf: Workflow) -> Any:
    """The IR as plain JSON data with positions removed, in the identity form."""
    data = wf.model_dump(mode="json", exclude={"warnings"})
    body = data.pop("body")
    data["graph"] = body["graph"] if body["kind"] == "graph" else None
    data["agents"] = body["system"] if body["kind"] == "agents" else None
    data["ir_version"] = IDENTITY_FORM
    if data["graph"] is not None:
        _restore_1_0_fields(data["graph"])
    return without_positions(_without_added_defaults(data))


ADDED_AT_DEFAULT: dict[str, Any] = {"idle_timeout": None, "max_cost_usd": None, "prices": []}
"""Fields added to the IR after the identity form, with the value that says "not used":
dropped there, so a workflow that does not use them keeps the plan id it had before they
existed (runs in flight on the engines, recorded histories)."""


def _without_added_defaults(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: _without_added_defaults(v)
            for k, v in data.items()
            if not (k in ADDED_AT_DEFAULT and v == ADDED_AT_DEFAULT[k])
        }
    if isinstance(data, list):
        return [_without_added_defaults(v) for v in data]
    return data


def _restore_1_0_fields(graph: dict[str, Any]) -> None:
    """Fields IR 2.0 removed, put back with the only value IR 1.0 ever gave them."""
    for c in graph["channels"]:
        if c["kind"] == "reducer":
            c["value_type"] = None
    for n in graph["nodes"]:
        if n["kind"] == "subgraph":
            _restore_1_0_fields(n["graph"])


def without_positions(data: Any) -> Any:
    """Dumped IR (plain JSON data) with source positions removed and interrupt call sites
    counted; also what `agentc check` compares committed IR files by."""
    if isinstance(data, dict):
        return {
            k: (len(v) if k == "interrupts" else without_positions(v))
            for k, v in data.items()
            if k not in ("source", "warnings")
        }
    if isinstance(data, list):
        return [without_positions(v) for v in data]
    return data


def fingerprint(wf: Workflow) -> str:
    """A short stable digest of `structure`: equal for two reads of one graph whatever the
    process, working directory or source positions."""
    text = json.dumps(structure(wf), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
