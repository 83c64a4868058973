"""Calls of classified effects on the local target: the ledger around each one
(docs/effects.md). Shared by the graph executor (a node named in the policy) and the agent
runner (a function tool named in the policy).

* before the call, its ledger row is committed as ``started`` (with the arguments);
* after it, ``done`` with the result and its digest (or ``failed`` when it raised);
* an ``at_most_once`` call whose row a previous attempt left ``started`` (the process
  died during the call, so nobody knows whether the effect happened) is not called
  again: the run fails with AC305 until a human decides (``agentc effects RUN_ID --forget
  KEY`` when it did not happen, ``agentc cancel RUN_ID`` to compensate and stop).
"""

from __future__ import annotations

from typing import Any

from agentc.errors import Code, RunFailed
from agentc.ir import Workflow
from agentc.semantics.effects import EffectScope, digest

from . import effects_ledger as ledger
from .journal import Journal

LEDGERED = ("idempotent", "keyed", "at_most_once", "compensable")


class EffectCalls:
    def __init__(self, wf: Workflow, journal: Journal, run_id: str, on_event: Any = None) -> None:
        self.wf, self.journal, self.run_id = wf, journal, run_id
        self.on_event = on_event or (lambda kind, info: None)
        """Observes each ledger commit (``effect_start``, ``effect_done``), as the executor's."""

    def kind(self, name: str) -> str | None:
        rule = self.wf.effect(name)
        return rule.kind if rule is not None else None

    def no_retry(self, name: str) -> bool:
        """``at_most_once``: never retried automatically (a RetryPolicy does not apply)."""
        return self.kind(name) == "at_most_once"

    def before(self, name: str, scope: EffectScope, args: Any) -> str | None:
        """Commit the ``started`` row; the effect's key (None: not ledgered)."""
        rule = self.wf.effect(name)
        if rule is None or rule.kind not in LEDGERED:
            return None
        key = scope.key(0)
        with self.journal.tx() as j:
            found = ledger.get(j.db, self.run_id, key)
            if (
                found is not None
                and found["status"] in ("started", "paused")
                and rule.kind == "at_most_once"
            ):
                raise RunFailed(
                    Code.EFFECT_UNCERTAIN,
                    f"{rule.on} {name!r} is at_most_once and a previous attempt was cut off during "
                    "the call: whether its effect happened is unknown, so it is not called again",
                    construct=f"{rule.on} {name!r}",
                    source=rule.source,
                    hint=f"check the service; if it did not happen: `agentc effects {self.run_id} "
                    f"--forget {key}` then `agentc resume {self.run_id}`; to undo the run: "
                    f"`agentc cancel {self.run_id}`",
                )
            ledger.start(
                j.db,
                self.run_id,
                key,
                name=name,
                target=rule.on,
                kind=rule.kind,
                path=scope.path,
                compensator=getattr(rule, "compensator", None),
                args=args,
            )
        self.on_event("effect_start", {"key": key, "name": name})
        return key

    def after(self, key: str | None, result: Any) -> None:
        if key is None:
            return
        with self.journal.tx() as j:
            ledger.finish(j.db, self.run_id, key, result, digest(result))
        self.on_event("effect_done", {"key": key})

    def paused(self, key: str | None) -> None:
        if key is None:
            return
        with self.journal.tx() as j:
            ledger.paused(j.db, self.run_id, key)

    def raised(self, key: str | None, exc: BaseException) -> None:
        if key is None:
            return
        with self.journal.tx() as j:
            ledger.failed(j.db, self.run_id, key, f"{type(exc).__name__}: {exc}")
