"""Per-task lints (``L…``): mistakes the server accepts at registration but that fail or
misbehave at run time; applied to every task, loop bodies included. Registry: ``TASK_LINTS``.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from .common import (
    JS_EVALUATORS,
    LINT,
    SWITCH_EVALUATORS,
    TASK_TYPES,
    _Hit,
    _Rule,
    _Task,
    _blank,
    _dict,
    _is_expr,
    _list,
    _rule,
    _s,
    _tname,
    _ttype,
)
from .task_rules import _needs_taskdef
from .workflow_rules import _ref_lint_hits


# ----------------------------------------------------------------------------------------
# Per-task lints (every task, including loop bodies)
# ----------------------------------------------------------------------------------------


@_rule("L1", LINT)
def lint_task_references(t: _Task) -> Iterator[_Hit]:
    """B9 covers top-level inputParameters; nested tasks and `items` are never checked."""
    if not t.top_level:
        yield from _ref_lint_hits(
            t.wf,
            t.task.get("inputParameters"),
            t.at(".inputParameters"),
            f"task {t.task.get('taskReferenceName')!r}",
        )
    if "items" in t.task:
        yield from _ref_lint_hits(t.wf, t.task.get("items"), t.at(".items"), "DO_WHILE items")
    sub = _dict(t.task.get("subWorkflowParam"))
    for key in ("name", "version", "idempotencyKey", "priority"):
        if isinstance(sub.get(key), str):
            yield from _ref_lint_hits(
                t.wf, sub[key], t.at(f".subWorkflowParam.{key}"), "subWorkflowParam"
            )


@_rule("L3", LINT)
def lint_fork_join(t: _Task) -> Iterator[_Hit]:
    ttype = _ttype(t.task)
    if ttype not in ("FORK_JOIN", "FORK_JOIN_DYNAMIC"):
        return
    nxt = t.siblings[t.index + 1] if t.index + 1 < len(t.siblings) else None
    if not (isinstance(nxt, dict) and _ttype(nxt) == "JOIN"):
        yield _Hit(
            t.loc,
            f"{ttype} is not directly followed by a JOIN in the same task list: the workflow "
            "fails at run time ('… is not followed by a join task')",
        )


@_rule("L4", LINT)
def lint_fork_branches(t: _Task) -> Iterator[_Hit]:
    if _ttype(t.task) != "FORK_JOIN":
        return
    if "forkTasks" in t.task and t.task["forkTasks"] is None:
        yield _Hit(
            t.at(".forkTasks"), '"forkTasks": null passes registration but the fork has no branches'
        )
    for b, branch in enumerate(_list(t.task.get("forkTasks"))):
        if isinstance(branch, list) and not branch:
            yield _Hit(
                t.at(f".forkTasks[{b}]"),
                "empty fork branch: registration accepts it, the decider "
                "crashes (IndexOutOfBounds) when the fork runs",
            )


@_rule("L5", LINT)
def lint_simple_taskdef(t: _Task) -> Iterator[_Hit]:
    if not t.wf.docs.taskdefs or t.profile.simple_taskdef_required or not _needs_taskdef(t):
        return
    yield _Hit(
        t.loc,
        f"SIMPLE task {_tname(t.task)!r} has no TaskDef among the validated documents and "
        "no embedded taskDefinition: the server falls back to an ad-hoc default (3 retries, "
        "60 s delay, 3600 s response timeout) — a typo in the name?",
    )


def _js_parse_hits(expr: Any, loc: str, what: str) -> Iterator[_Hit]:
    if not isinstance(expr, str) or not expr.strip():
        return
    from ..js import syntax_error

    err = syntax_error(expr)
    if err is not None:
        yield _Hit(loc, f"{what} does not parse as JavaScript: {err}")


def _server_parses(t: _Task, evaluator_ok: bool) -> bool:
    return t.cascaded and evaluator_ok and (t.profile.js_syntax or t.profile.js_execute)


@_rule("L6", LINT)
def lint_javascript(t: _Task) -> Iterator[_Hit]:
    task = t.task
    ttype = _ttype(task)
    if ttype == "SWITCH" and _s(task.get("evaluatorType")) in JS_EVALUATORS:
        if not _server_parses(t, task.get("evaluatorType") == "javascript"):
            yield from _js_parse_hits(
                task.get("expression"), t.at(".expression"), "SWITCH expression"
            )
    elif ttype == "DECISION" and not _server_parses(t, True):
        yield from _js_parse_hits(
            task.get("caseExpression"), t.at(".caseExpression"), "DECISION caseExpression"
        )
    elif ttype == "DO_WHILE":
        yield from _js_parse_hits(
            task.get("loopCondition"), t.at(".loopCondition"), "DO_WHILE loopCondition"
        )
    elif ttype == "INLINE":
        params = _dict(task.get("inputParameters"))
        if _s(params.get("evaluatorType", "javascript")) in JS_EVALUATORS and isinstance(
            params.get("expression"), str
        ):
            expr = params["expression"]
            if not _is_expr(expr):  # ${…} is resolved before the script runs
                expr = re.sub(r"(?<!\$)\$\{[^{}]*\}", "0", expr)
                yield from _js_parse_hits(
                    expr, t.at(".inputParameters.expression"), "INLINE expression"
                )


@_rule("L7", LINT)
def lint_loop_ref_underscores(t: _Task) -> Iterator[_Hit]:
    ref = t.task.get("taskReferenceName")
    if t.loop_depth and isinstance(ref, str) and "__" in ref:
        yield _Hit(
            t.at(".taskReferenceName"),
            f"ref {ref!r} inside a DO_WHILE contains '__': the server strips "
            "the iteration suffix at the first '__', so this task's output is filed under "
            f"{ref.split('__')[0]!r}",
        )


@_rule("L8", LINT)
def lint_nested_do_while(t: _Task) -> Iterator[_Hit]:
    if t.loop_depth and _ttype(t.task) == "DO_WHILE":
        yield _Hit(
            t.loc,
            "nested DO_WHILE: registration accepts it but Conductor does not support it "
            "(do-while-task.md, Limitations); put the inner loop in a SUB_WORKFLOW",
        )


@_rule("L9", LINT)
def lint_value_param(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "SWITCH" or task.get("evaluatorType") != "value-param":
        return
    expr = task.get("expression")
    if isinstance(expr, str) and expr not in _dict(task.get("inputParameters")):
        yield _Hit(
            t.at(".expression"),
            f"value-param SWITCH reads input[{expr!r}], which is not in "
            "inputParameters: the case is always 'null' (→ defaultCase)",
        )


@_rule("L10", LINT)
def lint_sub_workflow_target(t: _Task) -> Iterator[_Hit]:
    task = t.task
    sub = task.get("subWorkflowParam")
    if _ttype(task) != "SUB_WORKFLOW" or not isinstance(sub, dict):
        return
    if isinstance(sub.get("workflowDefinition"), (dict, str)):
        return
    name = sub.get("name")
    if not isinstance(name, str) or "${" in name or not name:
        return
    versions = t.wf.docs.workflow_versions(name)
    version = sub.get("version")
    if not versions:
        yield _Hit(
            t.at(".subWorkflowParam.name"),
            f"sub-workflow {name!r} is not among the validated "
            "documents: the parent fails to start unless it is registered",
        )
    elif isinstance(version, int) and version not in versions:
        yield _Hit(
            t.at(".subWorkflowParam.version"),
            f"sub-workflow {name!r} version {version} is not among "
            f"the validated documents (have {sorted(map(str, versions))})",
        )


@_rule("L11", LINT)
def lint_join_on(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) not in ("JOIN", "EXCLUSIVE_JOIN"):
        return
    for field_name in ("joinOn", "defaultExclusiveJoinTask"):
        for i, ref in enumerate(_list(task.get(field_name))):
            if isinstance(ref, str) and "${" not in ref and ref not in t.wf.refs:
                yield _Hit(
                    t.at(f".{field_name}[{i}]"),
                    f"{field_name} names {ref!r}, which no task in the "
                    "definition has: the JOIN waits for it forever",
                )


@_rule("L12", LINT)
def lint_unknown_type(t: _Task) -> Iterator[_Hit]:
    ttype = _ttype(t.task)
    if isinstance(ttype, str) and ttype not in TASK_TYPES:
        hint = f" (did you mean {ttype.upper()!r}?)" if ttype.upper() in TASK_TYPES else ""
        yield _Hit(
            t.at(".type"),
            f"type {ttype!r} is not a Conductor task type: it is accepted and queued "
            f"as a user-defined task named {ttype!r} that no system task executes{hint}",
        )


@_rule("L13", LINT)
def lint_inline(t: _Task) -> Iterator[_Hit]:
    if _ttype(t.task) != "INLINE":
        return
    params = _dict(t.task.get("inputParameters"))
    evaluator = params.get("evaluatorType", "javascript")
    if (
        isinstance(evaluator, str)
        and not _is_expr(evaluator)
        and evaluator not in (JS_EVALUATORS | {"python"})
    ):
        yield _Hit(
            t.at(".inputParameters.evaluatorType"),
            f"INLINE evaluatorType {evaluator!r} is not "
            "javascript/graaljs/python: the task fails at run time",
        )
    if _blank(params.get("expression")):
        yield _Hit(
            t.at(".inputParameters.expression"),
            "INLINE needs a non-blank inputParameters.expression "
            "(evaluatorType/expression live in inputParameters, not on the task)",
        )


@_rule("L14", LINT)
def lint_switch_evaluator(t: _Task) -> Iterator[_Hit]:
    evaluator = t.task.get("evaluatorType")
    if (
        _ttype(t.task) == "SWITCH"
        and isinstance(evaluator, str)
        and evaluator not in SWITCH_EVALUATORS
    ):
        yield _Hit(
            t.at(".evaluatorType"),
            f"No evaluator registered for type: {evaluator}: the workflow "
            "fails when the SWITCH runs",
        )


TASK_LINTS: tuple[_Rule, ...] = (
    lint_task_references,
    lint_fork_join,
    lint_fork_branches,
    lint_simple_taskdef,
    lint_javascript,
    lint_loop_ref_underscores,
    lint_nested_do_while,
    lint_value_param,
    lint_sub_workflow_target,
    lint_join_on,
    lint_unknown_type,
    lint_inline,
    lint_switch_evaluator,
)
