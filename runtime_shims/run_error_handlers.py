"""``Runner.run(error_handlers=...)`` on a journaled drive (``--error-handlers REF``;
docs/openai-agents.md, "Error handlers").

The SDK calls a handler where it would raise ``MaxTurnsExceeded`` (``max_turns``), a
``ModelRefusalError`` (``model_refusal``) or a ``ModelBehaviorError`` for a final output
that does not validate (``invalid_final_output``); what the handler returns becomes the
run's final output (or, with None, the error is raised as before). A drive replays the run
from the journal, so the SDK reaches the handler again on every drive after the first one
that did. Each call is therefore journaled like a hook — keyed by error kind, agent and
occurrence: the first drive that reaches it calls the user's handler and records what it
returned with the changes it made to the run context; later drives return that and apply
those changes. The handler runs once per run, on every engine, and a replay ends the run
with the same final output even if the handler would now answer otherwise.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from agentc.run_refs import load_error_handlers
from agentc.runtime_shims import openai_agents_replay as replay


def journaled_error_handlers(ref: str) -> dict[str, Callable[..., Any]]:
    """The ``RunErrorHandlers`` a REF names, each handler journaled."""
    return {kind: _journaled(kind, handler) for kind, handler in load_error_handlers(ref).items()}


def _journaled(kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
    async def handler(data: Any) -> Any:
        async def call() -> Any:
            out = original(data)
            return await out if inspect.isawaitable(out) else out

        steps = replay._ACTIVE.get()
        if steps is None:  # outside agentc's drives the user's handler runs as is
            return await call()
        agent = getattr(getattr(getattr(data, "run_data", None), "last_agent", None), "name", "")
        key, _ = steps.occurrence(f"error_handler:{kind}:{agent}")
        context = getattr(getattr(data, "context", None), "context", None)
        await steps.reached(key)
        if key in steps.done:
            result, changes = steps.done[key]
            replay.apply_changes(context, changes)
            return result
        if steps.closing:  # a cancelled drive: the run ends in another one
            return None
        steps.live()
        before = replay.context_before(context)
        result = await call()
        steps.record(key, "error_handler", (result, replay.context_changes(before, context)))
        return result

    handler.agentc_original = original  # type: ignore[attr-defined]
    return handler
