"""What an engine runs for an agentc workflow — a Conductor worker task or a Temporal
activity: one LangGraph task, one barrier, the START step or the END read-out, with the
user's own node, router and reducer functions, imported from the workflow's REF.

The protocol (every worker task):
* input ``prev``: the outputs of the steps that may have run just before this task
  (by step reference), plus ``_input`` (the run's input) where the run may start
  here. The latest one that finished a superstep (highest ``step`` with a ``next``) holds
  the Pregel frame to continue from; stale outputs from earlier loop iterations lose.
* output (``protocol.StepOutput``): ``{agentc, status, step, next, frame, sends}`` when the task
completes a
  superstep (a single-task step, a barrier), ``{agentc, status, step, task, writes}`` for
  one task of a parallel step, ``{status: "interrupted", interrupts}`` when a node called
  ``interrupt()``. ``next`` is the id of the next superstep's schedule in the compiled
  plan, which the workflow's SWITCHes and loops branch on; every task checks that the
  schedule it finds is the one the plan expects (and that the plan id matches), so a
  workflow and a worker built from different code fail loudly instead of diverging.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from agentc.compat.langgraph import PULL, PUSH
from agentc.errors import AgentcError, Code
from agentc.ir import Workflow
from agentc.semantics import langgraph_calls as lg
from agentc.plan.layout import layout
from agentc.runtime_shims import (
    at_most_once,
    chat_capture,
    graph_fork,
    node_timeouts,
    policy_gate,
    step_audit,
    stream_capture,
    subgraph_start,
)
from agentc.semantics import call_counts, pregel
from agentc.semantics.effects import CONFIG_KEY as EFFECTS_KEY
from agentc.runtime_shims.protocol import (
    INTERRUPTED,
    Compensation,
    Outcome,
    SendGroup,
    SendTask,
    Status,
    StepOutput,
    pick,
)
from agentc.runtime_shims.protocol import is_compensation, is_step_output
from agentc.semantics.codec import to_jsonable
from agentc.semantics.langgraph_calls import CallContext, Resolver


class _Terminal(Exception):
    """A failure retrying cannot fix (plan mismatch, invalid update, recursion limit).
    ``output``: the task's output (the error, and where it happened in the user's code)."""

    def __init__(self, reason: str, output: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.output = output or {"error": reason}


class StepWorker:
    """Executes agentc steps in process; ``execute`` is what a conductor-python ``Worker``
    wraps, what the Conductor simulator calls, and what each Temporal activity runs."""

    def __init__(self, wf: Workflow, entry_obj: Any, lay: Any = None) -> None:
        self.wf = wf
        self.layout = lay or layout(wf)
        self.resolve = Resolver(entry_obj)
        self.store = getattr(entry_obj, "store", None)
        self.keys = {p: lvl.schedule.by_key() for p, lvl in self.layout.levels.items()}
        self.handlers = {
            "node": self._node,
            "barrier": self._barrier,
            "end": self._end,
            "start": self._start,
        }

    # ------------------------------------------------------------ entry point
    def execute(
        self,
        task_type: str,
        input: dict[str, Any],
        *,
        retry_count: int = 0,
        workflow_id: str = "",
        task_id: str = "",
        first_attempt_time: float | None = None,
    ) -> Outcome:
        """``retry_count``: the engine's count of earlier attempts of this task (LangGraph's
        ``node_attempt`` is one more); ``first_attempt_time``: when the engine scheduled the
        first attempt (Temporal knows; Conductor does not, so there it is this attempt's start)."""
        kind = self.layout.task_kinds.get(task_type)
        if kind is None and is_compensation(input):  # a failed run's compensation (docs/effects.md)
            return self._compensate(input)
        try:
            if kind is None:
                raise _Terminal(
                    f"{Code.GRAPH_CHANGED.value}: task type {task_type!r} is not part of this "
                    "agent "
                    "(the worker and the registered workflow come from different code)"
                )
            if input.get("plan") != self.layout.plan_id:
                raise _Terminal(
                    f"{Code.GRAPH_CHANGED.value}: the workflow was compiled from a different graph "
                    f"(plan {input.get('plan')!r}, this worker has {self.layout.plan_id!r}); "
                    "re-run `agentc deploy` or restart workers with the deployed code"
                )
            level = self.layout.levels[tuple(kind["path"])]
            if first_attempt_time is None:  # Conductor tells a worker nothing of earlier attempts
                first_attempt_time = time.time()
            ctx = {
                "run_id": workflow_id,
                "attempt": retry_count + 1,
                "first_attempt_time": first_attempt_time,
                subgraph_start.LEVEL: level.path,
            }
            output = self.handlers[kind["kind"]](level, kind, input, ctx)
            # a subgraph's first step shows its START, as the local history does (subgraph_start)
            return Outcome(Status.COMPLETED, subgraph_start.attach(ctx, kind["kind"], output))
        except _Retry as r:
            return Outcome(Status.FAILED, r.output, r.reason)
        except _Terminal as t:
            return Outcome(Status.TERMINAL, t.output, str(t))
        except AgentcError as e:
            text = e.diagnostic.render()
            where = {"location": e.diagnostic.location} if e.diagnostic.location else {}
            return Outcome(
                Status.TERMINAL,
                {
                    "error": text,
                    "construct": e.diagnostic.construct,
                    **where,
                    **at_most_once.output_of(e),
                },
                text,
            )
        except Exception as exc:  # noqa: BLE001 - outside a node's own code (input coercion, reducers,
            # START's routers, the run's context): retrying the same step cannot help, so it fails
            # loudly at once instead of being retried forever by the engine
            code = (
                Code.INPUT_SCHEMA if type(exc).__name__ == "ValidationError" else Code.NODE_FAILED
            )
            text = f"{code.value}: step {task_type!r} failed: {type(exc).__name__}: {exc}"
            return Outcome(
                Status.TERMINAL, {"error": text, "traceback": traceback.format_exc()}, text
            )

    @staticmethod
    def _compensate(input: dict[str, Any]) -> Outcome:
        """A failed run's compensation (Conductor's failure workflow task, docs/effects.md)."""
        from .agent_effects import compensate_task

        return compensate_task(Compensation.from_input(input))

    # ------------------------------------------------------------ task kinds
    def _start(
        self, level: Any, kind: dict[str, Any], input: dict[str, Any], ctx: dict[str, Any]
    ) -> dict[str, Any]:
        frame, tasks, nxt = self._started(level, input["prev"]["_input"], input, ctx)
        return self._package(level, frame, tasks, nxt, input["self"], input)

    def _node(
        self, level: Any, kind: dict[str, Any], input: dict[str, Any], ctx: dict[str, Any]
    ) -> dict[str, Any]:
        frame, block, tasks = self._enter(level, input, ctx)
        name = kind["node"]
        if "push" in input:
            task = next((t for t in tasks if t.path == (PUSH, input["push"])), None)
        else:
            task = next((t for t in tasks if t.path == (PULL, name)), None)
        if task is None or task.name != name:
            raise _Terminal(
                f"{Code.GRAPH_CHANGED.value}: node {name!r} is not scheduled in this superstep"
            )
        node = level.graph.node(name)
        resume = [
            h["resume"] if isinstance(h, dict) and "resume" in h else h
            for h in input.get("resume") or []
        ]
        if resume:  # a resumed run is a new invocation for LangGraph: the step budget restarts
            frame.stop = frame.step + self.wf.graph.recursion_limit + 1
        # the node's config, and the wiring of graphs it invokes itself (nested_graphs)
        config, nested = lg.node_config(
            self._call_context(level, frame, task, input, ctx, resume, input.get("carry")), name
        )
        from langgraph.errors import GraphInterrupt

        chat = chat_capture.attach(
            config
        )  # its chat-model calls, for the history (chat_capture.py)
        custom = stream_capture.attach_writer(config)  # its `custom` stream chunks
        forked = graph_fork.answer(
            input, level.path, frame.step, task.key
        )  # a fork's record (graph_fork.py)
        try:
            if forked is not None and (forked.writes is not None or forked.has_value):
                result, writes = forked.value, forked.writes
                writes = (
                    writes
                    if writes is not None
                    else pregel.task_writes(frame, task, result, config, self.resolve)
                )
                chat.calls = list(forked.chat or [])
            else:
                # docs/policies.md: deny / approval before the node runs; an external node's result
                runnable = self.resolve(node.call)
                done = policy_gate.node_gate(
                    self.wf,
                    name,
                    task.input,
                    config,
                    path=tuple(level.path),
                    ir_node=node,
                    runnable=runnable,
                    frame=frame,
                    task=task,
                )
                if not isinstance(
                    done, policy_gate.Completed
                ):  # an at_most_once node's lost attempt is not called again (at_most_once.py)
                    at_most_once.check(
                        self.wf,
                        name,
                        config["configurable"][EFFECTS_KEY],
                        task.input,
                        ctx["attempt"] - 1,
                        input.get(at_most_once.FORGOTTEN),
                    )
                with graph_fork.rerun(forked, chat, name):
                    result = (
                        done.value
                        if isinstance(done, policy_gate.Completed)
                        else lg.call_node(
                            node_timeouts.bounded(  # docs/policies.md "Node timeouts"
                                done.wrap(runnable) if done else runnable,
                                node_timeouts.limit(self.wf, name, node, not level.path),
                                name,
                            ),
                            task.input,
                            config,
                            node.call.is_async,
                        )
                    )
                writes = (
                    pregel.task_writes(frame, task, result, config, self.resolve)
                    + nested.thread_writes()
                )
                forked = None
        except GraphInterrupt as gi:
            slots = input.get("interrupt_slots")
            if slots is not None and len(resume) >= slots:
                raise _Terminal(
                    f"{Code.UNSUPPORTED.value}: node {name!r} called interrupt() "
                    f"{len(resume) + 1} times; agentc found "
                    f"{slots} call site(s) at compile time, so the workflow has no HUMAN task left "
                    "for it (use the local target for nodes that interrupt in a loop)"
                ) from None
            # "order": the node's place in its graph, so engines list parallel pauses in
            # LangGraph's get_state().tasks order (answers.in_task_order)
            rank = [n.name for n in level.graph.nodes].index(name)
            paused = StepOutput(
                INTERRUPTED,
                step=frame.step,
                interrupts=[
                    {"id": i.id, "value": to_jsonable(i.value), "node": name, "order": rank}
                    for i in gi.args[0]
                ],
                carry=nested.carry(),
            )
            rule = self.wf.effect(name)
            if rule is not None and rule.kind != "pure":  # paused after its effect: no result yet
                from agentc.semantics.effects import CONFIG_KEY, record

                paused.effect = record(
                    config["configurable"][CONFIG_KEY],
                    name,
                    rule.kind,
                    getattr(rule, "compensator", None),
                    task.input,
                    None,
                )
                return step_audit.stamp_paused(paused.to_dict())
            return paused.to_dict()
        except lg.ParentCommand as pc:
            if not level.path:  # LangGraph raises ParentCommand out of the root graph's invoke
                raise _Terminal(
                    f"{Code.NODE_FAILED.value}: node {name!r} failed: ParentCommand: it returned "
                    f"{pc.command!r}, but the root graph has no parent graph"
                ) from None
            return StepOutput(
                step=frame.step + 1, next=-1, parent_command=pregel.encode(pc.command)
            ).to_dict()
        except AgentcError:
            raise
        except Exception as exc:  # the user's node failed: LangGraph's RetryPolicy decides
            from agentc.locate import failure_site, source_files

            delay = (
                None
                if at_most_once.is_at_most_once(self.wf, name)
                else lg.retry_decision(node.retry, ctx["attempt"], exc, self.resolve)
            )  # at_most_once: terminal
            site, inside = failure_site(exc, node.source, source_files(self.wf), node.call.qualname)
            reason = (
                f"{Code.NODE_FAILED.value}: node {name!r} failed{inside}: "
                f"{type(exc).__name__}: {exc}"
            )
            out = {
                "error": reason,
                "traceback": traceback.format_exc(),
                "construct": f"node {name!r}",
            }
            if site:  # where in the user's code: the diagnostic's --> line
                out["location"] = f"{site['file']}:{site['line']}"
            if delay is None:  # failed for good: a resume re-runs it, graphs it invoked continue
                out["carry"] = nested.failed_carry()  # (nested_graphs; a retry starts them over)
                raise _Terminal(reason, out) from None
            raise _Retry(reason, out) from None
        out = self._after(level, frame, block, tasks, task, writes, input)
        if chat.calls:
            out[chat_capture.OUTPUT_KEY] = chat.encoded()
        streamed = stream_capture.record(custom, task.input, writes)
        if streamed is not None:
            out[stream_capture.CUSTOM_KEY] = stream_capture.encoded(streamed)
        if forked is not None:  # answered by a fork's record, not run (graph_fork.py)
            forked.mark(out)
        rule = self.wf.effect(name)
        if (
            rule is not None and rule.kind != "pure" and forked is None
        ):  # the run's ledger (docs/effects.md)
            from agentc.semantics.effects import CONFIG_KEY, record

            out["effect"] = record(
                config["configurable"][CONFIG_KEY],
                name,
                rule.kind,
                getattr(rule, "compensator", None),
                task.input,
                result,
            )
        return step_audit.stamp_node(level.path, input, out, name, self.wf)  # the run's audit log

    def _barrier(
        self, level: Any, kind: dict[str, Any], input: dict[str, Any], ctx: dict[str, Any]
    ) -> dict[str, Any]:
        frame, block, tasks = self._enter(level, input, ctx)
        outputs = _part_outputs(input.get("parts") or {})
        for o in outputs:  # a subgraph node ended its graph with Command(graph=PARENT)
            if o.parent_command and o.step == frame.step + 1:
                return StepOutput(
                    step=frame.step + 1, next=-1, parent_command=o.parent_command
                ).to_dict()
        writes = self._gather(frame, block, tasks, outputs)
        out = self._advance_and_package(level, frame, tasks, writes, input["self"], input)
        return step_audit.stamp_barrier(level.path, input, out, self.wf)

    def _gather(
        self, frame: Any, block: int, tasks: list[Any], outputs: list[StepOutput]
    ) -> dict[str, Any]:
        """The writes of every task of a parallel step; only outputs of this superstep
        count (loops leave older ones behind)."""
        mine = [o for o in outputs if o.task and o.step == frame.step]
        writes = {o.task: pregel.decode_writes(o.writes) for o in mine}
        missing = [t.key for t in tasks if t.key not in writes]
        if missing:
            raise _Terminal(
                f"{Code.GRAPH_CHANGED.value}: barrier of block {block} has no result for tasks "
                f"{missing}"
            )
        stops = [o.stop for o in mine if o.stop]
        if stops:
            frame.stop = max(stops)
        return writes

    def _end(
        self, level: Any, kind: dict[str, Any], input: dict[str, Any], ctx: dict[str, Any]
    ) -> dict[str, Any]:
        if input.get(graph_fork.PROBE):  # a fork answers the subgraph node (graph_fork.py)
            return graph_fork.answer_subgraph(self, level, input, ctx)
        best = _latest((input.get("prev") or {}).values())
        if best is None and "_input" in (input.get("prev") or {}):
            frame, tasks, nxt = self._started(level, input["prev"]["_input"], input, ctx)
            best = StepOutput(frame=pregel.to_json(frame), next=nxt)
        if best is None or best.next != -1:
            raise _Terminal(
                f"{Code.GRAPH_CHANGED.value}: the run reached its end task before its last "
                "superstep"
            )
        if best.parent_command:
            from langgraph.types import Command

            cmd = pregel.decode(best.parent_command)
            result: Any = Command(update=cmd.update, goto=cmd.goto, resume=cmd.resume)
            state = None
            counted: list[tuple[str, Any]] = []
        else:
            frame = pregel.from_json(level.graph, self.resolve, best.frame)
            result = state = frame.output()
            counted = call_counts.returned(frame.channels)  # back to the parent's counts
        if not level.path:
            from agentc.semantics.claim_check import result_value

            return StepOutput(state=result_value(to_jsonable(state))).to_dict()
        # a subgraph's end finishes its parent's task for the subgraph node
        parent = self.layout.levels[level.path[:-1]]
        desc = input["parent"]
        pframe, pblock, ptasks = self._enter(parent, desc, ctx)
        ptask = next(t for t in ptasks if t.path == (PULL, level.path[-1]))
        config = self._config(parent, pframe, ptask, desc, ctx, [])
        writes = pregel.task_writes(pframe, ptask, result, config, self.resolve) + counted
        out = self._after(parent, pframe, pblock, ptasks, ptask, writes, desc)
        if best.parent_command:  # its node's own step left no node event (graph_fork.counts)
            out[graph_fork.BY_COMMAND] = True
        streamed = stream_capture.record([], ptask.input, writes)  # the node's echoed messages
        if streamed is not None:
            out[stream_capture.CUSTOM_KEY] = stream_capture.encoded(streamed)
        return step_audit.stamp_node(parent.path, desc, out, level.path[-1], self.wf)

    # ------------------------------------------------------------ frames
    def _enter(
        self, level: Any, input: dict[str, Any], ctx: dict[str, Any]
    ) -> tuple[Any, int, list[Any]]:
        if "fold" in input:  # the previous parallel step has no barrier task: merge it here
            frame, block, tasks = self._enter(level, {"prev": input.get("prev")}, ctx)
            if block != input["fold"]:
                raise _Terminal(
                    f"{Code.GRAPH_CHANGED.value}: expected superstep block {input['fold']}, found "
                    f"{block}"
                )
            writes = self._gather(frame, block, tasks, _part_outputs(input.get("parts") or {}))
            frame, nt, nxt = self._advance(level, frame, tasks, writes)
            if nxt == -1:
                raise _Terminal(
                    f"{Code.GRAPH_CHANGED.value}: the run ended where the plan has a next step"
                )
            return frame, nxt, nt
        prev = input.get("prev") or {}
        best = _latest(prev.values())
        if best is None:
            if "_input" not in prev:
                raise _Terminal(
                    f"{Code.GRAPH_CHANGED.value}: no finished superstep among this task's inputs"
                )
            frame, tasks, nxt = self._started(level, prev["_input"], input, ctx)
            if nxt == -1:  # the plan ran a task here: its prediction of START's routers was wrong
                raise _Terminal(
                    f"{Code.UNSUPPORTED.value}: the run ends at START where the compiled plan "
                    "runs a "
                    "task; a router of START returned a destination agentc could not predict — "
                    "declare "
                    "its targets (path_map / Literal, a list[...] return annotation when it "
                    "returns "
                    "several) and recompile"
                )
            return frame, nxt, tasks
        frame = pregel.from_json(level.graph, self.resolve, best.frame)
        tasks = frame.prepare(self.resolve)
        block = best.next
        expected = (
            level.schedule.blocks[block].key if 0 <= block < len(level.schedule.blocks) else None
        )
        if pregel.schedule_key(frame, tasks) != expected:
            raise _Terminal(
                f"{Code.GRAPH_CHANGED.value}: superstep {frame.step} does not match compiled "
                f"block {block}"
            )
        return frame, block, tasks

    def _started(
        self, level: Any, raw: Any, input: dict[str, Any], ctx: dict[str, Any]
    ) -> tuple[Any, list[Any], int]:
        """Run the START step (the input becomes writes; START's routers run)."""
        if level.path:
            parent = self.layout.levels[level.path[:-1]]
            pframe, _, ptasks = self._enter(parent, raw, ctx)
            ptask = next(t for t in ptasks if t.path == (PULL, level.path[-1]))
            graph_input = ptask.input
            counts = call_counts.counted(pframe.channels)  # per-run policy counts
        else:
            graph_input, counts = raw, None
        frame = pregel.Frame(level.graph, self.resolve)
        pregel.start(frame, graph_input, self.wf.graph.recursion_limit, counts)
        tasks = frame.prepare(self.resolve)
        writes = {}
        for t in tasks:
            config = self._config(level, frame, t, input, ctx, [])
            writes[t.key] = pregel.task_writes(
                frame, t, t.input, config, self.resolve, is_start=True
            )
        subgraph_start.record(ctx, level.path, tasks, writes)  # shown in its history
        return self._advance(level, frame, tasks, writes)

    def _advance(
        self, level: Any, frame: Any, tasks: list[Any], writes: dict[str, Any]
    ) -> tuple[Any, list[Any], int]:
        frame.apply_writes(tasks, writes)  # the user's reducers run here, in LangGraph's order
        frame.step += 1
        if frame.step > frame.stop:
            raise _Terminal(
                f"{Code.RECURSION_LIMIT.value}: recursion limit of {self.wf.graph.recursion_limit} "
                f"reached without hitting a stop condition (graph {level.graph.name!r})"
            )
        nt = frame.prepare(self.resolve)
        if not nt:
            return frame, nt, -1
        nxt = self.keys[level.path].get(pregel.schedule_key(frame, nt))
        if nxt is None:
            names = sorted(t.name for t in nt)
            raise _Terminal(
                f"{Code.UNSUPPORTED.value}: the run reached a superstep the compiled plan does not "
                f"contain (nodes {names}); a router or Command(goto=...) chose destinations "
                "agentc could not predict — declare a router's targets (path_map / Literal) "
                "and a node's Command destinations (Command[Literal[...]]), then recompile"
            )
        return frame, nt, nxt

    def _advance_and_package(
        self,
        level: Any,
        frame: Any,
        tasks: list[Any],
        writes: dict[str, Any],
        self_ref: str,
        input: dict[str, Any],
    ) -> dict[str, Any]:
        frame, nt, nxt = self._advance(level, frame, tasks, writes)
        return self._package(level, frame, nt, nxt, self_ref, input)

    def _after(
        self,
        level: Any,
        frame: Any,
        block: int,
        tasks: list[Any],
        task: Any,
        writes: list[Any],
        input: dict[str, Any],
    ) -> dict[str, Any]:
        # the task's writes travel with its output in both cases: a barrier applies them, and
        # the engines' histories read them back as the node's journaled writes, so a run on
        # an engine replays on the local executor (targets/step_history.py, docs/replay.md)
        if level.blocks[block].single:  # the task finishes its superstep (else a barrier does)
            out = self._advance_and_package(
                level, frame, tasks, {task.key: writes}, input["self"], input
            )
            out["writes"] = pregel.encode_writes(writes)
            return out
        return StepOutput(
            step=frame.step, task=task.key, stop=frame.stop, writes=pregel.encode_writes(writes)
        ).to_dict()

    def _package(
        self, level: Any, frame: Any, nt: list[Any], nxt: int, self_ref: str, input: dict[str, Any]
    ) -> dict[str, Any]:
        out = StepOutput(step=frame.step, next=nxt, frame=pregel.to_json(frame))
        pushes = [t for t in nt if t.path[0] == PUSH]
        if pushes:
            sends: dict[str, SendGroup] = {}
            for t in pushes:
                key = level.send_keys[t.name]
                idx = t.path[1]
                sends.setdefault(key, SendGroup()).tasks.append(
                    SendTask(
                        f"{key}_s{frame.step}_{idx}",
                        level.node_types[t.name],
                        idx,
                        self_ref,
                        self.layout.plan_id,
                        context="context" in input,
                        fork=input.get(graph_fork.FIELD) or None,
                    )
                )  # a fork's record reaches its Send tasks too
            if not level.path:  # a fan-out policy travels with its tasks (docs/policies.md)
                policy_gate.fanout_spec(
                    self.wf, sends, {level.send_keys[t.name]: t.name for t in pushes}
                )
            out.set_sends(sends)
        return out.to_dict()

    def _config(
        self,
        level: Any,
        frame: Any,
        task: Any,
        input: dict[str, Any],
        ctx: dict[str, Any],
        resume: list[Any],
    ) -> dict[str, Any]:
        return lg.make_config(self._call_context(level, frame, task, input, ctx, resume), task.name)

    def _call_context(
        self,
        level: Any,
        frame: Any,
        task: Any,
        input: dict[str, Any],
        ctx: dict[str, Any],
        resume: list[Any],
        carry: Any = None,
    ) -> CallContext:
        ns = "|".join([*level.path, task.key]) if level.path else task.key
        return CallContext(
            run_id=ctx["run_id"],
            step=frame.step,
            stop=frame.stop,
            ns=ns,
            task_id=task.key,
            resume=resume,
            context=self._context(input.get("context")),
            store=self.store,
            recursion_limit=self.wf.graph.recursion_limit,
            thread_state=frame.thread_state(),
            carry=carry,
            attempt=ctx["attempt"],
            first_attempt_time=ctx["first_attempt_time"],
            triggers=task.triggers,
            path=task.path,
        )

    def _context(self, raw: Any) -> Any:
        schema = self.wf.graph.context_schema
        if raw is None or schema is None or not isinstance(raw, dict):
            return raw
        cls = self.resolve(schema)
        try:
            return cls(**raw)
        except Exception as exc:  # noqa: BLE001 - the user's schema rejected it (as `agentc run` does)
            raise AgentcError(
                Code.INPUT_SCHEMA,
                f"context does not fit {cls.__name__}: {exc}",
                construct="context",
                source=schema.source,
                hint=f"pass a JSON object with the fields of {cls.__name__}",
            ) from None


def _latest(outputs: Any) -> StepOutput | None:
    """The output to continue from (``protocol.pick``), typed."""
    best = pick(outputs)
    return None if best is None else StepOutput.from_dict(best)


def _part_outputs(parts: dict[str, Any]) -> list[StepOutput]:
    """Step outputs from a barrier's ``parts``: task outputs, or a JOIN's ``{ref: output}``."""
    outputs: list[dict[str, Any]] = []
    for v in parts.values():
        if is_step_output(v):
            outputs.append(v)
        elif isinstance(v, dict):
            outputs.extend(x for x in v.values() if is_step_output(x))
    return [StepOutput.from_dict(o) for o in outputs]


class _Retry(Exception):
    def __init__(self, reason: str, output: dict[str, Any]) -> None:
        super().__init__(reason)
        self.reason, self.output = reason, output


__all__ = ["StepWorker", "Outcome", "pick"]


def worker_for(wf: Any, live: Any) -> Any:
    """The task worker for a compiled workflow: graph steps, or agent-loop steps
    (``agent_steps.AgentStepper``; same ``layout.plan_id``/``layout.task_kinds``/``execute``)."""
    from .run_index import Indexed  # each step records its blobs for `agentc gc` (run_index.py)

    if wf.body.kind == "agents":
        from .agent_steps import AgentStepper  # lazily: graph-only runs never load the Agents SDK

        return Indexed(AgentStepper(wf, live))
    return Indexed(StepWorker(wf, live))
