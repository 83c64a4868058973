"""LangGraph's Pregel superstep state and algorithm, driven by the IR.

One implementation serves every engine: the local executor keeps a ``Frame`` in memory and
journals it; a Conductor worker or a Temporal activity rebuilds one from the JSON that
travels with the workflow (``to_json`` / ``from_json``), runs one task or one barrier, and
hands the new JSON back. The plan builder (``agentc.plan``) explores the same frame with
trigger channels only, so compile-time schedules and run-time schedules are computed by
the same code (``schedule_key``).
"""

from __future__ import annotations

import base64
import copy
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable

from typing import Any as _AnyType

from langgraph.channels.any_value import AnyValue
from langgraph.channels.base import MISSING
from langgraph.channels.binop import BinaryOperatorAggregate
from langgraph.channels.ephemeral_value import EphemeralValue
from langgraph.channels.last_value import LastValue, LastValueAfterFinish
from langgraph.channels.named_barrier_value import NamedBarrierValue, NamedBarrierValueAfterFinish
from langgraph.channels.topic import Topic
from langgraph.errors import InvalidUpdateError

from agentc import ir as IR
from agentc.compat.langgraph import PULL, PUSH
from agentc.errors import AgentcError, Code
from agentc.ir import START, Graph
from agentc.semantics import channel_chains
from agentc.semantics.call_counts import CALLS, CallCounts, inherit
from agentc.semantics import langgraph_calls as lg
from agentc.semantics.langgraph_calls import TASKS, Resolver
from agentc.semantics.nested_graphs import NESTED, NestedCheckpoints

START_CHANNEL = "__start__"


class _Empty:
    """Marker in ``checkpoint_values``: the channel holds no value any more."""


EMPTY = _Empty()


@dataclass
class Task:
    key: str
    name: str
    input: Any
    path: tuple[Any, ...]
    triggers: tuple[str, ...]


# IR channel kind -> LangGraph's own channel class, so reducer semantics are LangGraph's
CHANNELS: dict[str, Callable[[Any, Resolver], Any]] = {
    "last_value": lambda c, r: LastValue(_AnyType, c.name),
    "reducer": lambda c, r: BinaryOperatorAggregate(
        r((*c.reducer.locator[:-1], "type")), r(c.reducer)
    ),
    "ephemeral": lambda c, r: EphemeralValue(_AnyType, c.guard),
    "topic": lambda c, r: Topic(_AnyType, c.accumulate),
    "any_value": lambda c, r: AnyValue(_AnyType),
}


class Frame:
    """Scheduler state of one graph level. Mirrors LangGraph's checkpoint: channels,
    channel versions, versions seen per node (and by breakpoints)."""

    def __init__(
        self, graph: Graph, resolve: Resolver | None, *, triggers_only: bool = False
    ) -> None:
        """``triggers_only``: no state channels, only what decides scheduling (the plan
        builder explores schedules without user code)."""
        self.graph = graph
        self.specs: dict[str, Any] = {}
        self.managed = {c.name: c.managed for c in graph.channels if c.kind == "managed"}
        for c in graph.channels:
            if c.kind != "managed" and not triggers_only:
                self.specs[c.name] = CHANNELS[c.kind](c, resolve)
        self.triggers: dict[str, list[str]] = {START: [START_CHANNEL]}
        self.specs[START_CHANNEL] = EphemeralValue(_AnyType)
        self.specs[TASKS] = Topic(_AnyType, accumulate=False)
        self.specs[NESTED] = NestedCheckpoints()  # graphs nodes invoke themselves (nested_graphs)
        self.specs[CALLS] = CallCounts()  # policies' max_calls (call_counts)
        deferred = {n.name for n in graph.nodes if n.defer}
        for n in graph.nodes:
            ch = lg.branch_channel(n.name)
            self.specs[ch] = (
                LastValueAfterFinish(_AnyType) if n.defer else EphemeralValue(_AnyType, guard=False)
            )
            self.triggers[n.name] = [ch]
        for w in lg.live_waiting_edges(graph):
            ch = lg.join_channel(w.sources, w.target)
            cls = NamedBarrierValueAfterFinish if w.target in deferred else NamedBarrierValue
            self.specs[ch] = cls(str, set(w.sources))
            self.triggers[w.target].append(ch)
        self.trigger_to_nodes: dict[str, list[str]] = defaultdict(list)
        for node, chans in self.triggers.items():
            for ch in chans:
                self.trigger_to_nodes[ch].append(node)
        self.channels: dict[str, Any] = {}
        self.versions: dict[str, int] = {}
        self.seen: dict[str, dict[str, int]] = {}
        self.seen_interrupt: dict[str, int] = {}
        self.dirty: set[str] = set()
        self.max_version = 0
        self.updated: set[str] | None = None  # None: scan every node (after a restore)
        self.step = 0
        self.stop = 0
        self.done = False
        self.nodes = {n.name: n for n in graph.nodes}
        # precomputed per node, so a task costs the same in a 10- or a 1,000-node graph
        node_keys = lg.output_keys(graph, next(iter(self.nodes), ""))  # the same for every node
        self.output_keys = dict.fromkeys(self.nodes, node_keys)
        self.output_keys[START] = lg.output_keys(graph, START)
        static = lg.static_writes(graph)
        self.static = {n: static.get(n, []) for n in (START, *self.nodes)}
        branches: dict[str, list[Any]] = defaultdict(list)
        for b in graph.branches:
            branches[b.source].append(b)
        self.branches = {n: tuple(branches.get(n, ())) for n in (START, *self.nodes)}
        # channels whose update([]) / finish() can change anything (LangGraph calls them on all)
        self.step_sensitive = {
            k for k, c in self.specs.items() if isinstance(c, (EphemeralValue, Topic))
        }
        self.finishers = [
            k
            for k, c in self.specs.items()
            if isinstance(c, (LastValueAfterFinish, NamedBarrierValueAfterFinish))
        ]
        # the channels whose state (not just presence) shapes the schedule: joins, deferred nodes
        self.barriers = frozenset(
            k
            for k in self.specs
            if k.startswith("join:") or (k.startswith("branch:to:") and k in set(self.finishers))
        )
        self.held_barriers: set[str] = (
            set()
        )  # barrier channels holding something (kept by apply_writes)
        self.chains: dict[
            str, str
        ] = {}  # channel -> the list chain it was read from (channel_chains)

    # ------------------------------------------------------------ persistence
    def restore(
        self,
        step: int,
        stop: int,
        state: dict[str, Any],
        meta: dict[str, str],
        values: dict[str, Any],
    ) -> None:
        self.step, self.stop = step, stop
        for key, value in meta.items():
            kind, _, name = key.partition(":")
            if kind == "v":
                self.versions[name] = int(value)
                self.max_version = max(self.max_version, int(value))
            else:
                self.seen[name] = json.loads(value)
        self.seen_interrupt = state.get("seen_interrupt", {})
        self.done = state.get("done", False)
        self.channels = {
            k: spec.from_checkpoint(values.get(k, MISSING)) for k, spec in self.specs.items()
        }
        self.held_barriers = {k for k in self.barriers if _holds(self.channels[k])}
        self.live = {k for k in self.step_sensitive if self.channels[k].is_available()}

    def fresh(self) -> None:
        self.channels = {k: spec.from_checkpoint(MISSING) for k, spec in self.specs.items()}
        self.live: set[str] = set()

    def state(self) -> dict[str, Any]:
        return {"seen_interrupt": self.seen_interrupt, "done": self.done}

    def take_meta(self) -> dict[str, str]:
        """Versions and versions-seen rows changed since the last save."""
        out = {}
        for key in self.dirty:
            kind, _, name = key.partition(":")
            out[key] = (
                str(self.versions[name])
                if kind == "v"
                else json.dumps(self.seen[name], sort_keys=True)
            )
        self.dirty = set()
        return out

    def bump(self, ch: str, version: int) -> None:
        self.versions[ch] = version
        self.max_version = max(self.max_version, version)
        self.dirty.add("v:" + ch)

    def checkpoint_values(self, names: set[str]) -> list[tuple[str, Any]]:
        out = []
        for k in sorted(names):
            v = self.channels[k].checkpoint()
            out.append((k, EMPTY if v is MISSING else v))
        return out

    # ------------------------------------------------------------ Pregel algorithm
    def managed_values(self) -> dict[str, Any]:
        return {
            k: (self.stop - self.step if kind == "remaining_steps" else self.step == self.stop - 1)
            for k, kind in self.managed.items()
        }

    def _triggered(self, node: str) -> bool:
        seen = self.seen.get(node)
        for ch in self.triggers[node]:
            if self.channels[ch].is_available() and (
                seen is None or self.versions.get(ch, 0) > seen.get(ch, 0)
            ):
                return True
        return False

    def prepare(self, resolve: Resolver | None, *, with_input: bool = True) -> list[Task]:
        tasks: list[Task] = []
        topic = self.channels[TASKS]
        if topic.is_available():
            for idx, packet in enumerate(topic.get()):
                if packet.node not in self.nodes:
                    continue
                tasks.append(
                    Task(f"{self.step}:push:{idx}", packet.node, packet.arg, (PUSH, idx), (PUSH,))
                )
        if self.updated is None:
            candidates = [START, *sorted(self.nodes)]
        else:
            candidates = sorted(
                {n for ch in self.updated for n in self.trigger_to_nodes.get(ch, ())}
            )
            if START in candidates:
                candidates.remove(START)
                candidates.insert(0, START)
        managed = self.managed_values()
        for name in candidates:
            if not self._triggered(name):
                continue
            if not with_input:
                value = None
            elif name == START:
                value = self.channels[START_CHANNEL].get()
            else:
                node = self.nodes[name]
                if lg.is_root(node.input) and not self.channels[lg.ROOT].is_available():
                    continue  # LangGraph's _proc_input: a single-channel node needs a value
                value = lg.read_state(self.channels, node.input, managed, resolve)
            tasks.append(
                Task(
                    f"{self.step}:pull:{name}",
                    name,
                    value,
                    (PULL, name),
                    tuple(self.triggers[name]),
                )
            )
        return tasks

    def apply_writes(self, tasks: list[Task], writes: dict[str, list[tuple[str, Any]]]) -> set[str]:
        """LangGraph's ``apply_writes``; returns the channels whose checkpoint changed. Writes
        of a task with no triggers (the ``Command`` a paused run is resumed with,
        ``apply_command``) are no superstep: ephemeral values do not expire, nothing finishes."""
        ordered = sorted(tasks, key=lambda t: path_key(t.path))
        bump_step = any(t.triggers for t in ordered)
        changed: set[str] = set()
        for t in ordered if bump_step else ():
            # replaced, never mutated in place, so clones can share the inner dicts
            self.seen[t.name] = {
                **self.seen.get(t.name, {}),
                **{ch: self.versions[ch] for ch in t.triggers if ch in self.versions},
            }
            self.dirty.add("s:" + t.name)
        next_version = self.max_version + 1
        for ch in {ch for t in ordered for ch in t.triggers if ch in self.channels}:
            if self.channels[ch].consume():
                self.bump(ch, next_version)
                changed.add(ch)
        pending: dict[str, list[Any]] = defaultdict(list)
        for t in ordered:
            for ch, val in writes.get(t.key, ()):
                if ch in self.channels:
                    pending[ch].append(val)
        updated: set[str] = set()
        for ch, vals in pending.items():
            try:
                did = self.channels[ch].update(vals)  # the user's reducer runs here
            except InvalidUpdateError as exc:
                raise AgentcError(
                    Code.INVALID_UPDATE,
                    f"invalid update to state key {ch!r}: {exc}",
                    construct=f"state key {ch!r}",
                    hint="two nodes of one superstep wrote a plain key; give it a reducer "
                    "with Annotated[T, reducer] or write it from one node",
                ) from None
            if did:
                self.bump(ch, next_version)
                changed.add(ch)
                if self.channels[ch].is_available():
                    updated.add(ch)
        # channels not written this step see an empty update (ephemeral values expire);
        # only step-sensitive channels can change, and only while they hold a value
        for ch in sorted(self.live - updated) if bump_step else ():
            chan = self.channels[ch]
            if chan.is_available() and chan.update([]):
                self.bump(ch, next_version)
                changed.add(ch)
                if chan.is_available():
                    updated.add(ch)
        if bump_step and not any(ch in self.trigger_to_nodes for ch in updated):
            for ch in self.finishers:
                chan = self.channels[ch]
                if chan.finish():
                    self.bump(ch, next_version)
                    changed.add(ch)
                    if chan.is_available():
                        updated.add(ch)
        self.live = {
            ch
            for ch in (self.live | changed) & self.step_sensitive
            if self.channels[ch].is_available()
        }
        self.updated = updated if bump_step or self.updated is None else self.updated | updated
        for ch in changed & self.barriers:
            if _holds(self.channels[ch]):
                self.held_barriers.add(ch)
            else:
                self.held_barriers.discard(ch)
        return changed

    def should_interrupt(self, names: tuple[str, ...], tasks: list[Task]) -> bool:
        if not names:
            return False
        updates = any(v > self.seen_interrupt.get(ch, 0) for ch, v in self.versions.items())
        if updates and any(t.name in names for t in tasks if t.name != START):
            self.seen_interrupt = dict(self.versions)
            return True
        return False

    def output(self) -> Any:
        """The run's result: the output schema's keys, or the root value of a graph whose
        state is not a dict (``StateGraph(Annotated[list, add_messages])``)."""
        schema = self.graph.output_schema
        if lg.is_root(schema):
            ch = self.channels.get(lg.ROOT)
            return ch.get() if ch is not None and ch.is_available() else None
        return lg.read_values(self.channels, schema.keys, {})

    def thread_state(self) -> dict[str, Any] | None:
        """Checkpoints of per-thread child graphs its nodes invoke (``nested_graphs``)."""
        ch = self.channels[NESTED]
        return ch.get() if ch.is_available() else None


def path_key(path: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(f"{p:010d}" if isinstance(p, int) else str(p) for p in path)


# ---------------------------------------------------------------- shared by every engine


def start(frame: Frame, input: Any, stop: int, counts: dict[str, Any] | None = None) -> set[str]:
    """A fresh frame at step 0 with the run's input on START's channel; a subgraph's also
    with the policies' counts its parent task sees (``call_counts.inherit``). Returns the
    channels to save with the START frame."""
    frame.fresh()
    frame.step, frame.stop = 0, stop
    saved = {START_CHANNEL}
    if inherit(frame.channels, counts):
        saved.add(CALLS)
    if input is not None:
        frame.channels[START_CHANNEL].update([input])
        frame.bump(START_CHANNEL, 1)
        frame.live.add(START_CHANNEL)
    return saved


NULL_TASK = Task("null", "__input__", None, (), ())
"""LangGraph's ``NULL_TASK_ID`` writer: the ``Command`` a paused run is resumed with."""


def apply_command(frame: Frame, writes: list[tuple[str, Any]]) -> set[str]:
    """Resume a run paused at a static breakpoint with ``Command(goto=..., update=...)``,
    as LangGraph's ``_first`` does: the command's writes (``command_writes``) are applied
    outside any superstep (pending nodes stay pending, a ``goto`` node joins them), then
    the breakpoints see every channel version as seen, so the same pause is not taken
    again. Returns the channels whose checkpoint changed."""
    changed = frame.apply_writes([NULL_TASK], {NULL_TASK.key: writes}) if writes else set()
    frame.seen_interrupt = dict(frame.versions)
    return changed


def command_writes(frame: Frame, goto: list[Any], update: Any) -> list[tuple[str, Any]]:
    """LangGraph's ``map_command`` for the root frame: ``goto`` (node names, ``Send``
    packets) becomes trigger writes, ``update`` becomes state writes through the graph's
    reducers. Like LangGraph, keys that are no state key are dropped."""
    from langgraph.types import Command

    writes = lg.update_writes(
        Command(update=update), next(iter(frame.output_keys.values()), frozenset())
    )
    return writes + lg.control_writes(Command(goto=goto)) if goto else writes


class _Lazy(dict):
    """Channels of a cloned frame: only channels holding something are copied; an empty one
    is created fresh from its spec when first looked up. A clone then costs what the frame
    holds, not the size of the graph (the plan builder clones at every branching step)."""

    def __init__(self, specs: dict[str, Any], held: dict[str, Any]) -> None:
        super().__init__(held)
        self.specs = specs

    def __missing__(self, key: str) -> Any:
        ch = self[key] = self.specs[key].from_checkpoint(MISSING)
        return ch

    def __contains__(self, key: object) -> bool:
        return key in self.specs

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self.specs else default


def _holds(ch: Any) -> bool:
    """Whether a barrier channel holds anything that shapes the schedule. An empty
    ``NamedBarrierValueAfterFinish`` (a join into a deferred node) still checkpoints as
    ``(set(), False)``: that is "nothing", exactly like a channel never written — else a
    frame restored from JSON (which carries the empty pair) and the plan's frame (which
    never touched the channel) would compute different schedule keys for one superstep."""
    cp = ch.checkpoint()
    if cp is MISSING:
        return False
    if isinstance(cp, tuple) and len(cp) == 2 and isinstance(cp[0], set):  # (seen, finished)
        return bool(cp[0]) or bool(cp[1])
    return not (isinstance(cp, (set, list)) and not cp)


def clone(frame: Frame) -> Frame:
    """An independent copy: channels copied through their own ``copy``, empty ones lazily."""
    other = copy.copy(frame)
    other.channels = _Lazy(
        frame.specs, {k: c.copy() for k, c in dict.items(frame.channels) if _holds(c)}
    )
    other.versions = dict(frame.versions)
    other.seen = dict(frame.seen)
    other.seen_interrupt = dict(frame.seen_interrupt)
    other.dirty = set(frame.dirty)
    other.live = set(frame.live)
    other.updated = None if frame.updated is None else set(frame.updated)
    other.held_barriers = set(frame.held_barriers)
    other.chains = dict(frame.chains)
    return other


def schedule_key(frame: Frame, tasks: list[Task]) -> str:
    """What decides the rest of the run's schedule, as canonical JSON: the PULL nodes and
    PUSH (Send) targets of the prepared step, and the state of the barrier channels (joins,
    deferred nodes). Channel *values* never appear: they do not affect which node runs
    next except through routers, whose choice is already in the trigger channels."""
    pull = sorted(t.name for t in tasks if t.path[0] == PULL)
    push = sorted({t.name for t in tasks if t.path[0] == PUSH})
    barriers = []
    for ch in sorted(frame.held_barriers):
        cp = frame.channels[ch].checkpoint()
        if cp is MISSING:
            continue
        if isinstance(cp, tuple):  # (seen|value, finished)
            head, finished = cp
            cp = [sorted(head) if isinstance(head, set) else None, finished]
        elif isinstance(cp, set):
            if not cp:
                continue
            cp = sorted(cp)
        barriers.append([ch, cp])
    return json.dumps([pull, push, barriers], separators=(",", ":"))


def task_writes(
    frame: Frame,
    task: Task,
    result: Any,
    config: dict[str, Any],
    resolve: Resolver,
    *,
    is_start: bool = False,
) -> list[tuple[str, Any]]:
    """A task's writes from its node's return value, as LangGraph's node writers make
    them: the update, Command gotos, static edges, then the routers, which read the
    start-of-step state plus this task's own writes."""
    # writes sent while it ran (push_message) come first, as in LangGraph's task.writes
    writes = lg.sent_writes(config) + lg.update_writes(result, frame.output_keys[task.name])
    if not is_start:
        writes += lg.control_writes(result)
    writes += frame.static[task.name]
    managed = frame.managed_values()

    def fresh_read(schema: IR.StateSchema) -> Any:
        local = {k: frame.channels[k].copy() for k in schema.keys if k in frame.channels}
        grouped: dict[str, list[Any]] = defaultdict(list)
        for ch, v in writes:
            if ch in local:
                grouped[ch].append(v)
        for ch, vals in grouped.items():
            local[ch].update(vals)
        return lg.read_state(local, schema, managed, resolve)

    writes += lg.run_routers(frame.branches[task.name], fresh_read, result, config, resolve)
    return writes


# ---------------------------------------------------------------- JSON transport


def encode(value: Any) -> list[str]:
    """Any channel value as JSON: LangGraph's serializer, base64 (no ``$`` or braces, so
    nothing a workflow engine could read as an expression)."""
    from agentc.semantics.codec import dumps

    t, data = dumps(value)
    pair = [t, base64.b64encode(data).decode("ascii")]
    if len(pair[1]) > INLINE_MAX:  # a claim check: the payload carries a reference (claim_check.py)
        from agentc.semantics import blobs

        return ["blob", blobs.store().put(f"{t}:{pair[1]}".encode("ascii"))]
    return pair


INLINE_MAX = 4096


def decode(pair: list[str]) -> Any:
    from agentc.semantics.codec import loads

    if pair[0] == channel_chains.TAG:
        return channel_chains.decode(pair[1])
    if pair[0] == "blob":
        from agentc.semantics.claim_check import get_value

        return get_value(pair[1])
    return loads(pair[0], base64.b64decode(pair[1]))


def to_json(frame: Frame) -> dict[str, Any]:
    values = {}
    for k, ch in frame.channels.items():
        cp = ch.checkpoint()
        if cp is not MISSING:  # a growing list: only what this step appended (channel_chains)
            values[k] = channel_chains.encode(cp, frame.chains.get(k), encode) or encode(cp)
    return {
        "step": frame.step,
        "stop": frame.stop,
        "versions": dict(frame.versions),
        "seen": frame.seen,
        "seen_interrupt": frame.seen_interrupt,
        "values": values,
    }


def from_json(graph: Graph, resolve: Resolver | None, data: dict[str, Any]) -> Frame:
    frame = Frame(graph, resolve)
    meta = {f"v:{k}": str(v) for k, v in data["versions"].items()}
    meta.update({f"s:{k}": json.dumps(v) for k, v in data["seen"].items()})
    values = {k: decode(v) for k, v in data["values"].items()}
    frame.chains = {k: v[1] for k, v in data["values"].items() if v[0] == channel_chains.TAG}
    frame.restore(
        data["step"], data["stop"], {"seen_interrupt": data.get("seen_interrupt", {})}, meta, values
    )
    frame.dirty = set()
    return frame


def encode_writes(writes: list[tuple[str, Any]]) -> list[list[Any]]:
    return [[ch, encode(v)] for ch, v in writes]


def decode_writes(data: list[list[Any]]) -> list[tuple[str, Any]]:
    return [(ch, decode(v)) for ch, v in data]
