"""The local durable executor: LangGraph's Pregel superstep semantics, driven by the IR,
journaled in SQLite.

One loop serves the root graph and every subgraph (a "frame", keyed by namespace):

1. ``step > stop`` → recursion limit (LangGraph counts supersteps; START is step 0).
2. Prepare tasks: PUSH tasks for pending ``Send`` packets (creation order), then PULL tasks
   for nodes whose trigger channels changed since they last ran (node-name order).
3. ``interrupt_before`` breakpoints.
4. Run the tasks (in threads when several) on the start-of-step snapshot. Each completed
   task's writes are committed to the journal as it finishes, so a killed process never
   re-runs it; the last one is committed together with the barrier.
5. Barrier: writes are applied in task-path order through LangGraph's own channel classes
   (reducers are the user's functions), only changed channels are journaled.
6. ``interrupt_after`` breakpoints.

``interrupt()`` pauses the run: pending interrupts are recorded and the process returns;
``resume`` appends the answer to that task's resume list and re-runs the task from its top,
so the k-th ``interrupt()`` call gets the k-th answer.
"""

from __future__ import annotations

import concurrent.futures
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable


from langgraph.errors import GraphInterrupt

from agentc.errors import AgentcError, Code, RunFailed
from agentc.ir import START, Graph, SubgraphNode, Workflow
from agentc.semantics import langgraph_calls as lg
from agentc.semantics.langgraph_calls import CallContext, Resolver

from agentc.runtime_shims import node_timeouts, policy_gate, stream_capture

from agentc.semantics import call_counts, pregel
from agentc.targets.local import external_deadlines
from agentc.semantics.pregel import Frame, Task

from . import compensation, stream_writes
from .effect_calls import EffectCalls
from .journal import Journal
from .fanout import fanout_for
from .lease import LeaseLost

NO_VALUE = object()


@dataclass
class RunOutcome:
    run_id: str
    status: str  # "done" | "waiting" | "cancelled"
    output: Any = None
    interrupts: list[dict[str, Any]] = field(default_factory=list)
    compensated: list[str] = field(default_factory=list)
    """Names of the effects whose compensators ran (docs/effects.md)."""

    def to_json(self) -> Any:
        from agentc.semantics.codec import to_jsonable

        if self.status == "done":
            return to_jsonable(self.output)
        if self.status == "cancelled":
            return {"run_id": self.run_id, "status": self.status, "compensated": self.compensated}
        return {
            "run_id": self.run_id,
            "status": self.status,
            "interrupts": to_jsonable(self.interrupts),
        }


class _Paused(Exception):
    def __init__(self, interrupts: list[dict[str, Any]]) -> None:
        super().__init__(interrupts)
        self.interrupts = interrupts


@dataclass
class _Result:
    writes: list[tuple[str, Any]] | None = None
    interrupts: list[dict[str, Any]] | None = None
    error: BaseException | None = None
    tb: str = ""
    carry: Any = None


class LocalExecutor:
    """Runs a ``Workflow`` durably against a ``Journal``. ``on_event(kind, info)`` observes
    progress (tracing, tests); it is called after each journal commit."""

    def __init__(
        self,
        wf: Workflow,
        entry_obj: Any,
        journal: Journal,
        *,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.wf = wf
        self.resolve = Resolver(entry_obj)
        self.journal = journal
        self.on_event = on_event or (lambda kind, info: None)
        self.store = getattr(entry_obj, "store", None)
        self.recursion_limit = wf.graph.recursion_limit
        self.level_paths: dict[str, tuple[str, ...]] = {}
        """A subgraph frame's namespace -> its level path (subgraph node names)."""
        self.returned: dict[str, list[tuple[str, Any]]] = {}
        """A finished subgraph frame's namespace -> its policy counts' write (call_counts)."""
        self.context: Any = None
        self.run_id = ""
        self._failed_carry: dict[
            tuple[str, str], Any
        ] = {}  # (ns, task) -> NestedRuns.failed_carry()

    # ------------------------------------------------------------ public API
    def start(
        self,
        input: Any,
        *,
        run_id: str | None = None,
        context: Any = None,
        recursion_limit: int | None = None,
    ) -> RunOutcome:
        self.run_id = run_id or uuid.uuid4().hex
        self.context = context
        if recursion_limit is not None:
            self.recursion_limit = recursion_limit
        create = lambda: self.journal.create_run(  # noqa: E731
            self.run_id, self.wf.entry, self.wf.name, self.wf.model_dump_json(), context
        )
        with self.journal.driving(self.run_id, create):
            return self._drive(input)

    def resume(self, run_id: str, value: Any = NO_VALUE, command: Any = None) -> RunOutcome:
        """``command``: an ``agentc.commands.ResumeCommand`` (goto/update at a breakpoint)."""
        with self.journal.driving(run_id):  # read the run only once no other process drives it
            return self._resume(run_id, value, command)

    def _resume(self, run_id: str, value: Any, command: Any = None) -> RunOutcome:
        run = self.journal.resumable(run_id)
        self.run_id = run_id
        if run["status"] == "compensating":  # cut off while compensating: finish that
            return compensation.finish(self.journal, run_id, self.on_event)
        self.context = run["context"]
        status = run["status"]
        pending = run["interrupts"]
        if command:
            self._command(run_id, status, pending, command)
        if status == "waiting":
            self._answer(run_id, pending, value)
        elif value is not NO_VALUE:
            raise AgentcError(
                Code.INVALID_RESUME,
                f"run {run_id} is {status}, not waiting for a value",
                construct=run_id,
                hint="resume it without --value",
            )
        with self.journal.tx() as j:
            if status in ("waiting", "failed"):
                # a resume is a new invocation for LangGraph: the step budget restarts
                for ns, step in j.db.execute(
                    "SELECT ns, step FROM frames WHERE run_id=?", (run_id,)
                ).fetchall():
                    j.set_stop(run_id, ns, step + self.recursion_limit + 1)
            j.set_status(run_id, "running")
        return self._drive(None)

    def _command(
        self, run_id: str, status: str, pending: list[dict[str, Any]], command: Any
    ) -> None:
        """Apply ``Command(goto=..., update=...)`` to the root frame paused at a breakpoint
        (the shared ``pregel.apply_command``), journaled before the run moves on."""
        from agentc.commands import check

        check(run_id, self.wf.graph, command, status, pending)
        frame = Frame(self.wf.graph, self.resolve)
        frame.restore(*self.journal.load_frame(run_id, ""))
        changed = pregel.apply_command(
            frame, pregel.command_writes(frame, list(command.goto), command.update)
        )
        with self.journal.tx() as j:
            j.save_frame(
                run_id,
                "",
                frame.step,
                frame.stop,
                frame.state(),
                frame.checkpoint_values(changed),
                frame.take_meta(),
            )

    def _answer(self, run_id: str, pending: list[dict[str, Any]], value: Any) -> None:
        from agentc.answers import match_answers

        real = [p for p in pending if p.get("kind") == "interrupt"]
        answers = match_answers(run_id, [p["id"] for p in real], value, NO_VALUE)
        with self.journal.tx() as j:
            for p in real:
                if p["id"] in answers:
                    j.add_resume(run_id, p["ns"], p["task"], answers[p["id"]])

    # ------------------------------------------------------------ driving
    def _drive(self, input: Any) -> RunOutcome:
        self.effects = EffectCalls(self.wf, self.journal, self.run_id, self.on_event)
        try:
            output = self._run_frame(self.wf.graph, "", input)
        except _Paused as p:
            with self.journal.tx() as j:
                j.set_status(self.run_id, "waiting", interrupts=p.interrupts)
                external_deadlines.stamp(j.db, self.run_id, p.interrupts)  # an external timeout
            self.on_event("paused", {"interrupts": p.interrupts})
            return RunOutcome(self.run_id, "waiting", interrupts=p.interrupts)
        except LeaseLost:
            raise  # another process drives the run now: write nothing
        except AgentcError as exc:
            with self.journal.tx() as j:
                j.set_status(self.run_id, "failed", error=exc.diagnostic.render())
            err = compensation.after_failure(self.journal, self.run_id, exc, self.on_event)
            if err is exc:
                raise
            raise err from None
        with self.journal.tx() as j:
            j.set_status(self.run_id, "done", output=output)
        self.on_event("done", {})
        return RunOutcome(self.run_id, "done", output=output)

    def _run_frame(
        self, graph: Graph, ns: str, input: Any, counts: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run a graph level to its end; a subgraph's starts from its parent task's policy
        ``counts`` and leaves the calls it counted in ``self.returned[ns]`` (call_counts)."""
        frame = Frame(graph, self.resolve)
        saved = self.journal.load_frame(self.run_id, ns)
        if saved is None:
            first = pregel.start(frame, input, self.recursion_limit, counts)
            with self.journal.tx() as j:
                j.save_frame(
                    self.run_id,
                    ns,
                    frame.step,
                    frame.stop,
                    frame.state(),
                    frame.checkpoint_values(first),
                    frame.take_meta(),
                )
        else:
            frame.restore(*saved)
        while not frame.done:
            if frame.step > frame.stop:
                raise RunFailed(
                    Code.RECURSION_LIMIT,
                    f"recursion limit of {self.recursion_limit} reached without hitting a stop "
                    "condition",
                    construct=f"graph {graph.name!r}",
                    source=graph.source,
                    hint="raise it with --recursion-limit, or check the loop's exit condition",
                )
            tasks = frame.prepare(self.resolve)
            if not tasks:
                frame.done = True
                with self.journal.tx() as j:
                    j.save_frame(self.run_id, ns, frame.step, frame.stop, frame.state(), [])
                break
            if frame.should_interrupt(graph.interrupt_before, tasks):
                self._pause_breakpoint(frame, ns, "before", tasks)
            writes = self.journal.load_writes(self.run_id, ns, frame.step)
            last = self._run_tasks(frame, ns, [t for t in tasks if t.key not in writes], writes)
            step = frame.step
            try:
                changed = frame.apply_writes(tasks, writes)
            except AgentcError:
                if last is not None:
                    with self.journal.tx() as j:
                        j.save_writes(self.run_id, ns, step, last.key, last.name, writes[last.key])
                raise
            frame.step += 1
            # LangGraph pauses after the step only when a next step exists: after the last
            # one its run is finished (nothing to resume)
            interrupt_after = frame.should_interrupt(graph.interrupt_after, tasks) and bool(
                frame.prepare(self.resolve, with_input=False)
            )
            with self.journal.tx() as j:  # one commit per superstep: last task's writes + barrier
                if last is not None:
                    j.save_writes(self.run_id, ns, step, last.key, last.name, writes[last.key])
                j.save_frame(
                    self.run_id,
                    ns,
                    frame.step,
                    frame.stop,
                    frame.state(),
                    frame.checkpoint_values(changed),
                    frame.take_meta(),
                )
            if last is not None:
                self.on_event("task", {"ns": ns, "step": step, "task": last.key, "node": last.name})
            self.on_event("barrier", {"ns": ns, "step": step})
            if interrupt_after:
                self._pause_breakpoint(frame, ns, "after", tasks)
        self.returned[ns] = call_counts.returned(frame.channels)
        return frame.output()

    def _pause_breakpoint(self, frame: Frame, ns: str, when: str, tasks: list[Task]) -> None:
        with self.journal.tx() as j:
            j.save_frame(self.run_id, ns, frame.step, frame.stop, frame.state(), [])
        names = sorted({t.name for t in tasks if t.name != START})
        raise _Paused([{"kind": "breakpoint", "when": when, "nodes": names, "ns": ns}])

    def _run_tasks(
        self, frame: Frame, ns: str, todo: list[Task], writes: dict[str, list[tuple[str, Any]]]
    ) -> Task | None:
        """Run a step's remaining tasks, committing each completion as it happens. The last
        one to finish is returned uncommitted: the caller commits it with the barrier."""
        if not todo:
            return None
        # pauses and failures are reported in LangGraph's ``get_state().tasks`` order (the
        # graph's node order, then the step's task order), not in the order parallel tasks
        # happened to finish
        rank = {name: i for i, name in enumerate(frame.nodes)}
        order = {t.key: (rank.get(t.name, len(rank)), i) for i, t in enumerate(todo)}
        paused: list[tuple[tuple[int, int], list[dict[str, Any]]]] = []
        failures: list[tuple[tuple[int, int], Task, _Result]] = []
        held: list[Task] = []

        def record(task: Task, res: _Result, last: bool) -> None:
            if res.writes is not None:
                writes[task.key] = res.writes
                if last and not paused and not failures:
                    held.append(task)
                    return
                with self.journal.tx() as j:
                    j.save_writes(self.run_id, ns, frame.step, task.key, task.name, res.writes)
                self.on_event(
                    "task", {"ns": ns, "step": frame.step, "task": task.key, "node": task.name}
                )
            elif res.interrupts is not None:
                paused.append((order[task.key], res.interrupts))
                if res.carry is not None:
                    with self.journal.tx() as j:
                        j.save_carry(self.run_id, ns, task.key, res.carry)
            else:
                failures.append((order[task.key], task, res))
                if res.carry is not None:  # graphs the node invoked continue on resume
                    with self.journal.tx() as j:
                        j.save_carry(self.run_id, ns, task.key, res.carry)

        scoped = fanout_for(self.wf, ns, todo)  # docs/policies.md "Fan-outs"
        if len(todo) == 1:
            record(todo[0], self._execute(frame, ns, todo[0]), True)
        elif scoped is not None:
            scoped.run(todo, lambda t: self._execute(frame, ns, t), record)
        else:
            with concurrent.futures.ThreadPoolExecutor(max_workers=min(32, len(todo))) as pool:
                futures = {pool.submit(self._execute, frame, ns, t): t for t in todo}
                remaining = len(futures)
                for fut in concurrent.futures.as_completed(futures):
                    remaining -= 1
                    record(futures[fut], fut.result(), remaining == 0)
        if failures:
            _, task, res = min(failures, key=lambda f: f[0])
            raise self._failure(frame, task, res)
        if paused:
            raise _Paused([i for _, found in sorted(paused, key=lambda p: p[0]) for i in found])
        return held[0] if held else None

    def _failure(self, frame: Frame, task: Task, res: _Result) -> AgentcError:
        exc = res.error
        if isinstance(exc, AgentcError):
            return exc
        from agentc.locate import failure_site, source_files

        node = frame.nodes.get(task.name)
        src = getattr(node, "source", None)
        site, inside = failure_site(
            exc, src, source_files(self.wf), getattr(getattr(node, "call", None), "qualname", None)
        )
        return RunFailed(
            Code.NODE_FAILED,
            f"node {task.name!r} failed{inside}: {type(exc).__name__}: {exc}",
            construct=f"node {task.name!r}",
            **site,
            hint=f"fix the node, then continue with `agentc resume {self.run_id}`; completed "
            "nodes are not re-run",
            details={"traceback": res.tb},
        )

    # ------------------------------------------------------------ one task
    def _execute(self, frame: Frame, ns: str, task: Task) -> _Result:
        if task.name == START:
            return self._attempt(frame, ns, task, None, self.resolve)
        self.on_event(
            "task_start", {"ns": ns, "step": frame.step, "task": task.key, "node": task.name}
        )
        node = frame.nodes[task.name]
        attempt = 0
        first = time.time()
        while True:
            attempt += 1
            try:
                return self._attempt(frame, ns, task, node, self.resolve, attempt, first)
            except _Paused as p:
                return _Result(interrupts=p.interrupts)
            except lg.ParentCommand as pc:
                if ns == "":
                    return _Result(
                        error=pc, tb="Command(graph=PARENT) returned from the root graph"
                    )
                raise
            except BaseException as exc:  # user code failed
                if isinstance(exc, GraphInterrupt):
                    return _Result(interrupts=_pending(exc, task, ns))
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                if isinstance(
                    exc, (LeaseLost, policy_gate.PolicyDenied)
                ):  # fenced off; a refusal is final
                    return _Result(error=exc)
                delay = (
                    None
                    if self.effects.no_retry(task.name)
                    else lg.retry_decision(node.retry, attempt, exc, self.resolve)
                )
                carry = self._failed_carry.pop(
                    (ns, task.key), None
                )  # a retry starts invoked graphs over
                if delay is None:
                    return _Result(error=exc, tb=traceback.format_exc(), carry=carry)
                with (
                    self.journal.tx() as j
                ):  # the audit trail keeps failed attempts (docs/replay.md)
                    j.note(
                        self.run_id,
                        "retry",
                        ns=ns,
                        step=frame.step,
                        task=task.key,
                        node=task.name,
                        attempt=attempt,
                        error=f"{type(exc).__name__}: {exc}",
                        delay=delay,
                    )
                self.on_event("retry", {"node": task.name, "attempt": attempt, "error": repr(exc)})
                time.sleep(delay)

    def _chat(self, config: dict[str, Any], ns: str, step: int, task: Task) -> Any:
        from .chat_calls import attach

        return attach(config, self.journal, self.run_id, ns, step, task.key, task.name)

    def _attempt(
        self,
        frame: Frame,
        ns: str,
        task: Task,
        node: Any,
        resolve: Resolver,
        attempt: int = 1,
        first_attempt_time: float | None = None,
    ) -> _Result:
        task_ns = f"{ns}|{task.key}" if ns else task.key
        cc = CallContext(
            run_id=self.run_id,
            step=frame.step,
            stop=frame.stop,
            ns=task_ns,
            task_id=task.key,
            context=self.context,
            store=self.store,
            resume=self.journal.resume_values(self.run_id, ns, task.key),
            recursion_limit=self.recursion_limit,
            thread_state=frame.thread_state(),
            carry=self.journal.carry(self.run_id, ns, task.key),
            attempt=attempt,
            first_attempt_time=first_attempt_time,
            triggers=task.triggers,
            path=task.path,
        )
        config, nested = lg.node_config(cc, task.name)
        extra: list[tuple[str, Any]] = []
        custom: list[Any] | None = None
        if node is None:  # START: the input becomes writes
            result = task.input
        elif isinstance(node, SubgraphNode):
            try:
                # the subgraph's level path, for its nodes' policies (node_rules.qualified)
                self.level_paths[cc.ns] = (*self.level_paths.get(ns, ()), task.name)
                result = self._run_frame(
                    node.graph, cc.ns, task.input, call_counts.counted(frame.channels)
                )
                extra = self.returned.pop(cc.ns, [])  # its policy counts, per run
            except lg.ParentCommand as pc:
                from langgraph.types import Command

                cmd = pc.command
                result = Command(update=cmd.update, goto=cmd.goto, resume=cmd.resume)
        else:
            from agentc.semantics.effects import CONFIG_KEY

            self._chat(
                config, ns, frame.step, task
            )  # its chat-model calls, journaled (chat_calls.py)
            custom = stream_capture.attach_writer(config)  # its `custom` chunks (stream_writes.py)
            key = self.effects.before(task.name, config["configurable"][CONFIG_KEY], task.input)
            try:
                # docs/policies.md: deny / approval before the node runs; an external node's result
                runnable = resolve(node.call)
                done = policy_gate.node_gate(
                    self.wf,
                    task.name,
                    task.input,
                    config,
                    path=self.level_paths.get(ns, ()),
                    ir_node=node,
                    runnable=runnable,
                    frame=frame,
                    task=task,
                )
                result = (
                    done.value
                    if isinstance(done, policy_gate.Completed)
                    else lg.call_node(
                        node_timeouts.bounded(  # docs/policies.md "Node timeouts"
                            done.wrap(runnable) if done else runnable,
                            node_timeouts.limit(self.wf, task.name, node, not ns),
                            task.name,
                        ),
                        task.input,
                        config,
                        node.call.is_async,
                    )
                )
            except GraphInterrupt as gi:
                self.effects.paused(key)
                return _Result(interrupts=_pending(gi, task, ns), carry=nested.carry())
            except lg.ParentCommand as pc:  # the node finished, routing in its parent graph
                self.effects.after(key, pc.command)
                raise
            except (
                Exception
            ) as exc:  # kept for a resume after the failure (nested_graphs.failed_carry)
                self.effects.raised(key, exc)
                self._failed_carry[(ns, task.key)] = nested.failed_carry()
                raise
            self.effects.after(key, result)
            extra = nested.thread_writes()
        writes = pregel.task_writes(frame, task, result, config, resolve, is_start=node is None)
        if node is not None:  # what it streamed, for a stream's follower (stream_writes.py)
            streamed = stream_capture.record(custom or [], task.input, writes)
            if streamed is not None:
                stream_writes.save(self.journal, self.run_id, ns, frame.step, task.key, streamed)
        return _Result(writes=writes + extra)


def _pending(exc: GraphInterrupt, task: Any, ns: str) -> list[dict[str, Any]]:
    """The run's pending-interrupt records for the ``interrupt()`` calls a task raised."""
    return [
        {
            "kind": "interrupt",
            "id": i.id,
            "value": i.value,
            "node": task.name,
            "ns": ns,
            "task": task.key,
        }
        for i in exc.args[0]
    ]
