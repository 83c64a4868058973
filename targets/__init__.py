"""Targets lower the IR to an engine. The registry is keyed by target name (the folder
name), sqlglot-dialect style; later issues add ``conductor`` and ``temporal`` here."""

from __future__ import annotations

import importlib
from typing import Any

TARGETS: dict[str, str] = {
    "ir": "agentc.targets.ir_target",
    "local": "agentc.targets.local",
    "conductor": "agentc.targets.conductor",
    "temporal": "agentc.targets.temporal",
}


def get(name: str) -> Any:
    from agentc.errors import AgentcError, Code

    if name not in TARGETS:
        raise AgentcError(
            Code.UNKNOWN_TARGET,
            f"unknown target {name!r}",
            construct=name,
            hint=f"choose one of: {', '.join(sorted(TARGETS))}",
        )
    return importlib.import_module(TARGETS[name])
