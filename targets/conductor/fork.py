"""Start a fork of a Conductor simulation (``agentc fork RUN_ID --engine conductor``).

The fork is a new simulation of the same artifact (the one saved with the original, what
a user registered), its root workflow started with the original's input plus the fork's
starting journal (``journal``: the agent loop's model step merges it, as an agent-as-tool
sub-workflow merges its parent's — ``compiler/audit/engine_fork.py``). It is saved under
the same ``--state-dir`` with its origin (``lineage``), so ``agentc history``, ``agentc
simulate --resume`` and ``agentc effects`` treat it as any simulation.

A graph fork's subgraph node of the forked prefix (a ``SUB_WORKFLOW``) is answered from the
record without starting its child (``answer_sub_workflow``, the simulator's
``sub_workflow_answer`` hook; ``runtime_shims/graph_fork.py``).
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
    answers: dict[str, list[Any]] | None = None,
) -> Any:
    """Start and drive the fork until it finishes or waits (its ``RunOutcome``); saved
    whatever the outcome, as ``agentc simulate`` saves a simulation. ``field``: the input
    key the record travels in (``journal`` for agents, ``fork`` for a graph's prefix).
    ``answers``: a graph fork's recorded HUMAN task outputs (ref → outputs in the order
    given), ``answered`` completes those tasks when the fork waits on them."""
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
        return answered(sim, sim.start_input(wf_input, run_id=new_id), answers or {})
    finally:
        if sim.run_id:
            sim.save(target)


def answered(sim: Any, outcome: Any, answers: dict[str, list[Any]]) -> Any:
    """Drive on past the pauses the original's answers cover: a waiting HUMAN task whose
    ref has a recorded output left is completed with it (the next one for that ref), as
    the human completed it in the original; the fork's execution then holds it as any
    completed HUMAN task, so its history shows the answer where it was given. Stops at a
    pause the record does not answer (a new question, or a breakpoint after the fork
    point: ``graph_fork_engines.fork_answers``)."""
    from .external_tasks import pending

    left = {k: list(v) for k, v in answers.items()}
    while outcome.status == "waiting":
        ready = [p for p in pending(sim.sim, sim.workflow_id) if left.get(p["ref"])]
        if not ready:
            return outcome
        for p in ready:
            sim.sim.complete_task(p["workflowId"], p["taskId"], left[p["ref"]].pop(0))
        outcome = sim._drive()
    return outcome


def answer_sub_workflow(worker: Any, task: dict[str, Any]) -> tuple[str, dict, str | None] | None:
    """The simulator's ``sub_workflow_answer`` for a graph fork: a subgraph node whose task
    the fork's record answers completes with the output its child's END step would give
    (the recorded writes, or the ``--set`` value), its child never started; None (start the
    child) when the run is not a fork or the record does not answer it. A prefix task the
    record lacks fails the task for good (AC122), as a node step of the prefix does.

    A subgraph node that holds the fork point (a step inside its graph) starts its child
    with the child's own record (``graph_fork.answer_subgraph`` gives it): its
    ``workflowInput``, which the simulator starts the child with, gets it as ``fork`` — the
    task's input then shows what its child got."""
    from agentc.runtime_shims import graph_fork
    from agentc.runtime_shims.protocol import Status

    data = task.get("inputData") or {}
    wf_input = data.get("workflowInput") or {}
    name = data.get("subWorkflowName")
    if not wf_input.get(graph_fork.FIELD) or not isinstance(name, str):
        return None
    probe = graph_fork.probe_type(name)
    if probe not in getattr(getattr(worker, "layout", None), "task_kinds", {}):
        return None  # an agent-as-tool sub-workflow, not a subgraph's
    o = worker.execute(
        probe, {**wf_input, graph_fork.PROBE: 1}, workflow_id=task.get("workflowInstanceId", "")
    )
    if o.status is Status.COMPLETED:
        if o.output.get(graph_fork.MARK):
            return "COMPLETED", o.output, None
        if o.output.get(graph_fork.FIELD):  # the fork point is inside: the child's own record
            wf_input[graph_fork.FIELD] = o.output[graph_fork.FIELD]
        return None
    return "FAILED_WITH_TERMINAL_ERROR", o.output, o.reason
