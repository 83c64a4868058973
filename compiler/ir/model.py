"""The agentc IR: a small, frozen, serializable description of an agent graph.

It is the contract between frontends, passes and targets, so it carries everything a
faithful re-execution needs and nothing target-specific:

* channels (state keys) with their reducer, referenced so a runtime calls the user's own
  Python reducer instead of re-implementing it;
* nodes, a closed set of kinds discriminated by ``kind``, each with a ``CallableRef`` saying
  how to find the user's function again, and the ``SourceRef`` of the user code;
* static edges, waiting edges (joins), branches with their possible targets, Command
  destinations, Send capability, interrupt points, subgraphs (nested ``Graph``), retry
  policies, ``defer``, recursion limit, input/output schemas.

Everything is referenced by name (node names, channel names): there are no object links, so
``load(dump(ir)) == ir`` holds and the JSON is stable enough to commit as a golden file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

IR_VERSION = "2.0"
"""2.0: the workflow's program is one ``body`` (a graph program or an agent program) instead
of two optional ``graph`` / ``agents`` fields; 1.0 files still load (``Workflow._upgrade``)."""
READABLE_IR_VERSIONS = ("1.0", IR_VERSION)

START = "__start__"
END = "__end__"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(_Frozen):
    """Where a construct lives in user code (path relative to the working directory when
    the file is under it, so golden files do not depend on the machine). Code in an
    installed library is named by its path inside site-packages with no line: those lines
    move with every release of the library."""

    file: str
    line: int | None
    qualname: str


class CallableRef(_Frozen):
    """How a runtime finds a user callable (node, router, reducer, schema, retry predicate).

    ``locator`` is a path from the entry object (the REF the user gave) to the callable,
    e.g. ``("nodes", "agent")`` or ``("channels", "messages", "reducer")``; it always
    resolves, even for lambdas and closures. ``module``/``qualname`` are filled when the
    callable is importable by name, for readers and for targets that import directly.
    """

    locator: tuple[str, ...]
    module: str | None = None
    qualname: str | None = None
    source: SourceRef | None = None
    is_async: bool = False
    accepts: tuple[str, ...] = ()


# ---------------------------------------------------------------- channels (state keys)


class _ChannelBase(_Frozen):
    name: str
    type: str = "Any"
    """A readable rendering of the annotation; informational."""


class LastValueChannel(_ChannelBase):
    """A plain key: at most one write per superstep, the last value wins across steps."""

    kind: Literal["last_value"] = "last_value"


class ReducerChannel(_ChannelBase):
    """``Annotated[T, reducer]``: all writes of a step are folded in task order."""

    kind: Literal["reducer"] = "reducer"
    reducer: CallableRef
    builtin: Literal["operator.add", "add_messages"] | None = None
    initial: Literal["missing", "type_default"] = "type_default"
    """``type_default``: the runtime starts the channel at the zero-argument call of its
    annotation's type, resolved from the user's schema (IR 2.0 dropped ``value_type``, a
    reference to that class that no frontend filled and no runtime read)."""


class EphemeralChannel(_ChannelBase):
    """Visible only in the step after it was written."""

    kind: Literal["ephemeral"] = "ephemeral"
    guard: bool = True


class TopicChannel(_ChannelBase):
    """Pub/sub list of the step's writes; optionally accumulating across steps."""

    kind: Literal["topic"] = "topic"
    accumulate: bool = False


class AnyValueChannel(_ChannelBase):
    kind: Literal["any_value"] = "any_value"


class ManagedChannel(_ChannelBase):
    """A value computed per task by the runtime (``RemainingSteps``, ``IsLastStep``)."""

    kind: Literal["managed"] = "managed"
    managed: Literal["remaining_steps", "is_last_step"]


Channel = Annotated[
    Union[
        LastValueChannel,
        ReducerChannel,
        EphemeralChannel,
        TopicChannel,
        AnyValueChannel,
        ManagedChannel,
    ],
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- schemas and policies


class StateSchema(_Frozen):
    """A state/input/output schema: its keys, and how a node input is coerced to it."""

    name: str
    kind: Literal["typeddict", "pydantic", "dataclass", "other"]
    keys: tuple[str, ...]
    cls: CallableRef | None = None


class RetryPolicy(_Frozen):
    """LangGraph's RetryPolicy, with ``retry_on`` kept as a reference to the user's
    exception classes or predicate (it decides at run time)."""

    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    max_attempts: int = 3
    jitter: bool = True
    retry_on: CallableRef
    retry_on_names: tuple[str, ...] = ()


class IdleTimeout(_Frozen):
    """LangGraph's ``TimeoutPolicy(idle_timeout=S, refresh_on=...)``: an attempt of the node
    fails once it has gone ``seconds`` without progress (docs/policies.md "Node timeouts")."""

    seconds: float
    refresh_on: Literal["auto", "heartbeat"] = "auto"
    """``auto``: callback events under the node and ``runtime.heartbeat()`` are progress;
    ``heartbeat``: only ``runtime.heartbeat()``."""


class InterruptPoint(_Frozen):
    """An ``interrupt()`` call found in a node body (a hint: calls are discovered at run time)."""

    source: SourceRef


# ---------------------------------------------------------------- nodes (step kinds)


class _NodeBase(_Frozen):
    name: str
    source: SourceRef | None = None
    input: StateSchema
    """What the node reads: the channels of its input schema, coerced to that schema."""
    retry: tuple[RetryPolicy, ...] = ()
    defer: bool = False
    destinations: tuple[str, ...] = ()
    """Declared ``Command(goto=...)`` destinations (``Command[Literal[...]]`` or
    ``destinations=``)."""
    goto_many: bool = False
    """The node may name several destinations in one ``Command(goto=[...])``."""
    interrupts: tuple[InterruptPoint, ...] = ()
    timeout: float | None = None
    """Seconds each attempt may run (``TimeoutPolicy.run_timeout``)."""
    idle_timeout: IdleTimeout | None = None
    metadata: dict[str, Any] = {}


class FunctionNode(_NodeBase):
    """A sync or async Python function, possibly taking config/runtime/store/writer."""

    kind: Literal["function"] = "function"
    call: CallableRef


class RunnableNode(_NodeBase):
    """Any other LangChain ``Runnable`` (LCEL chain, RunnableLambda, callable object)."""

    kind: Literal["runnable"] = "runnable"
    call: CallableRef
    runnable_type: str


class ToolNodeStep(_NodeBase):
    """``langgraph.prebuilt.ToolNode``: runs the tool calls of the last AI message."""

    kind: Literal["tool_node"] = "tool_node"
    call: CallableRef
    tools: tuple[CallableRef, ...] = ()
    tool_names: tuple[str, ...] = ()


class SubgraphNode(_NodeBase):
    """A compiled graph used as a node: runs as a nested durable graph."""

    kind: Literal["subgraph"] = "subgraph"
    graph: "Graph"


Node = Annotated[
    Union[FunctionNode, RunnableNode, ToolNodeStep, SubgraphNode],
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- control flow


class Edge(_Frozen):
    """A plain edge: an OR-trigger, fires every time ``source`` finishes."""

    source: str
    target: str


class WaitingEdge(_Frozen):
    """``add_edge([a, b], c)``: ``c`` runs once all sources have finished (across steps)."""

    sources: tuple[str, ...]
    target: str


class Branch(_Frozen):
    """A conditional edge. ``targets`` are the possible destinations (``None``: unknown,
    any node may be chosen); ``path_map`` maps router return values to nodes."""

    source: str
    name: str
    router: CallableRef
    path_map: dict[str, str] | None = None
    targets: tuple[str, ...] | None = None
    input: StateSchema
    may_send: bool = False
    returns_many: bool = False
    """The router may return a list of destinations (any subset of ``targets`` may run)."""
    sees_update: bool = False
    """The router declares no input schema of its own, so it reads the fresh state merged
    over the node's dict return (keys the state lacks pass through, as in LangGraph)."""


class Graph(_Frozen):
    name: str
    source: SourceRef | None = None
    state: StateSchema
    input_schema: StateSchema
    output_schema: StateSchema
    context_schema: CallableRef | None = None
    channels: tuple[Channel, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    waiting_edges: tuple[WaitingEdge, ...] = ()
    branches: tuple[Branch, ...] = ()
    interrupt_before: tuple[str, ...] = ()
    interrupt_after: tuple[str, ...] = ()
    recursion_limit: int = 10007
    """LangGraph's default (``agentc.compat.langgraph.DEFAULT_RECURSION_LIMIT``); counts
    supersteps."""

    def walk(self) -> tuple["Graph", ...]:
        """This graph and every subgraph nested in its nodes, outermost first."""
        out: list[Graph] = [self]
        for n in self.nodes:
            if isinstance(n, SubgraphNode):
                out.extend(n.graph.walk())
        return tuple(out)

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def channel(self, name: str) -> Channel:
        for c in self.channels:
            if c.name == name:
                return c
        raise KeyError(name)


# ---------------------------------------------------------------- OpenAI Agents SDK


class AgentTool(_Frozen):
    """A tool of an agent. ``kind``: ``function`` (runs locally, one durable step per call),
    ``agent`` (``Agent.as_tool``: a nested run), ``hosted`` (runs inside the model call)."""

    name: str
    kind: Literal["function", "agent", "hosted", "other"]
    source: SourceRef | None = None
    needs_approval: Literal["never", "always", "callable"] = "never"
    input_guardrails: tuple[str, ...] = ()
    output_guardrails: tuple[str, ...] = ()
    agent: str | None = None
    """For ``kind="agent"``: the nested agent's name."""


class AgentHandoff(_Frozen):
    tool_name: str
    target: str | None
    """The target agent's name (None: a custom ``Handoff`` that finds it at run time)."""
    input_filter: bool = False
    on_handoff: bool = False
    nest_history: bool | None = None


class AgentGuardrail(_Frozen):
    name: str
    run_in_parallel: bool = True
    source: SourceRef | None = None


class AgentSpec(_Frozen):
    """One ``agents.Agent``: what the SDK's run loop reads from it."""

    name: str
    source: SourceRef | None = None
    instructions: Literal["none", "string", "callable"] = "none"
    model: str | None = None
    """A model name, or the class name of a ``Model`` instance."""
    model_settings: dict[str, Any] = {}
    output_type: str | None = None
    tool_use_behavior: str | tuple[str, ...] = "run_llm_again"
    """``run_llm_again`` | ``stop_on_first_tool`` | ``callable`` | the StopAtTools names."""
    reset_tool_choice: bool = True
    tools: tuple[AgentTool, ...] = ()
    handoffs: tuple[AgentHandoff, ...] = ()
    input_guardrails: tuple[AgentGuardrail, ...] = ()
    output_guardrails: tuple[AgentGuardrail, ...] = ()


RUN_CONFIG_AGENT = "run_config"
"""What stands for the agent of a ``RunConfig``'s guardrails (they apply to whichever agent
runs): their step types and journal keys are under this name."""


class AgentRunOptions(_Frozen):
    """What ``Runner.run`` is given besides the agent, input and context, named by REFs
    that every process driving the run imports (``--run-config``, ``--run-hooks``,
    ``[tool.agentc]``; docs/openai-agents.md, "`Runner.run` parameters"). Part of the
    fingerprint: a run keeps the options it started with, and a worker compiled with
    other options refuses its steps."""

    run_config: str | None = None
    """REF of a ``RunConfig`` (or of a zero-argument factory returning one)."""
    settings: dict[str, Any] = {}
    """The config's fields that differ from ``RunConfig()``'s, as stable JSON (callables by
    qualified name), guardrails aside."""
    input_guardrails: tuple[AgentGuardrail, ...] = ()
    output_guardrails: tuple[AgentGuardrail, ...] = ()
    hooks: str | None = None
    """REF of a ``RunHooks`` object (or of a zero-argument factory returning one)."""
    error_handlers: str | None = None
    """REF of a ``RunErrorHandlers`` dict (or of a zero-argument factory returning one)."""
    error_kinds: dict[str, str] = {}
    """The error kinds it handles → the handler's qualified name (``--error-handlers``)."""
    session: str | None = None
    """REF of a ``Session`` or of a factory of the run context returning one (``--session``;
    ``runtime_shims/run_sessions.py``)."""


class AgentSystem(_Frozen):
    """Every agent reachable from the starting agent (handoffs, agents used as tools)."""

    start: str
    agents: tuple[AgentSpec, ...]
    max_turns: int = 10
    run: AgentRunOptions | None = Field(default=None, exclude_if=lambda v: v is None)
    """``Runner.run``'s options (None, and absent from the JSON, when there are none)."""


# ---------------------------------------------------------------- effect policy (docs/effects.md)


class _EffectBase(_Frozen):
    """How a node's or a tool's side effect may be repeated and undone. Declared outside
    the business logic (``[tool.agentc.effects]``, ``--policy FILE``, ``@agentc.effect``),
    read by ``agentc.policy``, carried here so every target sees the same policy."""

    name: str
    """The node name (LangGraph) or function-tool name (OpenAI Agents)."""
    on: Literal["node", "tool"]
    source: SourceRef | None = None
    """Where it was declared: the policy file's line, or the decorated function."""


class PureEffect(_EffectBase):
    """No side effect: free to re-run."""

    kind: Literal["pure"] = "pure"


class IdempotentEffect(_EffectBase):
    """Re-running it gives the same outcome (a PUT, an upsert)."""

    kind: Literal["idempotent"] = "idempotent"


class KeyedEffect(_EffectBase):
    """Deduplicated by the service through the idempotency key the call reads."""

    kind: Literal["keyed"] = "keyed"


class AtMostOnceEffect(_EffectBase):
    """Never run a second time: no automatic retry; a call whose outcome a crash hid stops
    the run for a human instead of being called again."""

    kind: Literal["at_most_once"] = "at_most_once"


class CompensableEffect(_EffectBase):
    """Undone, when the run fails terminally or is cancelled, by ``compensator`` (a REF,
    ``module:function``) called with the original arguments and result."""

    kind: Literal["compensable"] = "compensable"
    compensator: str


EffectPolicy = Annotated[
    Union[PureEffect, IdempotentEffect, KeyedEffect, AtMostOnceEffect, CompensableEffect],
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- policies (docs/policies.md)


class PolicyRule(_Frozen):
    """The policy of one tool (OpenAI Agents function tool, by name, in every agent) or one
    node (LangGraph, by name, in the root graph). ``deny`` / ``require_approval``: ``True``,
    or a CEL predicate over the call's ``args`` (tools) or the node's input ``state``
    (nodes) — kept as its source text; the runtime compiles it (runtime_shims/policy_gate.py)."""

    name: str
    deny: bool | str = False
    require_approval: bool | str = False
    max_calls: int | None = None
    """Calls of this tool per run; calls past it are refused (or fail the run)."""
    irreversible: bool = False
    """`agentc check` proves every call is preceded by an approval on every path."""
    message: str | None = None
    """The refusal the model reads when a call is denied (default: the SDK's rejection text)."""
    external: bool = False
    """A node whose result comes from outside: the run pauses with its input and
    ``agentc complete RUN_ID NODE --value JSON`` supplies its return value."""
    timeout: float | None = None
    """Seconds a call of this tool may run (the SDK's own ``timeout_seconds``, lowered to
    this); the engines' step timeouts follow it (docs/policies.md "Timeouts")."""
    args_schema: str | None = None
    """A JSON Schema the call's arguments must validate against (kept as canonical JSON
    text, so the IR stays frozen and its fingerprint stable); a call that does not is
    refused like a denied one."""
    source: SourceRef | None = None


class FanoutPolicy(_Frozen):
    """Structured concurrency for one fan-out: the parallel tool calls of an agent's model
    response (``agent``), or the parallel tasks of a LangGraph superstep (``node``)."""

    name: str
    mode: Literal["all", "fail_fast"] = "all"
    deadline: float | None = None
    """Seconds for the whole fan-out; past it every unfinished sibling is cancelled."""
    source: SourceRef | None = None


class RunPolicy(_Frozen):
    max_turns: int | None = None
    max_tool_calls: int | None = None
    on_deny: Literal["refuse", "fail"] = "refuse"
    max_tokens: int | None = None
    """Model tokens per run (the ``usage.total_tokens`` each model response reports); once
    spent, the next model call fails the run (docs/policies.md "Token budget")."""
    source: SourceRef | None = None


class Policies(_Frozen):
    """What a policy file (``[tool.agentc.policies]`` or ``--policy FILE``) says about one
    workflow, checked against it (compiler/policies.py). Part of the fingerprint: a run
    keeps the policy it started under."""

    run: RunPolicy = RunPolicy()
    tools: tuple[PolicyRule, ...] = ()
    nodes: tuple[PolicyRule, ...] = ()
    fanouts: tuple[FanoutPolicy, ...] = ()

    def tool(self, name: str) -> PolicyRule | None:
        return next((r for r in self.tools if r.name == name), None)

    def node(self, name: str) -> PolicyRule | None:
        return next((r for r in self.nodes if r.name == name), None)


class GraphProgram(_Frozen):
    """A LangGraph graph: the root ``Graph`` (its subgraphs nest inside its nodes). The
    program a workflow runs is one of a closed set of kinds, so every layer dispatches on
    ``kind`` in one table instead of testing which of two optional fields is set."""

    kind: Literal["graph"] = "graph"
    graph: Graph


class AgentProgram(_Frozen):
    """An OpenAI Agents SDK agent system: the starting agent and every agent it reaches."""

    kind: Literal["agents"] = "agents"
    system: AgentSystem


Body = Annotated[Union[GraphProgram, AgentProgram], Field(discriminator="kind")]
BodyKind = Literal["graph", "agents"]


class Workflow(_Frozen):
    """The unit every target lowers: one agent, read from one entry object. Its ``body`` is
    the program: a LangGraph graph (``GraphProgram``) or an OpenAI Agents SDK agent system
    (``AgentProgram``)."""

    ir_version: str = IR_VERSION
    frontend: Literal["langgraph", "openai_agents"] = "langgraph"
    name: str
    entry: str | None
    """The REF (``module:attr`` or ``file.py:attr``) the runtime imports user code from."""
    body: Body
    effects: tuple[EffectPolicy, ...] = ()
    """The effect policy of the workflow's nodes or tools (sorted by name)."""
    warnings: tuple[dict[str, Any], ...] = ()
    policies: Policies | None = Field(default=None, exclude_if=lambda v: v is None)
    """The checked policy file, if any (left out of the JSON when there is none)."""

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        """An IR file of version 1.0 (``graph`` / ``agents``, one of them null) reads as the
        same workflow: journals keep the IR their run started with, and a run journaled
        before 2.0 must still resume. Any other unknown version is refused by name."""
        if not isinstance(data, dict) or "body" in data:
            return data
        version = data.get("ir_version", IR_VERSION)
        if version not in READABLE_IR_VERSIONS:
            raise ValueError(
                f"IR version {version!r} is not one this agentc reads "
                f"({', '.join(READABLE_IR_VERSIONS)})"
            )
        if "graph" not in data and "agents" not in data:
            return data  # no program at all: the missing body is reported as such
        data = dict(data)
        graph, system = data.pop("graph", None), data.pop("agents", None)
        if (graph is None) == (system is None):
            raise ValueError("a workflow holds exactly one of a graph and an agent system")
        data["body"] = (
            {"kind": "graph", "graph": graph}
            if graph is not None
            else {"kind": "agents", "system": system}
        )
        data["ir_version"] = IR_VERSION
        return data

    @model_serializer(mode="wrap")
    def _omit_empty_effects(self, handler: Any) -> Any:
        """A workflow with no effect policy dumps as before the policy existed, so its
        IR files and fingerprint (the plan id) do not change."""
        data = handler(self)
        if isinstance(data, dict) and not data.get("effects"):
            data.pop("effects", None)
        return data

    @property
    def graph(self) -> Graph:
        """The graph of a graph program, for code that only ever sees one (its layer
        dispatched on ``body.kind`` already); on an agent program, a ``WrongBody``."""
        if isinstance(self.body, GraphProgram):
            return self.body.graph
        raise WrongBody(self, "graph")

    @property
    def agents(self) -> AgentSystem:
        """The agent system of an agent program (see ``graph``)."""
        if isinstance(self.body, AgentProgram):
            return self.body.system
        raise WrongBody(self, "agents")

    def graphs(self) -> tuple[Graph, ...]:
        """Every graph of a graph program (``Graph.walk``); none for an agent program."""
        return self.body.graph.walk() if isinstance(self.body, GraphProgram) else ()

    def effect(self, name: str) -> EffectPolicy | None:
        for e in self.effects:
            if e.name == name:
                return e
        return None


def agent_system(wf: Workflow | None) -> AgentSystem | None:
    """The agent system of ``wf``; None for a graph program or no workflow at all (the
    agent runtime's helpers are also called without an IR)."""
    return wf.body.system if wf is not None and isinstance(wf.body, AgentProgram) else None


class WrongBody(TypeError):
    """Code reached for the program of one body kind on a workflow of the other: an agentc
    bug (a layer that should have dispatched on ``Workflow.body.kind`` did not)."""

    def __init__(self, wf: Workflow, wanted: BodyKind) -> None:
        super().__init__(
            f"workflow {wf.name!r} holds a {wf.body.kind} program; its {wanted!r} was asked for "
            "(dispatch on Workflow.body.kind)"
        )
        self.kind = wf.body.kind
        self.wanted = wanted


SubgraphNode.model_rebuild()
Graph.model_rebuild()
