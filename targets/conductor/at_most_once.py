"""``at_most_once`` effects in a Conductor simulation (docs/effects.md, "at_most_once on the
engines"; the step workers' rule is ``runtime_shims/at_most_once.py``).

A task of an ``at_most_once`` node or tool that Conductor retries after a lost attempt
(``retryCount > 0``: its worker died or its answer never arrived) does not call again: the
worker answers AC305 with the call's ``uncertain`` record. A terminal failure would fail
the workflow — and start its ``failureWorkflow``, which compensates, while the local
target keeps an AC305 run waiting, uncompensated, for a human. So the simulation's worker
leaves that task **IN_PROGRESS** (``hold``): the run stays RUNNING, blocked on it, and
``agentc simulate`` reports the AC305 (exit 1) and saves the simulation.

The human then says the call did not happen: ``agentc effects RUN_ID --forget KEY
--engine conductor`` records the decision in the saved simulation (``forgotten``: key →
the waiting task's id), and ``agentc simulate --resume RUN_ID`` polls that task again
with the key in its input (``FORGOTTEN``): the worker calls, and its answer is posted as
a worker's update (``POST /api/tasks``). A decision is bound to the task it was made for:
if that attempt is lost too, Conductor's next retry is a new task and the human decides
again. ``agentc cancel RUN_ID --engine conductor`` terminates and compensates instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..effect_rows import epoch_s, ledger_row
from agentc.errors import AgentcError, Code, RunFailed
from agentc.runtime_shims.at_most_once import FORGOTTEN, uncertain_record

WAITING = "IN_PROGRESS"


def hold(result: Any) -> Any:
    """A worker's answer as the simulation posts it: an AC305 stays IN_PROGRESS (no
    callback: it waits for a human) instead of failing the workflow."""
    from .emulator.simulator import TaskResult

    if (
        result.status == "FAILED_WITH_TERMINAL_ERROR"
        and uncertain_record(result.output) is not None
    ):
        return TaskResult(WAITING, result.output, result.reason)
    return result


def waiting(sim: Any, workflow_id: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(workflow id, task)`` of each task waiting on an uncertain call, in the run and
    the sub-workflows it started."""
    wid = workflow_id or sim.workflow_id
    ex = sim.sim.execution(wid)
    if ex["status"] != "RUNNING":
        return
    for t in ex["tasks"]:
        if t["status"] == WAITING and uncertain_record(t.get("outputData")) is not None:
            yield wid, t
        if t.get("subWorkflowId"):
            yield from waiting(sim, t["subWorkflowId"])


def stopped(sim: Any, task: dict[str, Any]) -> RunFailed:
    """The AC305 ``agentc simulate`` reports for a run blocked on an uncertain call."""
    rec = uncertain_record(task["outputData"]) or {}
    key, what = rec.get("key"), f"{rec.get('target', 'node')} {rec.get('name')!r}"
    return RunFailed(
        Code.EFFECT_UNCERTAIN,
        f"simulation {sim.run_id}: {what} is at_most_once and a previous attempt was cut off "
        "during the "
        f"call (key {key}): whether its effect happened is unknown, so it is not called again",
        construct=what,
        hint=f"check the service; if it did not happen: `agentc effects {sim.run_id} --forget "
        f"{key} "
        f"--engine conductor` then `agentc simulate --resume {sim.run_id}`; to undo the run: "
        f"`agentc cancel {sim.run_id} --engine conductor`",
    )


def forget(sim: Any, key: str) -> None:
    """``--forget KEY``: the call did not happen; the next resume polls its task again."""
    task = next(
        (t for _, t in waiting(sim) if (uncertain_record(t["outputData"]) or {}).get("key") == key),
        None,
    )
    if task is None:
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"simulation {sim.run_id} has no uncertain effect {key!r}",
            construct=key,
            hint=f"list its effects with `agentc effects {sim.run_id} --engine conductor`",
        )
    sim.forgotten[key] = task["taskId"]


def retry(sim: Any) -> None:
    """``agentc simulate --resume`` of a run blocked on uncertain calls: poll again each
    task a human decided on; AC305 again while one has no decision (as locally)."""
    from .emulator.model import TaskCall

    for wid, t in list(waiting(sim)):
        key = (uncertain_record(t["outputData"]) or {}).get("key")
        if sim.forgotten.get(key) != t["taskId"]:
            raise stopped(sim, t)
        call = TaskCall(
            task_type=t["taskType"],
            ref=t["referenceTaskName"],
            input={**t["inputData"], FORGOTTEN: [key]},
            retry_count=t["retryCount"],
            workflow_id=wid,
            task_id=t["taskId"],
            iteration=t.get("iteration", 0),
        )
        result = sim._serve(call)
        del sim.forgotten[key]
        sim.sim.complete_task(wid, t["taskId"], result.output, result.status, reason=result.reason)


def ledger_rows(sim: Any, rows: dict[str, dict[str, Any]]) -> None:
    """The uncertain calls in ``agentc effects --engine conductor``: ``started`` (cut off),
    ``failed`` once forgotten — the local ledger's words."""
    uncertain_rows(waiting(sim), lambda _, key, task_id: sim.forgotten.get(key) == task_id, rows)


def uncertain_rows(
    tasks: Iterable[tuple[str, dict[str, Any]]],
    forgotten: Callable[[str, str, str], bool],
    rows: dict[str, dict[str, Any]],
) -> None:
    """The ledger rows of the ``(workflow id, task)`` pairs waiting on an uncertain call —
    in a simulation or on a live server (``live_wait.ledger_rows``): ``started`` (cut off),
    ``failed`` once ``forgotten(workflow id, key, task id)`` — the local ledger's words."""
    for wid, t in tasks:
        rec = uncertain_record(t["outputData"]) or {}
        if rec.get("key") in rows:
            continue
        gone = forgotten(wid, rec["key"], t["taskId"])
        rows[rec["key"]] = ledger_row(
            rec,
            status="failed" if gone else "started",
            started=epoch_s(t.get("startTime")),
            error="forgotten by a human" if gone else None,
        )
