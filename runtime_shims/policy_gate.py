"""Enforcing the policy file at run time, before a tool or node runs (docs/policies.md).

The checked policies travel in the IR (``Workflow.policies``), so every target enforces
the same rules in the code all of them share:

* **OpenAI Agents tools** — in the journaled drive of the SDK's own ``Runner.run``
  (``openai_agents_replay``), which the local executor, Conductor's tasks and Temporal's
  activities all run. ``require_approval`` becomes the tool's ``needs_approval`` for the
  drive, so the pause *is* the SDK's approval interruption, made durable by agentc like
  any other (``run_with_decisions``). ``deny``, ``max_calls``, the run's
  ``max_tool_calls`` and ``args_schema`` are decided in the tool's wrapper before the journal is
  consulted:
  a refused call never becomes a step; the model reads the SDK's rejection text (the
  output of a rejected approval), or the run fails (``on_deny = "fail"``). ``max_turns``
  lowers the SDK's own limit, ``timeout`` the tool's own ``timeout_seconds``; ``max_tokens``
  is checked before every model call against the usage the journaled responses report.
* **LangGraph nodes** — ``node_gate`` runs in the step worker and the local executor,
  right before the node's function: ``deny`` fails the run, ``require_approval`` calls
  LangGraph's ``interrupt()`` first, so the pause is a node interrupt on every target
  (the policy pass gave the node an interrupt point, so Conductor has its HUMAN task).

A drive replays the run from the start, so counts (``max_calls``) are recomputed in every
drive in the SDK's call order and reach the same verdicts. A predicate that fails to
evaluate (a missing argument, a type error) counts as holding: the safe side.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, replace
from typing import Any, Callable

from agentc.errors import Code, RunFailed

from . import model_prices

APPROVAL_KIND = "policy_approval"
EXTERNAL_KIND = "external_completion"


class PolicyDenied(RunFailed):
    """A call or node the policy refuses: final, so no retry policy retries it."""


@functools.lru_cache(maxsize=256)
def _program(text: str) -> Any:
    import celpy

    env = celpy.Environment()
    return env.program(env.compile(text))


def holds(rule: bool | str, variable: str, value: Any) -> bool:
    """A rule's verdict: ``True``/``False`` as written, a CEL predicate evaluated over
    ``{variable: value}`` (an evaluation error counts as holding)."""
    if isinstance(rule, bool):
        return rule
    import celpy

    try:
        result = _program(rule).evaluate({variable: celpy.json_to_cel(_plain(value))})
    except Exception:  # noqa: BLE001 - CELEvalError and friends: fail closed
        return True
    if isinstance(result, Exception):
        return True
    return bool(result) if isinstance(result, (bool, int)) else True


def _plain(value: Any) -> Any:
    from agentc.semantics.codec import to_jsonable

    if isinstance(value, str):
        try:
            value = json.loads(value) if value else {}
        except json.JSONDecodeError:
            return {}
    out = to_jsonable(value)
    return out if isinstance(out, (dict, list, str, int, float, bool)) or out is None else {}


class ToolGate:
    """One drive's policy state (counts) for an agent system's tools."""

    def __init__(self, policies: Any) -> None:
        self.policies = policies
        self.lock = threading.Lock()
        self.calls: dict[str, int] = {}
        self.total = 0
        self.tokens = 0
        """Model tokens the drive has seen so far (journaled responses included)."""
        self.cost = 0.0
        """US dollars those responses cost at the policy's prices (``max_cost_usd``)."""

    def max_turns(self, given: int | None) -> int | None:
        limit = self.policies.run.max_turns
        if limit is None:
            return given
        from agents.run import DEFAULT_MAX_TURNS

        return min(given if given is not None else DEFAULT_MAX_TURNS, limit)

    def governs_approval(self, tool: str) -> bool:
        rule = self.policies.tool(tool)
        return rule is not None and (
            rule.require_approval is not False
            or rule.deny is not False
            or rule.args_schema is not None
        )

    def approval(self, tool: str, args: Any) -> bool | None:
        """Whether the policy asks for an approval of this call (None: no opinion, the
        tool's own ``needs_approval`` decides). A denied call is never sent for approval."""
        rule = self.policies.tool(tool)
        if rule is None:
            return None
        if holds(rule.deny, "args", args):
            return False
        if (
            rule.args_schema is not None
            and schema_error(rule.args_schema, _plain(args)) is not None
        ):
            return False  # refused before it runs (admit), like a denied call
        if holds(rule.require_approval, "args", args):
            return True
        return None

    def admit(self, tool: str, arguments: str) -> str | None:
        """Before a call runs: ``None`` to run it, or the refusal the model reads
        (raises ``RunFailed`` instead under ``on_deny = "fail"``)."""
        rule = self.policies.tool(tool)
        reason = None
        with self.lock:
            n = self.calls.get(tool, 0)
            if rule is not None and holds(rule.deny, "args", arguments):
                reason = f"tool {tool!r} is denied by the policy"
            elif (
                rule is not None
                and rule.args_schema is not None
                and (bad := schema_error(rule.args_schema, arguments))
            ):
                reason = (
                    f"the arguments of tool {tool!r} do not match the policy's args_schema: {bad}"
                )
            elif rule is not None and rule.max_calls is not None and n >= rule.max_calls:
                reason = (
                    f"tool {tool!r} was already called {n} time(s); "
                    f"the policy allows {rule.max_calls} per run"
                )
            elif (
                self.policies.run.max_tool_calls is not None
                and self.total >= self.policies.run.max_tool_calls
            ):
                reason = (
                    f"the run already made {self.total} tool call(s); "
                    f"the policy allows {self.policies.run.max_tool_calls}"
                )
            else:
                self.calls[tool] = n + 1
                self.total += 1
                return None
        if self.policies.run.on_deny == "fail":
            src = rule.source if rule is not None else self.policies.run.source
            raise PolicyDenied(
                Code.POLICY_DENIED,
                reason,
                construct=f"tool {tool!r}",
                source=src,
                hint="the policy file forbids this call; the run cannot continue",
            )
        if rule is not None and rule.message:
            return rule.message
        from agents.tool import DEFAULT_APPROVAL_REJECTION_MESSAGE

        return DEFAULT_APPROVAL_REJECTION_MESSAGE

    # ---------------------------------------------------------------- timeouts
    def timeout(self, tool: str, own: float | None) -> float | None:
        """The seconds a call of ``tool`` may run: the tool's own ``timeout_seconds``,
        lowered to the policy's ``timeout`` (never raised)."""
        rule = self.policies.tool(tool)
        limit = rule.timeout if rule is not None else None
        return min((t for t in (own, limit) if t), default=None)

    def timed_out(self, tool: str, seconds: float) -> None:
        """A call ran past its timeout: under ``on_deny = "fail"`` the run fails here
        (otherwise the SDK's own timeout outcome follows)."""
        if self.policies.run.on_deny != "fail":
            return
        rule = self.policies.tool(tool)
        raise PolicyDenied(
            Code.TOOL_TIMED_OUT,
            f"tool {tool!r} ran longer than its timeout of {seconds:g} s",
            construct=f"tool {tool!r}",
            source=rule.source if rule is not None else self.policies.run.source,
            hint="raise the policy's timeout, or make the tool faster; the run cannot continue",
        )

    # ---------------------------------------------------------------- token budget
    def before_model(self, agent: str) -> None:
        """Before a model call (journaled or not): fail the run once it has spent its
        ``max_tokens``. Counts come from the journaled responses, so every drive of the
        run decides the same at the same call."""
        stop = over_budget(
            self.policies.run,
            self.tokens,
            self.cost,
            f"agent {agent!r} cannot call its model again",
        )
        if stop is not None:
            raise stop

    def spent(self, usage: Any, model: Any = None) -> None:
        """Add a model response's reported ``usage`` (a ``Usage`` or its JSON), and what it
        cost when the run has a money budget (``model``: the ``Model`` that answered)."""
        total = (
            usage.get("total_tokens")
            if isinstance(usage, dict)
            else getattr(usage, "total_tokens", None)
        )
        if isinstance(total, int) and total > 0:
            with self.lock:
                self.tokens += total
        if self.policies.run.max_cost_usd is not None:
            from .model_prices import cost_usd, model_name

            name = model_name(model)
            price = self.policies.price(name)
            if price is None:  # a model the policy has no price for (e.g. a RunConfig's)
                raise PolicyDenied(
                    Code.TOKEN_BUDGET,
                    f"model {name!r} answered, but the policy has no price for it, so the "
                    "run's money budget cannot be kept",
                    construct="policies.run.max_cost_usd",
                    source=self.policies.run.source,
                    hint=f'add [policies.prices."{name}"] input = ..., output = ... '
                    "(US dollars per million tokens)",
                )
            with self.lock:
                self.cost += cost_usd(price, usage)


@functools.lru_cache(maxsize=64)
def over_budget(run: Any, tokens: int, usd: float, who: str) -> PolicyDenied | None:
    """The stop of a run that has spent its money (``max_cost_usd``) or token
    (``max_tokens``) budget, money first; ``who`` says whose model call it refuses. One
    decision for an agent's model calls (``ToolGate.before_model``) and a graph node's chat
    calls (``chat_budget.ChatBudget``)."""
    money = run.max_cost_usd
    if money is not None and usd >= money:
        return PolicyDenied(
            Code.TOKEN_BUDGET,
            f"{model_prices.spent(usd, money)}; {who}",
            construct="policies.run.max_cost_usd",
            source=run.source,
            hint="raise max_cost_usd in the policy file, or start a new run",
        )
    if run.max_tokens is not None and tokens >= run.max_tokens:
        return PolicyDenied(
            Code.TOKEN_BUDGET,
            f"the run has used {tokens} model tokens, its budget is {run.max_tokens}; {who}",
            construct="policies.run.max_tokens",
            source=run.source,
            hint="raise max_tokens in the policy file, or start a new run",
        )
    return None


def _validator(schema_text: str) -> Any:
    import jsonschema

    schema = json.loads(schema_text)
    return jsonschema.validators.validator_for(schema)(schema)


def schema_error(schema_text: str, arguments: Any) -> str | None:
    """Why ``arguments`` (the call's JSON text) do not validate against the schema, or
    None when they do. Arguments that are not JSON do not validate."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments else {}
        except json.JSONDecodeError as exc:
            return f"the arguments are not JSON ({exc.msg})"
    errors = sorted(
        _validator(schema_text).iter_errors(arguments), key=lambda e: list(e.absolute_path)
    )
    if not errors:
        return None
    e = errors[0]
    at = "/".join(str(p) for p in e.absolute_path)
    return (f"{at}: " if at else "") + e.message


def gate_for(wf: Any) -> ToolGate | None:
    """The drive's gate for an agent workflow with policies (None: nothing to enforce)."""
    policies = getattr(wf, "policies", None)
    return None if policies is None else ToolGate(policies)


def needs_approval(tool_name: str, original: Any, active: Callable[[], Any]) -> Callable[..., Any]:
    """What a drive puts in a tool's ``needs_approval``: the policy's verdict, else the
    tool's own setting (``active()``: the drive's gate, if any)."""
    import inspect

    async def decide(ctx: Any, params: Any, call_id: str) -> bool:
        gate = active()
        verdict = gate.approval(tool_name, params) if gate is not None else None
        if verdict is not None:
            return verdict
        if not callable(original):
            return bool(original)
        out = original(ctx, params, call_id)
        return bool(await out if inspect.isawaitable(out) else out)

    decide.agentc_original = original  # type: ignore[attr-defined]
    return decide


# ---------------------------------------------------------------- LangGraph nodes
@dataclass(frozen=True)
class Completed:
    """An external node's return value, supplied by ``agentc complete``."""

    value: Any


def node_gate(
    wf: Any,
    node: str,
    value: Any,
    config: dict[str, Any],
    *,
    path: tuple[str, ...] = (),
    ir_node: Any = None,
    runnable: Any = None,
    frame: Any = None,
    task: Any = None,
) -> Any:
    """Before node ``node`` of the graph level at ``path`` runs (its policy name is
    ``node_rules.qualified(path, node)``): fail when denied, when its input
    does not validate against the rule's ``args_schema`` or when it already ran
    ``max_calls`` times; when it needs an
    approval, pause with LangGraph's ``interrupt()`` (the first interrupt of the node, so
    its own calls keep their order) and fail when the answer rejects it. An ``external``
    node then pauses again with its input, and the answer is its return value (the
    function is not called): ``Completed``. A ``ToolNode`` whose tools have rules gets its
    calls decided (``node_rules.tool_node_gate``): ``node_rules.Governed``, whose ``wrap``
    gives the runnable to call. ``frame`` and ``task``: the step's, for counts."""
    from . import chat_budget, node_rules

    policies = getattr(wf, "policies", None)
    if policies is None:
        return None
    name = node_rules.qualified(path, node)
    rule = policies.node(name)
    governed = None
    if chat_budget.budgeted(policies):  # max_tokens / max_cost_usd on its chat-model calls
        chat_budget.attach(policies, name, config, frame)
    if rule is not None:
        _node_rule(rule, name, value, config, frame, task)
    if runnable is not None and ir_node is not None and node_rules.governs_tools(policies, ir_node):
        governed = node_rules.tool_node_gate(
            policies,
            name,
            ir_node,
            runnable,
            value,
            config,
            frame,
            task,
            _ask,
            lambda r, tool, reason: node_rules.refusal(policies, r, tool, reason, name),
        )
    if rule is None or not rule.external:
        return governed
    from agentc.semantics.codec import to_jsonable

    bound = (
        {"timeout": rule.timeout} if rule.timeout else {}
    )  # the engines bound the wait (external_steps.py)
    return Completed(
        _ask(
            config,
            {
                "kind": EXTERNAL_KIND,
                "node": node,
                "input": to_jsonable(value),
                "answer": f"agentc complete RUN_ID {node} --value JSON (the node's return value)",
                **bound,
            },
        )
    )


def _node_rule(
    rule: Any, node: str, value: Any, config: dict[str, Any], frame: Any, task: Any
) -> None:
    if holds(rule.deny, "state", value):
        raise PolicyDenied(
            Code.POLICY_DENIED,
            f"node {node!r} is denied by the policy",
            construct=f"node {node!r}",
            source=rule.source,
            hint=rule.message or "the policy file forbids this node on this input",
        )
    if rule.args_schema is not None and (bad := schema_error(rule.args_schema, _plain(value))):
        raise PolicyDenied(  # never sent for approval, as a tool call that does not validate
            Code.POLICY_DENIED,
            f"the input of node {node!r} does not match the policy's args_schema: {bad}",
            construct=f"node {node!r}",
            source=rule.source,
            hint=rule.message or "the policy file's schema refuses this state for the node",
        )
    if rule.max_calls is not None:
        from . import node_rules

        n = node_rules.node_runs(frame, task, node)
        if n >= rule.max_calls:  # a node has no model to read a refusal: the run fails
            raise PolicyDenied(
                Code.POLICY_DENIED,
                f"node {node!r} already ran {n} time(s); the policy allows {rule.max_calls} "
                "per run",
                construct=f"node {node!r}",
                source=rule.source,
                hint=rule.message or "the policy file limits how often this node runs",
            )
        node_rules.count_node(config, node)
    if holds(rule.require_approval, "state", value):
        _approved(rule, node, config)


def _ask(config: dict[str, Any], question: dict[str, Any]) -> Any:
    from langchain_core.runnables.config import var_child_runnable_config
    from langgraph.types import interrupt

    token = var_child_runnable_config.set(config)  # type: ignore[arg-type]  # a RunnableConfig dict
    try:
        return interrupt(question)
    finally:
        var_child_runnable_config.reset(token)


def _approved(rule: Any, node: str, config: dict[str, Any]) -> None:
    answer = _ask(
        config,
        {
            "kind": APPROVAL_KIND,
            "node": node,
            "reason": rule.message or f"the policy requires an approval before node {node!r} runs",
            "answer": '{"approve": true} or {"approve": false, "message": "..."}',
        },
    )
    if answer is True or (isinstance(answer, dict) and answer.get("approve") is True):
        return
    why = answer.get("message") if isinstance(answer, dict) else None
    raise PolicyDenied(
        Code.POLICY_DENIED,
        f"node {node!r} was not approved" + (f": {why}" if why else ""),
        construct=f"node {node!r}",
        source=rule.source,
        hint="a rejected node ends the run; start a new run to ask again",
    )


def fanout_spec(wf: Any, sends: dict[str, Any], nodes: dict[str, str]) -> None:
    """Attach the fan-out policy of each Send key's node to its ``protocol.SendGroup``
    (engines read it)."""
    policies = getattr(wf, "policies", None)
    for key, node in nodes.items():
        f = next((f for f in (policies.fanouts if policies else ()) if f.name == node), None)
        if f is not None and (f.mode == "fail_fast" or f.deadline):
            spec = sends[key].fanout = {"node": node, "mode": f.mode, "deadline": f.deadline}
            # each packet's task carries it too (Conductor's watcher)
            sends[key].tasks = [replace(t, fanout=spec) for t in sends[key].tasks]
