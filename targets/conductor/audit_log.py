"""The node steps a Conductor execution no longer holds, merged back from the run's audit
log (``runtime_shims/step_audit.py``; docs/replay.md, "Graph loops past keepLastN").

A ``DO_WHILE`` keeps its last iterations only (``keepLastN``): the server deletes the older
tasks and their outputs. Every step that finished a superstep of the root graph carries
the head of a log holding each node step's record — the same output the history reads a
node event from (``targets/step_history.node``) — so the history takes the head of the
latest surviving step, reads the log (every link and record is content-addressed: an
edited or deleted one fails ``AC313``), and:

* checks it against the execution: each node step the execution still holds must be the
  log's record of that step (same key, writes, chat calls), and no superstep up to the
  last may be missing from both — otherwise ``AC131`` names the step;
* places the steps only the log holds where the log has them (the order the steps ran),
  before the first surviving step that followed them, with the time the worker recorded.

A resumed node step's record holds the answers it was resumed with: for a step only the
log holds, they come back as ``resume`` events just before it (keyed by the ``HUMAN``
task that took them, ``human_<node>_<n>``, marked ``restored``), where the surviving
``HUMAN`` tasks of later iterations give theirs. What the log does not hold: the answers
to breakpoints (``interrupt_before/after``, which resume no node step with a value) and
failed attempts (``retry`` events) of trimmed iterations.
"""

from __future__ import annotations

from typing import Any

from agentc.errors import AgentcError, Code
from agentc.runtime_shims import step_audit
from agentc.runtime_shims.audit_events import Event
from agentc.runtime_shims.protocol import pick
from agentc.semantics.codec import to_jsonable
from agentc.targets.step_history import node


def _task_key(e: Event) -> str | None:
    if e.kind not in ("node", "model") or e.ns or e.step is None:
        return None
    return f"/{e.step}/{e.data.get('task')}"


def head_of(tasks: list[dict[str, Any]]) -> str | None:
    """The log head of the latest superstep the execution's root tasks finished."""
    outs = [
        t.get("outputData")
        for t in tasks
        if t.get("status") == "COMPLETED" and (t.get("outputData") or {}).get(step_audit.FIELD)
    ]
    best = pick(outs)
    return best.get(step_audit.FIELD) if best else None


def _tampered(run_id: str, why: str, hint: str) -> AgentcError:
    return AgentcError(
        Code.TAMPERED,
        f"run {run_id}: the audit log of its graph steps {why}",
        construct=run_id,
        hint=hint,
    )


def _logged(run_id: str, text: str) -> tuple[dict[str, list[Event]], dict[str, list[Event]]]:
    """Task key → the events of its record (chat calls, then the node's writes), in order;
    and task key → the answers its step was resumed with (``resume`` events)."""
    try:
        log = step_audit.read(text)
    except AgentcError as e:
        raise _tampered(
            run_id,
            f"cannot be read: {e.diagnostic.message}",
            "the log lives in the claim-check store the workers used (--store / AGENTC_STORE); "
            "a record edited or deleted there no longer matches the run",
        ) from None
    groups: dict[str, list[Event]] = {}
    answers: dict[str, list[Event]] = {}
    for k, rec in log:
        if k.startswith(step_audit.COMPENSATED):  # the effect chain's (targets/effect_audit.py)
            continue
        found = node("", str(rec.get("node")), rec.get("out") or {}, rec.get("at"))
        if not found or _task_key(found[-1]) != k:
            raise _tampered(
                run_id,
                f"holds a record {k!r} that is not a node step",
                "the store was modified by something other than agentc",
            )
        groups[k] = found
        answers[k] = _answers(rec)
    return groups, answers


def _answers(rec: dict[str, Any]) -> list[Event]:
    """The ``resume`` events of the answers a resumed node step was given (its record's
    ``resume``: what the ``HUMAN`` tasks before it returned), just before its step."""
    name = rec.get("node")
    return [
        Event(
            0,
            "resume",
            key=f"human_{name}_{i}",
            at=rec.get("at"),
            data={"value": to_jsonable(value), "restored": "audit log"},
        )
        for i, value in enumerate(rec.get(step_audit.RESUME) or [], 1)
    ]


def _same(a: list[Event], b: list[Event]) -> bool:
    def shape(es: list[Event]) -> list[tuple[Any, ...]]:
        return [(e.kind, e.key, e.raw, e.data) for e in es]

    return shape(a) == shape(b)


def merged(run_id: str, events: list[Event], tasks: list[dict[str, Any]]) -> list[Event]:
    """``events`` (read from the execution's surviving tasks, in order) with the node steps
    only the log holds put back; ``events`` unchanged when the run keeps no log."""
    text = head_of(tasks)
    if not text:
        return events
    logged, answers = _logged(run_id, text)
    order = list(logged)
    pos = {k: i for i, k in enumerate(order)}
    surviving: dict[str, list[Event]] = {}
    for e in events:
        k = _task_key(e)
        if k is not None:
            surviving.setdefault(k, []).append(e)
    last = max((int(k.split("/")[1]) for k in order), default=0)
    for k, group in surviving.items():
        if k in logged and not _same(group, logged[k]):
            raise _tampered(
                run_id,
                f"disagrees with the execution at step {k}",
                "a record in the store was replaced, or the execution was edited",
            )
        if k not in logged and int(k.split("/")[1]) <= last:
            raise _tampered(
                run_id,
                f"lacks step {k}, which the execution holds",
                "a link of the log was replaced; the run's record is incomplete",
            )
    steps = {int(k.split("/")[1]) for k in [*order, *surviving]}
    gaps = sorted(set(range(1, max(steps, default=0) + 1)) - steps)
    if gaps:
        raise _tampered(
            run_id,
            f"and the execution both lack superstep(s) {gaps}",
            "a record was removed from the log",
        )
    out: list[Event] = []
    pending: list[Event] = []
    done: set[str] = set()
    cursor = 0
    for e in events:
        k = _task_key(e)
        if k is None:  # an answer or a retry: after the older steps only the log holds
            pending.append(e)
            continue
        if k in done:
            continue
        upto = pos.get(k)
        if upto is None:  # a task of a superstep the log does not reach yet (its barrier waits)
            out += [*pending, *surviving[k]]
            pending = []
            done.add(k)
            continue
        while cursor <= upto:
            ck = order[cursor]
            cursor += 1
            if ck in done:
                continue
            if ck in surviving:
                out += [*pending, *surviving[ck]]
                pending = []
            else:
                out += [*answers[ck], *logged[ck]]
            done.add(ck)
    out += [e for ck in order[cursor:] if ck not in done for e in [*answers[ck], *logged[ck]]]
    return out + pending
