"""The answers a Temporal graph fork starts with, shown in its history where it used them
(docs/replay.md "Graph forks on the engines").

A graph fork starts with the original's answers as already received
(``graph_fork.ANSWERS``): it does not wait at those pauses, so no ``resume`` signal
arrives and the history would not show them, where the Conductor fork's history shows the
HUMAN tasks its driver completed with them. So when a pause is passed with one of those
answers, the workflow upserts its memo (``GIVEN_MEMO``: the keys and values it used, the
shape of a ``resume`` signal's value); the memo change is an event of the history at that
point, which ``targets/temporal/history.py`` reads back as the ``resume`` event the
original had there, marked ``forked``. No activity, no signal: a workflow command only a
fork's pauses issue.
"""

from __future__ import annotations

from typing import Any

GIVEN_MEMO = "agentc_fork_answer"
CARRY = "fork_given"
"""The ``_carry`` key of the starting answers not used yet (a fork continued as new)."""


def starting(inp: dict[str, Any], answers: dict[str, Any]) -> set[str]:
    """The keys of the starting answers still to show (after continue-as-new: the carried
    ones, those not used before)."""
    carry = inp.get("_carry") or {}
    return set(carry[CARRY]) if CARRY in carry else set(answers)


def given(run: Any, keys: list[str]) -> None:
    """Pauses ``keys`` were passed: record the fork's starting answers among them."""
    used = [k for k in keys if k in run.fork_given]
    if not used:
        return
    from temporalio import workflow

    run.fork_given -= set(used)
    workflow.upsert_memo({GIVEN_MEMO: {k: run.answers.get(k) for k in used}})
