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


def carry(previous: str | None, added: list[Any]) -> str:
    """A Conductor model step's ``effects``: the previous model step's list and the records
    of the steps that ran since (JOIN outputs; a stale earlier iteration's output repeats
    records already listed: merged by key, first position kept), packed."""
    found: dict[str, dict[str, Any]] = {}
    for rec in claim_check.get_value(previous) if previous else []:
        found.setdefault(rec["key"], rec)
    for group in added:
        for o in (group or {}).values():
            rec = o.get("effect") if isinstance(o, dict) else None
            if isinstance(rec, dict):
                found.setdefault(rec["key"], rec)
    return claim_check.put_value(list(found.values()))


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
    chained = compensated(comp.audit, keys, done)  # the run's effect chain (step_audit.py)
    if chained:
        out[FIELD] = chained
    return Outcome(Status.COMPLETED, out)
