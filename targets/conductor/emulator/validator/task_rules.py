"""Per-task registration rules (B10–B29, BV-*), applied to the tasks Bean Validation cascades
into and, as ``L-loop-…`` lints, to DO_WHILE bodies; the registry is ``TASK_SERVER_RULES``.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, Iterator

from .common import (
    S_MAPPER,
    S_SCRIPT,
    S_STATE,
    S_SUBWF,
    S_TERMINATE,
    S_TYPE,
    S_VALID,
    S_WAIT,
    S_WFTASK,
    _ENUMS,
    _Hit,
    _Rule,
    _TASK_FIELDS,
    _Task,
    _dict,
    _is_expr,
    _join,
    _key,
    _list,
    _rule,
    _s,
    _shape_hits,
    _tname,
    _ttype,
)


# ----------------------------------------------------------------------------------------
# Per-task server rules (B10–B29, BV-*) — cascaded tasks; L-loop-… for loop bodies
# ----------------------------------------------------------------------------------------


@_rule("A1", S_MAPPER)
def task_shape(t: _Task) -> Iterator[_Hit]:
    yield from _shape_hits(t.task, _TASK_FIELDS, t.loc, "WorkflowTask")
    mode = t.task.get("joinMode")
    if mode is not None and mode not in _ENUMS[("task", "joinMode")]:
        yield _Hit(t.at(".joinMode"), f"joinMode {mode!r} is not SYNC or ASYNC (HTTP 500)")
    for case, branch in _dict(t.task.get("decisionCases")).items():
        if not isinstance(branch, list):
            yield _Hit(
                t.at(f".decisionCases{_key(case)}"),
                "a decision case must be a task list (HTTP 500)",
            )
    for b, branch in enumerate(_list(t.task.get("forkTasks"))):
        if not isinstance(branch, list):
            yield _Hit(t.at(f".forkTasks[{b}]"), "each fork branch must be a task list (HTTP 500)")
    sub = t.task.get("subWorkflowParam")
    if isinstance(sub, dict):
        wd = sub.get("workflowDefinition")
        if isinstance(wd, str) and not _is_expr(wd) or isinstance(wd, (list, int, float, bool)):
            yield _Hit(
                t.at(".subWorkflowParam.workflowDefinition"),
                'workflowDefinition must be a WorkflowDef object or a "${…}" string (HTTP 500)',
            )
        strategy = sub.get("idempotencyStrategy")
        if strategy is not None and strategy not in ("FAIL", "RETURN_EXISTING", "FAIL_ON_RUNNING"):
            yield _Hit(
                t.at(".subWorkflowParam.idempotencyStrategy"),
                f"idempotencyStrategy {strategy!r} is not FAIL, RETURN_EXISTING or "
                "FAIL_ON_RUNNING (HTTP 500)",
            )


@_rule("B10", S_WFTASK)
def task_names(t: _Task) -> Iterator[_Hit]:
    if t.task.get("name") in (None, ""):
        yield _Hit(t.at(".name"), "WorkflowTask name cannot be empty or null")
    if t.task.get("taskReferenceName") in (None, ""):
        yield _Hit(
            t.at(".taskReferenceName"),
            "WorkflowTask taskReferenceName name cannot be empty or null",
        )


@_rule("B11", S_WFTASK)
def task_start_delay(t: _Task) -> Iterator[_Hit]:
    delay = t.task.get("startDelay")
    if isinstance(delay, (int, float)) and not isinstance(delay, bool) and delay < 0:
        yield _Hit(t.at(".startDelay"), f"startDelay must be >= 0 (got {delay})")


@_rule("B12", S_TYPE)
def task_type_null(t: _Task) -> Iterator[_Hit]:
    if "type" in t.task and t.task["type"] is None:
        yield _Hit(
            t.at(".type"),
            '"type": null makes the type validator throw (HTTP 500); omit it for SIMPLE',
        )


@_rule("B13", S_VALID)
def task_simple_taskdef(t: _Task) -> Iterator[_Hit]:
    if t.profile.simple_taskdef_required and _needs_taskdef(t):
        yield _Hit(
            t.loc,
            f"workflowTask: {_tname(t.task)} task definition is not defined "
            "(before v3.9.0 every SIMPLE task needs a registered or embedded TaskDef)",
        )


def _needs_taskdef(t: _Task) -> bool:
    return (
        _ttype(t.task) == "SIMPLE"
        and not isinstance(t.task.get("taskDefinition"), dict)
        and _s(t.task.get("name")) not in t.wf.docs.taskdefs
    )


@_rule("B14", S_TYPE)
def task_event(t: _Task) -> Iterator[_Hit]:
    if _ttype(t.task) == "EVENT" and t.task.get("sink") is None:
        yield _Hit(
            t.at(".sink"), f"sink field is required for taskType: EVENT taskName: {_tname(t.task)}"
        )


def _js_syntax_hit(expr: str, loc: str, what: str) -> Iterator[_Hit]:
    from ..js import syntax_error

    err = syntax_error(expr)
    if err is not None:
        yield _Hit(loc, f"Expression is not well formatted: {err}, {what}")


@_rule("B15", S_TYPE)
def task_decision(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "DECISION":
        return
    name = _tname(task)
    if task.get("caseValueParam") is None and task.get("caseExpression") is None:
        yield _Hit(
            t.loc,
            "Either caseValueParam or caseExpression param is required for taskType: DECISION "
            f"taskName: {name}",
        )
    cases = task.get("decisionCases", {})
    if cases is None or (isinstance(cases, dict) and not cases):
        yield _Hit(
            t.at(".decisionCases"),
            f"decisionCases should have atleast one task for taskType: DECISION taskName: {name}",
        )
    expr = task.get("caseExpression")
    if isinstance(expr, str) and t.profile.js_syntax:
        yield from _js_syntax_hit(
            expr, t.at(".caseExpression"), f"taskType: DECISION taskName {name}"
        )


@_rule("B16", S_TYPE)
def task_switch(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "SWITCH":
        return
    name = _tname(task)
    if task.get("evaluatorType") is None:
        yield _Hit(
            t.at(".evaluatorType"),
            f"evaluatorType should be set for taskType: SWITCH taskName: {name}",
        )
    elif task.get("expression") is None:
        yield _Hit(
            t.at(".expression"), f"expression should be set for taskType: SWITCH taskName: {name}"
        )
    cases = task.get("decisionCases", {})
    if cases is None or (isinstance(cases, dict) and not cases):
        yield _Hit(
            t.at(".decisionCases"),
            f"decisionCases should have atleast one task for taskType: SWITCH taskName: {name}",
        )
    expr = task.get("expression")
    if task.get("evaluatorType") == "javascript" and isinstance(expr, str) and t.profile.js_syntax:
        yield from _js_syntax_hit(expr, t.at(".expression"), f"taskType: SWITCH taskName {name}")


@_rule("BV-js-exec", S_SCRIPT + " (v3.15.0 … v3.31.x)", loop_lint=False)
def task_js_executed(t: _Task) -> Iterator[_Hit]:
    """Those servers ran the script with the raw, unresolved inputParameters as ``$``."""
    if not t.profile.js_execute:
        return
    task = t.task
    ttype = _ttype(task)
    if ttype == "SWITCH" and task.get("evaluatorType") == "javascript":
        expr, where = task.get("expression"), ".expression"
    elif ttype == "DECISION":
        expr, where = task.get("caseExpression"), ".caseExpression"
    else:
        return
    if not isinstance(expr, str):
        return
    from ..js import ScriptError, evaluate, syntax_error

    if t.profile.js_syntax and syntax_error(expr) is not None:
        return  # already reported by B15/B16 as a syntax error

    try:
        evaluate(expr, _dict(task.get("inputParameters")))
    except ScriptError as exc:
        yield _Hit(
            t.at(where),
            f"Expression is not well formatted: {exc}: v3.15–v3.31 run the script at "
            f"registration with the unresolved inputParameters as $, taskType: {ttype} "
            f"taskName {_tname(task)}",
        )


@_rule("B17", S_TYPE)
def task_do_while(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "DO_WHILE":
        return
    name = _tname(task)
    if task.get("loopCondition") is None:
        yield _Hit(
            t.at(".loopCondition"),
            f"loopExpression field is required for taskType: DO_WHILE taskName: {name}"
            " (also when `items` is used)",
        )
    body = task.get("loopOver", [])
    if body is None or (isinstance(body, list) and not body):
        yield _Hit(
            t.at(".loopOver"), f"loopOver field is required for taskType: DO_WHILE taskName: {name}"
        )


@_rule("B18", S_TYPE)
def task_dynamic(t: _Task) -> Iterator[_Hit]:
    if _ttype(t.task) == "DYNAMIC" and t.task.get("dynamicTaskNameParam") is None:
        yield _Hit(
            t.at(".dynamicTaskNameParam"),
            "dynamicTaskNameParam field is required for taskType: DYNAMIC taskName: "
            f"{_tname(t.task)}",
        )


def _fork_dynamic_hits(task: dict[str, Any], loc: str) -> Iterator[_Hit]:
    name = _tname(task)
    legacy = task.get("dynamicForkJoinTasksParam")
    param, input_name = (
        task.get("dynamicForkTasksParam"),
        task.get("dynamicForkTasksInputParamName"),
    )
    if legacy is not None and (param is not None or input_name is not None):
        yield _Hit(
            loc,
            "dynamicForkJoinTasksParam or combination of dynamicForkTasksInputParamName and "
            f"dynamicForkTasksParam cam be used for taskType: FORK_JOIN_DYNAMIC taskName: {name}",
        )
        return
    if legacy is not None:
        return
    if param is None:
        yield _Hit(
            _join(loc, ".dynamicForkTasksParam"),
            "dynamicForkTasksParam field is required for taskType: FORK_JOIN_DYNAMIC taskName: "
            f"{name}",
        )
    if input_name is None:
        yield _Hit(
            _join(loc, ".dynamicForkTasksInputParamName"),
            "dynamicForkTasksInputParamName field is required for taskType: FORK_JOIN_DYNAMIC "
            f"taskName: {name}",
        )


@_rule("B19", S_TYPE)
def task_fork_dynamic(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "FORK_JOIN_DYNAMIC":
        return
    hits = list(_fork_dynamic_hits(task, t.loc))
    if not hits:
        return
    if "forkTaskInputs" in _dict(task.get("inputParameters")):
        if t.profile.fork_legacy_params:
            for h in hits:
                yield replace(
                    h,
                    rule="BV-fork-inputs",
                    message=h.message
                    + " (inputParameters.forkTaskInputs alone is accepted only from"
                    " v3.21.24/v3.22)",
                )
        return
    yield from hits


@_rule("B20", S_TYPE)
def task_fork(t: _Task) -> Iterator[_Hit]:
    forks = t.task.get("forkTasks", [])
    if _ttype(t.task) == "FORK_JOIN" and isinstance(forks, list) and not forks:
        yield _Hit(
            t.at(".forkTasks"),
            "forkTasks should have atleast one task for taskType: FORK_JOIN taskName: "
            f"{_tname(t.task)}",
        )


def _template_has(t: _Task, key: str) -> bool:
    """``key`` in the embedded taskDefinition's inputTemplate, else the TaskDef doc's."""
    embedded = t.task.get("taskDefinition")
    taskdef = (
        embedded
        if isinstance(embedded, dict)
        else t.wf.docs.taskdefs.get(_s(t.task.get("name")), {})
    )
    return key in _dict(taskdef.get("inputTemplate"))


def _registered_hint(t: _Task, key: str) -> str:
    if t.wf.docs.taskdefs:
        return ""
    return (
        f" (unless a TaskDef named {_tname(t.task)!r} with inputTemplate.{key} is already "
        "registered on the server: no TaskDef was among the validated documents)"
    )


@_rule("B22", S_TYPE)
def task_http(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "HTTP":
        return
    params = _dict(task.get("inputParameters"))
    if "http_request" in params or _template_has(t, "http_request"):
        return
    if "uri" in params or "method" in params:
        if t.profile.http_request_required:
            yield _Hit(
                t.at(".inputParameters"),
                "inputParameters.http_request field is required for "
                f"taskType: HTTP taskName: {_tname(task)} (top-level uri/method are accepted "
                "only from v3.22.1)",
                rule="BV-http",
            )
        return
    yield _Hit(
        t.at(".inputParameters"),
        "inputParameters.http_request or inputParameters.uri field is "
        f"required for taskType: HTTP taskName: {_tname(task)}"
        + _registered_hint(t, "http_request"),
    )


def _required_input(t: _Task, task_type: str, key: str) -> Iterator[_Hit]:
    """``key`` must be in the task's inputParameters or its TaskDef's inputTemplate."""
    task = t.task
    if (
        _ttype(task) == task_type
        and key not in _dict(task.get("inputParameters"))
        and not _template_has(t, key)
    ):
        yield _Hit(
            t.at(".inputParameters"),
            f"inputParameters.{key} field is required for taskType: "
            f"{task_type} taskName: {_tname(task)}" + _registered_hint(t, key),
        )


@_rule("B23", S_TYPE)
def task_kafka(t: _Task) -> Iterator[_Hit]:
    yield from _required_input(t, "KAFKA_PUBLISH", "kafka_request")


@_rule("B24", S_TYPE)
def task_jq(t: _Task) -> Iterator[_Hit]:
    yield from _required_input(t, "JSON_JQ_TRANSFORM", "queryExpression")


@_rule("B25", S_TYPE)
def task_sub_workflow(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "SUB_WORKFLOW":
        return
    sub = task.get("subWorkflowParam")
    if sub is None:
        yield _Hit(
            t.at(".subWorkflowParam"),
            "subWorkflowParam field is required for taskType: SUB_WORKFLOW taskName: "
            f"{_tname(task)}",
        )
        return
    sub = _dict(sub)
    inline = isinstance(sub.get("workflowDefinition"), (dict, str))
    if t.profile.subworkflow_name_required and sub.get("name") in (None, "") and not inline:
        yield _Hit(
            t.at(".subWorkflowParam.name"),
            "SubWorkflowParams name cannot be null or empty (@NotNull/@NotEmpty before v3.21.0)",
            rule="BV-subworkflow-name",
            source=S_SUBWF,
        )


@_rule("B26", S_TYPE)
def task_terminate(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "TERMINATE":
        return
    name = _tname(task)
    if task.get("optional") is True:
        yield _Hit(t.at(".optional"), f"terminate task cannot be optional, taskName: {name}")
    status = _dict(task.get("inputParameters")).get("terminationStatus")
    if status not in ("COMPLETED", "FAILED", "TERMINATED"):
        yield _Hit(
            t.at(".inputParameters.terminationStatus"),
            f"terminate task must have an terminationStatus parameter and must be set to COMPLETED "
            f"or FAILED, taskName: {name} (got {status!r}; the raw value is checked, so an "
            f"expression is rejected; see {S_TERMINATE})",
        )


_DURATION = re.compile(
    r"\s*(?:(\d+)\s*(?:days?|d))?\s*(?:(\d+)\s*(?:hours?|hrs?|h))?"
    r"\s*(?:(\d+)\s*(?:minutes?|mins?|m))?\s*(?:(\d+)\s*(?:seconds?|secs?|s))?\s*",
    re.IGNORECASE,
)
_UNTIL = (
    re.compile(r"\d+-\d+-\d+ \d+:\d+"),
    re.compile(r"\d+-\d+-\d+ \d+:\d+ (?:[A-Za-z]+(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{4})"),
    re.compile(r"\d+-\d+-\d+"),
)


def wait_duration_ok(text: str) -> bool:
    """``DateTimeUtils.parseDuration``'s grammar (case-insensitive, d/h/m/s in order)."""
    return _DURATION.fullmatch(text) is not None


def wait_until_ok(text: str) -> bool:
    """``DateUtils.parseDate`` (lenient) with the three WAIT formats."""
    return any(p.fullmatch(text) for p in _UNTIL)


@_rule("B27", S_TYPE)
def task_wait(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "WAIT" or not isinstance(task.get("inputParameters"), dict):
        return
    params = task["inputParameters"]
    duration = "" if params.get("duration") is None else _java_str(params["duration"])
    until = "" if params.get("until") is None else _java_str(params["until"])
    if duration.strip() and until.strip():
        yield _Hit(
            t.at(".inputParameters"),
            "Both 'duration' and 'until' specified. Please provide only one input",
        )
    if duration.strip() and not _is_expr(duration):
        if not wait_duration_ok(duration):
            yield _Hit(
                t.at(".inputParameters.duration"),
                f"Either date or duration is passed as null "
                f"(duration {duration!r} does not match [N d] [N h] [N m] [N s]; see {S_WAIT})",
            )
    elif until.strip() and not _is_expr(until) and not wait_until_ok(until):
        yield _Hit(
            t.at(".inputParameters.until"),
            f"Unable to parse date (until {until!r}; formats: "
            f"yyyy-MM-dd HH:mm, yyyy-MM-dd HH:mm z, yyyy-MM-dd; see {S_WAIT})",
        )


def _java_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v)


@_rule("B29", S_STATE)
def task_state_change(t: _Task) -> Iterator[_Hit]:
    for event, items in _dict(t.task.get("onStateChange")).items():
        for i, item in enumerate(_list(items)):
            if isinstance(item, dict) and item.get("type") is None:
                yield _Hit(
                    t.at(f".onStateChange{_key(event)}[{i}].type"),
                    "StateChangeEvent type cannot be null",
                )


TASK_SERVER_RULES: tuple[_Rule, ...] = (
    task_shape,
    task_names,
    task_start_delay,
    task_type_null,
    task_simple_taskdef,
    task_event,
    task_decision,
    task_switch,
    task_js_executed,
    task_do_while,
    task_dynamic,
    task_fork_dynamic,
    task_fork,
    task_http,
    task_kafka,
    task_jq,
    task_sub_workflow,
    task_terminate,
    task_wait,
    task_state_change,
)
