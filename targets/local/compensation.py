"""Compensation on the local executor (docs/effects.md, "Compensation").

When a run fails terminally or is cancelled (``agentc cancel``; at an approval or an
``interrupt()`` pause this is how a human rejects the run), the compensators of its
completed ``compensable`` effects run in reverse order of completion, each with the
effect's original arguments and result. It is durable:

* the run's status becomes ``compensating`` first (with the reason), so a process killed
  during compensation leaves a run that ``agentc resume`` (or ``agentc cancel``) finishes;
* each compensator's start and finish are committed in the ledger; a compensator that
  finished is never called again, one cut off by a crash is called again with the same
  idempotency key (its ``effect_key()`` is derived from its effect's), so a service that
  honours the key undoes the effect once;
* a compensator that raises stops compensation loudly (status stays ``compensating``,
  the error is in the ledger); ``agentc resume`` tries the remaining ones again.

The final status is ``compensated`` (after a failure) or ``cancelled``; the run's error
text and the outcome list what was compensated.
"""

from __future__ import annotations

import traceback
from typing import Any

from agentc.errors import AgentcError, Code, RunFailed
from agentc.semantics.effects import EffectScope, active

from . import effects_ledger as ledger
from .journal import Journal

TERMINAL = ("done", "compensated", "cancelled")


def has_work(journal: Journal, run_id: str) -> bool:
    return bool(ledger.to_compensate(journal.db, run_id))


def begin(journal: Journal, run_id: str, final: str, reason: str) -> None:
    """Commit the decision to compensate (``final``: the status once it is done)."""
    with journal.tx() as j:
        j.db.execute(
            "UPDATE runs SET status='compensating', error=?, interrupts=? WHERE run_id=?",
            (reason, _final_marker(final), run_id),
        )


def _final_marker(final: str) -> str:
    import json

    return json.dumps([{"kind": "compensating", "final": final}])


def run(journal: Journal, run_id: str, on_event: Any = None) -> tuple[str, list[str], str]:
    """Run the remaining compensators of a ``compensating`` run; returns its final status,
    the names compensated (in the order they ran) and the reason it was compensated."""
    from agentc.refs import load_ref

    row = journal.run(run_id)
    assert row is not None, run_id  # the caller holds the run (journal.driving)
    final = next(
        (i.get("final") for i in row["interrupts"] if i.get("kind") == "compensating"),
        "compensated",
    )
    reason = row["error"] or ""
    on_event = on_event or (lambda kind, info: None)
    for effect in ledger.to_compensate(journal.db, run_id):
        with journal.tx() as j:
            ledger.comp_start(j.db, run_id, effect["key"])
        on_event("compensate_start", {"key": effect["key"], "name": effect["name"]})
        try:
            fn = load_ref(effect["compensator"])
            with active(EffectScope(run_id, f"{effect['path']}/compensate", origin=effect["key"])):
                fn(effect["args"], effect["result"])
        except Exception as exc:  # noqa: BLE001 - the user's compensator failed: stop, loudly
            text = f"{type(exc).__name__}: {exc}"
            with journal.tx() as j:
                ledger.comp_failed(
                    j.db, run_id, effect["key"], text + "\n" + traceback.format_exc()
                )
            raise RunFailed(
                Code.NODE_FAILED,
                f"compensator {effect['compensator']} of {effect['name']!r} failed: {text}",
                construct=effect["compensator"],
                hint=f"fix it, then finish compensating with `agentc resume {run_id}`",
            ) from None
        with journal.tx() as j:
            ledger.comp_finish(j.db, run_id, effect["key"])
        on_event("compensate_done", {"key": effect["key"], "name": effect["name"]})
    done = [
        r["name"]
        for r in sorted(ledger.rows(journal.db, run_id), key=lambda r: r["comp_finished"] or 0.0)
        if r["comp_status"] == "done"
    ]
    summary = f"{reason}\ncompensated: {', '.join(done) if done else 'nothing'}"
    with journal.tx() as j:
        j.db.execute(
            "UPDATE runs SET status=?, error=?, interrupts='[]' WHERE run_id=?",
            (final, summary, run_id),
        )
    return final, done, reason


def after_failure(
    journal: Journal, run_id: str, exc: AgentcError, on_event: Any = None
) -> AgentcError:
    """A run failed terminally: compensate when it has completed compensable effects.
    Returns the error to raise (its message then says what was compensated)."""
    if exc.code is Code.EFFECT_UNCERTAIN or not has_work(journal, run_id):
        return exc
    begin(journal, run_id, "compensated", exc.diagnostic.render())
    _, done, _ = run(journal, run_id, on_event)
    return RunFailed(
        exc.code,
        f"{exc.diagnostic.message}; compensated: {', '.join(done)}",
        construct=exc.diagnostic.construct,
        file=exc.diagnostic.file,
        line=exc.diagnostic.line,
        hint=f"the run is over; its effects are listed by `agentc effects {run_id}`",
        details={**exc.details, "compensated": done},
    )


def cancel(journal: Journal, run_id: str) -> Any:
    """``agentc cancel``: compensate and end a run nobody drives now."""
    from .executor import RunOutcome

    with journal.driving(run_id):
        row = journal.run(run_id)
        if row is None:
            raise AgentcError(
                Code.UNKNOWN_RUN,
                f"no run {run_id!r} in {journal.path}",
                construct=run_id,
                hint="list runs with `agentc runs --db PATH`",
            )
        if row["status"] in TERMINAL:
            raise AgentcError(
                Code.RUN_NOT_RESUMABLE,
                f"run {run_id} already ended ({row['status']})",
                construct=run_id,
                hint="only a waiting, failed or crashed run can be cancelled",
            )
        if row["status"] != "compensating":
            begin(journal, run_id, "cancelled", "cancelled by a human")
        final, done, _ = run(journal, run_id)
    return RunOutcome(run_id, final, compensated=done)


def finish(journal: Journal, run_id: str, on_event: Any = None) -> Any:
    """``agentc resume`` of a run cut off during compensation: finish it."""
    from .executor import RunOutcome

    final, done, reason = run(journal, run_id, on_event)
    if final == "cancelled":
        return RunOutcome(run_id, final, compensated=done)
    raise RunFailed(
        Code.NODE_FAILED,
        f"the run failed and was compensated ({', '.join(done)})",
        construct=run_id,
        hint=f"the run is over; its effects are listed by `agentc effects {run_id}`",
        details={"compensated": done, "reason": reason},
    )
