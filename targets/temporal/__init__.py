"""The ``temporal`` target: readable Temporal workflow code, one module per graph level.

``lower`` writes ``agentc_<graph>_workflow.py`` (subgraphs as their own modules, run as
child workflows) and ``manifest.json`` (entry REF, plan id, workflow type and class per
module, activity names). The activities are agentc's step worker
(``runtime_shims/temporal_runtime.py``), registered by ``agentc worker temporal REF``.
See docs/temporal.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from agentc.artifact import Artifact
from agentc.ir import BodyKind, Workflow

# Refused with a diagnostic (AC200) at compile time (shared with the conductor target):
UNSUPPORTED = (
    "graphs with more than 256 distinct superstep schedules (or 4 per node)",
    "Send to a subgraph node, or to a node that calls interrupt()",
)


def default_task_queue(workflow_type: str) -> str:
    return f"agentc-{workflow_type}"


def lower(wf: Workflow) -> Artifact:
    from agentc.policies import refuse_unsupported

    refuse_unsupported(
        wf, "temporal"
    )  # docs/policies.md: rules this target cannot enforce are refused
    return _LOWERINGS[wf.body.kind](wf)


def _lower_graph(wf: Workflow) -> Artifact:
    """A graph: one module per graph level, each a workflow class (codegen.ModuleWriter)."""
    from agentc.plan.layout import layout

    from .codegen import ModuleWriter, class_name, format_source, module_name

    from agentc.targets.fanout_blocks import refuse_mixed

    refuse_mixed(
        wf, "temporal"
    )  # the one fan-out policy shape this target does not enforce (AC200)
    lay = layout(wf)
    files: dict[str, str] = {}
    modules = []
    for path in sorted(lay.levels, key=lambda p: (len(p), p)):
        level = lay.levels[path]
        mod = module_name(level.workflow)
        files[f"{mod}.py"] = format_source(ModuleWriter(wf, lay, level).source())
        modules.append(
            {
                "module": mod,
                "class": class_name(level.workflow),
                "workflow_type": level.workflow,
                "graph_path": list(path),
            }
        )
    return _artifact(wf, files, lay.root.workflow, lay, modules)


def _lower_agents(wf: Workflow) -> Artifact:
    """An agent system: one module, one workflow class per agent loop (codegen.agents_module)."""
    from agentc.plan.agents import agent_layout

    from .codegen import agents_module, class_name, module_name

    lay = agent_layout(wf)
    mod = module_name(lay.workflow)
    modules = [
        {"module": mod, "class": class_name(w), "workflow_type": w, "graph_path": []}
        for w in lay.workflows
    ]
    return _artifact(wf, {f"{mod}.py": agents_module(wf, lay)}, lay.workflow, lay, modules)


_LOWERINGS: dict[BodyKind, Callable[[Workflow], Artifact]] = {
    "graph": _lower_graph,
    "agents": _lower_agents,
}
"""This target's lowering, by the kind of the workflow's body (docs/architecture.md)."""


def _artifact(
    wf: Workflow, files: dict[str, str], root: str, lay: Any, modules: list[dict[str, Any]]
) -> Artifact:
    """The modules plus ``manifest.json`` (graphs and agent systems alike); ``lay`` is
    either layout: it has ``plan_id``, ``task_kinds`` and ``report``."""
    files["manifest.json"] = (
        json.dumps(
            {
                "target": "temporal",
                "workflow": root,
                "entry": wf.entry,
                "plan": lay.plan_id,
                "ir_version": wf.ir_version,
                "modules": modules,
                "activities": sorted(lay.task_kinds),
                "report": lay.report,
                "task_queue": default_task_queue(root),
                "run": {
                    "worker": f"agentc worker temporal {wf.entry} --address HOST:PORT",
                    "start": f"agentc run {wf.entry} --engine temporal --address HOST:PORT "
                    "--input JSON",
                },
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    return Artifact(
        target="temporal",
        name=wf.name,
        files=files,
        notes=tuple(f"temporal: {line}" for line in lay.report),
    )


def validate(artifact: Artifact) -> list[str]:
    from .check import check_artifact

    return check_artifact(artifact)


def validate_committed(artifact: Artifact, folder: Path) -> list[str]:
    """``agentc check``: replay the histories recorded beside the committed code
    (``<out>/temporal/<graph>/histories/*.json``) against the freshly compiled code, so a
    change that would break running workflows fails the check."""
    from .check import check_artifact, histories_in

    hist = histories_in(folder)
    return [p for p in check_artifact(artifact, hist) if "replay failed" in p] if hist else []
