"""Streaming a durable LangGraph run: ``graph.stream(input, stream_mode=...)``'s own chunks,
as the run journals its tasks (docs/langgraph.md, "Streaming").

The durable run is driven by the local executor or by workflow steps (Temporal, Conductor);
none of those drives is the caller's, so the caller cannot read LangGraph's stream off
them. A **follower** produces it instead: it walks the same Pregel frame
(``semantics/pregel.py``, the one every runtime shares) superstep by superstep and runs
nothing: each task's writes come from the run's record (``Source``: the local journal, a
Temporal history, a Conductor simulation's task outputs), and where the record does not
hold a task yet the follower waits until it does. Each chunk is built the way LangGraph's
loop builds it from the same writes and the same channels:

* ``updates``: ``{node: update}`` per finished task, as it finishes (``map_output_updates``:
  the task's writes to state keys; ``None`` when it wrote none; a list of one-key dicts when
  it wrote a key twice; START is hidden); a task a resumed step finished before the pause
  carries ``"__metadata__": {"cached": True}``; a pause is ``{"__interrupt__": (Interrupt,
  ...)}`` per paused task, a breakpoint ``{"__interrupt__": ()}``.
* ``values``: the state (every non-managed channel holding a value, or the bare value of a
  root-state graph) after each superstep whose writes touched it, and first thing on a
  resume; at a pause the state with ``"__interrupt__"`` per paused task, then the state
  with the paused step's finished tasks applied.

Only the START step is computed rather than read on the engines, whose histories do not
record it (``start_writes``): the input mapped to state keys and START's routers, as every
engine step that enters from the input computes it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any, Awaitable, Callable

from agentc.errors import AgentcError, Code
from agentc.runtime_shims import graph_stream_subgraphs as SG
from agentc.runtime_shims import stream_capture

MODES = ("updates", "values", "custom", "messages")
"""The ``stream_mode``s a durable run streams (LangGraph's default for ``stream`` first)."""
NATIVE_ONLY = {
    "debug": "task and checkpoint events carry LangGraph's own checkpoint and task ids",
    "checkpoints": "LangGraph's checkpoint ids and metadata have no counterpart in the journal",
    "tasks": "task start/result events carry LangGraph's own task ids",
}
INTERRUPT = "__interrupt__"


def check_mode(mode: Any) -> Any:
    """The stream mode, or the diagnostic: LangGraph's other modes are refused (AC200, naming
    it), anything else is no mode (AC401). A list (or ``"updates,custom"``) is a list of modes:
    LangGraph then yields ``(mode, chunk)`` tuples; it comes back as a tuple. A mode wrapped
    for ``subgraphs=True`` stays wrapped."""
    if isinstance(mode, SG.Subgraphs):
        return SG.Subgraphs(check_mode(mode.mode or "updates"))
    if isinstance(mode, str) and "," in mode:
        mode = [m.strip() for m in mode.split(",")]
    if isinstance(mode, (list, tuple)):
        if not mode:
            raise AgentcError(
                Code.CONFIG,
                "an empty list is not a stream mode",
                construct="--stream-mode",
                hint=f"LangGraph's stream modes: {', '.join(MODES)}",
            )
        return tuple(dict.fromkeys(check_mode(m) for m in mode))
    if mode in MODES:
        return mode
    if mode in NATIVE_ONLY:
        raise AgentcError(
            Code.UNSUPPORTED,
            f"stream_mode {mode!r} is not streamed from a durable run: {NATIVE_ONLY[mode]}",
            construct=f"--stream-mode {mode}",
            hint=f"stream with --stream-mode {', '.join(MODES)} (or a comma-separated list)",
        )
    raise AgentcError(
        Code.CONFIG,
        f"{mode!r} is not a stream mode",
        construct=f"--stream-mode {mode}",
        hint=f"LangGraph's stream modes: {', '.join(MODES)} (updates is the default)",
    )


@dataclasses.dataclass
class Snapshot:
    """What a source shows of a run now: the writes of the root graph's finished tasks,
    ``(step, task key) -> writes`` (a key of ``""``: the one task of a single-task step, whose
    output names no task), and the run's state: ``running``, ``done``, ``waiting`` or ``failed``."""

    writes: dict[tuple[int, str], list[tuple[str, Any]]]
    state: str
    custom: dict[tuple[int, str], list[Any]] = dataclasses.field(default_factory=dict)
    """The same tasks' ``custom`` stream chunks (``stream_capture.py``)."""
    chat: dict[tuple[int, str], list[tuple[Any, Any]]] = dataclasses.field(default_factory=dict)
    """The same tasks' chat calls: ``(response message, messages-stream metadata)``."""
    echoed: dict[tuple[int, str], list[Any]] = dataclasses.field(default_factory=dict)
    """The ids of the messages each task wrote back from its input (``stream_capture``)."""
    nested: dict[str, "Snapshot"] = dataclasses.field(default_factory=dict)
    """The records of the subgraphs' frames (``graph_stream_subgraphs.py``)."""

    def streamed(self, key: tuple[int, str], rec: dict[str, Any]) -> None:
        """Keep a task's ``stream_capture.record``."""
        self.custom[key] = list(rec.get("custom") or ())
        self.echoed[key] = list(rec.get("echoed") or ())


Source = Callable[[], Awaitable[Snapshot]]


@dataclasses.dataclass
class Resumed:
    """Where a resumed run's stream starts: the root frame at the step it paused (or failed)
    in, and the writes of that step's tasks that finished before it stopped."""

    frame: Any
    cached: dict[str, list[tuple[str, Any]]]


class StreamDiverged(Exception):
    """The run finished, but the follower waits for a task its record does not hold."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


# ---------------------------------------------------------------- chunks
def stream_keys(graph: Any) -> Any:
    """LangGraph's ``stream_channels``: every non-managed state key, or ``"__root__"``."""
    from agentc.semantics import langgraph_calls as lg

    keys = [c.name for c in graph.channels if c.kind != "managed"]
    return lg.ROOT if keys == [lg.ROOT] else frozenset(keys)


def update_chunk(
    name: str, writes: list[tuple[str, Any]], keys: Any, cached: bool = False
) -> dict[str, Any]:
    """LangGraph's ``map_output_updates`` for one task."""
    if isinstance(keys, str):
        found = [v for ch, v in writes if ch == keys]
    elif any(ch in keys for ch, _ in writes):
        counts = Counter(ch for ch, _ in writes)
        if any(n > 1 for ch, n in counts.items() if ch in keys):
            found = [{ch: v} for ch, v in writes if ch in keys]
        else:
            found = [{ch: v for ch, v in writes if ch in keys}]
    else:
        found = []
    chunk: dict[str, Any] = {name: None if not found else found[0] if len(found) == 1 else found}
    if cached:
        chunk["__metadata__"] = {"cached": True}
    return chunk


def values_chunk(frame: Any, keys: Any) -> Any:
    """LangGraph's ``read_channels(channels, stream_channels)``."""
    if isinstance(keys, str):
        ch = frame.channels.get(keys)
        return ch.get() if ch is not None and ch.is_available() else None
    return {
        k: frame.channels[k].get()
        for k in frame.specs
        if k in keys and frame.channels[k].is_available()
    }


def _touches(writes: Any, keys: Any) -> bool:
    return any((ch == keys) if isinstance(keys, str) else (ch in keys) for ch, _ in writes)


def _changed(changed: set[str], keys: Any) -> bool:
    return (keys in changed) if isinstance(keys, str) else bool(changed & keys)


def interrupt_groups(pending: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The run's pending ``interrupt()`` calls as LangGraph's ``Interrupt``s, one tuple per
    paused task (in the order the run lists them)."""
    from langgraph.types import Interrupt

    groups: dict[Any, list[Any]] = {}
    for i in pending:
        if i.get("kind", "interrupt") == "interrupt":
            key = (i.get("ns", ""), i.get("task"), i.get("node"))
            groups.setdefault(key, []).append(
                Interrupt(value=i.get("value"), id=str(i.get("id", "")))
            )
    return [tuple(g) for g in groups.values()]


# ---------------------------------------------------------------- the frame
def tasks_of(frame: Any) -> list[Any]:
    """The step's tasks, as ``Frame.prepare`` schedules them, without reading any node's
    input (that would build the user's state classes)."""
    from agentc.semantics import langgraph_calls as lg
    from agentc.semantics.pregel import PULL

    tasks = frame.prepare(None, with_input=False)
    root_empty = lg.ROOT in frame.channels and not frame.channels[lg.ROOT].is_available()
    return [
        t
        for t in tasks
        if not (
            t.path[0] == PULL
            and t.name in frame.nodes
            and root_empty
            and lg.is_root(frame.nodes[t.name].input)
        )
    ]


def start_writes(
    frame: Any, task: Any, resolve: Any, context: Any, store: Any = None
) -> list[tuple[str, Any]]:
    """START's writes (the input mapped to state keys, START's static edges and routers), as
    ``steps.StepWorker._started`` computes them on the engines."""
    from agentc.semantics import langgraph_calls as lg
    from agentc.semantics import pregel

    cc = lg.CallContext(
        run_id="",
        step=frame.step,
        stop=frame.stop,
        ns=task.key,
        task_id=task.key,
        context=context,
        store=store,
        triggers=task.triggers,
        path=task.path,
    )
    value = frame.channels[pregel.START_CHANNEL].get()
    return pregel.task_writes(
        frame, task, value, lg.make_config(cc, task.name), resolve, is_start=True
    )


def fresh_frame(graph: Any, resolve: Any, input: Any) -> Any:
    from agentc.semantics import pregel

    frame = pregel.Frame(graph, resolve)
    pregel.start(frame, input, 1 << 30)  # the budget is the run's business, not the follower's
    return frame


def _find(snap: Snapshot, step: int, task: Any, tasks: list[Any]) -> list[tuple[str, Any]] | None:
    return _at(snap.writes, step, task, tasks)


def _at(table: dict[tuple[int, str], Any], step: int, task: Any, tasks: list[Any]) -> Any:
    found = table.get((step, task.key))
    if found is None and len(tasks) == 1:  # an engine's single-task step names no task
        at = [w for (s, _), w in table.items() if s == step]
        found = at[0] if len(at) == 1 else None
    return found


def replay(
    frame: Any, snap: Snapshot, compute_start: Callable[[Any, Any], Any] | None = None
) -> Resumed:
    """Advance ``frame`` through every step ``snap`` holds all the writes of: where a
    resumed run starts again (a Temporal run's stream of ``agentc resume``)."""
    while True:
        tasks = tasks_of(frame)
        got: dict[str, Any] = {}
        for t in tasks:
            w = (
                compute_start(frame, t)
                if compute_start and t.name == "__start__"
                else _find(snap, frame.step, t, tasks)
            )
            if w is not None:
                got[t.key] = w
        if not tasks or len(got) < len(tasks):
            return Resumed(frame, {k: v for k, v in got.items()})
        frame.apply_writes(tasks, got)
        frame.step += 1


# ---------------------------------------------------------------- the follower
async def follow(
    graph: Any,
    frame: Any,
    source: Source,
    *,
    mode: Any,
    pending: Callable[[], list[dict[str, Any]]],
    resumed: dict[str, list[tuple[str, Any]]] | None = None,
    compute_start: Callable[[Any, Any], Any] | None = None,
    poll_s: float = 0.05,
    thread_id: Callable[[], str] | None = None,
    resolve: Any = None,
    _ns: tuple[str, ...] = (),
    _seen: set[Any] | None = None,
) -> AsyncIterator[Any]:
    """The chunks ``graph.stream(..., stream_mode=mode)`` yields for the run ``source``
    shows, from ``frame`` (a fresh frame holding the input, or the frame a resumed run
    starts from, ``resumed`` then holding the writes that step kept). Ends with the graph,
    at the run's pause (``pending()``: the run's pending interrupts, read once it waits),
    or when the run failed (the run's error is the caller's to report). ``mode``: one mode,
    or a tuple of modes (chunks are then ``(mode, chunk)``); ``thread_id()``: the run's id,
    in the metadata of the ``messages`` a node returned. ``mode`` wrapped in ``Subgraphs``
    (``subgraphs=True``, ``graph_stream_subgraphs.py``): the chunks of the steps inside subgraph
    nodes too, every chunk under its namespace; ``resolve``: the run's resolver then."""
    mode, sub = SG.unwrap(mode)
    keys = stream_keys(graph)
    modes = (mode,) if isinstance(mode, str) else tuple(mode)

    def out(m: str, chunk: Any) -> Any:
        if not sub:
            return chunk if isinstance(mode, str) else (m, chunk)
        return (_ns, chunk) if isinstance(mode, str) else (_ns, m, chunk)

    # the messages stream's seen message ids (StreamMessagesHandler: one for every level)
    seen: set[Any] = set() if _seen is None else _seen
    followed: set[str] = set()  # the subgraph tasks of this step whose frames were followed
    runs = SG.counter()
    cached = resumed
    while True:
        tasks = tasks_of(frame)
        if cached is not None:  # LangGraph's first tick of a resumed run
            if "values" in modes:
                yield out("values", values_chunk(frame, keys))
            if "updates" in modes:
                for t in tasks:
                    if t.key in cached and t.name != "__start__":
                        yield out("updates", update_chunk(t.name, cached[t.key], keys, cached=True))
        if not tasks:
            return
        if "messages" in modes:  # what the step's nodes get as input has been seen
            state = values_chunk(frame, keys)
            seen |= stream_capture.message_ids(
                state.values() if isinstance(state, dict) else [state]
            )
        got: dict[str, Any] = dict(cached or {})
        cached = None
        waiting = [t for t in tasks if t.key not in got]
        followed.clear()
        while waiting:
            snap = await source()
            progressed = False
            for t in list(waiting):
                w = (
                    compute_start(frame, t)
                    if compute_start and t.name == "__start__"
                    else _find(snap, frame.step, t, tasks)
                )
                if sub and not _ns and t.key not in followed and SG.is_subgraph(frame, t):
                    followed.add(t.key)  # its frame's chunks, up to its task's own
                    SG.check_parallel(t, tasks)
                    n = runs[t.name]
                    runs[t.name] += 1
                    child = _child(frame, t, list(tasks), source, n, pending)
                    async for chunk in follow(
                        frame.nodes[t.name].graph,
                        SG.child_frame(frame, t, resolve),
                        child.source,
                        mode=SG.Subgraphs(mode),
                        pending=child.pending,
                        compute_start=compute_start,
                        poll_s=poll_s,
                        thread_id=thread_id,
                        resolve=resolve,
                        _ns=SG.namespace(_ns, t),
                        _seen=seen,
                    ):
                        yield chunk
                    progressed = True
                    break  # read the record again: the task may have finished meanwhile
                if w is None:
                    continue
                got[t.key] = w
                waiting.remove(t)
                progressed = True
                if t.name == "__start__":
                    continue
                for m, chunk in task_chunks(
                    modes, frame, t, w, snap, tasks, keys, seen, thread_id, len(_ns)
                ):
                    yield out(m, chunk)
            if not waiting or progressed:
                continue
            if snap.state == "running":
                await asyncio.sleep(poll_s)
                continue
            if snap.state == "waiting":
                for m in ("updates", "values"):
                    if m in modes:
                        for chunk in _pause(frame, tasks, got, pending(), m, keys):
                            yield out(m, chunk)
            elif snap.state == "done" and not _ns:
                raise StreamDiverged(f"step {frame.step}: {sorted(t.key for t in waiting)}")
            return
        changed = frame.apply_writes(tasks, got)
        frame.step += 1
        if (
            "values" in modes
            and any(_touches(w, keys) for w in got.values())
            and _changed(changed, keys)
        ):
            yield out("values", values_chunk(frame, keys))


@dataclasses.dataclass
class _Child:
    source: Any
    pending: Callable[[], list[dict[str, Any]]]


def _child(
    frame: Any,
    task: Any,
    tasks: list[Any],
    source: Source,
    n: int,
    pending: Callable[[], list[dict[str, Any]]],
) -> _Child:
    """What the follower of the subgraph ``task`` runs (its ``n``-th run) reads: its records,
    ended once the parent's task is journaled, and the interrupts raised inside it."""
    step, names, graph = frame.step, {x.name for x in tasks}, frame.nodes[task.name].graph

    def found(s: Snapshot) -> bool:
        return _find(s, step, task, tasks) is not None

    return _Child(
        SG.ChildSource(source, found, task, n),
        lambda: SG.child_pending(pending(), task, graph, names),
    )


def task_chunks(
    modes: tuple[str, ...],
    frame: Any,
    task: Any,
    writes: list[tuple[str, Any]],
    snap: Snapshot,
    tasks: list[Any],
    keys: Any,
    seen: set[Any],
    thread_id: Callable[[], str] | None,
    depth: int = 0,
) -> list[tuple[str, Any]]:
    """A finished task's chunks (``depth``: its frame's, 0 for the root graph), once its
    writes are journaled: its ``custom`` chunks, its
    ``messages`` (each chat call's response with the call's metadata, then the messages it
    returned that the stream has not seen), then its ``updates`` chunk."""
    out: list[tuple[str, Any]] = []
    if "custom" in modes:
        out += [("custom", c) for c in _at(snap.custom, frame.step, task, tasks) or ()]
    if "messages" in modes:
        for message, meta in _at(snap.chat, frame.step, task, tasks) or ():
            if meta is not None and stream_capture.in_root_graph(meta, depth):
                out += _message(message, meta, seen, dedupe=True)
        node_meta = _node_meta(frame, task, thread_id)
        seen.update(_at(snap.echoed, frame.step, task, tasks) or ())
        for message in stream_capture.node_messages(writes, keys):
            out += _message(message, node_meta, seen, dedupe=True)
    if "updates" in modes:
        out.append(("updates", update_chunk(task.name, writes, keys)))
    return out


def _message(message: Any, meta: dict[str, Any], seen: set[Any], dedupe: bool) -> list[Any]:
    """The handler's ``_emit``: a message it saw already is not streamed again; one without
    an id gets one."""
    import uuid

    if dedupe and message.id is not None and message.id in seen:
        return []
    if message.id is None:
        message = message.model_copy(update={"id": str(uuid.uuid4())})
    seen.add(message.id)
    return [("messages", (message, meta))]


def _node_meta(frame: Any, task: Any, thread_id: Callable[[], str] | None) -> dict[str, Any]:
    """The metadata of a node's own run (the handler pairs it with the messages the node
    returned): what ``lg.node_config`` gives the node, under the graph's ``ls_integration``."""
    from agentc.compat import langgraph as compat
    from agentc.semantics import langgraph_calls as lg

    meta: dict[str, Any] = {"ls_integration": "langgraph"}
    if thread_id is not None:
        meta["thread_id"] = thread_id()
    ns = lg.checkpoint_ns(task.key, task.name)
    meta.update(
        langgraph_step=frame.step,
        langgraph_node=task.name,
        langgraph_triggers=tuple(task.triggers),
        langgraph_path=compat.task_path(tuple(task.path)),
        langgraph_checkpoint_ns=ns,
    )
    return meta


def _pause(
    frame: Any,
    tasks: list[Any],
    got: dict[str, Any],
    pending: list[dict[str, Any]],
    mode: str,
    keys: Any,
) -> list[Any]:
    """What LangGraph streams when a step pauses: each paused task's interrupts (updates: the
    interrupt chunk; values: the state with them), a breakpoint's empty interrupt (updates),
    then (values) the state with the step's finished tasks applied."""
    from agentc.semantics import pregel

    out: list[Any] = []
    for group in interrupt_groups(pending):
        if mode == "updates":
            out.append({INTERRUPT: group})
        else:
            state = values_chunk(frame, keys)
            out.append(
                {**state, INTERRUPT: group} if isinstance(state, dict) else {INTERRUPT: group}
            )
    if mode == "updates" and any(i.get("kind") == "breakpoint" for i in pending):
        out.append({INTERRUPT: ()})
    done = [t for t in tasks if t.key in got]
    if mode == "values" and done and any(_touches(got[t.key], keys) for t in done):
        after = pregel.clone(frame)
        if _changed(after.apply_writes(done, got), keys):
            out.append(values_chunk(after, keys))
    return out
