"""Effects of OpenAI Agents tools on the workflow engines (docs/effects.md, "Other targets").

On an engine an agent step runs on a warm session (``agent_sessions.py``) that a lost
answer or another worker can make stale, so nothing here is kept in a worker's memory
between steps: each tool step's **output** carries the effect record of the call it ran
(``effect``: key, compensator REF, arguments, result — what ``effects.record`` gives a
graph node's step), built from the drive that ran it. A retried step (a worker lost after
the effect) drives cold, calls the tool again with the same key, and reports the same
record. The engine makes the records durable:

* Temporal: the agent loop workflow keeps them in its state (``temporal_saga``), from the
  tool activities' results;
* Conductor: the server keeps only the last iterations of the agent loop (``keepLastN``),
  so each model step carries the run's records so far (``effects``, a claim-check value;
  ``carry``) and the failure workflow's task reads them, with the records of the tool
  tasks after it, from the failed execution (``targets/conductor/effects.py``).

Both engines hand the compensation the same ``protocol.EffectLog``.

The records are also the run's audit chain (``step_audit.py``; docs/effects.md, "On the
engines"): each model step appends those of the tool steps since (``stamp_turn``), each
tool step writes its own one-record link (``tool_link``), a compensation chains the failed
turn's calls first (``unchained_tools``).

This module imports no SDK.
"""

from __future__ import annotations

import traceback
from typing import Any

from agentc.semantics import claim_check
from agentc.runtime_shims.protocol import Compensation, Outcome, Status


def tool_record(wf: Any, effect: Any, text: str | None) -> dict[str, Any] | None:
    """The effect record of the tool call a step just ran (``effect``: the replay's
    ``Effect`` of the call; ``text``: its journal entry), or None when the tool is not
    classified (or ``pure``)."""
    from agentc.semantics.effects import record
    from agentc.runtime_shims.openai_agents_replay import parse_args

    if effect is None or text is None or effect.kind != "tool" or "keys" not in effect.info:
        return None
    name = effect.info["tool"]
    rule = wf.effect(name)
    if rule is None or rule.kind == "pure":
        return None
    output = claim_check.get_value(text)[0]
    rec = record(
        effect.info["keys"],
        name,
        rule.kind,
        getattr(rule, "compensator", None),
        parse_args(effect.info["arguments"]),
        output,
    )
    rec["target"] = "tool"
    return rec


def fresh(previous: str | None, added: list[Any]) -> list[dict[str, Any]]:
    """The effect records of the steps that ran since the previous model step (JOIN
    outputs; a stale earlier iteration's output repeats records ``previous`` — the packed
    records so far, Conductor's ``effects`` — already lists: left out), in call order."""
    seen = {rec["key"] for rec in claim_check.get_value(previous)} if previous else set()
    found: dict[str, dict[str, Any]] = {}
    for group in added:
        for o in (group or {}).values():
            rec = o.get("effect") if isinstance(o, dict) else None
            if isinstance(rec, dict) and rec["key"] not in seen:
                found.setdefault(rec["key"], rec)
    return list(found.values())


def carry(previous: str | None, added: list[Any]) -> str:
    """A Conductor model step's ``effects``: the previous model step's list and the records
    of the steps that ran since (``fresh``), packed."""
    done = claim_check.get_value(previous) if previous else []
    return claim_check.put_value([*done, *fresh(previous, added)])


def stamp_turn(wf: Any, turn: Any, input: dict[str, Any]) -> Any:
    """A model step's turn (``protocol.ModelTurn``) with the run's effect records: on
    Conductor the records so far (``effects``, ``carry``), and, when the agents' effect
    policy classifies a tool, the run's audit log (``audit``: ``step_audit``) extended by
    the records of the tool steps that ran since — the model step is their barrier, as a
    graph's barrier step appends its parallel tasks' records."""
    from dataclasses import replace

    from agentc.runtime_shims.step_audit import FIELD, chained, tool_records

    added = input.get("added") or []
    if "effects" in input:  # Conductor: the run's effect records so far
        turn = replace(turn, effects=carry(input["effects"], added))
    if chained(wf):
        head = tool_records(input.get(FIELD), fresh(input.get("effects"), added))
        turn = replace(turn, audit=head)
    return turn


def tool_link(rec: dict[str, Any]) -> str | None:
    """A tool step's own link (its output's ``audit``): a one-record log in the payload
    store holding its effect record, written by the worker that made the effect. The next
    model step appends the record to the run's log; a row whose turn no model step
    followed (a sibling of a call that failed the run) is checked against it
    (``targets/effect_audit.py``)."""
    from agentc.runtime_shims.step_audit import tool_records

    return tool_records(None, [rec])


def compensate_task(comp: Compensation) -> Outcome:
    """A compensation step (Conductor's failure workflow task, made neutral by
    ``targets/conductor/wire.py``): the run's completed compensable effects, compensated in
    reverse order."""
    from agentc.runtime_shims.compensators import compensate
    from agentc.runtime_shims.step_audit import FIELD, compensated

    done: list[str] = []
    keys: list[str] = []
    try:
        for rec in comp.effects.to_undo():
            compensate(rec, comp.run_id)
            done.append(rec["name"])
            keys.append(rec["key"])
    except Exception as exc:  # noqa: BLE001 - a compensator failed: the engine retries the task, then fails it
        return Outcome(
            Status.FAILED,
            {
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(),
                "compensated": done,
                "keys": keys,
            },
            f"compensator failed: {type(exc).__name__}: {exc}",
        )
    out: dict[str, Any] = {"compensated": done, "keys": keys}
    head = unchained_tools(comp.audit, comp.effects.to_list())
    chained = compensated(head, keys, done)  # the run's effect chain (step_audit.py)
    if chained:
        out[FIELD] = chained
    return Outcome(Status.COMPLETED, out)


def unchained_tools(head: str | None, records: list[dict[str, Any]]) -> str | None:
    """The log ``head`` with the tool effect records it lacks (the calls of the turn that
    failed the run: no model step followed them), appended before a compensation's."""
    from agentc.runtime_shims.step_audit import TOOL, tool_records

    tools = [r for r in records if r.get("target") == "tool"]
    if not tools:
        return head
    held = claim_check.load_journal(head)
    return tool_records(head, [r for r in tools if TOOL + r["key"] not in held])
