"""``at_most_once`` effects on the workflow engines (docs/effects.md, "at_most_once on the
engines"): what the step workers check, the same rule for a LangGraph node and an OpenAI
Agents tool, on Temporal and on Conductor.

* A failure of the user's code is **terminal** for an ``at_most_once`` step: its
  ``RetryPolicy`` (a node) or the bounded retry of agent steps (a tool) does not apply,
  as on the local target. The run then waits for ``agentc resume`` like any failed run.
* A **lost attempt** — the engine runs the step again while its earlier attempt never
  reported (a worker died or timed out: Temporal's ``attempt > 1``, Conductor's
  ``retryCount > 0``; with the first rule, a retry has no other cause) — does not call
  it again: the step fails with AC305 naming the effect and its key, and its output
  carries the ``uncertain`` record (``effects.record`` with no result), which the engine
  side turns into a run waiting for a human and the ledger shows as ``started``.
* A human who checked the service and says the call did **not** happen (``agentc effects
  RUN_ID --forget KEY --engine ...``) lets the next attempt call it: on Temporal the
  workflow records the decision (a signal, in its history) and runs the step again as a
  new activity (attempt 1); the Conductor simulation records it in its saved state and
  passes it in the re-polled task's input (``FORGOTTEN``), for that task only.

This module imports no SDK.
"""

from __future__ import annotations

from typing import Any

from agentc.errors import AgentcError, Code, RunFailed

FORGOTTEN = "effects_forgotten"
"""A task input key: the keys a human said did not happen (the Conductor simulation sets
it on the one task it re-polls after ``--forget``)."""
UNCERTAIN = "uncertain"
"""The output key of a step that refused to call again: the effect's record."""


def is_at_most_once(wf: Any, name: str | None) -> bool:
    rule = wf.effect(name) if name else None
    return rule is not None and rule.kind == "at_most_once"


def check(wf: Any, name: str, scope: Any, args: Any, retry_count: int, forgotten: Any = ()) -> None:
    """Before an ``at_most_once`` call: raise AC305 when this is a lost attempt's retry
    (``retry_count > 0``) and no human said the call did not happen."""
    rule = wf.effect(name)
    if rule is None or rule.kind != "at_most_once" or retry_count <= 0:
        return
    key = scope.key(0)
    if key in (forgotten or ()):
        return
    raise uncertain(rule, name, scope, args)


def uncertain(rule: Any, name: str, scope: Any, args: Any) -> AgentcError:
    """AC305 for a call whose earlier attempt was cut off; ``details["output"]`` is what
    the step reports (its ``uncertain`` record)."""
    from agentc.semantics.effects import record

    rec = record(scope, name, "at_most_once", None, args, None)
    rec["target"] = rule.on
    key = rec["key"]
    from agentc.runtime_shims.step_audit import FIELD, unfinished

    link = unfinished(rec, "started")  # the worker's own record of it (step_audit.py)
    return RunFailed(
        Code.EFFECT_UNCERTAIN,
        f"{rule.on} {name!r} is at_most_once and a previous attempt was cut off during the call "
        f"(key {key}): whether its effect happened is unknown, so it is not called again",
        construct=f"{rule.on} {name!r}",
        source=rule.source,
        hint=f"check the service; if it did not happen: `agentc effects RUN_ID --forget {key} "
        "--engine ENGINE ...`, then resume the run; to undo the run: `agentc cancel RUN_ID "
        "--engine ENGINE ...`",
        details={"output": {"code": Code.EFFECT_UNCERTAIN.value, UNCERTAIN: rec, FIELD: link}},
    )


def output_of(exc: AgentcError) -> dict[str, Any]:
    """The extra output fields of a step that failed with ``exc`` (an AC305's record)."""
    out = exc.details.get("output") if isinstance(getattr(exc, "details", None), dict) else None
    return dict(out) if isinstance(out, dict) else {}


def uncertain_record(output: Any) -> dict[str, Any] | None:
    rec = output.get(UNCERTAIN) if isinstance(output, dict) else None
    return rec if isinstance(rec, dict) and "key" in rec else None


class ToolGuard:
    """The effect hooks (``openai_agents_replay.Steps.effects``) of an engine's agent step:
    no ledger (the engine's history is the ledger), only the ``check`` before a call."""

    def __init__(self, wf: Any, retry_count: int, forgotten: Any = ()) -> None:
        self.wf, self.retry_count, self.forgotten = wf, retry_count, tuple(forgotten or ())

    def before(self, name: str, scope: Any, args: Any) -> None:
        check(self.wf, name, scope, args, self.retry_count, self.forgotten)
        return None

    def after(self, key: Any, result: Any) -> None:
        return None

    def raised(self, key: Any, exc: BaseException) -> None:
        return None

    def paused(self, key: Any) -> None:
        return None
