"""The ``conductor`` target: Conductor (conductor-oss / Orkes) workflow and task definitions.

``lower`` writes one WorkflowDef per graph level (``<name>.workflow.json``, subgraphs as
``<name>-<node>.workflow.json``), one TaskDef per worker task (``taskdefs.json``), and a
``manifest.json`` (entry REF, plan id, what each task type runs, the compile report).
``agentc worker conductor REF`` serves the tasks; ``agentc simulate DIR`` runs them
offline by Conductor's runtime semantics. See docs/conductor.md.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from agentc.artifact import Artifact
from agentc.ir import BodyKind, Workflow

# Refused with a diagnostic (AC200) at compile time:
UNSUPPORTED = (
    "graphs with more than 256 distinct superstep schedules",
    "Send to a subgraph node, or to a node that calls interrupt()",
    "agents used as tools whose own tools need approval; tools outside the function-tool interface",
    "interrupt() called more often at run time than call sites found in the node (fails the task)",
)


def _sorted(value: object) -> object:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _dump(value: object) -> str:
    """Indented, key-sorted JSON — ``json.dumps(indent=2, sort_keys=True,
    ensure_ascii=False)`` byte for byte, by pydantic-core's encoder (the stdlib's pure-Python
    indenting encoder was a third of the compile time at 1,000 nodes)."""
    import pydantic_core

    return pydantic_core.to_json(_sorted(value), indent=2).decode() + "\n"


def lower(wf: Workflow) -> Artifact:
    from agentc.policies import refuse_unsupported

    refuse_unsupported(
        wf, "conductor"
    )  # docs/policies.md: rules this target cannot enforce are refused
    if wf.body.kind == "graph":
        from agentc.targets.fanout_blocks import refuse_mixed

        refuse_mixed(
            wf, "conductor"
        )  # the one fan-out policy shape the targets do not enforce (AC200)
    res, root = _LOWERINGS[wf.body.kind](wf)
    files = {f"{name}.workflow.json": _dump(d) for name, d in res.workflows.items()}
    files["taskdefs.json"] = _dump([res.task_defs[k] for k in sorted(res.task_defs)])
    files["manifest.json"] = _dump(
        {
            "target": "conductor",
            "workflow": root,
            "entry": wf.entry,
            "plan": res.plan_id,
            "ir_version": wf.ir_version,
            "workflows": sorted(res.workflows),
            "task_types": res.layout.task_kinds,
            "report": res.layout.report,
            "run": {
                "worker": f"agentc worker conductor {wf.entry} --server URL",
                "deploy": f"agentc deploy {wf.entry} --server URL",
            },
        }
    )
    return Artifact(
        target="conductor",
        name=wf.name,
        files=files,
        notes=tuple(f"conductor: {line}" for line in res.layout.report),
    )


def _lower_graph(wf: Workflow) -> tuple[Any, str]:
    """A graph: its superstep plan as workflow definitions (lowering.py); the root's name."""
    from .lowering import lower_workflow

    res = lower_workflow(wf)
    return res, res.layout.root.workflow


def _lower_agents(wf: Workflow) -> tuple[Any, str]:
    """An agent system: one loop workflow per agent run (agents.py); the root's name."""
    from .agents import lower_agents

    res = lower_agents(wf)
    return res, res.layout.workflow


_LOWERINGS: dict[BodyKind, Callable[[Workflow], tuple[Any, str]]] = {
    "graph": _lower_graph,
    "agents": _lower_agents,
}
"""This target's lowering, by the kind of the workflow's body (docs/architecture.md)."""


def validate(artifact: Artifact) -> list[str]:
    from .emulator.validator import render, validate_documents

    docs = [
        (name, json.loads(text))
        for name, text in sorted(artifact.files.items())
        if name != "manifest.json"
    ]
    return [render(v) for v in validate_documents(docs, server="all")]
