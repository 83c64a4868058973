"""Static checks of side effects in places that re-run (docs/effects.md, "Static checks").

LangGraph re-runs a node from its top when it resumes after ``interrupt()`` and on every
``RetryPolicy`` attempt, so an effect the node performs before those points happens again
(langgraph#7780). agentc's idempotency keys make a ``keyed`` effect safe to repeat; an
``at_most_once`` effect, or one the policy does not classify, is not. Each finding is a
warning (an error under ``--strict``) at the user's line:

* a node that calls ``interrupt()`` after an effect (AC204, at the interrupt's line);
* a node with a ``RetryPolicy`` that performs an effect (AC204, at the node's line).

What counts as an effect in the node's own body (read with ``ast``; calls in helper
functions it calls are not followed): a call of ``effect_key`` or of a function or
method named like a remote write (``post``, ``put``, ``patch``, ``delete``, ``request``,
``urlopen``, ``send``, ``sendall``, ``sendmail``, ``send_message``, ``execute``,
``executemany``, ``commit``, ``publish``, ``charge``); in an ``at_most_once`` node, any call
(the policy says the node *is* the effect). Nodes classified ``pure``, ``idempotent``,
``keyed`` or ``compensable`` are not reported.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from .errors import Code, Diagnostic
from .ir import model as M

EFFECT_CALLS = frozenset(
    {
        "effect_key",
        "current_effect_key",
        "post",
        "put",
        "patch",
        "delete",
        "request",
        "urlopen",
        "send",
        "sendall",
        "sendmail",
        "send_message",
        "execute",
        "executemany",
        "commit",
        "publish",
        "charge",
    }
)
CHECKED = (None, "at_most_once")
"""Classes whose effects must not repeat: unclassified, and ``at_most_once``."""


def rerun_findings(wf: M.Workflow, live: Any) -> list[Diagnostic]:
    from agentc.semantics.langgraph_calls import Resolver

    resolve = Resolver(live)
    out: list[Diagnostic] = []
    for graph in wf.graphs():
        for node in graph.nodes:
            rule = wf.effect(node.name)
            kind = rule.kind if rule is not None else None
            if kind not in CHECKED or not isinstance(node, (M.FunctionNode, M.RunnableNode)):
                continue
            if not (node.interrupts or node.retry or kind == "at_most_once"):
                continue  # nothing re-runs it (the frontend found no interrupt() call site)
            fn = _function(resolve, node.call)
            if fn is None:
                continue
            calls = _calls(fn)
            if calls is None:
                continue
            file = node.source.file if node.source is not None else inspect.getsourcefile(fn)
            effects = [
                line
                for name, line in calls
                if name != "interrupt" and (kind == "at_most_once" or name in EFFECT_CALLS)
            ]
            if not effects:
                continue
            what = (
                "an at_most_once effect"
                if kind == "at_most_once"
                else "an unclassified side effect"
            )
            first = min(effects)
            for name, line in calls:
                if name == "interrupt" and line > first:
                    out.append(
                        Diagnostic(
                            Code.EFFECT_RERUN,
                            f"node {node.name!r} calls interrupt() after {what} (line {first}): "
                            "LangGraph re-runs "
                            "the node from its top on resume, so the effect happens again",
                            construct=f"node {node.name!r}",
                            file=file,
                            line=line,
                            hint="send effect_key(config) as the idempotency key and classify the "
                            "node 'keyed', or "
                            "move the effect into a node after the interrupt (docs/effects.md)",
                        )
                    )
            if node.retry:
                out.append(
                    Diagnostic(
                        Code.EFFECT_RERUN,
                        f"node {node.name!r} has a RetryPolicy and {what} (line {first}): "
                        + (
                            "agentc does not retry an at_most_once node, the RetryPolicy is not "
                            "applied"
                            if kind == "at_most_once"
                            else "every retry repeats the effect"
                        ),
                        construct=f"node {node.name!r}",
                        file=file,
                        line=node.source.line if node.source is not None else None,
                        hint="classify the node 'keyed' and send effect_key(config), or drop the "
                        "RetryPolicy",
                    )
                )
        out += _batch_findings(wf, graph, resolve)
    return out


def _batch_findings(wf: M.Workflow, graph: M.Graph, resolve: Any) -> list[Diagnostic]:
    """A ``ToolNode`` runs the tool calls of one message as ONE task: a call that raises
    (and that ``handle_tool_errors`` does not turn into a message) fails the task, LangGraph
    keeps none of its writes, and the node re-runs whole on resume and on each RetryPolicy
    attempt — every sibling call again. Reported for an effect in a tool of an unclassified
    or ``at_most_once`` ToolNode that a plain edge or a non-sending branch triggers (a
    branch that may ``Send`` can give each call its own task, as ``create_react_agent``
    does: not decidable statically, not reported)."""
    from agentc.compat.langgraph import tool_node_handles_all_errors

    sent = {t for b in graph.branches if b.may_send for t in (b.targets or ())}
    any_send = any(b.may_send and b.targets is None for b in graph.branches)
    out: list[Diagnostic] = []
    for node in graph.nodes:
        rule = wf.effect(node.name)
        if not isinstance(node, M.ToolNodeStep) or (rule.kind if rule else None) not in CHECKED:
            continue
        if node.name in sent or any_send:
            continue
        try:
            if tool_node_handles_all_errors(resolve(node.call)):
                continue
        except Exception:  # noqa: BLE001 - a node agentc cannot find has no tools to read
            continue
        for name, ref in zip(node.tool_names, node.tools):
            fn = _function(resolve, ref)
            calls = _calls(fn) if fn is not None else None
            effects = [
                line
                for n, line in calls or ()
                if rule is not None and rule.kind == "at_most_once" or n in EFFECT_CALLS
            ]
            if not effects:
                continue
            out.append(
                Diagnostic(
                    Code.EFFECT_RERUN,
                    f"tool {name!r} of ToolNode {node.name!r} has an effect (line {min(effects)}) "
                    "and runs in one "
                    "task with the other tool calls of the same message: when a sibling call "
                    "raises, the node "
                    "re-runs whole (on resume, on each RetryPolicy attempt) and the effect "
                    "happens again",
                    construct=f"node {node.name!r}",
                    file=inspect.getsourcefile(fn),
                    line=min(effects),
                    hint="classify the node 'keyed' and send effect_key() as the idempotency key, "
                    "or pass "
                    "handle_tool_errors=True to the ToolNode (docs/effects.md)",
                )
            )
    return out


def _function(resolve: Any, ref: M.CallableRef) -> Any:
    try:
        obj = resolve(ref)
    except Exception:  # noqa: BLE001 - a node agentc cannot find has no body to read
        return None
    for attr in ("func", "afunc"):
        inner = getattr(obj, attr, None)
        if inspect.isfunction(inner):
            return inner
    return obj if inspect.isfunction(obj) else None


def _calls(fn: Any) -> list[tuple[str, int]] | None:
    """``(called name, file line)`` of every call in the function's body, in line order."""
    try:
        lines, start = inspect.getsourcelines(fn)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return None
    found = []
    body = (
        tree.body[0].body
        if tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef))
        else []
    )
    for node in (n for stmt in body for n in ast.walk(stmt)):  # the body: not the decorators
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.attr
                if isinstance(f, ast.Attribute)
                else f.id
                if isinstance(f, ast.Name)
                else None
            )
            if name is not None:
                found.append((name, node.lineno + start - 1))
    return sorted(found, key=lambda c: c[1])
