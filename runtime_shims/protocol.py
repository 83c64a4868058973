"""The step protocol's one shared rule, in plain Python (no imports), so workflow code
(Temporal's sandbox) and workers use the same function: among the outputs of the steps
that may have run just before, the one to continue from is the latest that finished a
superstep — the highest ``step`` with a ``next``. Stale outputs (earlier loop iterations)
and paused attempts (no ``next``) lose. Conductor evaluates the same rule in JavaScript
(``targets/conductor/lowering.py`` ``pick_js``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable


@dataclass
class Outcome:
    """What a step worker answers for one task (graph steps and agent steps alike); it lives
    here, not in ``steps.py``, so ``agent_steps.py`` need not import ``steps.py``, which
    dispatches to it (docs/architecture.md, "No import cycles")."""

    status: str  # COMPLETED | FAILED | FAILED_WITH_TERMINAL_ERROR
    output: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


def pick(outputs: Iterable[Any]) -> dict[str, Any] | None:
    best = None
    for o in outputs:
        if isinstance(o, dict) and o.get("next") is not None and o.get("step") is not None:
            if best is None or o["step"] > best["step"]:
                best = o
    return best
