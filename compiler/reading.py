"""Reading an agent into its verified IR and its live object: the frontend pipeline
(frontend, passes, ``Runner.run`` options, effect policy, policies) and the run-time checks
of an input and a context against the graph's schemas.

The API (``agentc.load``, ``agentc.run``), the CLI and the targets' run drivers (the Temporal
engine's worker and starter, the Conductor simulation and server worker) all read a REF the
same way, so it lives below the targets (docs/architecture.md, "Layers"): a run driver
re-reads the live graph without importing the API above it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from .errors import AgentcError, Code, ErrorLevel, Warnings
from .ir import GraphProgram, Workflow


def entry_and_obj(obj: Any) -> tuple[str | None, Any]:
    """The REF of ``obj`` (a REF string, or found among the modules its code lives in; None
    when it has none) and the live object."""
    from .refs import find_ref, load_ref

    if isinstance(obj, str):
        return obj, load_ref(obj)
    from .frontends.openai_agents import is_agent

    if is_agent(
        obj
    ):  # an Agent instance has no __module__: look where its code lives, then everywhere
        from .agent_context import modules_of

        return find_ref(obj, modules_of(obj)) or find_ref(obj, sorted(sys.modules)), obj
    builder = getattr(obj, "builder", None)
    modules = sorted(
        {
            getattr(getattr(s, "runnable", None), "__module__", None) or ""
            for s in getattr(builder or obj, "nodes", {}).values()
        }
        - {""}
    )
    funcs = [
        getattr(getattr(s, "runnable", None), "func", None)
        for s in getattr(builder or obj, "nodes", {}).values()
    ]
    modules += sorted(
        {f.__module__ for f in funcs if f is not None and getattr(f, "__module__", None)}
    )
    return find_ref(obj, modules), obj


def read_workflow(
    entry: str | None,
    live: Any,
    level: ErrorLevel = ErrorLevel.WARN,
    warnings: Warnings | None = None,
    policy: str | Path | None = None,
    refs: Any = None,
) -> Workflow:
    """``refs``: the exact ``Runner.run`` option REFs (``run_refs.RunRefs``; None: the
    defaults of ``run_refs.chosen``)."""
    from .frontends import read
    from .passes import run_passes
    from .policy import attach

    from .policies import apply_policies

    warnings = warnings if warnings is not None else Warnings()
    wf = run_passes(read(live, entry=entry, level=level, warnings=warnings), warnings, level)
    wf = run_options(wf, refs, warnings, level)
    policy = (
        policy if policy is not None else os.environ.get("AGENTC_POLICY")
    )  # `agentc --policy FILE`
    wf = attach(wf, live, policy, warnings=warnings, level=level)  # [effects]: docs/effects.md
    # ErrorLevel.RAISE: everything the frontend, the passes and the policy collected
    warnings.raise_errors()
    return apply_policies(wf, live, policy)  # [policies]: docs/policies.md


def run_options(wf: Workflow, refs: Any, warnings: Warnings, level: ErrorLevel) -> Workflow:
    """An agent system's ``Runner.run`` options into the IR (docs/openai-agents.md); a
    graph given them explicitly is refused (the environment's and pyproject's apply to agents)."""
    if wf.body.kind == "graph":
        if refs:
            raise AgentcError(
                Code.IGNORED_OPTION,
                f"{wf.name} is a LangGraph graph; --run-config, --run-hooks, "
                "--error-handlers and --session are Runner.run options of OpenAI Agents SDK agents",
                construct="--run-config",
                hint="drop them for this graph",
            )
        return wf
    from .frontends.openai_agents.run_options import read_run_options

    from .run_refs import chosen

    return read_run_options(wf, refs if refs is not None else chosen(), warnings, level)


def check_input(wf: Workflow, live: Any, value: Any) -> Any:
    """Input must be a JSON object whose keys the graph's input schema has, with values
    of the declared types (what LangGraph would otherwise drop or fail on later)."""
    from .frontends.langgraph.inputs import validate_input

    return validate_input(wf, live, value)


def check_context(wf: Workflow, live: Any, context: Any) -> Any:
    """The run's context as the graph's ``context_schema`` object (a dict is built into
    it); AC111 when the schema rejects it (a missing or an unknown field)."""
    if (
        context is None
        or not isinstance(wf.body, GraphProgram)
        or wf.graph.context_schema is None
        or not isinstance(context, dict)
    ):
        return context
    from agentc.semantics.langgraph_calls import Resolver

    cls = Resolver(live)(wf.graph.context_schema)
    try:
        return cls(**context)
    except Exception as exc:  # noqa: BLE001 - user's schema rejected it
        raise AgentcError(
            Code.INPUT_SCHEMA,
            f"context does not fit {cls.__name__}: {exc}",
            construct="--context",
            source=wf.graph.context_schema.source,
            hint=f"pass a JSON object with the fields of {cls.__name__}",
        ) from None


def workflow_and_live(
    obj: Any, policy: str | Path | None = None, refs: Any = None
) -> tuple[Workflow, Any]:
    """``refs``: the ``Runner.run`` option REFs (``run_refs.RunRefs``; None: the defaults)."""
    from .refs import load_ref

    if isinstance(obj, str) and Path(obj).is_dir() and (Path(obj) / "manifest.json").exists():
        from agentc import ir as IR

        manifest = json.loads((Path(obj) / "manifest.json").read_text())
        wf = IR.load((Path(obj) / manifest["ir"]).read_text())
        return wf, load_ref(manifest["entry"])
    entry, live = entry_and_obj(obj)
    return read_workflow(entry, live, policy=policy, refs=refs), live


def agent_context(live: Any, context: Any, factory: Any = None) -> tuple[Any, str | None]:
    """An agent system's run context from JSON, or its factory's REF and arguments:
    see ``agent_context.run_context``."""
    from .agent_context import run_context

    return run_context(live, context, factory)
