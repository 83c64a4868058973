"""Start a fork of a Conductor simulation (``agentc fork RUN_ID --engine conductor``).

The fork is a new simulation of the same artifact (the one saved with the original, what
a user registered), its root workflow started with the original's input plus the fork's
starting journal (``journal``: the agent loop's model step merges it, as an agent-as-tool
sub-workflow merges its parent's — ``compiler/audit/engine_fork.py``). It is saved under
the same ``--state-dir`` with its origin (``lineage``), so ``agentc history``, ``agentc
simulate --resume`` and ``agentc effects`` treat it as any simulation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULT_STATE_DIR = ".agentc/simulations"


def start_fork(
    state_dir: str | Path | None,
    run_id: str,
    new_id: str,
    journal: str,
    origin: dict[str, Any],
    *,
    obj: Any = None,
    field: str = "journal",
) -> Any:
    """Start and drive the fork until it finishes or waits (its ``RunOutcome``); saved
    whatever the outcome, as ``agentc simulate`` saves a simulation. ``field``: the input
    key the record travels in (``journal`` for agents, ``fork`` for a graph's prefix)."""
    from agentc.errors import AgentcError, Code

    from .simulate import Simulation

    folder = Path(state_dir or DEFAULT_STATE_DIR)
    target = folder / f"{new_id}.json"
    if target.exists():
        raise AgentcError(
            Code.CONFIG,
            f"a simulation {new_id!r} is already saved in {folder}",
            construct=new_id,
            hint="choose another --run-id",
        )
    loaded = Simulation.load(
        folder / f"{run_id}.json", obj
    )  # its artifact, and a worker for its REF
    sim = Simulation(loaded.artifact, loaded.worker)
    sim.lineage = origin
    original = loaded.sim.execution(loaded.workflow_id).get("input") or {}
    wf_input = {
        **{k: v for k, v in original.items() if k not in ("journal", "fork")},
        field: journal,
    }
    try:
        return sim.start_input(wf_input, run_id=new_id)
    finally:
        if sim.run_id:
            sim.save(target)
