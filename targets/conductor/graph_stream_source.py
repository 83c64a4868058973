"""A Conductor simulation as a graph stream follower's source (``runtime_shims/graph_stream.py``).

``Simulation.observe`` hands this every worker task's output (and its task type) as the
simulator completes it. A task of the root graph returns the writes it made (``writes``;
``task`` names it in a parallel step, a single-task step's output names none and carries
the next step); a subgraph's END task returns its node's writes in the root graph. Tasks
inside a subgraph belong to its own frame: kept for ``subgraphs=True`` as the ``n``-th run of
that subgraph node (``Snapshot.nested["node#n"]``, ``graph_stream_subgraphs.py``; its END
closes a run). A resumed simulation starts from its saved execution (``resume_point``).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from agentc.runtime_shims.graph_stream import Resumed, Snapshot


def root_writes(
    layout: Any, output: Any, task_type: str | None
) -> tuple[tuple[int, str], list[Any]] | None:
    """``((step, task key), writes)`` when ``output`` is a root-graph task's result."""
    from agentc.semantics import pregel

    if not isinstance(output, dict) or "writes" not in output or output.get("step") is None:
        return None
    if not _root(layout, task_type):
        return None
    key = (output["step"], output["task"]) if output.get("task") else (output["step"] - 1, "")
    return key, pregel.decode_writes(output["writes"])


class GraphTaskOutputs:
    """Collects the root graph's task writes (called from the simulation's thread);
    ``state()``: the simulation's driver's view (``running`` until it returned)."""

    def __init__(self, layout: Any, state: Callable[[], str]) -> None:
        self.layout, self.state = layout, state
        self.lock = threading.Lock()
        self.writes: dict[tuple[int, str], list[Any]] = {}
        self.streamed = Snapshot({}, "")  # what the tasks streamed besides their writes
        self.nested: dict[str, Snapshot] = {}  # a subgraph node's runs, "node#n"
        self.runs: dict[str, int] = {}  # the subgraph node's run its tasks now belong to

    def __call__(self, output: Any, task_type: str | None = None) -> None:
        found = root_writes(self.layout, output, task_type)
        inner = child_writes(self.layout, output, task_type)
        if inner is not None:
            node, key, writes = inner
            rec, chat = task_streamed(output)
            with self.lock:
                into = self.nested.setdefault(f"{node}#{self.runs.get(node, 0)}", Snapshot({}, ""))
                into.writes.setdefault(key, writes)
                into.streamed(key, rec)
                into.chat[key] = chat
        ended = _ended(self.layout, task_type)
        if ended is not None:
            with self.lock:
                self.runs[ended] = self.runs.get(ended, 0) + 1
        if found is not None:
            rec, chat = task_streamed(output)
            with self.lock:
                if found[0] not in self.writes:
                    self.streamed.streamed(found[0], rec)
                    self.streamed.chat[found[0]] = chat
                self.writes.setdefault(*found)

    async def snapshot(self) -> Snapshot:
        state = self.state()  # first: what is collected then is complete if the simulation ended
        with self.lock:
            s = self.streamed
            nested = {
                k: Snapshot(dict(n.writes), "", dict(n.custom), dict(n.chat), dict(n.echoed))
                for k, n in self.nested.items()
            }
            return Snapshot(
                dict(self.writes), state, dict(s.custom), dict(s.chat), dict(s.echoed), nested
            )


def child_writes(
    layout: Any, output: Any, task_type: str | None
) -> tuple[str, tuple[int, str], list[Any]] | None:
    """``(subgraph node, (step, task key), writes)`` when ``output`` is the result of a task
    of a subgraph's frame (one level down)."""
    from agentc.semantics import pregel

    if not isinstance(output, dict) or "writes" not in output or output.get("step") is None:
        return None
    kind = layout.task_kinds.get(task_type) if task_type is not None else None
    path = tuple((kind or {}).get("path") or ())
    if kind is None or len(path) != 1 or kind.get("kind") == "end":
        return None
    key = (output["step"], output["task"]) if output.get("task") else (output["step"] - 1, "")
    return path[0], key, pregel.decode_writes(output["writes"])


def _ended(layout: Any, task_type: str | None) -> str | None:
    """The subgraph node whose run a task of type ``task_type`` ends (its END task)."""
    kind = layout.task_kinds.get(task_type) if task_type is not None else None
    path = tuple((kind or {}).get("path") or ())
    return path[0] if kind is not None and kind.get("kind") == "end" and len(path) == 1 else None


def task_streamed(output: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[Any, Any]]]:
    """What a task output says it streamed and its chat calls ``(response, metadata)``
    (``runtime_shims/stream_capture.py``, ``chat_capture.py``)."""
    from agentc.runtime_shims import chat_capture, stream_capture

    calls = chat_capture.decoded(output)
    metas = chat_capture.decoded_meta(output)
    return stream_capture.decoded(output), [(m, meta) for (_, m), meta in zip(calls, metas)]


def resume_point(sim: Any, input: Any, compute_start: Callable[[Any, Any], Any]) -> Resumed:
    """Where a resume of the saved simulation ``sim`` continues: the latest root frame its
    tasks returned (its loops keep only their last iterations, ``keepLastN``), advanced
    through the steps whose writes it holds."""
    from agentc.runtime_shims import graph_stream
    from agentc.semantics import pregel
    from agentc.runtime_shims.protocol import pick

    outputs: list[tuple[dict[str, Any], str | None]] = []
    for t in sim.sim.execution(sim.workflow_id)["tasks"]:
        if t.get("status") == "COMPLETED" and t.get("taskType") != "HUMAN":
            outputs.append((t.get("outputData") or {}, t.get("taskType")))
    layout, graph, resolve = sim.worker.layout, sim.worker.wf.graph, sim.worker.resolve
    best = pick(o for o, tt in outputs if _root(layout, tt))
    frame = (
        pregel.from_json(graph, resolve, best["frame"])
        if best is not None and "frame" in best
        else graph_stream.fresh_frame(graph, resolve, input)
    )
    writes = dict(w for o, tt in outputs if (w := root_writes(layout, o, tt)) is not None)
    return graph_stream.replay(frame, Snapshot(writes, "waiting"), compute_start)


def _root(layout: Any, task_type: str | None) -> bool:
    kind = layout.task_kinds.get(task_type) if task_type is not None else None
    if kind is None:
        return task_type == "SUB_WORKFLOW"  # a subgraph node's output: its root-level writes
    path = tuple(kind.get("path") or ())
    return path == () or (kind.get("kind") == "end" and len(path) == 1)
