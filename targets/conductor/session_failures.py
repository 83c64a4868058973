"""Conductor: a tool call of a model turn failed for good beside calls that completed, and
the run has a ``--session`` (docs/openai-agents.md, "Sessions"). ``Runner.run`` saves the
completed calls to the session before it fails; here the failing task's worker does it,
before it reports the failure, by a settle drive (``runtime_shims/session_failures.py``)
whose journal holds the outputs of the fork's tasks that completed (the turn's siblings:
the tasks that started from the same journal). Conductor has no workflow code that could
run after the failure (a failed fork task fails the workflow at once), so the worker
reads the siblings from the execution as ``GET /api/workflow/{id}`` shows it — in
``agentc simulate`` the simulator's (``Simulation._serve``). The drive's session writes
are kept in the failed task's output (``entries``), so ``agentc history`` lists them.
"""

from __future__ import annotations

from typing import Any, Callable

from agentc.runtime_shims import session_failures

from agentc.semantics import claim_check
from agentc.runtime_shims.protocol import Outcome, Status

CANCELLED = "cancelled by its fan-out"
"""The outcome ``fanout.watched`` reports for a sibling the failure cancelled."""


def settle_failed(
    worker: Any, call: Any, outcome: Outcome, execution: Callable[[], dict[str, Any]]
) -> Outcome:
    """``outcome`` with the settle drive's entries added when it is the terminal failure of
    an agent's tool step beside completed siblings, in a run with a session."""
    inp = call.input or {}
    out = outcome.output if isinstance(outcome.output, dict) else {}
    if (
        outcome.status is not Status.TERMINAL
        or "target" not in inp
        or "journal" not in inp
        or out.get("error") == CANCELLED
        or getattr(getattr(worker.wf, "body", None), "kind", None) != "agents"
        or not session_failures.has_session(worker.wf)
    ):
        return outcome
    ex = execution()
    if ex.get("status") != "RUNNING":  # not the failure that ends the run
        return outcome
    siblings = [
        t.get("outputData") or {}
        for t in ex.get("tasks") or []
        if t.get("status") == "COMPLETED"
        and (t.get("inputData") or {}).get("journal") == inp["journal"]
        and "target" in (t.get("inputData") or {})
        and (t.get("outputData") or {}).get("entries")
    ]
    if not siblings:
        return outcome
    from agentc.runtime_shims.agent_steps import unpack

    entries = claim_check.load_journal(inp["journal"])
    for o in [*siblings, out]:
        if o.get("entries"):
            entries.update(claim_check.load_journal(o["entries"]))
    texts = session_failures.settle(
        worker,
        unpack(inp["run"]),
        entries,
        unpack(inp["target"]),
        str(out.get("error") or ""),
        call.workflow_id,
    )
    if not texts:
        return outcome
    own = claim_check.load_journal(out["entries"]) if out.get("entries") else {}
    kept = {**out, "entries": claim_check.save_journal({**own, **texts})}
    return Outcome(outcome.status, kept, outcome.reason)
