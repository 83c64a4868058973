"""What every validator rule shares: :class:`Violation` and the server :class:`Profile` objects, the
document and task contexts the rules receive (``_Doc``, ``_Wf``, ``_Task``, ``_Hit``), the
``@_rule`` decorator, the task walk (which tasks Bean Validation cascades into), ``${…}``
reference scanning and the JSON-shape tables (what Jackson cannot bind). docs/conductor.md
("Validation") describes the rule families.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, replace
from typing import Any, Callable, Iterable, Iterator


LINT = "agentc lint"

# Java sources (docs/conductor.md abbreviations: common/… and core/… are the package roots).
S_WFDEF = "common/…/metadata/workflow/WorkflowDef.java"
S_WFTASK = "common/…/metadata/workflow/WorkflowTask.java"
S_TYPE = "core/…/validations/WorkflowTaskTypeConstraint.java"
S_UNIQUE = "common/…/constraints/TaskReferenceNameUniqueConstraint.java"
S_PARAM = "common/…/utils/ConstraintParamUtil.java"
S_NAME = "common/…/constraints/ValidNameConstraint.java"
S_OWNER = "common/…/constraints/OwnerEmailMandatoryConstraint.java"
S_SEMI = "common/…/constraints/NoSemiColonConstraint.java (removed in v3.21.11)"
S_TASKDEF = "common/…/metadata/tasks/TaskDef.java"
S_TIMEOUT = "common/…/constraints/TaskTimeoutConstraint.java"
S_MAPPER = "common/…/config/ObjectMapperProvider.java"
S_VALID = "core/…/validations/WorkflowTaskValidConstraint.java (removed in v3.9.0)"
S_STATE = "common/…/metadata/workflow/StateChangeEvent.java"
S_SUBWF = "common/…/metadata/workflow/SubWorkflowParams.java"
S_SCRIPT = "core/…/core/events/ScriptEvaluator.java"
S_WAIT = "core/…/core/utils/DateTimeUtils.java"
S_TERMINATE = "core/…/core/execution/tasks/Terminate.java"


# ----------------------------------------------------------------------------------------
# Public data types
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One finding. ``path`` is ``file: JSON location``; ``source`` is the Conductor Java
    file the rule comes from, or ``"agentc lint"``."""

    rule: str
    path: str
    message: str
    source: str


def render(v: Violation) -> str:
    """One line: ``path: rule message [source]`` (newlines in user text are escaped)."""
    line = f"{v.path}: {v.rule} {v.message} [{v.source}]"
    return line.replace("\r", "\\r").replace("\n", "\\n")


@dataclass(frozen=True)
class Profile:
    """The strictness switches of one server version (True = the stricter rule is on)."""

    name: str
    owner_email_required: bool = False  # B5
    owner_email_format: bool = False  # BV-ownerEmail (< v3.21.0)
    name_charset: bool = False  # B4 (opt-in flag)
    no_colon: bool = False  # BV-colon (< v3.21.11)
    path_whitespace: bool = False  # BV-whitespace (< v3.21.19)
    path_jsonpath: bool = False  # B9b (>= v3.21.19)
    http_request_required: bool = False  # BV-http (< v3.22.1)
    fork_legacy_params: bool = False  # BV-fork-inputs (< v3.21.24)
    js_syntax: bool = False  # B15/B16 parse (>= v3.32.0)
    js_execute: bool = False  # BV-js-exec (v3.15.0 … v3.31.x)
    simple_taskdef_required: bool = False  # B13 pre-3.9 rule
    subworkflow_name_required: bool = False  # BV-subworkflow-name (< v3.21.0)


def _union(name: str, profiles: Iterable[Profile]) -> Profile:
    flags = {
        f.name: any(getattr(p, f.name) for p in profiles)
        for f in fields(Profile)
        if f.name != "name"
    }
    return Profile(name, **flags)


_P332 = Profile("3.32", path_jsonpath=True, js_syntax=True)
_P322 = Profile("3.22", path_jsonpath=True, js_execute=True)
_P321 = Profile(
    "3.21",
    owner_email_required=True,
    path_whitespace=True,
    http_request_required=True,
    fork_legacy_params=True,
    js_execute=True,
)
_P315 = replace(
    _P321, name="3.15", owner_email_format=True, no_colon=True, subworkflow_name_required=True
)
_P39 = replace(_P315, name="3.9", js_execute=False)
_P30 = replace(_P39, name="3.0", simple_taskdef_required=True)
_PSTRICT = replace(_P332, name="3.32-strict", owner_email_required=True, name_charset=True)

PROFILES: dict[str, Profile] = {
    p.name: p for p in (_P332, _PSTRICT, _P322, _P321, _P315, _P39, _P30)
}
PROFILES["legacy"] = replace(_P30, name="legacy")
PROFILES["all"] = _union("all", list(PROFILES.values()))


# ----------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------

TASK_TYPES = frozenset(
    {
        "SIMPLE",
        "DYNAMIC",
        "FORK_JOIN",
        "FORK_JOIN_DYNAMIC",
        "DECISION",
        "SWITCH",
        "JOIN",
        "DO_WHILE",
        "SUB_WORKFLOW",
        "START_WORKFLOW",
        "EVENT",
        "WAIT",
        "HUMAN",
        "USER_DEFINED",
        "HTTP",
        "LAMBDA",
        "INLINE",
        "EXCLUSIVE_JOIN",
        "TERMINATE",
        "KAFKA_PUBLISH",
        "JSON_JQ_TRANSFORM",
        "SET_VARIABLE",
        "NOOP",
        "LLM_TEXT_COMPLETE",
        "LLM_CHAT_COMPLETE",
        "LLM_GENERATE_EMBEDDINGS",
        "LLM_GET_EMBEDDINGS",
        "LLM_INDEX_TEXT",
        "LLM_INDEX_DOCUMENT",
        "LLM_SEARCH_INDEX",
        "LIST_MCP_TOOLS",
        "CALL_MCP_TOOL",
        "PULL_WORKFLOW_MESSAGES",
        "AGENT",
        "GET_AGENT_CARD",
        "CANCEL_AGENT",
    }
)
ENV_NAMES = frozenset({"CPEWF_TASK_ID", "NETFLIX_ENV", "NETFLIX_STACK"})
SWITCH_EVALUATORS = frozenset({"value-param", "javascript", "graaljs", "python"})
JS_EVALUATORS = frozenset({"javascript", "graaljs"})
_ABSENT = object()


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _key(k: str) -> str:
    return "[" + json.dumps(k, ensure_ascii=False) + "]"


def _join(loc: str, part: str) -> str:
    if not loc:
        return part.lstrip(".")
    return loc + part


def _ttype(task: dict[str, Any]) -> Any:
    """``type`` with the Java default (absent → SIMPLE; JSON null stays None)."""
    return task.get("type", "SIMPLE")


def _tname(task: dict[str, Any]) -> str:
    return str(task.get("name"))


def _s(v: Any) -> str | None:
    """``v`` if it is a string, else None: keeps set/dict lookups safe on malformed JSON."""
    return v if isinstance(v, str) else None


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _is_expr(v: Any) -> bool:
    return isinstance(v, str) and v.startswith("${") and v.endswith("}")


# ----------------------------------------------------------------------------------------
# Documents and contexts
# ----------------------------------------------------------------------------------------


@dataclass
class _Doc:
    file: str
    loc: str  # "" for a top-level document, "[3]" for an element of a JSON list
    kind: str  # "workflow" | "taskdef"
    data: dict[str, Any]


@dataclass
class _DocSet:
    profile: Profile
    workflows: list[_Doc]
    taskdefs: dict[str, dict[str, Any]]

    def workflow_versions(self, name: str) -> list[Any]:
        return [d.data.get("version", 1) for d in self.workflows if d.data.get("name") == name]


@dataclass
class _Wf:
    doc: _Doc
    docs: _DocSet
    refs: set[Any]
    null_ref: bool

    @property
    def wf(self) -> dict[str, Any]:
        return self.doc.data

    @property
    def profile(self) -> Profile:
        return self.docs.profile


@dataclass
class _Task:
    wf: _Wf
    task: dict[str, Any]
    loc: str
    siblings: list[Any]
    index: int
    cascaded: bool  # reached by Bean Validation (@Valid), i.e. not under loopOver
    loop_depth: int
    top_level: bool

    @property
    def profile(self) -> Profile:
        return self.wf.profile

    def at(self, suffix: str) -> str:
        return _join(self.loc, suffix)


@dataclass(frozen=True)
class _Hit:
    loc: str
    message: str
    rule: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class _Rule:
    rule: str
    source: str
    fn: Callable[[Any], Iterable[_Hit]]
    loop_lint: bool = True  # a server task rule that loop-body tasks get as L-loop-<id>


def _rule(rule: str, source: str, *, loop_lint: bool = True) -> Callable[[Callable], _Rule]:
    def wrap(fn: Callable[[Any], Iterable[_Hit]]) -> _Rule:
        return _Rule(rule, source, fn, loop_lint)

    return wrap


def _collect_tasks(tasks: Any, loc: str = "tasks") -> Iterator[tuple[str, dict[str, Any]]]:
    """``WorkflowDef.collectTasks()`` with locations: children are walked by type
    (SWITCH/DECISION cases, FORK_JOIN branches, DO_WHILE loopOver)."""
    for i, t in enumerate(_list(tasks)):
        if not isinstance(t, dict):
            continue
        tloc = f"{loc}[{i}]"
        yield tloc, t
        ttype = _ttype(t)
        if ttype in ("SWITCH", "DECISION"):
            for case, branch in _dict(t.get("decisionCases")).items():
                yield from _collect_tasks(branch, f"{tloc}.decisionCases{_key(case)}")
            yield from _collect_tasks(t.get("defaultCase"), f"{tloc}.defaultCase")
        elif ttype == "FORK_JOIN":
            for b, branch in enumerate(_list(t.get("forkTasks"))):
                yield from _collect_tasks(branch, f"{tloc}.forkTasks[{b}]")
        elif ttype == "DO_WHILE":
            yield from _collect_tasks(t.get("loopOver"), f"{tloc}.loopOver")


def _walk(wf: _Wf, tasks: Any, loc: str, cascaded: bool, depth: int, top: bool) -> Iterator[_Task]:
    """Every task dict with its location. Bean Validation cascades into decisionCases,
    defaultCase and forkTasks of *any* task, never into loopOver."""
    lst = _list(tasks)
    for i, t in enumerate(lst):
        tloc = f"{loc}[{i}]"
        if not isinstance(t, dict):
            continue
        yield _Task(wf, t, tloc, lst, i, cascaded, depth, top)
        for case, branch in _dict(t.get("decisionCases")).items():
            yield from _walk(
                wf, branch, f"{tloc}.decisionCases{_key(case)}", cascaded, depth, False
            )
        yield from _walk(wf, t.get("defaultCase"), f"{tloc}.defaultCase", cascaded, depth, False)
        for b, branch in enumerate(_list(t.get("forkTasks"))):
            yield from _walk(wf, branch, f"{tloc}.forkTasks[{b}]", cascaded, depth, False)
        yield from _walk(wf, t.get("loopOver"), f"{tloc}.loopOver", False, depth + 1, False)


# ----------------------------------------------------------------------------------------
# ${…} reference scanning
# ----------------------------------------------------------------------------------------

_B9_SPLIT = re.compile(r"(?=(?<!\$)\$\{)|(?<=\})")


def _b9_paths(value: str) -> list[str]:
    """ConstraintParamUtil's split: not brace-balanced, ``$${`` is an escape."""
    return [s[2:-1] for s in _B9_SPLIT.split(value) if s.startswith("${") and s.endswith("}")]


def _runtime_paths(value: str) -> list[str]:
    """ParametersUtils' scan (docs/conductor.md "Input resolution"): brace-balanced ``${…}``, nested
    ones included (the
    simulator's ``find_references``, so lint and run time read references alike)."""
    from ..expressions import find_references

    out: list[str] = []
    for start, end in find_references(value):
        inner = value[start + 2 : end - 1]
        out.append(inner)
        out.extend(_runtime_paths(inner))
    return out


def _strings(value: Any, key: str, loc: str) -> Iterator[tuple[str, str, str]]:
    """(key, string, location) for every string in a template, mirroring
    ``validateInputParam`` (a list keeps its parent key)."""
    if isinstance(value, str):
        yield key, value, loc
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k), loc + _key(str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, key, f"{loc}[{i}]")


_HEAD = re.compile(r"^(?:\$\.)?([^.\[]+)")


def _runtime_head(path: str) -> str | None:
    """First name of a runtime path, or None when it is dynamic or not a plain name."""
    if "${" in path:
        return None
    m = _HEAD.match(path.strip())
    return m.group(1) if m else None


# ----------------------------------------------------------------------------------------
# A: JSON shape (what Jackson cannot bind → HTTP 500)
# ----------------------------------------------------------------------------------------

_STR, _INT, _BOOL, _MAP, _LIST = "string", "integer", "boolean", "object", "array"

_WF_FIELDS = {
    "name": _STR,
    "description": _STR,
    "version": _INT,
    "tasks": _LIST,
    "inputParameters": _LIST,
    "outputParameters": _MAP,
    "failureWorkflow": _STR,
    "failureWorkflowVersion": _INT,
    "schemaVersion": _INT,
    "restartable": _BOOL,
    "workflowStatusListenerEnabled": _BOOL,
    "workflowStatusListenerSink": _STR,
    "ownerEmail": _STR,
    "timeoutSeconds": _INT,
    "variables": _MAP,
    "inputTemplate": _MAP,
    "rateLimitConfig": _MAP,
    "inputSchema": _MAP,
    "outputSchema": _MAP,
    "enforceSchema": _BOOL,
    "metadata": _MAP,
    "cacheConfig": _MAP,
    "maskedFields": _LIST,
}
_TASK_FIELDS = {
    "name": _STR,
    "taskReferenceName": _STR,
    "description": _STR,
    "type": _STR,
    "inputParameters": _MAP,
    "dynamicTaskNameParam": _STR,
    "caseValueParam": _STR,
    "caseExpression": _STR,
    "scriptExpression": _STR,
    "decisionCases": _MAP,
    "defaultCase": _LIST,
    "dynamicForkTasksParam": _STR,
    "dynamicForkTasksInputParamName": _STR,
    "dynamicForkJoinTasksParam": _STR,
    "forkTasks": _LIST,
    "startDelay": _INT,
    "subWorkflowParam": _MAP,
    "joinOn": _LIST,
    "sink": _STR,
    "optional": _BOOL,
    "taskDefinition": _MAP,
    "rateLimited": _BOOL,
    "defaultExclusiveJoinTask": _LIST,
    "asyncComplete": _BOOL,
    "loopCondition": _STR,
    "loopOver": _LIST,
    "items": _STR,
    "retryCount": _INT,
    "evaluatorType": _STR,
    "expression": _STR,
    "onStateChange": _MAP,
    "joinStatus": _STR,
    "cacheConfig": _MAP,
    "permissive": _BOOL,
    "metadata": _MAP,
}
_TASKDEF_FIELDS = {
    "name": _STR,
    "description": _STR,
    "retryCount": _INT,
    "timeoutSeconds": _INT,
    "totalTimeoutSeconds": _INT,
    "timeoutPolicy": _STR,
    "retryLogic": _STR,
    "retryDelaySeconds": _INT,
    "maxRetryDelaySeconds": _INT,
    "backoffJitterMs": _INT,
    "backoffScaleFactor": _INT,
    "responseTimeoutSeconds": _INT,
    "pollTimeoutSeconds": _INT,
    "concurrentExecLimit": _INT,
    "rateLimitPerFrequency": _INT,
    "rateLimitFrequencyInSeconds": _INT,
    "inputKeys": _LIST,
    "outputKeys": _LIST,
    "inputTemplate": _MAP,
    "ownerEmail": _STR,
    "isolationGroupId": _STR,
    "executionNameSpace": _STR,
    "baseType": _STR,
    "enforceSchema": _BOOL,
}
_ENUMS = {
    ("task", "joinMode"): ("SYNC", "ASYNC"),
    ("taskdef", "timeoutPolicy"): ("RETRY", "TIME_OUT_WF", "ALERT_ONLY"),
    ("taskdef", "retryLogic"): ("FIXED", "EXPONENTIAL_BACKOFF", "LINEAR_BACKOFF"),
}


def _binds(value: Any, kind: str) -> bool:
    """Whether Jackson (default coercions) binds ``value`` to a field of ``kind``."""
    if value is None:
        return True
    if kind == _STR:
        return not isinstance(value, (dict, list))
    if kind == _INT:
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return True
        return isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value) is not None
    if kind == _BOOL:
        return isinstance(value, bool) or value in ("true", "false") or isinstance(value, int)
    if kind == _MAP:
        return isinstance(value, dict)
    return isinstance(value, list)


def _shape_hits(obj: dict[str, Any], table: dict[str, str], loc: str, what: str) -> Iterator[_Hit]:
    for name, kind in table.items():
        if name in obj and not _binds(obj[name], kind):
            yield _Hit(
                _join(loc, "." + name),
                f"{what}.{name} must be a JSON {kind}, got {type(obj[name]).__name__}: "
                "the server cannot parse the body (HTTP 500)",
            )


# ----------------------------------------------------------------------------------------
# Runner
# ----------------------------------------------------------------------------------------


def _violation(file: str, hit: _Hit, rule: str, source: str) -> Violation:
    where = f"{file}: {hit.loc}" if hit.loc else file
    return Violation(hit.rule or rule, where, hit.message, hit.source or source)
