"""The workflow side of ``at_most_once`` on Temporal (docs/effects.md, "at_most_once on the
engines"; the worker side is ``at_most_once.py``).

A step that failed with AC305 (a lost attempt of an ``at_most_once`` call) waits like a
step that failed in user code (``temporal_runtime._EngineRun._await_retry``): it is listed
as a pending failure, with the ``effect`` key, and is never compensated meanwhile (the
local target does not compensate an AC305 either). It runs again only once a human said
the call did not happen: ``agentc effects RUN_ID --forget KEY --engine temporal`` sends
the ``resume`` signal with ``{"forget:KEY": true}``, which the workflow keeps in its
answers — the signal is in the history, so the decision survives worker restarts and
replays — and ``agentc resume`` then runs the step again as a new activity (attempt 1:
the worker calls). A resume with no decision leaves the run waiting (``agentc resume``
reports the AC305 again, as locally). A decision is used once: if the new attempt is lost
too, the human decides again.

Workflow code: deterministic, no I/O.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

FORGET = "forget:"
"""Prefix of the answer key a ``--forget`` decision is signalled under."""


def uncertain_key(details: dict[str, Any]) -> str | None:
    """The key of the call an AC305 step refused to repeat (from the step's output)."""
    rec = details.get("uncertain")
    key = rec.get("key") if isinstance(rec, dict) else None
    return key if isinstance(key, str) else None


def forget_answer(key: str) -> dict[str, Any]:
    """The ``resume`` signal's payload for ``--forget KEY``."""
    return {FORGET + key: True}


async def wait_for_decision(run: Any, fid: str, effect: str | None) -> None:
    """Wait for ``agentc resume`` of failure ``fid``; for an AC305 (``effect``), also for
    the human's decision on it, which is then used up."""
    while True:
        await workflow.wait_condition(lambda: fid in run.answers)
        if effect is None:
            return
        if run.answers.pop(FORGET + effect, None):
            return
        del run.answers[fid]  # resumed without a decision: still waiting for one
