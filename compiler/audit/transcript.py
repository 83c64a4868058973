"""The portable transcript: one versioned JSON file for a run's history, from any engine.

``agentc export`` writes it, ``agentc verify`` checks its hash chain, ``agentc replay``
reruns the agent from it without the original database. The format is the pydantic model
``Transcript`` (``agentc transcript-schema`` prints its JSON Schema); docs/replay.md
describes it. A reader refuses a transcript from a newer format version (AC130) rather
than misread it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from agentc.errors import AgentcError, Code
from agentc.runtime_shims.audit_events import Break, Event, History, canonical
from agentc.runtime_shims.audit_events import verify as verify_chain
from pydantic import BaseModel, ConfigDict, Field, ValidationError

FORMAT = "agentc.transcript"
VERSION = 2
"""1: the first format. 2: adds the ``hook`` and ``effect`` event kinds (an effect ledger
row changed, docs/effects.md "Ledger"); a version-1 transcript reads as before."""


class EventModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=1, description="1-based position in the run")
    kind: Literal[
        "input", "node", "model", "tool", "guardrail", "hook", "resume", "retry", "status", "effect"
    ]
    key: str = Field("", description="what identifies the step to the engine that replays it")
    name: str | None = Field(None, description="node, agent, tool or guardrail name")
    ns: str = ""
    step: int | None = Field(None, description="superstep (LangGraph)")
    at: float | None = Field(None, description="commit time, seconds since the epoch")
    data: dict[str, Any] = Field(default_factory=dict, description="kind-specific, plain JSON")
    raw: dict[str, str] | None = Field(None, description="the engine's exact encoding: {t, b64}")
    hash: str = Field(
        pattern="^[0-9a-f]{64}$", description="sha256(previous hash + canonical JSON of the rest)"
    )


class RunModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: str
    engine: Literal["local", "conductor", "temporal"]
    kind: Literal["graph", "agents"]
    entry: str | None = Field(None, description="REF of the agent (module:attr)")
    workflow: str
    status: str
    created: float | None = None
    updated: float | None = None
    context: Any = None
    output: Any = None
    error: str | None = None
    interrupts: list[Any] = Field(default_factory=list)
    fingerprint: str | None = Field(
        None, description="the IR's shape fingerprint when the run started"
    )
    origin: dict[str, Any] | None = Field(
        None, description="a fork's origin: run id, event, replacing value"
    )


class Transcript(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["agentc.transcript"] = FORMAT
    version: int = Field(VERSION, ge=1)
    run: RunModel
    count: int = Field(ge=0, description="number of events (a truncated file fails verification)")
    head: str = Field(description="hash of the last event")
    events: list[EventModel]


def schema() -> dict[str, Any]:
    return Transcript.model_json_schema()


def dumps(history: History) -> str:
    events = [e.to_json() for e in history.events]
    body = {
        "format": FORMAT,
        "version": VERSION,
        "run": history.header(),
        "count": len(events),
        "head": events[-1]["hash"] if events else "0" * 64,
        "events": events,
    }
    Transcript.model_validate(body)  # what is written is what readers accept
    return (
        json.dumps(json.loads(canonical(body)), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    )


def write(path: str | Path, text: str) -> Path:
    """Atomically: a reader never sees a half-written transcript."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path: str | Path) -> History:
    """Read and check the format (not the chain: see ``check``)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AgentcError(
            Code.TRANSCRIPT,
            f"transcript not found: {path}",
            construct=str(path),
            hint="write one with `agentc export RUN_ID -o FILE`",
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AgentcError(
            Code.TRANSCRIPT,
            f"{path} is not a JSON transcript: {exc}",
            construct=str(path),
            file=str(path),
            hint="pass a file written by `agentc export`",
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AgentcError(
            Code.TRANSCRIPT,
            f"{path} is not an agentc transcript (format {FORMAT!r} expected)",
            construct=str(path),
            file=str(path),
            hint="pass a file written by `agentc export`",
        )
    version = data.get("version")
    if isinstance(version, int) and version > VERSION:
        raise AgentcError(
            Code.TRANSCRIPT,
            f"{path} is transcript format version {version}; this agentc reads "
            f"version {VERSION} and older",
            construct=str(path),
            file=str(path),
            hint="upgrade agentc to read it",
        )
    try:
        t = Transcript.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AgentcError(
            Code.TRANSCRIPT,
            f"{path} does not fit the transcript schema at {where}: {first['msg']}",
            construct=str(path),
            file=str(path),
            hint="`agentc transcript-schema` prints the schema",
        ) from None
    run = t.run.model_dump()
    h = History(**run)
    h.events = [Event.from_json(e.model_dump()) for e in t.events]
    h.count, h.head = t.count, t.head  # type: ignore[attr-defined]
    return h


def check(history: History) -> Break | None:
    """The first event that breaks the chain, or a truncation (count/head)."""
    found = verify_chain(history.events)
    if found is not None:
        return found
    count = getattr(history, "count", len(history.events))
    if count != len(history.events):
        return Break(
            len(history.events) + 1,
            f"the transcript declares {count} events but holds "
            f"{len(history.events)}: event {len(history.events) + 1} onwards is missing",
        )
    head = getattr(history, "head", None)
    if history.events and head is not None and head != history.events[-1].hash:
        return Break(
            len(history.events),
            "the last event is not the one the transcript was written with "
            "(events were removed from the end, or the head was edited)",
        )
    return None
