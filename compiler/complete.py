"""``agentc complete RUN_ID STEP --value JSON``: finish a long-running step from outside.

A node or an agent's function tool marked ``external = true`` in the policy file
(docs/policies.md, "External completion") does not run in agentc: the run pauses with the
step's input — holding no process — until whoever did the work (a batch job, a human, a
webhook handler) supplies the node's return value or the tool's output. This finds that
pause among the run's pending interrupts (STEP: the node's name; for a tool, the call id,
or the tool's name when one call of it waits) and continues the run with the value
(local journal; the engines: ``targets/temporal/async_completion.py``,
``targets/conductor/external_tasks.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import AgentcError, Code
from .runtime_shims.external_steps import choose


def complete(run_id: str, step: str, value: Any, *, db: str | Path) -> Any:
    from .api import NO_VALUE, _journal, _require_db, resume
    from agentc.targets.local import external_deadlines
    from agentc.runtime_shims.policy_gate import EXTERNAL_KIND

    _require_db(db)
    journal = _journal(db)
    try:
        # past the step's timeout: AC316 (and compensation), the value is not used
        external_deadlines.enforce(journal, run_id, by="agentc complete")
        row = journal.existing(run_id)
        waiting = (
            [
                i
                for i in row["interrupts"]
                if isinstance(i.get("value"), dict) and i["value"].get("kind") == EXTERNAL_KIND
            ]
            if row["status"] == "waiting"
            else []
        )
        if not waiting and row["status"] != "waiting":
            why = (row["error"] or "").splitlines()[:1]  # e.g. its deadline fired (AC316)
            raise AgentcError(
                Code.INVALID_RESUME,
                f"run {run_id} is {row['status']}, it waits for no external step"
                + (f" ({why[0]})" if why else ""),
                construct=run_id,
                hint="`agentc runs` lists runs and their status",
            )
        mine = choose(run_id, step, waiting, lambda w: w["value"])
        if "key" not in mine:  # a node: the answer to its interrupt
            return resume(run_id, {mine["id"]: value}, db=db)
        with journal.tx():  # a tool call: its output is journaled as its tool step would have
            now = journal.existing(run_id)
            if now["status"] != "waiting" or mine not in now["interrupts"]:
                raise AgentcError(
                    Code.INVALID_RESUME,
                    f"run {run_id} no longer waits for {step!r}",
                    construct=run_id,
                    hint="another process completed or resumed it",
                )
            journal.save_step(run_id, mine["key"], "tool", [value, None])
            rest = [i for i in now["interrupts"] if i is not mine and i != mine]
            journal.set_status(run_id, "waiting" if rest else "running", interrupts=rest)
    finally:
        journal.close()
    if rest:  # other calls of the same response still wait: the run cannot go on yet
        from agentc.targets.local.executor import RunOutcome

        return RunOutcome(run_id, "waiting", interrupts=rest)
    return resume(run_id, NO_VALUE, db=db)
