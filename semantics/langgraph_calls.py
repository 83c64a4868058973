"""Run one LangGraph node as an isolated step: the shim every target calls at run time.

Given the user's live graph object (imported from the workflow's REF) and an IR node, it
finds the user's callable by its locator, calls it with the config LangGraph would give
(runtime, store, scratchpad for ``interrupt()``), turns the return value into channel
writes exactly as LangGraph's node writers do, and runs the node's routers on the "fresh"
state (start-of-step state plus this node's own writes). The Pregel scheduling around it
belongs to the caller (the local executor, a Conductor worker, a Temporal activity).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from agentc.compat import langgraph as compat
from agentc.compat.langgraph import TASKS
from agentc.ir import END, START, Branch, CallableRef, Graph, StateSchema


def branch_channel(node: str) -> str:
    return f"branch:to:{node}"


def join_channel(sources: Sequence[str], target: str) -> str:
    return f"join:{'+'.join(sources)}:{target}"


class Resolver:
    """Finds user objects in the entry object by IR locator (cached: called per task)."""

    def __init__(self, entry_obj: Any) -> None:
        self.root = entry_obj
        self._cache: dict[tuple[str, ...], Any] = {}

    def __call__(self, ref: CallableRef | tuple[str, ...]) -> Any:
        loc = ref.locator if isinstance(ref, CallableRef) else ref
        hit = self._cache.get(loc, _MISSING)
        if hit is _MISSING:
            hit = self._cache[loc] = self._walk(loc)
        return hit

    def _walk(self, loc: tuple[str, ...]) -> Any:
        compiled = self.root if hasattr(self.root, "builder") else None
        builder = getattr(self.root, "builder", self.root)
        i = 0
        while i < len(loc):
            head = loc[i]
            if head == "nodes":
                name = loc[i + 1]
                spec = builder.nodes[name]
                rest = loc[i + 2 :]
                if not rest:
                    return spec.runnable
                if rest[0] == "graph":
                    compiled = spec.runnable
                    builder = compiled.builder
                    i += 3
                    continue
                if rest[0] == "input_schema":
                    return spec.input_schema
                if rest[0] == "tools":
                    tool = spec.runnable.tools_by_name[rest[1]]
                    return getattr(tool, "func", None) or tool
                if rest[0] == "retry":
                    policies = None
                    if compiled is not None and name in getattr(compiled, "nodes", {}):
                        policies = compiled.nodes[name].retry_policy
                    policies = policies or spec.retry_policy or compat.node_default_retry(builder)
                    if not isinstance(policies, (list, tuple)):
                        policies = (policies,)
                    return policies[int(rest[1])].retry_on
                raise KeyError(loc)
            if head == "branches":
                spec = builder.branches[loc[i + 1]][loc[i + 2]]
                return spec.input_schema if loc[i + 3 :] == ("input_schema",) else spec.path
            if head == "channels":
                ch = builder.channels[loc[i + 1]]
                return ch.operator if loc[i + 2] == "reducer" else ch.typ
            if head in ("state_schema", "input_schema", "output_schema", "context_schema"):
                return getattr(builder, head)
            raise KeyError(loc)
        return compiled


_MISSING = object()


# ------------------------------------------------------------------ inputs


ROOT = "__root__"
"""LangGraph's single channel of a graph whose state is not a dict: ``StateGraph(str)``,
``StateGraph(Annotated[list, add_messages])``. Nodes read and return its value itself."""


def is_root(schema: StateSchema) -> bool:
    """LangGraph's test (``state_keys == ["__root__"]``): the schema is one bare value."""
    return tuple(schema.keys) == (ROOT,)


def read_state(
    channels: Mapping[str, Any], schema: StateSchema, managed: Mapping[str, Any], resolve: Resolver
) -> Any:
    """What a node or router reads: the root value (None when empty, as LangGraph's
    ``read_channel``), else the schema's keys as a dict, coerced to its class."""
    if is_root(schema):
        ch = channels.get(ROOT)
        return ch.get() if ch is not None and ch.is_available() else None
    return coerce(schema, read_values(channels, schema.keys, managed), resolve)


def coerce(schema: StateSchema, values: dict[str, Any], resolve: Resolver) -> Any:
    """LangGraph's input mapper: pydantic/dataclass schemas are rebuilt for every node."""
    if schema.kind in ("pydantic", "dataclass") and schema.cls is not None:
        return resolve(schema.cls)(**values)
    return values


# ------------------------------------------------------------------ outputs → writes


def update_writes(result: Any, output_keys: frozenset[str]) -> list[tuple[str, Any]]:
    """LangGraph's ``_get_updates``: dict / Command / list of Commands / model instance."""
    from langgraph.errors import InvalidUpdateError
    from langgraph.types import Command

    if result is None:
        return []
    if output_keys == _ROOT_KEYS:
        return root_writes(result)
    if isinstance(result, dict):
        return [(k, v) for k, v in result.items() if k in output_keys]
    if isinstance(result, Command):
        if result.graph == Command.PARENT:
            return []
        return [(k, v) for k, v in compat.command_updates(result) if k in output_keys]
    if isinstance(result, (list, tuple)) and result and any(isinstance(i, Command) for i in result):
        out: list[tuple[str, Any]] = []
        for i in result:
            if isinstance(i, Command):
                if i.graph != Command.PARENT:
                    out.extend((k, v) for k, v in compat.command_updates(i) if k in output_keys)
            else:
                out.extend(update_writes(i, output_keys))
        return out
    writes = compat.model_updates(result, list(output_keys))
    if writes is not None:
        return writes
    raise InvalidUpdateError(f"Expected dict, got {result}")


_ROOT_KEYS = frozenset({ROOT})


def root_writes(result: Any) -> list[tuple[str, Any]]:
    """LangGraph's ``_get_root``: a root graph's node returns the new value itself (or
    Commands whose update is that value)."""
    from langgraph.types import Command

    if isinstance(result, Command):
        return [] if result.graph == Command.PARENT else compat.command_updates(result)
    if isinstance(result, (list, tuple)) and result and any(isinstance(i, Command) for i in result):
        out: list[tuple[str, Any]] = []
        for i in result:
            if isinstance(i, Command):
                if i.graph != Command.PARENT:
                    out.extend(compat.command_updates(i))
            else:
                out.append((ROOT, i))
        return out
    return [(ROOT, result)]


class ParentCommand(Exception):
    """A node inside a subgraph returned ``Command(graph=Command.PARENT)``."""

    def __init__(self, command: Any) -> None:
        super().__init__(command)
        self.command = command


def control_writes(result: Any) -> list[tuple[str, Any]]:
    """LangGraph's ``_control_branch``: Command gotos become triggers or Send packets."""
    from langgraph.types import Command, Send

    if isinstance(result, Send):
        return [(TASKS, result)]
    commands = (
        [result]
        if isinstance(result, Command)
        else [c for c in result if isinstance(c, Command)]
        if isinstance(result, (list, tuple))
        else []
    )
    out: list[tuple[str, Any]] = []
    for cmd in commands:
        if cmd.graph == Command.PARENT:
            raise ParentCommand(cmd)
        gotos = [cmd.goto] if isinstance(cmd.goto, (Send, str)) else cmd.goto
        for go in gotos:
            if isinstance(go, Send):
                out.append((TASKS, go))
            elif isinstance(go, str) and go != END:
                out.append((branch_channel(go), None))
    return out


def branch_writes(branch: Branch, result: Any) -> list[tuple[str, Any]]:
    """LangGraph's ``BranchSpec._finish``: map router results through the path map."""
    from langgraph.errors import InvalidUpdateError
    from langgraph.types import Send

    results = result if isinstance(result, (list, tuple)) else [result]
    if branch.path_map:
        dests = [r if isinstance(r, Send) else branch.path_map[r] for r in results]
    else:
        dests = list(results)
    if any(d is None or d == START for d in dests):
        raise ValueError("Branch did not return a valid destination")
    if any(d.node == END for d in dests if isinstance(d, Send)):
        raise InvalidUpdateError("Cannot send a packet to the END node")
    return [
        (TASKS, d) if isinstance(d, Send) else (branch_channel(d), None) for d in dests if d != END
    ]


def live_waiting_edges(graph: Graph) -> list[Any]:
    """The waiting edges that schedule anything: LangGraph's ``attach_edge`` makes no
    channel and no writes for ``add_edge([a, b], END)`` (the run ends when nothing else is
    triggered, with or without it)."""
    return [w for w in graph.waiting_edges if w.target != END]


def static_writes(graph: Graph) -> dict[str, list[tuple[str, Any]]]:
    """Per node, the trigger writes of its plain edges and waiting edges (O(N + E))."""
    out: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for e in graph.edges:
        if e.target != END:
            out[e.source].append((branch_channel(e.target), None))
    for w in live_waiting_edges(graph):
        for src in w.sources:
            out[src].append((join_channel(w.sources, w.target), src))
    return out


# ------------------------------------------------------------------ calling user code


@dataclass
class CallContext:
    """What a node call needs from the scheduler. ``carry`` is what the task's last
    paused attempt left for its re-run, ``thread_state`` the frame's per-thread child
    graph checkpoints (``nested_graphs``)."""

    run_id: str
    step: int
    stop: int
    ns: str
    task_id: str
    resume: list[Any] = field(default_factory=list)
    context: Any = None
    store: Any = None
    recursion_limit: int = 10007
    carry: Any = None
    thread_state: Any = None
    attempt: int = 1
    """LangGraph's ``ExecutionInfo.node_attempt``: 1, then 2, 3, ... on RetryPolicy retries."""
    first_attempt_time: float | None = None
    """Unix time the node's first attempt started (``node_first_attempt_time``)."""
    triggers: tuple[str, ...] = ()
    path: tuple[Any, ...] = ()


SENT = "__agentc_sent"
"""Configurable key of the list a task's ``CONFIG_KEY_SEND`` writes go to (``push_message``,
``ChannelWrite`` inside a node): they are the task's writes before its return value's."""


def checkpoint_ns(ns: str, node: str) -> str:
    """LangGraph's checkpoint namespace of a task (``node:task_id`` parts), from agentc's
    (task keys ``step:pull:name``; the level path on Conductor/Temporal)."""

    parts = ns.split(compat.NS_SEP)
    named = [f"{p.rsplit(':', 1)[-1]}:{p}" for p in parts[:-1]]
    return compat.NS_SEP.join([*named, f"{node}:{parts[-1]}"])


def node_config(cc: CallContext, node: str) -> tuple[dict[str, Any], Any]:
    """The config LangGraph's ``prepare_single_task`` and ``run_with_retry`` give a task
    (scratchpad, send sink, namespace, runtime with ``execution_info``, metadata,
    callbacks), and the wiring (``nested_graphs.NestedRuns``) graphs invoked inside the
    node use: checkpointer, scratchpad, resuming flag."""
    from langgraph.runtime import ExecutionInfo, Runtime

    from .effects import CONFIG_KEY as EFFECTS_KEY
    from .effects import EffectScope
    from .nested_graphs import NestedRuns

    ns = checkpoint_ns(cc.ns, node)
    nested = NestedRuns(
        cc.run_id, ns, list(cc.resume), thread_state=cc.thread_state, carry=cc.carry
    )
    wiring = nested.configurable(cc.step, cc.stop)
    sent: list[tuple[str, Any]] = []
    to_nested = wiring[compat.CONFIG_KEY_SEND]

    def send(writes: list[tuple[str, Any]]) -> None:
        """Resume values go to the nested-graph wiring, channel writes to the task."""
        to_nested([w for w in writes if w[0] == compat.RESUME])
        sent.extend(w for w in writes if w[0] != compat.RESUME)

    # checkpoint_id "": what LangGraph's own _ensure_execution_info gives a task prepared
    # outside its checkpointer; thread_id: an agentc run is a durable thread
    info = ExecutionInfo(
        checkpoint_id="",
        checkpoint_ns=ns,
        task_id=cc.task_id,
        thread_id=cc.run_id,
        run_id=None,
        node_attempt=cc.attempt,
        node_first_attempt_time=cc.first_attempt_time,
    )
    config = {
        "configurable": {
            "thread_id": cc.run_id,
            **wiring,
            compat.CONFIG_KEY_SEND: send,
            SENT: sent,
            compat.CONFIG_KEY_CHECKPOINT_NS: ns,
            compat.CONFIG_KEY_TASK_ID: cc.task_id,
            compat.CONFIG_KEY_RUNTIME: Runtime(
                context=cc.context, store=cc.store, execution_info=info
            ),
            # the task's idempotency keys: run id + task path + ordinal (semantics/effects.py)
            EFFECTS_KEY: EffectScope(cc.run_id, cc.ns),
        },
        "metadata": {
            "langgraph_step": cc.step,
            "langgraph_node": node,
            "thread_id": cc.run_id,
            "langgraph_triggers": cc.triggers,
            "langgraph_path": compat.task_path(cc.path),
            "langgraph_checkpoint_ns": ns,
        },
        # push_message looks for stream handlers here (none: agentc does not stream)
        "callbacks": [],
        "recursion_limit": cc.recursion_limit,
        "run_name": node,
    }
    return config, nested


def make_config(cc: CallContext, node: str) -> dict[str, Any]:
    return node_config(cc, node)[0]


def sent_writes(config: dict[str, Any]) -> list[tuple[str, Any]]:
    """The writes the task made through ``CONFIG_KEY_SEND`` while it ran."""
    return list(config["configurable"].get(SENT, ()))


def invoke(runnable: Any, value: Any, config: dict[str, Any], is_async: bool) -> Any:
    """Call a node/router Runnable with the child-config context set, as Pregel does."""
    from langchain_core.runnables.config import var_child_runnable_config

    from . import cancel_scope

    token = var_child_runnable_config.set(config)
    try:
        if is_async:  # cancellable by a fan-out's scope (cancel_scope, docs/policies.md)
            return cancel_scope.run_async(runnable.ainvoke(value, config))
        return runnable.invoke(value, config)
    finally:
        var_child_runnable_config.reset(token)


def call_node(runnable: Any, value: Any, config: dict[str, Any], is_async: bool) -> Any:
    """A node call: its return value, or the ``Command`` a graph it invoked itself sent
    here with ``Command(graph=Command.PARENT)`` (LangGraph's ``run_with_retry`` applies
    it as the node's own return)."""
    from .nested_graphs import parent_command

    try:
        return invoke(runnable, value, config, is_async)
    except Exception as exc:
        conf = config["configurable"]

        cmd = parent_command(exc, conf[compat.CONFIG_KEY_CHECKPOINT_NS], config["run_name"])
        if cmd is None:
            raise
        return cmd


def run_routers(
    branches: Sequence[Branch],
    fresh_read: Callable[[StateSchema], Any],
    update: Any,
    config: dict[str, Any],
    resolve: Resolver,
) -> list[tuple[str, Any]]:
    """Run a node's routers (in declaration order) on the fresh state. A router without
    its own input schema also sees the keys of the node's dict return that are not state
    keys (LangGraph's ``BranchSpec._route`` passthrough: ``{**update, **fresh}``)."""
    out: list[tuple[str, Any]] = []
    for br in branches:
        router = resolve(br.router)
        value = fresh_read(br.input)
        if br.sees_update and isinstance(value, dict) and isinstance(update, dict):
            value = {**update, **value}
        result = invoke(router, value, config, br.router.is_async)
        out.extend(branch_writes(br, result))
    return out


def output_keys(graph: Graph, node: str) -> frozenset[str]:
    """The keys a node's update may write: START writes the input keys, any other node
    every channel (LangGraph drops the rest silently)."""
    if node == START:
        managed = {c.name for c in graph.channels if c.kind == "managed"}
        return frozenset(k for k in graph.input_schema.keys if k not in managed)
    return frozenset(c.name for c in graph.channels)


def retry_decision(
    policies: Sequence[Any], attempt: int, exc: BaseException, resolve: Resolver
) -> float | None:
    """Seconds to wait before the next attempt, or None to give up (LangGraph's rules)."""
    import random

    for p in policies:
        retry_on = resolve(p.retry_on)
        if isinstance(retry_on, Sequence) and not isinstance(retry_on, str):
            matches = isinstance(exc, tuple(retry_on))
        elif isinstance(retry_on, type) and issubclass(retry_on, BaseException):
            matches = isinstance(exc, retry_on)
        elif callable(retry_on):
            matches = bool(retry_on(exc))
        else:
            matches = False
        if not matches:
            continue
        if attempt >= p.max_attempts:
            return None
        interval = min(p.max_interval, p.initial_interval * p.backoff_factor ** (attempt - 1))
        return interval + (random.uniform(0, 1) if p.jitter else 0)
    return None


def read_values(
    channels: Mapping[str, Any], keys: Sequence[str], managed: Mapping[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in keys:
        if k in managed:
            out[k] = managed[k]
            continue
        ch = channels.get(k)
        if ch is not None and ch.is_available():
            out[k] = ch.get()
    return out
