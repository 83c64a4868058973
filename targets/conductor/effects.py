"""``agentc effects`` and ``agentc cancel`` for a Conductor simulation (docs/effects.md,
"Other targets"), from a simulation ``agentc simulate`` saved.

The ledger is read from the execution as Conductor keeps it: each task of a node or tool
named in the effect policy has its ``effect`` record in its output (start and finish are
the task's ``startTime``/``endTime``); an agent loop's model tasks carry the records of
tool tasks the server dropped with older loop iterations (``keepLastN``: no times left).
The compensation is the failure workflow's ``<root>-saga_compensate`` task: its output
lists the keys it compensated; a failed attempt's error is kept.

Cancel: Conductor starts the ``failureWorkflow`` only when the *system* ends a run
(a task failed for good, TERMINATE, a timeout); a terminate through the API
(``DELETE /api/workflow/{id}``) never does. So ``agentc cancel`` does both steps itself:
it terminates the run, then starts the failure workflow with the input the server gives
it (``workflowId``, ``reason``, ``failureStatus``, ``failedWorkflow``: the terminated
execution with its task outputs), and drives it. The compensators are the same code, with
the same keys, as after a failure.
"""

from __future__ import annotations

from typing import Any

from ..effect_rows import epoch_s, ledger_row
from agentc.errors import AgentcError, Code
from agentc.semantics import claim_check
from agentc.runtime_shims.protocol import Compensation, EffectLog

TERMINAL = ("COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT")
CANCEL_REASON = "cancelled by a human (agentc cancel)"


def effect_records(
    tasks: list[dict[str, Any]],
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """The effect records of a Conductor execution's completed tasks, in completion order
    as the execution lists them, each with the task that reported it (None: carried by a
    model step, its tool task gone with an older loop iteration). A graph node re-run
    after ``interrupt()`` reports its key again: the latest record wins and moves last."""
    found: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
    for t in tasks:
        if t.get("status") != "COMPLETED":
            continue
        out = t.get("outputData") or {}
        carried = out.get("effects")
        if isinstance(carried, str) and carried:
            for rec in claim_check.get_value(carried):
                found.setdefault(rec["key"], (rec, None))
        rec = out.get("effect")
        if isinstance(rec, dict):
            if rec["key"] in found and found[rec["key"]][1] is None:  # carried, its task listed
                found[rec["key"]] = (rec, t)
                continue
            found.pop(rec["key"], None)
            found[rec["key"]] = (rec, t)
    return list(found.values())


def compensation(task_input: dict[str, Any]) -> Compensation:
    """The failure workflow task's input (``saga.add_failure_def``: ``workflowId`` and
    ``failed``, the failed execution) as the engine-neutral compensation step."""
    tasks = (task_input.get("failed") or {}).get("tasks") or []
    log = EffectLog([rec for rec, _ in effect_records(tasks)])
    return Compensation(task_input.get("workflowId") or "", log, run_head(tasks))


def run_head(tasks: list[dict[str, Any]]) -> str | None:
    """The head of the run's audit log in its execution: the latest superstep's (a graph,
    ``step_audit.latest``), else the last model step's (an agent loop,
    ``agent_effects.stamp_turn``)."""
    from agentc.runtime_shims.protocol import is_model_turn
    from agentc.runtime_shims.step_audit import FIELD, latest

    done = [t.get("outputData") or {} for t in tasks if t.get("status") == "COMPLETED"]
    head = latest(done)
    if head is None:
        turns = [o[FIELD] for o in done if is_model_turn(o) and o.get(FIELD)]
        head = turns[-1] if turns else None
    return head


def _compensation(sim: Any) -> str | None:
    """The id of the failure workflow that compensated the run, if any."""
    fid = (sim.sim.execution(sim.workflow_id).get("output") or {}).get("conductor.failure_workflow")
    if isinstance(fid, str) and not fid.startswith("Error workflow"):
        return fid
    return sim.compensation_id


def chain_head(root: dict[str, Any], comp: dict[str, Any] | None) -> str | None:
    """The head of the run's audit log: the compensation's (it extends the run's), else
    the latest superstep's (``step_audit``; ``targets/effect_audit.py``)."""
    done = [t for t in (comp or {}).get("tasks") or [] if t.get("status") == "COMPLETED"]
    for t in reversed(done):
        if (t.get("outputData") or {}).get("audit"):
            return str(t["outputData"]["audit"])
    return run_head(root.get("tasks") or [])


def surviving_steps(root: dict[str, Any]) -> set[int]:
    """The supersteps whose node tasks the execution still holds (older loop iterations'
    are trimmed: ``keepLastN``)."""
    found: set[int] = set()
    for t in root.get("tasks") or []:
        out = t.get("outputData") or {}
        if t.get("status") == "COMPLETED" and "writes" in out and isinstance(out.get("step"), int):
            found.add(out["step"] if out.get("task") else out["step"] - 1)
    return found


def ledger(sim: Any) -> list[dict[str, Any]]:
    """The run's effects, as ``agentc effects`` shows them (the local ledger's fields),
    checked against the run's audit log (``targets/effect_audit.py``: AC131 naming a row
    edited, removed or inserted on the server; the rows of trimmed loop iterations are
    given back from the log), with the effects their workers compensated late
    (``late_effects.py``: not in the run's log, added after the check)."""
    rows = _rows(sim)
    from agentc.targets.effect_audit import checked

    from .late_effects import ledger_rows as late_rows

    root = sim.sim.execution(sim.workflow_id)
    fid = _compensation(sim)
    comp = sim.sim.execution(fid) if fid is not None else None
    from .at_most_once import waiting

    # the own links of agent tool steps (agent_effects.tool_link), of paused and cut-off
    # steps (step_audit.unfinished): what the workers wrote of the rows no chain link holds
    own = [(rec, t) for rec, t in effect_records(root.get("tasks") or []) if t is not None]
    own += [((t["outputData"] or {}).get("uncertain") or {}, t) for _, t in waiting(sim)]
    links = {
        rec["key"]: out["audit"]
        for rec, out in ((r, t["outputData"] or {}) for r, t in own)
        if "key" in rec
        and out.get("audit")
        and (
            rec.get("target") == "tool" or out.get("status") == "interrupted" or "uncertain" in out
        )
    }
    found = {
        r["key"]: r
        for r in checked(sim.run_id, rows, chain_head(root, comp), surviving_steps(root), links)
    }
    late_rows(sim.workflow_id, found)
    return list(found.values())


def _rows(sim: Any) -> list[dict[str, Any]]:
    from .at_most_once import ledger_rows

    rows = record_rows(sim.sim.execution(sim.workflow_id))
    ledger_rows(sim, rows)  # calls cut off, waiting for a human (at_most_once.py)
    fid = _compensation(sim)
    compensated_rows(rows, sim.sim.execution(fid) if fid is not None else None)
    return list(rows.values())


def record_rows(ex: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ledger rows of an execution's effect records, by key (no compensation yet)."""
    rows: dict[str, dict[str, Any]] = {}
    for rec, task in effect_records(ex.get("tasks") or []):
        out = (task or {}).get("outputData") or {}
        paused = out.get("status") == "interrupted"
        rows[rec["key"]] = ledger_row(
            rec,
            status="paused" if paused else "done",
            started=epoch_s((task or {}).get("startTime")),
            finished=None if paused else epoch_s((task or {}).get("endTime")),
            digest=None if paused else rec["digest"],
            result=rec["result"],
        )
    return rows


def compensated_rows(rows: dict[str, dict[str, Any]], failure: dict[str, Any] | None) -> None:
    """Mark the rows the failure workflow's execution ``failure`` compensated: its task's
    output lists the keys; a failed attempt's error is kept."""
    for t in (failure or {}).get("tasks") or []:
        out = t.get("outputData") or {}
        for key in out.get("keys") or []:
            if key in rows and rows[key]["comp_status"] != "done":
                rows[key].update(
                    comp_status="done" if t["status"] == "COMPLETED" else rows[key]["comp_status"],
                    comp_started=epoch_s(t.get("startTime")),
                    comp_finished=epoch_s(t.get("endTime")),
                )
        if t["status"] != "COMPLETED" and out.get("error"):
            for row in rows.values():
                if row["class"] == "compensable" and row["comp_status"] != "done":
                    row.update(comp_status="failed", comp_error=out["error"])


def failure_input(ended: dict[str, Any], workflow_id: str) -> dict[str, Any]:
    """What the server gives a failure workflow (``WorkflowExecutorOps.terminateWorkflow``):
    the run's input, ``workflowId``, ``reason``, ``failureStatus``, ``failedWorkflow``."""
    return {
        **(ended.get("input") or {}),
        "workflowId": workflow_id,
        "reason": CANCEL_REASON,
        "failureStatus": ended["status"],
        "failedWorkflow": ended,
    }


def cancel(sim: Any) -> Any:
    """Terminate a running (or waiting) simulated run and compensate it. Returns the
    outcome (``cancelled``, with the names compensated in the order they were undone)."""
    from agentc.targets.local.executor import RunOutcome

    ex = sim.sim.execution(sim.workflow_id)
    if ex["status"] in TERMINAL:
        raise AgentcError(
            Code.RUN_NOT_RESUMABLE,
            f"simulation {sim.run_id} already ended ({ex['status']})",
            construct=sim.run_id,
            hint="only a running or waiting run can be cancelled; a failed "
            "run was compensated by its failure workflow (`agentc effects RUN_ID --engine "
            "conductor`)",
        )
    sim.sim.terminate(sim.workflow_id, CANCEL_REASON)
    failure = sim.artifact["workflows"][sim.root].get("failureWorkflow")
    if not failure:  # nothing compensable in this workflow
        return RunOutcome(sim.run_id, "cancelled", compensated=[])
    ended = sim.sim.execution(sim.workflow_id)
    inp = failure_input(ended, sim.workflow_id)
    sim.compensation_id = fid = sim.sim.start(
        failure, inp, correlation_id=ended.get("correlationId")
    )
    status = sim.sim.run(fid)
    done = sim.sim.execution(fid)
    if status != "COMPLETED":
        raise AgentcError(
            Code.NODE_FAILED,
            f"the compensation of simulation {sim.run_id} {status}: "
            f"{done.get('reasonForIncompletion') or ''}",
            construct=failure,
            hint=f"see `agentc effects {sim.run_id} --engine conductor`; the compensator's error "
            "is in its task output",
        )
    return RunOutcome(
        sim.run_id,
        "cancelled",
        compensated=list((done.get("output") or {}).get("compensated") or []),
    )
