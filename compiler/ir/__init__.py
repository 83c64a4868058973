"""The agentc IR: models, JSON round-trip, JSON Schema, verifier."""
from __future__ import annotations

import json
from typing import Any

from .model import (  # noqa: F401
    END, IR_VERSION, START, AnyValueChannel, Branch, CallableRef, Channel, Edge,
    EphemeralChannel, FunctionNode, Graph, InterruptPoint, LastValueChannel, ManagedChannel,
    Node, ReducerChannel, RetryPolicy, RunnableNode, SourceRef, StateSchema, SubgraphNode,
    ToolNodeStep, TopicChannel, WaitingEdge, Workflow,
    AtMostOnceEffect, CompensableEffect, EffectPolicy, IdempotentEffect, KeyedEffect, PureEffect,
)
from .identity import fingerprint, structure, without_positions  # noqa: F401


def dump(ir: Workflow) -> str:
    """Canonical JSON: stable key order and formatting, so re-runs are byte-identical."""
    return json.dumps(ir.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load(text: str | bytes | dict[str, Any]) -> Workflow:
    data = json.loads(text) if isinstance(text, (str, bytes)) else text
    return Workflow.model_validate(data)


def json_schema() -> dict[str, Any]:
    return Workflow.model_json_schema()
