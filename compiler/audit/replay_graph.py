"""Replay of a LangGraph run on the local executor: the executor's own recovery path.

The record's node writes are already in the journal (``replay._seed``), so the executor
reuses them instead of calling the nodes. ``ReplayExecutor`` adds two things: the altered
task returns the user's value as its node's return value (its routers and ``Send``s run
on it, as they would on the node's own return), and with ``then="stop"`` a task the
record does not cover stops the replay instead of running live.
"""

from __future__ import annotations

from typing import Any

from agentc.runtime_shims.audit_events import Event, History
from agentc.targets.local.executor import LocalExecutor

from .replay import RecordEnds


class _Fixed:
    """A node runnable that returns the altered value (sync or async, as the node is)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def invoke(self, state: Any, config: Any = None) -> Any:
        return self.value

    async def ainvoke(self, state: Any, config: Any = None) -> Any:
        return self.value


RERUN: Any = object()
"""``value`` of a target task that re-runs its node (an altered chat call inside it)."""


class ReplayExecutor(LocalExecutor):
    def __init__(
        self,
        *args: Any,
        target: tuple[str, int, str] | None = None,
        value: Any = None,
        stop: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.target, self.value, self.stop = target, value, stop
        self.live = 0
        """Nodes the replay ran (not taken from the record)."""
        self.used: set[tuple[str, int, str]] = set()
        """(ns, step, task) of the recorded writes the replay reused."""
        from .replay_chat import Stats

        self.chat = Stats()
        """Chat-model calls inside nodes: made live, or answered from the record."""

    def _chat(self, config: Any, ns: str, step: int, task: Any) -> Any:
        """A node that runs answers its chat calls from the seeded record (replay_chat.py)."""
        from agentc.targets.local.chat_calls import key, rows

        from .replay_chat import Answers

        recorder = super()._chat(config, ns, step, task)
        found = rows(self.journal.db, self.run_id, ns, step, task.key)
        where = f"{ns + '/' if ns else ''}step {step} node {task.name!r} (task {task.key})"
        recorder.answers = Answers(
            found, self.stop, where, [key(ns, step, task.key, n) for n, _, _ in found], self.chat
        )
        return recorder

    def _execute(self, frame: Any, ns: str, task: Any) -> Any:
        from agentc.ir import START, SubgraphNode

        here = (ns, frame.step, task.key)
        if (
            self.stop
            and here != self.target
            and task.name != START
            and not isinstance(frame.nodes.get(task.name), SubgraphNode)
        ):
            where = (
                f"{ns + '/' if ns else ''}step {frame.step} node {task.name!r} (task {task.key})"
            )
            raise RecordEnds(f"{where}: the record has no output for it")
        if (
            here != self.target
            and task.name != START
            and not isinstance(frame.nodes.get(task.name), SubgraphNode)
        ):
            self.live += 1
        result = super()._execute(frame, ns, task)
        if isinstance(result.error, RecordEnds):  # a chat call the record lacks (then="stop")
            raise result.error
        return result

    def _run_tasks(self, frame: Any, ns: str, todo: list[Any], writes: dict[str, Any]) -> Any:
        prepared = {t.key for t in frame.prepare(None, with_input=False)}
        self.used.update((ns, frame.step, k) for k in writes if k in prepared)
        return super()._run_tasks(frame, ns, todo, writes)

    def _pause_breakpoint(self, frame: Any, ns: str, when: str, tasks: list[Any]) -> None:
        """A breakpoint the recorded run went past (it has writes of the step that follows)
        does not pause the replay; the recorded run's continuation was ``resume`` without a
        value."""
        if self.journal.load_writes(self.run_id, ns, frame.step):
            return
        super()._pause_breakpoint(frame, ns, when, tasks)

    def _attempt(self, frame: Any, ns: str, task: Any, node: Any, resolve: Any, *args: Any) -> Any:
        if self.target == (ns, frame.step, task.key) and self.value is not RERUN:
            from agentc.ir import SubgraphNode

            if isinstance(node, SubgraphNode):  # the value is its graph's output: it does not run
                # (nothing in it runs, so it has no policy counts to give back)
                value = self.value
                self._run_frame = lambda *frame_args: value  # type: ignore[method-assign]
                try:
                    return super()._attempt(frame, ns, task, node, resolve, *args)
                finally:
                    del self._run_frame
            fixed = _Fixed(self.value)

            def resolve_fixed(ref: Any) -> Any:
                return fixed if ref is node.call else resolve(ref)

            return super()._attempt(frame, ns, task, node, resolve_fixed, *args)
        return super()._attempt(frame, ns, task, node, resolve, *args)


def drive_graph(
    wf: Any,
    live: Any,
    journal: Any,
    run_id: str,
    h: History,
    target: Event | None,
    fitted: Any,
    then: str,
    api: Any,
    used: dict[str, int],
    counter: Any,
) -> Any:
    """``used`` receives the keys of the recorded steps the replay reused."""
    start = next((e for e in h.events if e.kind == "input"), None)
    if (
        start is not None and "writes" not in start.data
    ):  # another engine's record: the run's input itself
        value = start.data.get("input")
    else:
        writes = start.data.get("writes", []) if start is not None else []
        value = {ch: v for ch, v in writes if not ch.startswith(("branch:", "__"))}
    context = api._context(wf, live, h.context)
    key = (target.ns, target.step, target.data["task"]) if target is not None else None
    chat = target is not None and target.kind == "model"  # an altered chat call: its node re-runs
    ex = ReplayExecutor(
        wf, live, journal, target=key, value=RERUN if chat else fitted, stop=then == "stop"
    )
    from .replay_chat import installed

    try:
        with installed():
            return ex.start(value, run_id=run_id, context=context)
    finally:
        counter.live_nodes = ex.live
        counter.live = ex.chat.live
        for ns, step, task in ex.used:
            used.setdefault(f"{ns}/{step}/{task}", len(used))
        for k in ex.chat.used:
            used.setdefault(k, len(used))
