"""Read a live LangGraph ``StateGraph`` (or compiled graph) into the agentc IR.

The source of truth is ``graph.builder`` — the authoring-level view — never
``get_graph()``, which is a lossy dry-run for dynamic routing. Nothing here calls
``builder.compile()``: reading must stay cheaper than LangGraph's own compile.

Unsupported constructs are refused through the diagnostics sink (``errors.Warnings``) with a
diagnostic naming the construct and its file:line; the reader reads on, so one compile
reports all of them (raised at the end of ``read``; at once under ``ErrorLevel.IMMEDIATE``).
Nothing is silently dropped.
"""

from __future__ import annotations

import dataclasses
import operator
import re
import typing
from typing import Any

from ...errors import AgentcError, Code, Diagnostic, ErrorLevel, Warnings
from ...refs import ref_stem
from ...ir import (
    AnyValueChannel,
    Branch,
    CallableRef,
    Edge,
    EphemeralChannel,
    FunctionNode,
    Graph,
    GraphProgram,
    IdleTimeout,
    LastValueChannel,
    ManagedChannel,
    ReducerChannel,
    RetryPolicy,
    RunnableNode,
    StateSchema,
    SubgraphNode,
    ToolNodeStep,
    TopicChannel,
    WaitingEdge,
    Workflow,
)
from .sources import (
    callable_ref,
    gotos_many,
    interrupt_points,
    mentions_send,
    returns_many,
    source_ref,
)

DEFAULT_RECURSION_LIMIT = 10007


def is_langgraph(obj: Any) -> bool:
    try:
        from langgraph.graph import StateGraph
        from langgraph.pregel import Pregel
    except ImportError:  # pragma: no cover - langgraph is a dependency
        return False
    return isinstance(obj, (StateGraph, Pregel))


def read(
    obj: Any,
    *,
    entry: str | None,
    level: ErrorLevel = ErrorLevel.WARN,
    warnings: Warnings | None = None,
) -> Workflow:
    from langgraph.graph import StateGraph

    warnings = warnings if warnings is not None else Warnings()
    compiled = None if isinstance(obj, StateGraph) else obj
    builder = obj if compiled is None else getattr(obj, "builder", None)
    if builder is None:
        _refuse_functional(obj, entry)
    graph = _Reader(builder, compiled, (), warnings, level).graph(_name(compiled, entry))
    warnings.raise_if_refused()  # every unsupported construct of the graph, reported together
    return Workflow(
        name=graph.name,
        entry=entry,
        body=GraphProgram(graph=graph),
        warnings=tuple(d.to_json() for d in warnings.items),
    )


def _name(compiled: Any, entry: str | None) -> str | None:
    """The graph's own name, or one derived from the REF (LangGraph's default name,
    "LangGraph", would make every workflow's output collide)."""
    own = getattr(compiled, "name", None)
    if own and own != "LangGraph":
        return own
    if not entry:
        return None
    attr = entry.rpartition(":")[2]
    stem = ref_stem(entry)
    return stem if attr in ("graph", "app", "agent", "workflow") else f"{stem}.{attr}"


def _user_function(runnable: Any) -> Any:
    """The function the user wrote inside a ``RunnableCallable`` (sync, else async);
    any other object is its own user code."""
    func = getattr(runnable, "func", None)
    if func is None:
        func = getattr(runnable, "afunc", None)
    return runnable if func is None else func


def _refuse_functional(obj: Any, entry: str | None) -> None:
    fn = None
    for node in getattr(obj, "nodes", {}).values():
        bound = getattr(node, "bound", None)
        if getattr(bound, "func", None) is not None or getattr(bound, "afunc", None) is not None:
            fn = _user_function(bound)
            break
    src = source_ref(fn) if fn is not None else None
    raise AgentcError(
        Code.UNSUPPORTED,
        "the LangGraph functional API (@entrypoint / @task) cannot be compiled: its control "
        "flow is ordinary Python inside the entrypoint, which agentc cannot read statically",
        construct=f"@entrypoint {getattr(obj, 'name', '')}".strip() if entry is None else entry,
        source=src,
        hint="rewrite the workflow as a StateGraph (one node per @task), or run it with "
        "LangGraph's own checkpointer; see docs/langgraph.md#functional-api",
    )


def _schema_kind(cls: Any) -> str:
    from typing_extensions import is_typeddict

    if is_typeddict(cls):
        return "typeddict"
    try:
        from pydantic import BaseModel

        if isinstance(cls, type) and issubclass(cls, BaseModel):
            return "pydantic"
    except ImportError:  # pragma: no cover
        pass
    if dataclasses.is_dataclass(cls):
        return "dataclass"
    return "other"


def _type_name(t: Any) -> str:
    """A stable, readable annotation (reducers are carried separately; no memory addresses)."""
    if typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    if isinstance(t, type):
        return t.__name__
    text = repr(t).replace("typing.", "").replace("collections.abc.", "")
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


class _Reader:
    def __init__(
        self,
        builder: Any,
        compiled: Any,
        prefix: tuple[str, ...],
        warnings: Warnings,
        level: ErrorLevel,
    ) -> None:
        self.b = builder
        self.c = compiled
        self.prefix = prefix
        self.warnings = warnings
        self.level = level
        self._schemas: dict[tuple[Any, tuple[str, ...]], StateSchema] = {}

    def loc(self, *parts: str) -> tuple[str, ...]:
        return (*self.prefix, *parts)

    # ------------------------------------------------------------------ schemas
    def schema(self, cls: Any, locator: tuple[str, ...]) -> StateSchema:
        key = (cls, locator)
        hit = self._schemas.get(key)
        if hit is None:
            keys = tuple(self.b.schemas[cls]) if cls in self.b.schemas else ()
            kind = _schema_kind(cls)
            ref = (
                CallableRef(locator=self.loc(*locator), source=source_ref(cls))
                if kind != "typeddict"
                else None
            )
            hit = StateSchema(
                name=getattr(cls, "__name__", str(cls)), kind=kind, keys=keys, cls=ref
            )
            self._schemas[key] = hit
        return hit

    # ------------------------------------------------------------------ channels
    def channels(self) -> tuple[Any, ...]:
        from langgraph.channels.any_value import AnyValue
        from langgraph.channels.base import MISSING
        from langgraph.channels.binop import BinaryOperatorAggregate
        from langgraph.channels.ephemeral_value import EphemeralValue
        from langgraph.channels.last_value import LastValue
        from langgraph.channels.topic import Topic
        from langgraph.managed.is_last_step import IsLastStepManager, RemainingStepsManager

        out: list[Any] = []
        for name, ch in self.b.channels.items():
            typ = _type_name(getattr(ch, "typ", Any))
            t = type(ch)
            if t is LastValue:
                out.append(LastValueChannel(name=name, type=typ))
            elif t is BinaryOperatorAggregate:
                op = ch.operator
                builtin = (
                    "operator.add"
                    if op is operator.add
                    else "add_messages"
                    if getattr(op, "__name__", "") in ("add_messages", "_add_messages")
                    else None
                )
                initial = "missing" if getattr(ch, "value", None) is MISSING else "type_default"
                out.append(
                    ReducerChannel(
                        name=name,
                        type=typ,
                        builtin=builtin,
                        initial=initial,
                        reducer=callable_ref(self.loc("channels", name, "reducer"), op),
                    )
                )
            elif t is EphemeralValue:
                out.append(EphemeralChannel(name=name, type=typ, guard=ch.guard))
            elif t is Topic:
                out.append(TopicChannel(name=name, type=typ, accumulate=ch.accumulate))
            elif t is AnyValue:
                out.append(AnyValueChannel(name=name, type=typ))
            else:
                self._unsupported(
                    f"channel {name!r} of type {t.__name__}",
                    source_ref(self.b.state_schema),
                    "use a plain key, Annotated[T, reducer], EphemeralValue, Topic or AnyValue",
                )
        for name, spec in self.b.managed.items():
            kind = {
                RemainingStepsManager: "remaining_steps",
                IsLastStepManager: "is_last_step",
            }.get(spec)
            if kind is None:
                self._unsupported(
                    f"managed value {name!r} ({getattr(spec, '__name__', spec)})",
                    source_ref(self.b.state_schema),
                    "only RemainingSteps and IsLastStep are supported",
                )
                continue
            out.append(
                ManagedChannel(
                    name=name, type="int" if kind == "remaining_steps" else "bool", managed=kind
                )
            )
        return tuple(out)

    # ------------------------------------------------------------------ nodes
    def retry(self, name: str, spec: Any) -> tuple[RetryPolicy, ...]:
        from ...compat.langgraph import node_default_retry

        policies = None
        if self.c is not None and name in getattr(self.c, "nodes", {}):
            policies = self.c.nodes[name].retry_policy
        if policies is None:
            policies = spec.retry_policy
        if policies is None:
            policies = node_default_retry(self.b)
        if policies is None:
            return ()
        if not isinstance(policies, (list, tuple)):
            policies = (policies,)
        out = []
        for i, p in enumerate(policies):
            ro = p.retry_on
            names = tuple(
                c.__name__
                for c in (ro if isinstance(ro, (list, tuple)) else (ro,))
                if isinstance(c, type)
            )
            out.append(
                RetryPolicy(
                    initial_interval=p.initial_interval,
                    backoff_factor=p.backoff_factor,
                    max_interval=p.max_interval,
                    max_attempts=p.max_attempts,
                    jitter=p.jitter,
                    retry_on=callable_ref(self.loc("nodes", name, "retry", str(i), "retry_on"), ro)
                    if not isinstance(ro, (list, tuple))
                    else CallableRef(locator=self.loc("nodes", name, "retry", str(i), "retry_on")),
                    retry_on_names=names,
                )
            )
        return tuple(out)

    def timeout(self, name: str, spec: Any) -> tuple[float | None, IdleTimeout | None]:
        """The node's ``TimeoutPolicy`` (``add_node(..., timeout=)`` or the builder's
        ``set_node_defaults(timeout=)``): its ``run_timeout`` (a hard cap on each attempt) and
        its ``idle_timeout`` with ``refresh_on`` (a cap on each attempt's time without
        progress), lowered on every target (docs/policies.md "Node timeouts")."""
        from ...compat.langgraph import RunnableCallable
        from langgraph.pregel import Pregel

        policy = getattr(spec, "timeout", None)
        if policy is None:
            return None, None
        run = policy if isinstance(policy, (int, float)) else getattr(policy, "run_timeout", None)
        idle = None if isinstance(policy, (int, float)) else getattr(policy, "idle_timeout", None)
        r = spec.runnable
        fn = _user_function(r) if isinstance(r, RunnableCallable) else None
        src = source_ref(fn) if fn is not None else None
        what = f"add_node({name!r}, timeout={policy!r})"
        if isinstance(r, Pregel):
            self._unsupported(
                what,
                source_ref(r),
                "LangGraph bounds the whole subgraph call (a retry runs the subgraph again "
                "from its start); agentc runs a subgraph's nodes as durable steps of their "
                "own (a child workflow on the engines), which one bound on the call cannot "
                "cancel: put the timeout on the subgraph's nodes",
            )
        if not (_is_tool_node(r) or (isinstance(r, RunnableCallable) and r.func is None)):
            self._unsupported(
                what,
                src,
                "agentc bounds the run of an async function node or a ToolNode (as LangGraph, "
                "which refuses timeouts on sync nodes): make the node async",
            )
        return (
            _seconds(run) if run is not None else None,
            IdleTimeout(seconds=_seconds(idle), refresh_on=policy.refresh_on)
            if idle is not None
            else None,
        )

    def node(self, name: str, spec: Any) -> Any:
        from ...compat.langgraph import RunnableCallable
        from langgraph.pregel import Pregel

        r = spec.runnable
        input_schema = self.schema(
            spec.input_schema or self.b.state_schema,
            ("nodes", name, "input_schema") if spec.input_schema else ("state_schema",),
        )
        if getattr(spec, "cache_policy", None) is not None:
            self.warnings.add(
                Diagnostic(
                    Code.IGNORED_OPTION,
                    f"cache_policy on node {name!r} is ignored",
                    construct=f"add_node({name!r}, cache_policy=...)",
                    file=None,
                    hint="the durable journal already avoids re-running completed nodes; results "
                    "are unchanged",
                ),
                self.level,
            )
        ends = spec.ends
        destinations = tuple(ends.keys() if isinstance(ends, dict) else ends) if ends else ()
        timeout, idle_timeout = self.timeout(name, spec)
        common = dict(
            name=name,
            input=input_schema,
            retry=self.retry(name, spec),
            defer=bool(spec.defer),
            destinations=destinations,
            timeout=timeout,
            idle_timeout=idle_timeout,
            metadata=dict(spec.metadata or {}),
        )
        if destinations and not isinstance(r, Pregel):
            common["goto_many"] = gotos_many(_user_function(r) or r)
        if isinstance(r, Pregel):
            sub_builder = getattr(r, "builder", None)
            if sub_builder is None:
                _refuse_functional(r, None)
            sub = _Reader(
                sub_builder, r, self.loc("nodes", name, "graph"), self.warnings, self.level
            ).graph(name)
            return SubgraphNode(**common, graph=sub, source=sub.source)
        try:
            from langgraph.prebuilt import ToolNode
        except ImportError:  # pragma: no cover
            ToolNode = ()  # type: ignore
        if ToolNode and isinstance(r, ToolNode):
            tools = r.tools_by_name
            return ToolNodeStep(
                **common,
                source=source_ref(r),
                # a timed ToolNode runs by its async path, as under graph.ainvoke (the only
                # way LangGraph runs a timed node): the bound cancels it (node_timeouts)
                call=callable_ref(
                    self.loc("nodes", name), r, is_async=bool(timeout or idle_timeout)
                ),
                tool_names=tuple(tools),
                tools=tuple(
                    callable_ref(
                        self.loc("nodes", name, "tools", t),
                        getattr(tools[t], "func", None) or tools[t],
                    )
                    for t in tools
                ),
            )
        if isinstance(r, RunnableCallable):
            fn = _user_function(r)
            is_async = r.func is None
            src = source_ref(fn)
            accepts = tuple(sorted((r.func_accepts or {}).keys()))
            return FunctionNode(
                **common,
                source=src,
                interrupts=interrupt_points(fn),
                call=callable_ref(self.loc("nodes", name), fn, is_async=is_async, accepts=accepts),
            )
        src = source_ref(r)
        return RunnableNode(
            **common,
            source=src,
            runnable_type=type(r).__name__,
            call=callable_ref(self.loc("nodes", name), r),
        )

    # ------------------------------------------------------------------ edges
    def branches(self) -> tuple[Branch, ...]:
        out = []
        # declaration order, as LangGraph attaches them: it decides the order of Send packets
        for src, specs in self.b.branches.items():
            for bname, spec in specs.items():
                router = spec.path
                fn = _user_function(router)
                ends = spec.ends
                ref = callable_ref(
                    self.loc("branches", src, bname),
                    fn,
                    is_async=getattr(router, "func", 1) is None,
                    accepts=tuple(sorted((getattr(router, "func_accepts", None) or {}).keys())),
                )
                if spec.input_schema is not None:
                    schema = self.schema(
                        spec.input_schema, ("branches", src, bname, "input_schema")
                    )
                elif src in self.b.nodes and self.b.nodes[src].input_schema is not None:
                    schema = self.schema(
                        self.b.nodes[src].input_schema, ("nodes", src, "input_schema")
                    )
                else:
                    schema = self.schema(self.b.state_schema, ("state_schema",))
                if ends:
                    targets = tuple(sorted(set(ends.values())))
                else:
                    targets = None
                    self.warnings.add(
                        Diagnostic(
                            Code.DYNAMIC_TARGETS,
                            f"conditional edge {src} -> {bname}() declares no targets: every node "
                            "is a possible target",
                            construct=f"add_conditional_edges({src!r}, {bname})",
                            file=ref.source.file if ref.source else None,
                            line=ref.source.line if ref.source else None,
                            hint="pass a path_map or annotate the router's return type with "
                            "Literal[...] so "
                            "targets can show the real control flow",
                        ),
                        self.level,
                    )
                out.append(
                    Branch(
                        source=src,
                        name=bname,
                        router=ref,
                        path_map=dict(sorted(ends.items())) if ends else None,
                        targets=targets,
                        input=schema,
                        may_send=mentions_send(fn),
                        returns_many=returns_many(fn),
                        sees_update=spec.input_schema is None,
                    )
                )
        return tuple(out)

    def refuse_error_handlers(self) -> None:
        # add_node(..., error_handler=f) adds f as a node of its own, named by the node's
        # error_handler_node: that one is reported with the add_node call, not again
        named = {getattr(spec, "error_handler_node", None) for spec in self.b.nodes.values()}
        for name, spec in self.b.nodes.items():
            handler = getattr(spec, "error_handler_node", None)
            if name in named and getattr(spec, "is_error_handler", False):
                continue
            if handler or getattr(spec, "is_error_handler", False):
                fn = _user_function(spec.runnable)
                what = (
                    f"add_node({name!r}, ..., error_handler=...)"
                    if handler
                    else "set_node_defaults(error_handler=...)"
                )
                self._unsupported(
                    what,
                    source_ref(fn) if handler else source_ref(self.b.state_schema),
                    "error handlers (LangGraph 1.2) are not supported yet; catch the "
                    "exception inside the node, or use a RetryPolicy",
                )

    def graph(self, name: str | None = None) -> Graph:
        b = self.b
        self.refuse_error_handlers()
        nodes = tuple(self.node(n, s) for n, s in b.nodes.items())
        edges = tuple(Edge(source=s, target=t) for s, t in sorted(b.edges))
        waits = tuple(WaitingEdge(sources=tuple(s), target=t) for s, t in sorted(b.waiting_edges))
        ib = getattr(self.c, "interrupt_before_nodes", ()) if self.c is not None else ()
        ia = getattr(self.c, "interrupt_after_nodes", ()) if self.c is not None else ()
        all_nodes = tuple(n.name for n in nodes)
        ib = all_nodes if ib == "*" else tuple(ib)
        ia = all_nodes if ia == "*" else tuple(ia)
        cfg = getattr(self.c, "config", None) or {}
        limit = int(cfg.get("recursion_limit", DEFAULT_RECURSION_LIMIT))
        ctx = (
            b.context_schema
            if getattr(b, "context_schema", None) not in (None, type(None))
            else None
        )
        state = self.schema(b.state_schema, ("state_schema",))
        gname = (
            name or (getattr(self.c, "name", None) if self.c is not None else None) or "LangGraph"
        )
        return Graph(
            name=gname,
            source=state.cls.source if state.cls else source_ref(b.state_schema),
            state=state,
            input_schema=self.schema(b.input_schema, ("input_schema",)),
            output_schema=self.schema(b.output_schema, ("output_schema",)),
            context_schema=CallableRef(locator=self.loc("context_schema"), source=source_ref(ctx))
            if ctx
            else None,
            channels=self.channels(),
            nodes=nodes,
            edges=edges,
            waiting_edges=waits,
            branches=self.branches(),
            interrupt_before=ib,
            interrupt_after=ia,
            recursion_limit=limit,
        )

    def _unsupported(self, what: str, src: Any, hint: str) -> None:
        """Refuse a construct through the sink; the reader goes on, so one compile reports
        every unsupported construct (raised by ``read`` once the graph is read)."""
        diag = Diagnostic(
            Code.UNSUPPORTED,
            f"unsupported construct: {what}",
            construct=what,
            file=src.file if src else None,
            line=src.line if src else None,
            hint=hint,
        )
        self.warnings.refuse(diag, self.level)


def _seconds(value: Any) -> float:
    """A ``TimeoutPolicy`` field (a number or a ``timedelta``) in seconds."""
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def _is_tool_node(r: Any) -> bool:
    try:
        from langgraph.prebuilt import ToolNode
    except ImportError:  # pragma: no cover
        return False
    return isinstance(r, ToolNode)
