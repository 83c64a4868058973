"""The ``local`` target: the embedded durable executor (SQLite journal), zero setup.

``lower`` freezes the IR plus a manifest saying how to run it; ``agentc run DIR`` executes
that frozen IR, importing the user's code from the manifest's entry REF.
"""

from __future__ import annotations

import json

from agentc import ir as IR
from agentc.artifact import Artifact
from agentc.ir import Workflow

# What this target does not support, refused by the frontend with a diagnostic:
UNSUPPORTED = (
    "LangGraph functional API (@entrypoint/@task)",
    "node error_handler (LangGraph 1.2)",
    "DeltaChannel / UntrackedValue / custom channel classes",
)


def lower(wf: Workflow) -> Artifact:
    manifest = {
        "target": "local",
        "workflow": wf.name,
        "entry": wf.entry,
        "ir": f"{wf.name}.ir.json",
        "ir_version": wf.ir_version,
        "run": f"agentc run {wf.entry} --input JSON" if wf.entry else None,
    }
    return Artifact(
        target="local",
        name=wf.name,
        files={
            f"{wf.name}.ir.json": IR.dump(wf),
            "manifest.json": json.dumps(manifest, indent=2, sort_keys=True) + "\n",
        },
    )


def validate(artifact: Artifact) -> list[str]:
    from agentc.targets.ir_target import validate as validate_ir

    problems = validate_ir(artifact)
    if "manifest.json" not in artifact.files:
        problems.append("manifest.json missing")
    return problems
