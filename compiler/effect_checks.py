"""Static checks of effects in places that re-run (docs/effects.md, "Static checks")."""
from __future__ import annotations

from typing import Any

from .errors import Diagnostic
from .ir import model as M


def rerun_findings(wf: M.Workflow, live: Any) -> list[Diagnostic]:
    return []
