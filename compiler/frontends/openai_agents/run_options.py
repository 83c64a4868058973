"""``Runner.run``'s options (a ``RunConfig``, ``RunHooks``, ``RunErrorHandlers``) read into the IR
(``AgentSystem.run``), so they are fingerprinted like the agents: a different REF, or a
config whose fields changed, is a different workflow (docs/openai-agents.md,
"`Runner.run` parameters").

Every ``RunConfig`` field is either honoured on every target — the runtime
(``runtime_shims/run_options.py``) builds the config again in each drive, with its model
provider, model and guardrails journaled — or refused here (AC200, naming the field).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ...errors import Code, Diagnostic, ErrorLevel, Warnings
from ...ir import Workflow
from ...ir.model import AgentGuardrail, AgentProgram, AgentRunOptions
from ...run_refs import RunRefs, load_error_handlers, load_run_config, load_run_hooks
from .reader import _src, stable

REFUSED = {
    "sandbox": "SandboxAgent execution runs outside the journal",
    "tool_execution": "the engines run the tool calls of one response as parallel steps of their "
    "own, "
    "so a concurrency bound or pre-approval guardrails would not be the SDK's",
}
"""RunConfig fields agentc cannot honour durably, with the reason (refused when set)."""

HONOURED = frozenset(
    {
        "model",
        "model_provider",
        "model_settings",
        "handoff_input_filter",
        "nest_handoff_history",
        "handoff_history_mapper",
        "input_guardrails",
        "output_guardrails",
        "tracing_disabled",
        "tracing",
        "trace_include_sensitive_data",
        "workflow_name",
        "trace_id",
        "group_id",
        "trace_metadata",
        "session_input_callback",
        "call_model_input_filter",
        "tool_error_formatter",
        "session_settings",
        "reasoning_item_id_policy",
        "tool_not_found_behavior",
        "tool_name_collision_policy",
        "output_guardrail_blocked_message",
    }
)
"""RunConfig fields every target honours (docs/openai-agents.md, "`RunConfig` fields"). A
field in neither set — one a newer SDK added — is refused when set (AC200), so nothing the
SDK would do differently under a durable run passes unexamined."""

GUARDRAILS = ("input_guardrails", "output_guardrails")


def read_run_options(
    wf: Workflow, refs: RunRefs, warnings: Warnings, level: ErrorLevel
) -> Workflow:
    """``wf`` with ``agents.run`` describing ``refs`` (unchanged when there are none)."""
    if not refs or not isinstance(wf.body, AgentProgram):
        return wf
    options = AgentRunOptions(hooks=refs.hooks)
    if refs.hooks:
        load_run_hooks(refs.hooks)  # a REF that names no RunHooks is a diagnostic now
    if refs.session:
        options = options.model_copy(update={"session": refs.session})
        _check_session(refs.session)
    if refs.error_handlers:
        handlers = load_error_handlers(refs.error_handlers)
        options = options.model_copy(
            update={
                "error_handlers": refs.error_handlers,
                "error_kinds": {k: stable(h) for k, h in sorted(handlers.items())},
            }
        )
    if refs.run_config:
        options = _describe(
            refs.run_config, load_run_config(refs.run_config), options, warnings, level
        )
    warnings.raise_if_refused()
    return wf.model_copy(
        update={"body": AgentProgram(system=wf.agents.model_copy(update={"run": options}))}
    )


def _check_session(ref: str) -> None:
    """A session named directly (not by a factory of the run context) is checked now."""
    from ...refs import load_ref
    from ...run_refs import is_session, refuse_server_session

    obj = load_ref(ref)
    if is_session(obj):
        refuse_server_session(obj, ref)


def _default(default: Any, f: dataclasses.Field[Any]) -> Any:
    """The field's value in ``RunConfig()``, else its own default (a subclass's field)."""
    if hasattr(default, f.name):
        return getattr(default, f.name)
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None if f.default is dataclasses.MISSING else f.default


def _describe(
    ref: str, config: Any, options: AgentRunOptions, warnings: Warnings, level: ErrorLevel
) -> AgentRunOptions:
    from agents import RunConfig

    default = RunConfig()
    settings: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        if f.name in GUARDRAILS:
            continue
        value = stable(getattr(config, f.name))
        if value == stable(_default(default, f)):
            continue
        if f.name not in HONOURED:
            reason = REFUSED.get(f.name, "this agentc does not know the field (a newer SDK's?)")
            warnings.refuse(
                Diagnostic(
                    Code.UNSUPPORTED,
                    f"RunConfig.{f.name} is not supported: {reason}",
                    construct=f"{ref}.{f.name}",
                    hint=f"leave {f.name} unset in the run config, or run with Runner.run",
                ),
                level,
            )
            continue
        settings[f.name] = value

    def guards(items: Any) -> tuple[AgentGuardrail, ...]:
        return tuple(
            AgentGuardrail(
                name=g.get_name(),
                run_in_parallel=getattr(g, "run_in_parallel", True),
                source=_src(g.guardrail_function),
            )
            for g in items or ()
        )

    return options.model_copy(
        update={
            "run_config": ref,
            "settings": settings,
            "input_guardrails": guards(config.input_guardrails),
            "output_guardrails": guards(config.output_guardrails),
        }
    )
