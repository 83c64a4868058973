"""The ``ir`` target: the IR itself as canonical JSON (what golden files hold)."""

from __future__ import annotations

from agentc import ir as IR
from agentc.artifact import Artifact
from agentc.ir import Workflow

UNSUPPORTED: tuple[str, ...] = ()


def lower(wf: Workflow) -> Artifact:
    return Artifact(target="ir", name=wf.name, files={f"{wf.name}.ir.json": IR.dump(wf)})


def validate(artifact: Artifact) -> list[str]:
    from agentc.ir.verify import verify

    problems = []
    for rel, text in artifact.files.items():
        if rel.endswith(".ir.json"):
            try:
                verify(IR.load(text))
            except Exception as exc:  # noqa: BLE001 - reported as a validation problem
                problems.append(f"{rel}: {exc}")
    return problems
