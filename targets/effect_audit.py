"""An engine run's effect ledger checked against the run's effect chain (docs/effects.md,
"In the audit chain"; docs/replay.md, "Verifying").

On Temporal and Conductor the ledger ``agentc effects --engine ...`` shows is the server's
record: the ``effect`` records in the steps' outputs (``targets/temporal/effects.py``,
``targets/conductor/effects.py``). The workers also append every completed effect to the
run's audit log in the payload store (``runtime_shims/step_audit.py``: a node step's
record holds its ``effect`` record; a compensation step appends a ``compensated`` record
per effect it undid), a hash chain whose head the steps carry. Here the two are compared,
row by row:

* a row the chain holds must be what the chain says — same name, class, path, compensator,
  arguments, result and digest, ``done``, compensated exactly when the chain says so —
  else the row was edited on the server (``AC131`` naming it);
* a chained effect whose node step the execution still holds must have its row, else the
  row was removed on the server; one whose step the server trimmed (a Conductor loop past
  ``keepLastN``) is given back from the chain, as its history is (``restored``);
* a ``done`` or compensated row of a graph node that the chain does not hold was inserted.

An OpenAI Agents tool's effect is a record of the same log (``tool/KEY``: each model step
appends the tool calls since, ``agent_effects.stamp_turn``). A row the chain does not hold
is checked against the own link of the step that reported it (``links``): a tool call no
model step followed (``agent_effects.tool_link``), or a step that did not finish
(``step_audit.unfinished``: ``started`` — an ``at_most_once`` call cut off — or ``paused``
at ``interrupt()``); ``failed`` is the reader's derivation from the server's record of a
human's ``--forget``, checked to follow from a ``started`` record. A row no record holds
was inserted. A record edited or deleted in the store fails the chain's own digests
(``AC131``, naming the run).

``events`` turns the chain into the ``effect`` events ``agentc history``/``export`` list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.runtime_shims import step_audit
from agentc.runtime_shims.audit_events import Event

from .effect_rows import ledger_row


@dataclass
class Chained:
    """One effect as the chain holds it: its record, its node step's log key, when the
    step finished, and when a compensation undid it (None: not undone)."""

    rec: dict[str, Any]
    step_key: str
    at: float | None
    compensated: float | None = None
    paused: bool = False
    """Only its compensation is chained (its step paused at ``interrupt()`` after it)."""
    state: str = "done"
    """What the step that wrote it says: ``done``, or an unfinished step's state (``started``,
    ``paused``: its own link, ``step_audit.unfinished``)."""


def _tampered(run_id: str, what: str, hint: str) -> AgentcError:
    return AgentcError(Code.TAMPERED, f"run {run_id}: {what}", construct=run_id, hint=hint)


def read(run_id: str, text: str | None) -> dict[str, Chained]:
    """Effect key → what the chain holds, in the order the effects completed."""
    if not text:
        return {}
    try:
        log = step_audit.read(text)
    except AgentcError as e:
        raise _tampered(
            run_id,
            f"the audit log of its graph steps cannot be read: {e.diagnostic.message}",
            "the log lives in the claim-check store the workers used (--store / AGENTC_STORE); "
            "a record edited or deleted there no longer matches the run",
        ) from None
    found: dict[str, Chained] = {}
    for k, rec in log:
        if k.startswith(step_audit.COMPENSATED):
            key = str(rec.get("effect"))
            hit = found.get(key)
            if hit is None:  # an effect paused at interrupt(): only its compensation is chained
                stub = {"key": key, "name": rec.get("name"), "class": "compensable"}
                hit = found[key] = Chained(stub, "", None, paused=True)
            hit.compensated = rec.get("at")
            continue
        if k.startswith(step_audit.UNFINISHED):  # an unfinished step's own link
            eff = rec.get("effect") or {}
            found[str(eff.get("key"))] = Chained(eff, k, rec.get("at"), state=str(rec.get("to")))
            continue
        eff = (rec.get("out") or {}).get("effect")
        if isinstance(eff, dict) and "key" in eff:
            found.pop(eff["key"], None)  # a node re-run after interrupt(): the latest wins
            found[eff["key"]] = Chained(eff, k, rec.get("at"))
    return found


def _step_of(step_key: str) -> int:
    return int(step_key.split("/")[1])


FIELDS = (
    ("name", "name"),
    ("class", "class"),
    ("path", "path"),
    ("compensator", "compensator"),
    ("arguments", "args"),
    ("result", "result"),
    ("digest", "digest"),
)


def _row(c: Chained) -> dict[str, Any]:
    """The ledger row of an effect the server no longer holds (its step was trimmed)."""
    rec = c.rec
    return {
        **ledger_row(rec, status="done", finished=c.at, digest=rec["digest"], result=rec["result"]),
        "comp_status": "done" if c.compensated is not None else None,
        "comp_finished": c.compensated,
        "restored": "audit log",
    }


def checked(
    run_id: str,
    rows: list[dict[str, Any]],
    text: str | None,
    surviving: set[int] | None = None,
    links: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """``rows`` (the server's ledger) checked against the chain at ``text``, with the rows
    of trimmed steps given back; ``AC131`` naming the first row that does not match.
    ``surviving``: the supersteps whose node tasks the execution still holds (None: all);
    ``links``: effect key → the own link of the agent tool step that reported the row
    (``agent_effects.tool_link``), for a row the chain does not hold."""
    chain = read(run_id, text)
    by_key = {r["key"]: r for r in rows}
    for key, c in chain.items():
        row = by_key.get(key)
        what = f"effect ledger row {key} ({c.rec.get('name')})"
        if c.paused:  # the server's row says paused; the log holds its compensation
            if row is None or row.get("comp_status") != "done":
                raise _tampered(
                    run_id,
                    f"{what} lost its compensation on the server: the audit log holds it",
                    HINT,
                )
            continue
        if row is None:
            if surviving is None or _held(c.step_key, surviving):
                raise _tampered(
                    run_id,
                    f"{what} was removed from the server's ledger: the audit log holds it "
                    f"(done at step {c.step_key})",
                    HINT,
                )
            continue
        _same(run_id, what, row, c)
    for row in rows:
        if row["key"] in chain or row.get("target", "node") not in ("node", "tool"):
            continue
        own = (links or {}).get(row["key"])
        if own is not None:  # a tool call no model step followed, an unfinished step's effect
            linked = read(run_id, own).get(row["key"])
            if linked is not None:
                what = f"effect ledger row {row['key']} ({linked.rec.get('name')})"
                _same(run_id, what, row, linked)
                continue
        raise _tampered(
            run_id,
            f"effect ledger row {row['key']} ({row.get('name')}, {row.get('status')!r}) is "
            "in no audit log record: it was inserted on the server",
            HINT,
        )
    given = [_row(c) for k, c in chain.items() if k not in by_key and not c.paused]
    return [*given, *rows] if given else rows


def _unfinished(run_id: str, what: str, row: dict[str, Any], c: Chained) -> None:
    """``AC131`` unless ``row`` is the unfinished effect its step's own link holds: the same
    call (no result, no digest), in the state the worker wrote — or ``failed`` for a
    ``started`` call a human forgot, which the reader derives from the server's record of
    that decision (a ``resume`` signal on Temporal, the saved simulation on Conductor)."""
    for field, chained in FIELDS[:5]:
        if row.get(field) != c.rec.get(chained):
            raise _tampered(
                run_id,
                f"{what} was edited on the server: its {field} is {row.get(field)!r}, the "
                f"audit log says {c.rec.get(chained)!r}",
                HINT,
            )
    states = ("started", "failed") if c.state == "started" else (c.state,)
    forgot = row.get("status") != "failed" or row.get("error") == FORGOTTEN
    if row.get("status") not in states or not forgot or row.get("result") is not None:
        raise _tampered(
            run_id,
            f"{what} was edited on the server: it says {row.get('status')!r} "
            f"(result {row.get('result')!r}), the audit log says {c.state!r} with no result",
            HINT,
        )


FORGOTTEN = "forgotten by a human"
"""The error of a ``failed`` row: a human said the cut-off call did not happen."""

HINT = "the server's record was changed after the run wrote it; compare with a copy you trust"


def _held(step_key: str, surviving: set[int]) -> bool:
    """Whether the execution still holds the step that made a chained effect (an agent
    tool's row is never trimmed: the model steps carry the records of older iterations)."""
    return step_key.startswith(step_audit.TOOL) or _step_of(step_key) in surviving


def _same(run_id: str, what: str, row: dict[str, Any], c: Chained) -> None:
    """``AC131`` unless the server's ``row`` is what the chain holds for it."""
    if c.state != "done":
        return _unfinished(run_id, what, row, c)
    for field, chained in FIELDS:
        if row.get(field) != c.rec.get(chained):
            raise _tampered(
                run_id,
                f"{what} was edited on the server: its {field} is {row.get(field)!r}, the "
                f"audit log says {c.rec.get(chained)!r}",
                HINT,
            )
    if row.get("status") != "done":
        raise _tampered(
            run_id,
            f"{what} was edited on the server: it says {row.get('status')!r}, the audit "
            "log says 'done'",
            HINT,
        )
    if (row.get("comp_status") == "done") != (c.compensated is not None):
        says = "compensated" if c.compensated is not None else "not compensated"
        raise _tampered(
            run_id,
            f"{what} was edited on the server: its compensation is "
            f"{row.get('comp_status')!r}, the audit log says {says}",
            HINT,
        )


def events(run_id: str, text: str | None) -> list[tuple[str, Event]]:
    """The chain's ``effect`` events, each with the log key of the node step it follows
    (a compensation's: ``step_audit.COMPENSATED`` + the effect key)."""
    out: list[tuple[str, Event]] = []
    for key, c in read(run_id, text).items():
        data = {"class": c.rec.get("class"), "from": None, "to": "done"}
        data["result_digest"] = c.rec.get("digest")
        if not c.paused:
            ev = Event(0, "effect", key=key, name=c.rec["name"], at=c.at, data=data)
            out.append((c.step_key, ev))
        if c.compensated is not None:
            was = None if c.paused else "done"  # paused: its step never finished
            undone = {**data, "from": was, "to": "compensated" if c.paused else "done, compensated"}
            ev = Event(0, "effect", key=key, name=c.rec["name"], at=c.compensated, data=undone)
            out.append((step_audit.COMPENSATED + key, ev))
    return out


def placed(history: list[Event], found: list[tuple[str, Event]]) -> list[Event]:
    """``history`` with each effect event after the node step that made it (root node
    events are keyed ``/step/task``, the log's key) and compensations before the final
    status event (in the order they ran)."""
    after: dict[str, list[Event]] = {}
    late: list[Event] = []
    for k, ev in found:
        if k.startswith(step_audit.COMPENSATED):
            late.append(ev)
        else:
            after.setdefault(k, []).append(ev)
    late.sort(key=lambda e: e.at or 0.0)
    out: list[Event] = []
    for e in history:
        if e.kind == "status" and late:
            out += late
            late = []
        out.append(e)
        if e.kind == "node" and not e.ns:
            out += after.pop(e.key, [])
    return out + [ev for evs in after.values() for ev in evs] + late
