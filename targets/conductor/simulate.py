"""``agentc simulate``: run a compiled Conductor artifact offline, with the output contract
of ``agentc run`` — the final state as JSON, or a run id and the pending interrupts when a
HUMAN task waits (exit 3), continued with ``--resume RUN_ID --value JSON``.

The workflow JSON executed is the one in the artifact folder (what a user would register),
by ``simulator.Simulator`` (Conductor's runtime semantics, docs/conductor.md "Conductor semantics
the emulator follows"); its worker
tasks are served in process by ``runtime_shims.steps`` with the user's code.
A paused simulation is saved as JSON so a later process can resume it. Every simulation has
its own random run id (the simulator's execution ids, ``wf-1``..., are per simulator and
would collide between simulations); a resumed simulation is saved again whatever its
outcome, so one that finished cannot be resumed (``AC121``) with new answers.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from agentc.errors import AgentcError, Code, RunFailed

from . import external_tasks

NO_VALUE = object()


def read_artifact(folder: str | Path) -> dict[str, Any]:
    root = Path(folder)
    manifest_path = root / "manifest.json"
    if not manifest_path.exists():
        raise AgentcError(
            Code.WRONG_ARTIFACT,
            f"{root} is not a compiled Conductor artifact (no manifest.json)",
            construct=str(root),
            hint="create one with `agentc compile REF --target conductor --out DIR`",
        )
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("target") != "conductor":
        raise AgentcError(
            Code.WRONG_ARTIFACT,
            f"{root} holds a {manifest.get('target')!r} artifact, not a Conductor artifact",
            construct=str(root),
            hint="compile with --target conductor",
        )
    workflows = {
        n: json.loads((root / f"{n}.workflow.json").read_text()) for n in manifest["workflows"]
    }
    task_defs = {d["name"]: d for d in json.loads((root / "taskdefs.json").read_text())}
    return {"manifest": manifest, "workflows": workflows, "task_defs": task_defs}


class Simulation:
    """One simulated run of an artifact, with the user's code behind its worker tasks."""

    def __init__(self, artifact: dict[str, Any], worker: Any) -> None:
        from .emulator.simulator import Simulator

        self.artifact = artifact
        self.worker = worker
        self.root = artifact["manifest"]["workflow"]
        if worker.layout.plan_id != artifact["manifest"]["plan"]:
            raise AgentcError(
                Code.GRAPH_CHANGED,
                "the artifact was compiled from a different graph than "
                f"{artifact['manifest']['entry']}",
                construct=artifact["manifest"]["entry"],
                hint="recompile with `agentc compile ... --target conductor`",
            )
        from . import fanout
        from .external_tasks import unpolled

        # a fan-out policy: concurrent pollers, as a deployment's workers
        # (targets/conductor/fanout.py);
        # external steps' tasks: no worker polls them (external_tasks.py)
        self.sim = Simulator(
            artifact["workflows"],
            artifact["task_defs"],
            self._serve,
            parallel_workers=fanout.POLLERS if fanout.active(worker.wf) else 1,
            unpolled=unpolled(artifact["task_defs"]),
        )
        from .fork import answer_sub_workflow

        # a graph fork answers a subgraph node of its prefix from the record (fork.py)
        self.sim.sub_workflow_answer = lambda wf, task: answer_sub_workflow(self.worker, task)
        from .late_effects import dropped

        # an answer the server ignored, with an effect it completed (late_effects.py)
        self.sim.dropped_update = lambda wf, task, result: dropped(
            self.sim.execution(wf["workflowId"]), task, result.status, result.output
        )
        self.workflow_id = ""
        self.run_id = ""
        self.compensation_id: str | None = None
        """The failure workflow ``agentc cancel`` started (``targets/conductor/effects.py``)."""
        self.lineage: dict[str, Any] | None = None
        """A fork's origin (``targets/conductor/fork.py``), kept in the saved simulation."""
        self.forgotten: dict[str, str] = {}
        """Uncertain at_most_once calls a human said did not happen: key → task id
        (at_most_once.py)."""
        self.observe: Any = None
        """Called with each worker task's output and task type once it completed (``--stream``:
        ``stream_source.py``, ``graph_stream_source.py``)."""

    @classmethod
    def of(cls, folder: str | Path, obj: Any = None) -> "Simulation":
        from agentc.reading import workflow_and_live
        from agentc.runtime_shims.steps import worker_for

        art = read_artifact(folder)
        wf, live = workflow_and_live(obj if obj is not None else art["manifest"]["entry"])
        return cls(art, worker_for(wf, live))

    def _serve(self, call: Any) -> Any:
        from .emulator.simulator import TaskResult

        from agentc.runtime_shims.payload_limits import bounded

        from . import fanout, wire
        from .emulator.parallel_polls import task_status_source
        from .session_failures import settle_failed

        def run() -> Any:
            return wire.execute(
                self.worker,
                call.task_type,
                call.input,
                retry_count=call.retry_count,
                workflow_id=call.workflow_id,
                task_id=call.task_id,
            )

        status: fanout.Status = task_status_source() or (
            lambda: None
        )  # what the server says of this task
        o = wire.outcome(fanout.watched(self.worker.wf, call.input.get("fanout"), run, status))
        # a tool failing beside completed calls: save those to the session (session_failures.py)
        o = settle_failed(self.worker, call, o, lambda: self.sim.execution(call.workflow_id))
        o = bounded(o, call.task_type)
        from .at_most_once import hold

        if self.observe is not None:
            self.observe(o.output, call.task_type)
        return hold(
            TaskResult(wire.conductor_status(o.status), o.output, o.reason)
        )  # an AC305 waits for a human

    # ------------------------------------------------------------ running
    def start(
        self,
        input: Any,
        context: Any = None,
        max_turns: int | None = None,
        *,
        context_factory: Any = None,
        full_result: bool = False,
    ) -> Any:
        """``full_result``: an agent run returns the SDK's whole ``RunResult`` as JSON."""
        if self.worker.wf.body.kind == "agents":  # an agent loop: the context travels packed
            from agentc.reading import agent_context
            from agentc.runtime_shims.agent_steps import run_input

            ctx, factory = agent_context(self.worker.agent, context, context_factory)
            wf_input = run_input(input, ctx, factory, max_turns=max_turns, full_result=full_result)
        else:
            if full_result:
                from agentc.run_refs import refuse_full_result

                raise refuse_full_result(self.worker.wf.name)
            if max_turns is not None:  # Conductor's graph loop has its budget compiled in
                raise AgentcError(
                    Code.CONFIG,
                    "a graph's recursion limit is part of its compiled Conductor "
                    "workflow; it cannot change per simulation",
                    construct="--recursion-limit",
                    hint="set it on the graph (graph.with_config(recursion_limit=N)) and compile "
                    "again; --recursion-limit applies to agents (their max_turns)",
                )
            from agentc.reading import check_context, check_input

            if context_factory is not None:
                from agentc.agent_context import call_factory

                context = call_factory(context_factory, context)
            # the checks `agentc run` makes locally and before a Temporal start (AC111)
            check_input(self.worker.wf, self.worker.resolve.root, input)
            check_context(self.worker.wf, self.worker.resolve.root, context)
            wf_input = {"input": input, "context": context}
        return self.start_input(wf_input)

    def start_input(self, wf_input: dict[str, Any], run_id: str | None = None) -> Any:
        """Start the root workflow with a prepared input (a fork's:
        ``targets/conductor/fork.py``)."""
        self.run_id = run_id or uuid.uuid4().hex
        self.workflow_id = self.sim.start(self.root, wf_input)
        return self._drive()

    def resume(self, value: Any = NO_VALUE, *, goto: Any = None, update: Any = None) -> Any:
        """``goto`` / ``update`` (or a ``Command`` value) are refused (``agentc.commands``)."""
        from agentc.commands import refuse_compiled

        value = refuse_compiled("conductor", value, NO_VALUE, goto, update)
        pending = external_tasks.pending(self.sim, self.workflow_id)
        from . import at_most_once

        if not pending and next(at_most_once.waiting(self), None) is not None:
            if value is not NO_VALUE:
                raise AgentcError(
                    Code.INVALID_RESUME,
                    f"simulation {self.run_id} waits on an uncertain at_most_once "
                    "call, not for an answer",
                    construct=self.run_id,
                    hint="decide with `agentc effects RUN_ID --forget KEY --engine conductor`, "
                    "then "
                    "resume without --value",
                )
            at_most_once.retry(self)  # blocked on an uncertain at_most_once call: a human decided
            return self._drive()
        if not pending:
            status = self.sim.execution(self.workflow_id)["status"]
            raise AgentcError(
                Code.RUN_NOT_RESUMABLE,
                f"simulation {self.run_id} already finished ({status}), it is not waiting",
                construct=self.run_id,
                hint="start a new simulation with `agentc simulate DIR --input JSON`",
            )
        answers = _answers(self.run_id, pending, value)
        for p in pending:
            self.sim.complete_task(p["workflowId"], p["taskId"], answers.get(p["taskId"], {}))
        return self._drive()

    def _drive(self) -> Any:
        from agentc.targets.local.executor import RunOutcome

        from . import at_most_once

        # a task waiting on an uncertain at_most_once call waits for a human, not for its
        # timeout; an external step waits for the outside work (its time: ``advance``)
        self.sim.run(
            self.workflow_id,
            hold=lambda: (
                next(at_most_once.waiting(self), None) is not None
                or any(
                    external_tasks.is_external_type(p["taskType"])
                    for p in external_tasks.pending(self.sim, self.workflow_id)
                )
            ),
        )
        ex = self.sim.execution(self.workflow_id)
        status = ex["status"]
        if status == "COMPLETED":
            output = ex.get("output") or {}
            from agentc.semantics.claim_check import resolve_result

            return RunOutcome(
                self.run_id,
                "done",
                output=resolve_result(
                    output["state"] if "state" in output else output.get("result")
                ),
            )
        pending = external_tasks.pending(self.sim, self.workflow_id)
        if status == "RUNNING" and pending:
            return RunOutcome(self.run_id, "waiting", interrupts=_interrupts(pending))
        for _, task in at_most_once.waiting(self):  # an uncertain at_most_once call: AC305
            raise at_most_once.stopped(self, task)
        late = external_tasks.timed_out(self.sim, self.workflow_id)
        if late is not None:  # an external step's task timed out (docs/policies.md): AC316
            raise late
        reason = ex.get("reasonForIncompletion") or status
        code = next((c for c in Code if c.value in reason), Code.NODE_FAILED)
        failed = self._failed_output(self.workflow_id)
        file, _, line = str(failed.get("location") or "").rpartition(":")
        raise RunFailed(
            code,
            f"simulated workflow {self.root} {status}: {reason}",
            construct=failed.get("construct") or f"workflow {self.root!r}",
            file=file or None,
            line=int(line) if line.isdigit() else None,
            hint=f"simulation {self.run_id}: the failing task's output has the traceback (`agentc "
            f"history {self.run_id} --engine conductor`); its effects: `agentc effects "
            f"{self.run_id} --engine conductor`",
        )

    def _failed_output(self, workflow_id: str) -> dict[str, Any]:
        """The output of the task that failed (in this workflow or a sub-workflow it ran),
        where the step worker says which node failed and where (``runtime_shims/steps``)."""
        for task in reversed(self.sim.execution(workflow_id)["tasks"]):
            if task.get("status") not in ("FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT"):
                continue
            if task.get("taskType") == "SUB_WORKFLOW" and task.get("subWorkflowId"):
                found = self._failed_output(task["subWorkflowId"])
                if found:
                    return found
            out = task.get("outputData") or {}
            if "location" in out or "construct" in out:
                return out
        return {}

    def advance(self, seconds: float) -> None:
        """Move the simulation's clock: the time the outside work of an external step takes
        (its task's timeout is checked in this time when the completion arrives)."""
        self.sim.advance(seconds)

    # ------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        from agentc.artifact import write_atomic

        data = {
            "run_id": self.run_id,
            "workflow_id": self.workflow_id,
            "artifact": self.artifact,
            "simulator": self.sim.to_json(),
        }
        if self.compensation_id:
            data["compensation_id"] = self.compensation_id
        if self.lineage:
            data["lineage"] = self.lineage
        if self.forgotten:
            data["forgotten"] = self.forgotten
        return write_atomic(Path(path), json.dumps(data, sort_keys=True))

    @classmethod
    def load(cls, path: str | Path, obj: Any = None) -> "Simulation":
        from agentc.reading import workflow_and_live
        from agentc.runtime_shims.steps import worker_for

        from .emulator.simulator import Simulator

        p = Path(path)
        if not p.exists():
            raise AgentcError(
                Code.UNKNOWN_RUN,
                f"no saved simulation at {p}",
                construct=str(p),
                hint="start one with `agentc simulate DIR --input JSON`",
            )
        data = json.loads(p.read_text())
        art = data["artifact"]
        wf, live = workflow_and_live(obj if obj is not None else art["manifest"]["entry"])
        self = cls(art, worker_for(wf, live))
        self.sim = Simulator.from_json(data["simulator"], self._serve)
        self.workflow_id = data["workflow_id"]
        self.run_id = data.get("run_id") or p.stem
        self.compensation_id = data.get("compensation_id")
        self.lineage = data.get("lineage")
        self.forgotten = dict(data.get("forgotten") or {})
        return self


def _interrupts(pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from agentc.answers import in_task_order

    out = []
    for p in pending:
        inp = p.get("input") or {}
        if "breakpoint" in inp:
            out.append({"kind": "breakpoint", "when": inp["breakpoint"], "task": p["ref"]})
        out.extend(inp.get("approvals") or [])
        for i in inp.get("interrupts") or []:
            out.append(
                {
                    "kind": "interrupt",
                    "id": i["id"],
                    "value": i["value"],
                    "node": i.get("node"),
                    "task": p["ref"],
                    "order": i.get("order", -1),
                }
            )
    return in_task_order(out)


def _answers(run_id: str, pending: list[dict[str, Any]], value: Any) -> dict[str, Any]:
    """HUMAN task id → its output, by ``agentc resume``'s rules (``agentc.answers``)."""
    from agentc.answers import match_answers

    if any("approvals" in (p.get("input") or {}) for p in pending):  # an agent's tool approvals
        from agentc.runtime_shims.openai_agents_replay import decide

        p = pending[0]
        return {p["taskId"]: {"decisions": decide(run_id, p["input"]["approvals"], value)}}
    owner = {
        i["id"]: p["taskId"]
        for p in pending
        for i in (p.get("input") or {}).get("interrupts") or []
    }
    answers = match_answers(run_id, list(owner), value, NO_VALUE)
    return {owner[i]: {"resume": v} for i, v in answers.items()}
