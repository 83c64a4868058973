"""Run one recorded effect's compensator: the engines' compensation step (Conductor's
failure workflow task, Temporal's saga activity; docs/effects.md).

It loads the user's compensator by its reference (``agentc.refs``), which is why it lives
here and not beside the effect keys in ``agentc.semantics.effects``: the semantics package
imports nothing of agentc above the IR (docs/architecture.md, "Layers").
"""

from __future__ import annotations

from typing import Any

from agentc.refs import load_ref
from agentc.semantics.effects import EffectScope, active


def compensate(effect: dict[str, Any], run_id: str) -> None:
    """Run one effect's compensator (an engine's compensation step): with the effect's
    arguments and result, and keys derived from the effect's (``compensated_key``)."""
    with active(EffectScope(run_id, f"{effect['path']}/compensate", origin=effect["key"])):
        load_ref(effect["compensator"])(effect["args"], effect["result"])
