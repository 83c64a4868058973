"""Compensation in generated Temporal workflows (docs/effects.md, "Other targets").

A workflow whose graph has ``compensable`` nodes is generated as a saga: its steps run
inside ``SagaRun.saga``, each completed compensable step's ``effect`` record (its key,
compensator REF, arguments and result, from ``steps.py``) is kept in workflow state —
which the history makes durable, so a replayed or recovered workflow has the same list —
and when the run fails terminally or is cancelled, one ``agentc-compensate`` activity per
effect runs the compensators in reverse order before the failure or the cancellation is
reported. A node that fails in user code is terminal in a saga once an effect has
completed (as on the local target), instead of waiting for ``agentc resume``.

A worker killed during a compensation is retried by the server (bounded attempts, then
the workflow fails loudly); the compensator's keys are derived from its effect's, so the
service undoes the effect once. Workflow code: deterministic, no I/O.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ChildWorkflowError

from .protocol import EffectLog
from .step_audit import FIELD, latest

COMPENSATE = "agentc-compensate"
"""The activity type that runs one compensator (registered by ``activities_for``)."""


class SagaRun:
    """Mixed into ``AgentWorkflow`` and ``AgentLoopWorkflow`` (an agent system's tools:
    ``runtime_shims/agent_effects.py``): the effect list and the saga around the steps."""

    effects: EffectLog
    undone: list[str]

    def saga_init(self) -> None:
        self.effects = EffectLog()
        self.undone = []

    def keep_effect(self, output: Any) -> None:
        """Keep a step's effect record; a node re-run after ``interrupt()`` reports the same
        key again (with its result once it completes): the latest record wins."""
        if isinstance(output, dict) and isinstance(output.get("effect"), dict):
            self.effects.add(output["effect"])

    async def saga(self, steps: Any) -> Any:
        try:
            return await steps
        except asyncio.CancelledError:
            await self._compensate()
            raise
        except (ActivityError, ChildWorkflowError):  # a step or a child workflow failed for good
            await self._compensate()
            raise

    async def _compensate(self) -> None:
        # the run's effect chain (step_audit.py): each compensation appends its record
        head = getattr(self, "audit", None) or latest((getattr(self, "out", None) or {}).values())
        # the first also chains the agent tool calls no model step followed (agent_effects)
        tools = [r for r in self.effects.to_list() if r.get("target") == "tool"]
        for effect in self.effects.to_undo(self.undone):
            payload = {"effect": effect, "run_id": workflow.info().workflow_id, "audit": head}
            if tools:
                payload["records"], tools = tools, []
            done = await workflow.execute_activity(
                COMPENSATE,
                payload,
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=5),
            )
            head = (done or {}).get(FIELD) or head
            self.undone.append(effect["key"])


def compensate_activity() -> Any:
    @activity.defn(name=COMPENSATE)
    def compensate(payload: dict) -> dict[str, Any] | None:
        from agentc.runtime_shims.compensators import compensate as run_compensator
        from agentc.runtime_shims.step_audit import compensated

        from agentc.runtime_shims.agent_effects import unchained_tools

        run_compensator(payload["effect"], payload["run_id"])
        effect = payload["effect"]
        head = unchained_tools(payload.get("audit"), payload.get("records") or [])
        return {FIELD: compensated(head, [effect["key"]], [effect["name"]])}

    return compensate
