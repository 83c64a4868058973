"""The agentc IR: models, JSON round-trip, JSON Schema, verifier."""

from __future__ import annotations

import json
from typing import Any

from .model import (  # noqa: F401
    END,
    IR_VERSION,
    READABLE_IR_VERSIONS,
    START,
    AnyValueChannel,
    Branch,
    CallableRef,
    Channel,
    Edge,
    EphemeralChannel,
    FunctionNode,
    Graph,
    IdleTimeout,
    InterruptPoint,
    LastValueChannel,
    ManagedChannel,
    Node,
    ReducerChannel,
    RetryPolicy,
    RunnableNode,
    SourceRef,
    StateSchema,
    SubgraphNode,
    ToolNodeStep,
    TopicChannel,
    WaitingEdge,
    Workflow,
    AgentProgram,
    Body,
    BodyKind,
    GraphProgram,
    WrongBody,
    AtMostOnceEffect,
    CompensableEffect,
    EffectPolicy,
    IdempotentEffect,
    KeyedEffect,
    PureEffect,
)
from ..errors import AgentcError, Code
from .identity import fingerprint, structure, without_positions  # noqa: F401


def dump(ir: Workflow) -> str:
    """Canonical JSON: stable key order and formatting, so re-runs are byte-identical."""
    return (
        json.dumps(ir.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


def load(text: str | bytes | dict[str, Any]) -> Workflow:
    """An IR file, journal row or manifest's IR of any version this agentc reads (IR 1.0 is
    upgraded on the way in: ``Workflow._upgrade``); another version is refused by name."""
    data = json.loads(text) if isinstance(text, (str, bytes)) else text
    version = data.get("ir_version") if isinstance(data, dict) else None
    if version is not None and version not in READABLE_IR_VERSIONS:
        raise AgentcError(
            Code.INVALID_IR,
            f"IR version {version!r} is not one this agentc reads",
            construct=str(data.get("name", "")),
            hint=f"this agentc reads IR {', '.join(READABLE_IR_VERSIONS)}: recompile the agent "
            "with it, or use the agentc that wrote the file",
        )
    return Workflow.model_validate(data)


def json_schema() -> dict[str, Any]:
    return Workflow.model_json_schema()
