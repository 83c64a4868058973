"""Graphs a node invokes itself (``child.invoke(...)`` inside the node function).

Such a child is not in the IR: it is user code, a nested Pregel run of LangGraph's own.
LangGraph wires it to its parent through the task's config (``agentc.compat.langgraph``): the
parent's checkpointer, the task's checkpoint namespace, the task's scratchpad (where a
nested ``interrupt()`` finds the answer to the parent run's ``Command(resume=...)``) and
whether the parent is resuming. agentc gives every node call the same wiring, with a
LangGraph ``InMemorySaver`` that lives for one task attempt and is filled from, and
emptied back into, what agentc makes durable (docs/langgraph.md, "Graphs invoked inside
a node"):

* a child's checkpoints under a namespace without task ids (``checkpointer=True``: one
  history per thread) are thread state: they travel as writes to the frame's
  ``__agentc_nested`` channel, so the next call of that node (a later loop iteration)
  continues that history, as LangGraph's own saver does;
* when the node pauses, everything under the task's namespace (the paused child's
  checkpoint and pending writes) plus the task's own ``interrupt()`` answers so far
  become the task's *carry*, which the re-run after the answer gets back — so the child
  resumes at its paused node instead of starting over, exactly like LangGraph;
* when the node fails for good, the same carry (marked ``resuming``) is kept for the run's
  resume, so a checkpointing child continues after its last completed node.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping

from langgraph.channels.base import BaseChannel
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import EmptyChannelError

from agentc.compat import langgraph as compat

NESTED = "__agentc_nested"


class NestedCheckpoints(BaseChannel):
    """Frame channel: checkpoint namespace -> the latest checkpoint of a per-thread
    (``checkpointer=True``) child graph; an update replaces the namespaces it names."""

    def __init__(self) -> None:
        super().__init__(dict, NESTED)
        self.value: dict[str, Any] = {}

    @property
    def ValueType(self) -> Any:
        return dict

    @property
    def UpdateType(self) -> Any:
        return dict

    def from_checkpoint(self, checkpoint: Any) -> "NestedCheckpoints":
        new = NestedCheckpoints()
        if isinstance(checkpoint, dict):
            new.value = dict(checkpoint)
        return new

    def copy(self) -> "NestedCheckpoints":
        return self.from_checkpoint(self.value)

    def update(self, values: Any) -> bool:
        changed = False
        for v in values:
            if v:
                self.value = {**self.value, **v}
                changed = True
        return changed

    def get(self) -> dict[str, Any]:
        if not self.value:
            raise EmptyChannelError()
        return self.value

    def is_available(self) -> bool:
        return bool(self.value)

    def checkpoint(self) -> Any:
        from langgraph.channels.base import MISSING

        return self.value or MISSING


class NestedRuns:
    """The LangGraph wiring of one task attempt for graphs its node invokes."""

    def __init__(
        self,
        thread_id: str,
        task_ns: str,
        answers: list[Any],
        *,
        thread_state: Mapping[str, Any] | None = None,
        carry: Mapping[str, Any] | None = None,
    ) -> None:
        self.thread_id = thread_id
        self.task_ns = task_ns
        self.saver = InMemorySaver()
        carry = carry or {}
        # the answers this task's own interrupt() calls consumed (LangGraph's RESUME write of
        # the task); without a carry every earlier answer was one (no graph invoked inside)
        direct = carry.get("direct")
        self.direct: list[Any] = list(answers[:-1] if direct is None else direct)
        # the newest answer is LangGraph's "null resume": the first interrupt() that finds
        # no earlier answer of its own takes it, in this node or in a graph it invokes
        self._fresh: list[Any] = (
            [answers[-1]] if answers and len(answers) > len(self.direct) else []
        )
        # a re-run after an answer, or after the node failed (LangGraph's invoke(None)
        # after a failure resumes too: the child continues from its last checkpoint)
        self.resuming = bool(answers) or bool(carry.get("resuming"))
        self._loaded: dict[str, Any] = {}
        for part in (thread_state or {}, carry.get("nested") or {}):
            for ns, blob in part.items():
                self._import(ns, blob)
                self._loaded[ns] = blob

    # ------------------------------------------------------------ LangGraph's task config
    def configurable(self, step: int, stop: int) -> dict[str, Any]:
        import itertools

        def null_resume(consume: bool = False) -> Any:
            if not self._fresh:
                return None
            return self._fresh.pop() if consume else self._fresh[0]

        def send(writes: list[tuple[str, Any]]) -> None:
            for ch, v in writes:
                if ch == compat.RESUME:
                    self.direct = list(v)

        pad = compat.PregelScratchpad(
            step=step,
            stop=stop,
            call_counter=itertools.count().__next__,
            interrupt_counter=itertools.count().__next__,
            get_null_resume=null_resume,
            resume=list(self.direct),
            subgraph_counter=itertools.count().__next__,
        )
        return {
            compat.CONFIG_KEY_SCRATCHPAD: pad,
            compat.CONFIG_KEY_SEND: send,
            compat.CONFIG_KEY_CHECKPOINTER: self.saver,
            compat.CONFIG_KEY_RESUMING: self.resuming,
            "checkpoint_id": None,
        }

    # ------------------------------------------------------------ what becomes durable
    def thread_writes(self) -> list[tuple[str, Any]]:
        """After the node completed: the per-thread children it advanced."""
        changed = {
            ns: blob
            for ns, blob in self._export().items()
            if compat.NS_END not in ns and self._loaded.get(ns) != blob
        }
        return [(NESTED, changed)] if changed else []

    def carry(self) -> dict[str, Any]:
        """After the node paused: what its re-run needs back."""
        nested = {
            ns: blob
            for ns, blob in self._export().items()
            if ns == self.task_ns
            or ns.startswith(self.task_ns + compat.NS_SEP)
            or compat.NS_END not in ns
        }
        return {"direct": list(self.direct), "nested": nested}

    def failed_carry(self) -> dict[str, Any]:
        """After the node failed for good: what ``agentc resume`` gives its re-run back, so
        a child that checkpoints continues after its last completed node, as LangGraph's
        ``invoke(None, config)`` does (a retry of the attempt starts over, as LangGraph's)."""
        return {**self.carry(), "resuming": True}

    def _export(self) -> dict[str, Any]:
        from .pregel import encode

        spaces = sorted(
            {
                t.config["configurable"]["checkpoint_ns"]
                for t in self.saver.list({"configurable": {"thread_id": self.thread_id}})
            }
        )
        out: dict[str, Any] = {}
        for ns in spaces:
            tup = self.saver.get_tuple(
                {"configurable": {"thread_id": self.thread_id, "checkpoint_ns": ns}}
            )
            if tup is not None:
                out[ns] = encode(
                    [tup.checkpoint, tup.metadata, [list(w) for w in tup.pending_writes or ()]]
                )
        return out

    def _import(self, ns: str, blob: Any) -> None:
        from .pregel import decode

        checkpoint, metadata, writes = decode(blob)
        cfg = {
            "configurable": {
                "thread_id": self.thread_id,
                "checkpoint_ns": ns,
                "checkpoint_id": None,
            }
        }
        saved = self.saver.put(
            cfg, checkpoint, metadata, dict(checkpoint.get("channel_versions") or {})
        )
        by_task: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        for task_id, ch, v in writes:
            by_task[task_id].append((ch, v))
        for task_id, ws in by_task.items():
            self.saver.put_writes(saved, ws, task_id)


def parent_command(exc: BaseException, task_ns: str, node: str) -> Any:
    """The ``Command`` a graph invoked inside a node sent to this node's graph with
    ``Command(graph=Command.PARENT)`` (LangGraph rewrites ``graph`` to the task's namespace
    on the way up), or None when it is addressed elsewhere."""
    if not isinstance(exc, compat.LangGraphParentCommand):
        return None
    cmd = exc.args[0]
    if cmd.graph in (task_ns, compat.recast_ns(task_ns), node):
        from langgraph.types import Command

        return Command(update=cmd.update, goto=cmd.goto, resume=cmd.resume)
    return None


__all__ = ["NESTED", "NestedCheckpoints", "NestedRuns", "parent_command"]
