"""Fan-out policies on Conductor (docs/policies.md "Fan-outs"): a worker-side watcher.

Conductor's own semantics do half of ``fail_fast``: a forked task that fails for good
fails the workflow, and ``cancelNonTerminalTasks`` marks its siblings CANCELED — a sibling
still queued is never handed to a worker. But a worker already running a sibling is not
told: it runs its node to the end (the effect happens after the run failed) and its
update is ignored. So each task of a governed fan-out carries the policy in its input
(``fanout``: the sending step stamps ``Send`` packets, ``policy_gate.fanout_spec``; the
lowering stamps parallel branches; the model step an agent's tool calls,
``agent_fanout.stamped``), and its worker runs the step in a ``cancel_scope`` with a
watcher thread beside it that asks the server for the task's status every ``POLL_S``:

* ``fail_fast``: once the task or its workflow is no longer running (a sibling failed the
  workflow), cancel the node — an async node at its next ``await``, before the effect that
  follows it; a sync node finishes the call it is in — and report (the server ignores it);
* ``deadline = S``: S seconds after the worker took the task (the tasks of a fork are
  queued together and taken together by idle workers), cancel the node and fail the task
  for good with ``AC311`` naming the policy's line: the workflow fails and its siblings
  are cancelled the same way.

The status comes from ``status()``: in ``agentc simulate`` the simulator's
(``emulator/parallel_polls.task_status_source``, with concurrent pollers so the tasks of
a fork really run at the same time); against a live server ``GET /api/tasks/{taskId}``
and ``GET /api/workflow/{workflowId}`` (``server_status``).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from agentc.errors import Code
from agentc.semantics.cancel_scope import CancelScope, entered

POLL_S = 0.05
"""How often the watcher asks for the task's status (a real server: raise it)."""

POLLERS = 8
"""Concurrent pollers of a simulation whose workflow has a fan-out policy."""

Status = Callable[[], "tuple[str, str] | None"]


def active(wf: Any) -> bool:
    """Whether ``wf`` has a fan-out policy that does something. An agent system always has
    one: its parallel tool calls follow ``Runner.run``'s own ``fail_fast``
    (``agent_fanout.spec``), which needs the siblings running at once, as a deployment's
    workers run them."""
    if getattr(getattr(wf, "body", None), "kind", None) == "agents":
        return True
    policies = getattr(wf, "policies", None)
    return any(f.mode == "fail_fast" or f.deadline for f in (policies.fanouts if policies else ()))


def _where(wf: Any, node: str) -> dict[str, Any]:
    policies = getattr(wf, "policies", None)
    f = next((f for f in (policies.fanouts if policies else ()) if f.name == node), None)
    src = getattr(f, "source", None)
    return {"location": f"{src.file}:{src.line}"} if src is not None and src.file else {}


def watched(wf: Any, spec: Any, run: Callable[[], Any], status: Status) -> Any:
    """Run one task's step (``run() -> Outcome``) under its fan-out ``spec`` (no spec: as is)."""
    from agentc.runtime_shims.protocol import Outcome as outcome
    from agentc.runtime_shims.protocol import Status as step_status

    if isinstance(spec, str):  # an agent's tool call: packed (agent_fanout.stamped)
        from agentc.semantics import claim_check

        spec = claim_check.get_value(spec)
    if not isinstance(spec, dict):
        return run()
    scope = CancelScope()
    stop = threading.Event()
    why: list[str] = []
    start = time.monotonic()
    deadline = spec.get("deadline")
    fail_fast = spec.get("mode") == "fail_fast"

    def watch() -> None:
        while not stop.wait(POLL_S):
            if deadline and time.monotonic() - start >= deadline:
                why.append("deadline")
            elif fail_fast:
                st = status()
                if st is not None and (st[0] != "IN_PROGRESS" or st[1] != "RUNNING"):
                    why.append("cancelled")
            if why:
                scope.cancel()
                return

    helper = threading.Thread(target=watch, daemon=True, name="agentc-fanout-watch")
    helper.start()
    previous = entered(scope)
    try:
        try:
            out = run()
        except BaseException:
            if not why:
                raise
            out = None
    finally:
        entered(previous)
        stop.set()
        helper.join()
    if not why:
        return out
    node = str(spec.get("node"))
    if why[0] == "deadline" and deadline:
        what = (
            f"the parallel tool calls of agent {node!r}"
            if getattr(getattr(wf, "body", None), "kind", None) == "agents"
            else f"the fan-out of {node!r}"
        )
        reason = (
            f"{Code.FANOUT_DEADLINE.value}: {what} did not finish within its deadline of "
            f"{float(deadline):g} s; this task was cancelled"
        )
        return outcome(
            step_status.TERMINAL,
            {"error": reason, "construct": f"fanout {node!r}", **_where(wf, node)},
            reason,
        )
    # the server ended the task (a sibling failed the workflow): this answer is ignored; an
    # effect the step completed anyway stays known (late_effects.py compensates it)
    cancelled = outcome(
        step_status.TERMINAL, {"error": "cancelled by its fan-out"}, "cancelled by its fan-out"
    )
    if isinstance(out, outcome):
        from .late_effects import keep

        return keep(out, cancelled)
    return cancelled


def server_status(client: Any, workflow_id: str, task_id: str) -> Status:
    """The status source against a live server (conductor-python's ``TaskResourceApi`` and
    ``WorkflowResourceApi``): ``(task status, workflow status)``; None while the server
    cannot be reached (the watcher asks again)."""

    def status() -> tuple[str, str] | None:
        try:
            task = client["tasks"].get_task(task_id)
            wf = client["workflows"].get_execution_status(workflow_id, include_tasks=False)
            return str(task.status), str(wf.status)
        except Exception:  # noqa: BLE001 - unreachable for now: no decision, ask again
            return None

    return status


def stamp_branches(wf: Any, level: Any, block: Any, branches: list[list[dict[str, Any]]]) -> None:
    """Compile time: put the policy of a governed superstep of parallel branches into the
    input of each branch's worker tasks (``targets/fanout_blocks.branch_fan``)."""
    from agentc.targets.fanout_blocks import branch_fan

    fan = branch_fan(wf, level, block)
    if fan is None:
        return

    def walk(tasks: list[dict[str, Any]]) -> None:
        for t in tasks:
            if t.get("type") == "SIMPLE":
                t.setdefault("inputParameters", {})["fanout"] = fan
            walk(t.get("loopOver") or [])
            for case in (t.get("decisionCases") or {}).values():
                walk(case)
            walk(t.get("defaultCase") or [])

    for chain in branches:
        walk(chain)
