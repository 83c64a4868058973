"""The audit log a graph run's steps carry, so its history survives a trimmed loop
(docs/replay.md, "Graph loops past keepLastN").

A Conductor ``DO_WHILE`` keeps only its last iterations (``keepLastN``, docs/conductor.md):
the server deletes older tasks with their outputs, and with them the node steps the run's
history is built from (``targets/step_history.py``). So every step that finishes a superstep
of the root graph appends the records of that superstep's node tasks — exactly the step
outputs the history reads (``step``, ``task``, ``writes``, the chat calls, the fork mark),
with the node's name — to a per-run log, and carries the log's head in its output
(``FIELD``) to the next step, as it carries the Pregel frame:

* a single-task step appends its own record (and, when it folds the previous parallel step
  in, that step's task records first);
* a barrier appends the records of its superstep's tasks (each parallel task names its node
  in its output, ``NODE``).

The log is a claim-check journal chain (``claim_check.save_journal``): step key → record,
in the order the steps ran; each link holds the records added since its base, and links
above the inline bound live in the payload store under the sha256 of their bytes. The head
in the last surviving step therefore pins every record: a record edited in the store does
not match its digest and a deleted one is missing — both fail loudly (``AC313``), and the
history reader (``targets/conductor/audit_log.py``) also checks the log against the tasks
the execution still holds and that no superstep is missing.

The log is kept where a workflow asks for it (``ENABLE`` in its task inputs: the
Conductor lowering sets it for a root graph with a loop) and, on every engine, for a graph
whose effect policy classifies a node (``chained``): the log is then also the run's
**effect chain** (docs/effects.md, "In the audit chain"). A node step's record holds its
``effect`` record (key, arguments, result, digest: the engine ledger's ``done`` row), a
compensation step appends one ``compensated`` record per effect it undid (``compensated``),
and a link that holds an effect record always lives in the payload store (never inline in
the engine's output), so the server's ledger and the chain are kept apart: an edit on
either side no longer matches the other (``targets/effect_audit.py`` checks them).

A resumed node step's record also holds the answers it was resumed with (``resume``: what
the ``HUMAN`` tasks before it returned), so the answers given inside loop iterations the
server trimmed come back in the history where they were given (``audit_log.merged``).
"""

from __future__ import annotations

import base64
import time
from typing import Any

from agentc.semantics import blobs, claim_check
from agentc.runtime_shims.protocol import is_step_output, pick

ENABLE = "audit"
"""Task input: truthy when the workflow keeps the audit log."""
FIELD = "audit"
"""Step output: the log's head (a journal text), on every output that finishes a superstep."""
NODE = "node"
"""Output of one task of a parallel step: its node's name (its barrier records it)."""
RECORD_KEYS = ("step", "task", "writes", "chat", "forked", "effect")
"""The parts of a node step's output the history reads (``step_history.node``), and its
effect record (the ledger's row)."""
RESUME = "resume"
"""A record's answers: what the ``HUMAN`` tasks before a resumed node step returned."""
ANSWERS = "answers"
"""Output of one task of a parallel step that was resumed: its answers (its barrier
records them)."""
COMPENSATED = "effect-compensated/"
"""Key prefix of a compensation's record (``compensated``): ``effect-compensated/KEY``."""
TOOL = "tool/"
UNFINISHED = "effect-unfinished/"
"""Key prefix of the record of an effect whose step did not finish (``unfinished``)."""
"""Key prefix of an OpenAI Agents tool call's record (``tool_records``): ``tool/KEY``."""


def chained(wf: Any) -> bool:
    """Whether the workflow's effect policy classifies a node (its effects are chained)."""
    return any(getattr(e, "kind", "pure") != "pure" for e in getattr(wf, "effects", None) or ())


def enabled(path: tuple[Any, ...], input: dict[str, Any], wf: Any = None) -> bool:
    """The root graph's steps of a workflow that keeps the log."""
    return not path and (bool(input.get(ENABLE)) or chained(wf))


def record(
    name: str, out: dict[str, Any], at: float | None = None, resume: Any = None
) -> dict[str, Any]:
    """A node step's record: what its history event is built from, and when."""
    rec: dict[str, Any] = {"node": name, "at": time.time() if at is None else at}
    rec["out"] = {k: out[k] for k in RECORD_KEYS if k in out}
    if resume:
        rec[RESUME] = resume
    return rec


def key(rec: dict[str, Any]) -> str:
    """``/step/task`` as the node event keys it (a single-task step returns the next step)."""
    out = rec["out"]
    task = out.get("task")
    step = out["step"] if task else out["step"] - 1
    return f"/{step}/{task or str(step) + ':pull:' + rec['node']}"


def head(input: dict[str, Any]) -> str | None:
    """The log head of the output this step continues from (the latest finished superstep)."""
    best = pick((input.get("prev") or {}).values())
    return best.get(FIELD) if best else None


def parallel_records(input: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of the parallel step a barrier (or a folding step) finishes: the task
    outputs among ``parts`` of the superstep continued from (older loop iterations' lose)."""
    best = pick((input.get("prev") or {}).values())
    step = best.get("step") if best else None
    outs: list[dict[str, Any]] = []
    for v in (input.get("parts") or {}).values():
        if is_step_output(v):
            outs.append(v)
        elif isinstance(v, dict):
            outs.extend(x for x in v.values() if is_step_output(x))
    now = time.time()
    return [
        record(str(o.get(NODE)), o, now, o.get(ANSWERS))
        for o in outs
        if o.get("task") and o.get("step") == step
    ]


def extend(base: str | None, records: list[dict[str, Any]]) -> str | None:
    """The log ``base`` with ``records`` appended (its new head). A link that holds an
    effect record is written to the payload store even when it is small: the head the
    engine keeps then pins it by digest, and the server's ledger cannot be edited together
    with it."""
    if not records:
        return base
    entries = {key(r): claim_check.put_value(r) for r in records}
    effects = any("effect" in (r.get("out") or {}) or "effect" in r for r in records)
    return _link(entries, base, effects)


def _link(entries: dict[str, str], base: str | None, stored: bool) -> str:
    """``entries`` appended to the log ``base``; ``stored``: the link is a blob of the
    payload store however small. The whole log is handed to ``save_journal``, which writes
    only what ``base`` lacks but flattens the chain every ``CHAIN_MAX`` links into one
    manifest of what it was given (given the new entries only, it dropped the older ones)."""
    text = claim_check.save_journal({**claim_check.load_journal(base), **entries}, base)
    if stored and text.startswith(claim_check.JOURNAL):
        text = blobs.store().put(base64.b64decode(text[len(claim_check.JOURNAL) :]))
    return text


def tool_records(
    base: str | None, effects: list[dict[str, Any]], at: float | None = None
) -> str | None:
    """The log ``base`` with one record per effect record of an OpenAI Agents tool call
    (``agent_effects.tool_record``), keyed ``tool/KEY``, in the order given (a link held
    by the payload store, as a node step's effect link is)."""
    if not effects:
        return base
    now = time.time() if at is None else at
    entries = {
        TOOL + e["key"]: claim_check.put_value({"tool": e["name"], "at": now, "out": {"effect": e}})
        for e in effects
    }
    return _link(entries, base, True)


def compensated(
    base: str | None, keys: list[str], names: list[str] | None = None, at: float | None = None
) -> str | None:
    """The log ``base`` with one record per effect a compensation step undid (in order;
    ``names``: the effects' names; ``base`` None: a run paused before any step finished
    starts its log here)."""
    if not keys:
        return base
    now = time.time() if at is None else at
    named = dict(zip(keys, names or []))
    entries = {
        COMPENSATED + k: claim_check.put_value(
            {"effect": k, "name": named.get(k), "to": "compensated", "at": now}
        )
        for k in keys
    }
    return _link(entries, base, True)


def unfinished(effect: dict[str, Any], state: str, at: float | None = None) -> str:
    """The own link of a step that reports an effect it did not finish (its output's
    ``FIELD``): a one-record log in the payload store, written by that step's worker —
    ``started`` (an ``at_most_once`` call cut off: the AC305 step's ``uncertain`` record),
    ``paused`` (a node that called ``interrupt()`` after its effect). The ledger check
    reads a row in one of those states against it (``targets/effect_audit.py``)."""
    now = time.time() if at is None else at
    rec = {"effect": effect, "to": state, "at": now}
    return _link({UNFINISHED + effect["key"]: claim_check.put_value(rec)}, None, True)


def latest(outputs: Any) -> str | None:
    """The log head among step outputs (the latest superstep's), None when none has one."""
    best = pick(o for o in outputs if isinstance(o, dict) and o.get(FIELD))
    return best.get(FIELD) if best else None


def stamp_node(
    path: tuple[Any, ...], input: dict[str, Any], out: dict[str, Any], name: str, wf: Any = None
) -> dict[str, Any]:
    """A node step's output, with the log: extended when the step finished its superstep,
    else (a task of a parallel step) its node's name for the barrier."""
    if not enabled(path, input, wf):
        return out
    if out.get("next") is None:
        out[NODE] = name
        if _answers(input):  # for its barrier's record
            out[ANSWERS] = _answers(input)
        return out
    records = parallel_records(input) if "fold" in input else []
    new = extend(head(input), [*records, record(name, out, resume=_answers(input))])
    if new is not None:
        out[FIELD] = new
    return out


def _answers(input: dict[str, Any]) -> list[Any] | None:
    """The answers a resumed node step was given (its ``resume`` input), as JSON."""
    from agentc.semantics.codec import to_jsonable

    given = input.get("resume")
    return to_jsonable(list(given)) if isinstance(given, list) and given else None


def stamp_barrier(
    path: tuple[Any, ...], input: dict[str, Any], out: dict[str, Any], wf: Any = None
) -> dict[str, Any]:
    """A barrier's output, with the log extended by its superstep's task records."""
    if enabled(path, input, wf) and out.get("next") is not None:
        new = extend(head(input), parallel_records(input))
        if new is not None:
            out[FIELD] = new
    return out


def read(text: str | None) -> list[tuple[str, dict[str, Any]]]:
    """The log's records in the order the steps ran (``AC313`` when a link or a record is
    missing from the store or does not match its digest)."""
    entries = claim_check.load_journal(text)
    return [(k, claim_check.get_value(v)) for k, v in entries.items()]


def stamp_paused(out: dict[str, Any]) -> dict[str, Any]:
    """A paused node step's output with its effect's own link (``unfinished``)."""
    if isinstance(out.get("effect"), dict):
        out[FIELD] = unfinished(out["effect"], "paused")
    return out
