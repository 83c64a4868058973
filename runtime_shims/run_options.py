"""``Runner.run``'s options for one journaled drive of a run (``AgentSystem.run`` of the IR,
read by ``frontends/openai_agents/run_options.py``; docs/openai-agents.md, "`Runner.run`
parameters").

The ``RunConfig`` and ``RunHooks`` are built again in every drive from their REFs
(``agentc.run_refs``) and given to the SDK's own ``Runner.run``, so every rule they set is
the SDK's. What a drive changes keeps the run durable:

* the config's **model provider** is wrapped by the journaling provider, and a ``Model``
  object given as its ``model`` by the journaling model, so model calls resolved through
  the config are journaled like the agents' own (a replayed drive never calls them again);
* its **input/output guardrails** are journaled like the agents' guardrails, under the
  name ``RUN_CONFIG_AGENT`` (an output guardrail is a workflow step of its own on the
  engines, as an agent's is);
* the **run hooks** are journaled like agent hooks: each event fires once per run, on the
  first drive that reaches it, whatever the engine (``openai_agents_replay.journaled_hook``).

The user's objects are never modified: the drive's config is a copy.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

from agentc.ir.model import RUN_CONFIG_AGENT
from agentc.run_refs import load_run_config, load_run_hooks
from agentc.runtime_shims import openai_agents_replay as replay

RUN_HOOK_EVENTS = (
    "on_agent_start",
    "on_agent_end",
    "on_handoff",
    "on_tool_start",
    "on_tool_end",
    "on_llm_start",
    "on_llm_end",
)
"""``RunHooksBase``'s methods (tests/test_run_options.py checks this list against the SDK)."""

RUN_HOOKS_LABEL = "run"
"""Where run-hook events are journaled (``hook:<event>:run:<agent and detail>``)."""


def drive_kwargs(options: Any, steps: Any, context: Any = None) -> dict[str, Any]:
    """``Runner.run``'s ``run_config``, ``hooks``, ``error_handlers`` and ``session`` for one
    drive (only those the run has; ``context``: the run context a session factory reads)."""
    out: dict[str, Any] = {}
    if options.run_config:
        out["run_config"] = drive_config(load_run_config(options.run_config), steps)
    if options.hooks:
        out["hooks"] = journaled_run_hooks(load_run_hooks(options.hooks))
    if options.error_handlers:
        from agentc.runtime_shims.run_error_handlers import journaled_error_handlers

        out["error_handlers"] = journaled_error_handlers(options.error_handlers)
    if options.session:  # the drive's in-memory session over a journaled snapshot (run_sessions.py)
        from agentc.runtime_shims.run_sessions import DriveSession, load_session

        out["session"] = DriveSession(load_session(options.session, context), steps)
    return out


def drive_config(config: Any, steps: Any) -> Any:
    """A copy of ``config`` whose model calls and guardrails are journaled in ``steps``."""
    from agents.models.interface import Model

    model = config.model
    if isinstance(model, Model):
        model = replay.JournaledModel(model, RUN_CONFIG_AGENT, steps)
    return dataclasses.replace(
        config,
        model=model,
        model_provider=replay.JournaledProvider(config.model_provider, steps),
        input_guardrails=[
            _journaled_guardrail("input", g, steps) for g in config.input_guardrails or ()
        ]
        or None,
        output_guardrails=[
            _journaled_guardrail("output", g, steps) for g in config.output_guardrails or ()
        ]
        or None,
    )


def _journaled_guardrail(kind: str, guardrail: Any, steps: Any) -> Any:
    """A copy of a run config's guardrail whose result is journaled (keyed under
    ``RUN_CONFIG_AGENT``, so an agent guardrail of the same name is another step)."""
    name, original = guardrail.get_name(), guardrail.guardrail_function

    async def guardrail_function(*args: Any, **kwargs: Any) -> Any:
        async def call() -> Any:
            out = original(*args, **kwargs)
            return await out if inspect.isawaitable(out) else out

        key, scope = steps.occurrence(f"guardrail:{kind}:{RUN_CONFIG_AGENT}:{name}")
        effect = replay.Effect(
            key, f"{kind}_guardrail", scope, {"guardrail": name, "agent": RUN_CONFIG_AGENT}
        )
        return (await steps.perform(effect, call))[1]

    return dataclasses.replace(guardrail, guardrail_function=guardrail_function, name=name)


def journaled_run_hooks(inner: Any) -> Any:
    """A ``RunHooks`` (the SDK checks the type) whose events are the user's, journaled."""
    from agents import RunHooks

    hooks: Any = RunHooks()
    for event in RUN_HOOK_EVENTS:
        setattr(
            hooks,
            event,
            replay.journaled_hook(getattr(inner, event), event, RUN_HOOKS_LABEL, _detail),
        )
    return hooks


def _detail(event: str, args: tuple[Any, ...]) -> str:
    """What tells two run-hook events of one kind apart besides their order: the agent
    (one hooks object sees every agent), the handoff's target, the tool and its call id."""
    agent = str(getattr(args[1], "name", "")) if len(args) >= 2 else ""
    if event == "on_handoff" and len(args) >= 3:
        return f"{agent}->{getattr(args[2], 'name', '')}"
    if event in ("on_tool_start", "on_tool_end") and len(args) >= 3:
        return (
            f"{agent}:{getattr(args[2], 'name', '')}:{getattr(args[0], 'tool_call_id', None) or ''}"
        )
    return agent
