"""Replay of an OpenAI Agents SDK run on the local executor (``targets/local/agent_runs``).

The record's model turns and tool results are already journaled (``replay._seed``), so the
SDK's own ``Runner.run`` gets them back from the journal instead of calling the model or
the tool. A step the journal does not hold runs live (the agent's own model, or the
``model`` the user names), or, with ``then="stop"``, ends the replay there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from agentc.errors import AgentcError
from agentc.runtime_shims import openai_agents_replay as journaled
from agentc.runtime_shims.audit_events import History
from agentc.targets.local.agent_runs import AgentRunner

from .replay import RecordEnds


class OrderedSteps(journaled.Steps):
    """Notes the order in which the SDK's steps complete, replayed or live: the replay's
    history lists them in that order (the journal's commit order puts every seeded step first)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order: list[str] = []

    async def perform(self, effect: journaled.Effect, execute: Any) -> Any:
        out = await super().perform(effect, execute)
        self.order.append(effect.key)  # on completion, as the journal commits them
        return out


@contextlib.contextmanager
def models_replaced(start: Any, model: Any) -> Iterator[None]:
    """Every reachable agent's model is ``model`` for the drive (put back afterwards)."""
    if model is None:
        yield
        return
    agents = journaled.reachable_agents(start)
    saved = [(a, a.model) for a in agents]
    try:
        for a in agents:
            object.__setattr__(a, "model", model)
        yield
    finally:
        for a, m in saved:
            object.__setattr__(a, "model", m)


def drive_agents(
    wf: Any,
    live: Any,
    journal: Any,
    run_id: str,
    h: History,
    then: str,
    model: Any,
    counter: Any,
    live_tools: bool = False,
    used: dict[str, int] | None = None,
) -> Any:
    """``used`` receives the keys of the steps the SDK asked for (recorded or live), in order."""
    from agentc import api

    ended: list[str] = []

    def admit(effect: journaled.Effect) -> str:
        if then == "stop" and not (effect.kind == "tool" and live_tools):
            what = {
                "model": f"model call of agent {effect.info.get('agent')!r}",
                "tool": f"tool call {effect.info.get('tool')!r}",
            }.get(effect.kind, effect.kind)
            ended.append(f"{what} (step {effect.key}): the record has no result for it")
            raise RecordEnds(ended[-1])
        if effect.kind == "model":
            counter.live += 1
        return journaled.RUN

    runner = AgentRunner(wf, live, journal)
    runner.admit = admit  # type: ignore[method-assign]
    runner.steps_class = OrderedSteps  # type: ignore[assignment]
    from .replay import _decode

    first = next((e for e in h.events if e.kind == "input"), None)
    recorded = _decode(first) if first is not None and first.raw else {}
    factory = recorded.get("context_factory")
    ctx = h.context if factory else api.agent_context(live, h.context)[0]
    try:
        with models_replaced(live, model):
            return runner.start(
                recorded.get("input"),
                run_id=run_id,
                context=ctx,
                max_turns=recorded.get("max_turns"),
                context_factory=factory,
            )
    except AgentcError:
        if ended:
            raise RecordEnds(ended[0]) from None
        raise
    finally:
        steps = getattr(runner, "steps", None)
        if steps is not None and used is not None:
            used["input"] = -1
            for i, key in enumerate(steps.order):
                used[key] = (
                    i  # the last completion: an agent tool that paused completes on a later drive
                )
