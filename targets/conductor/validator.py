"""Offline validator for Conductor (conductor-oss) WorkflowDef / TaskDef JSON.

Conductor checks a definition only when it is registered, and a real server cannot run
here (conductor.md §E). This module re-implements the registration checks of
conductor.md §B (rules B1–B30, each message names the rule id and the Java file it comes
from) and the version differences of §B-V, plus lints (``L…``) for mistakes the server
accepts but that fail or misbehave at run time. It works on any Conductor JSON, not only
agentc's output.

Server profiles (``server=``), each the newest behaviour of a release line as shipped:

``3.32``         v3.32.x with the shipped ``application.properties``: ownerEmail optional,
                 name validation off, SWITCH ``javascript``/DECISION expressions parsed
                 (not run), ``${…}`` paths compiled as Jayway JsonPath.
``3.32-strict``  v3.32.x with both opt-in flags on (``ownerEmailMandatory=true``, the
                 ``ConductorProperties`` default, and ``workflow.name-validation.enabled``):
                 adds B5 and B4.
``3.22``         v3.22.3 … v3.31.x: like 3.32 but SWITCH ``javascript`` and DECISION
                 ``caseExpression`` are *executed* against the raw inputParameters (BV-js-exec).
``3.21``         v3.21.11 … v3.21.18: ownerEmail mandatory (B5), ``${…}`` paths with
                 whitespace rejected instead of compiled (BV-whitespace), HTTP needs
                 ``http_request`` (BV-http), FORK_JOIN_DYNAMIC needs the two legacy params
                 (BV-fork-inputs), scripts executed (BV-js-exec).
``3.15``         v3.15.0 … v3.20.x: 3.21 plus ownerEmail must look like an email
                 (BV-ownerEmail), no ``:`` in names (BV-colon), ``subWorkflowParam.name``
                 required (BV-subworkflow-name).
``3.9``          v3.9.0 … v3.14.x: 3.15 without script execution.
``3.0``          v3.0 … v3.8.x and the Netflix-era servers: 3.9 plus every SIMPLE task needs
                 a registered or embedded TaskDef (B13, the pre-3.9 rule).
``all``          the union of every profile's rules — what a definition must satisfy to
                 register on every version above. agentc validates its own output with it.

Scope (§B "Scope of cascading"): the per-task rules B10–B29 apply to tasks Bean Validation
reaches — top-level tasks, ``decisionCases``/``defaultCase`` values and ``forkTasks``
branches, recursively — but **not** ``loopOver``. Tasks under a DO_WHILE are checked with
the same rules under lint ids ``L-loop-B…``, because they fail at run time instead.

Rule ids: ``B1``…``B29`` and ``BV-…`` (server registration), ``TD1``…``TD11`` (TaskDef,
§A.4), ``A1`` (JSON that Jackson cannot bind: HTTP 500), ``J1``/``J2`` (not JSON / not a
definition), ``L1``…``L15`` and ``L-loop-…`` (agentc lints, source ``agentc lint``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from agentc.targets.conductor.jsonpath import compile_error

__all__ = [
    "Violation", "render", "validate_documents", "validate_paths", "sdk_roundtrip_loss",
    "PROFILES", "Profile",
]

LINT = "agentc lint"

# Java sources (conductor.md abbreviations: common/… and core/… are the package roots).
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
    owner_email_required: bool = False     # B5
    owner_email_format: bool = False       # BV-ownerEmail (< v3.21.0)
    name_charset: bool = False             # B4 (opt-in flag)
    no_colon: bool = False                 # BV-colon (< v3.21.11)
    path_whitespace: bool = False          # BV-whitespace (< v3.21.19)
    path_jsonpath: bool = False            # B9b (>= v3.21.19)
    http_request_required: bool = False    # BV-http (< v3.22.1)
    fork_legacy_params: bool = False       # BV-fork-inputs (< v3.21.24)
    js_syntax: bool = False                # B15/B16 parse (>= v3.32.0)
    js_execute: bool = False               # BV-js-exec (v3.15.0 … v3.31.x)
    simple_taskdef_required: bool = False  # B13 pre-3.9 rule
    subworkflow_name_required: bool = False  # BV-subworkflow-name (< v3.21.0)


def _union(name: str, profiles: Iterable[Profile]) -> Profile:
    flags = {f.name: any(getattr(p, f.name) for p in profiles) for f in fields(Profile)
             if f.name != "name"}
    return Profile(name, **flags)


_P332 = Profile("3.32", path_jsonpath=True, js_syntax=True)
_P322 = Profile("3.22", path_jsonpath=True, js_execute=True)
_P321 = Profile("3.21", owner_email_required=True, path_whitespace=True,
                http_request_required=True, fork_legacy_params=True, js_execute=True)
_P315 = replace(_P321, name="3.15", owner_email_format=True, no_colon=True,
                subworkflow_name_required=True)
_P39 = replace(_P315, name="3.9", js_execute=False)
_P30 = replace(_P39, name="3.0", simple_taskdef_required=True)
_PSTRICT = replace(_P332, name="3.32-strict", owner_email_required=True, name_charset=True)

PROFILES: dict[str, Profile] = {p.name: p for p in (_P332, _PSTRICT, _P322, _P321, _P315, _P39, _P30)}
PROFILES["legacy"] = replace(_P30, name="legacy")
PROFILES["all"] = _union("all", list(PROFILES.values()))


# ----------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------

TASK_TYPES = frozenset({
    "SIMPLE", "DYNAMIC", "FORK_JOIN", "FORK_JOIN_DYNAMIC", "DECISION", "SWITCH", "JOIN",
    "DO_WHILE", "SUB_WORKFLOW", "START_WORKFLOW", "EVENT", "WAIT", "HUMAN", "USER_DEFINED",
    "HTTP", "LAMBDA", "INLINE", "EXCLUSIVE_JOIN", "TERMINATE", "KAFKA_PUBLISH",
    "JSON_JQ_TRANSFORM", "SET_VARIABLE", "NOOP", "LLM_TEXT_COMPLETE", "LLM_CHAT_COMPLETE",
    "LLM_GENERATE_EMBEDDINGS", "LLM_GET_EMBEDDINGS", "LLM_INDEX_TEXT", "LLM_INDEX_DOCUMENT",
    "LLM_SEARCH_INDEX", "LIST_MCP_TOOLS", "CALL_MCP_TOOL", "PULL_WORKFLOW_MESSAGES", "AGENT",
    "GET_AGENT_CARD", "CANCEL_AGENT",
})
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


def _walk(wf: _Wf, tasks: Any, loc: str, cascaded: bool, depth: int,
          top: bool) -> Iterator[_Task]:
    """Every task dict with its location. Bean Validation cascades into decisionCases,
    defaultCase and forkTasks of *any* task, never into loopOver."""
    lst = _list(tasks)
    for i, t in enumerate(lst):
        tloc = f"{loc}[{i}]"
        if not isinstance(t, dict):
            continue
        yield _Task(wf, t, tloc, lst, i, cascaded, depth, top)
        for case, branch in _dict(t.get("decisionCases")).items():
            yield from _walk(wf, branch, f"{tloc}.decisionCases{_key(case)}", cascaded, depth, False)
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
    """ParametersUtils' scan (§C.1): brace-balanced ``${…}``, nested ones included (the
    simulator's ``find_references``, so lint and run time read references alike)."""
    from .expressions import find_references

    out: list[str] = []
    for start, end in find_references(value):
        inner = value[start + 2:end - 1]
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
    "name": _STR, "description": _STR, "version": _INT, "tasks": _LIST,
    "inputParameters": _LIST, "outputParameters": _MAP, "failureWorkflow": _STR,
    "failureWorkflowVersion": _INT, "schemaVersion": _INT, "restartable": _BOOL,
    "workflowStatusListenerEnabled": _BOOL, "workflowStatusListenerSink": _STR,
    "ownerEmail": _STR, "timeoutSeconds": _INT, "variables": _MAP, "inputTemplate": _MAP,
    "rateLimitConfig": _MAP, "inputSchema": _MAP, "outputSchema": _MAP,
    "enforceSchema": _BOOL, "metadata": _MAP, "cacheConfig": _MAP, "maskedFields": _LIST,
}
_TASK_FIELDS = {
    "name": _STR, "taskReferenceName": _STR, "description": _STR, "type": _STR,
    "inputParameters": _MAP, "dynamicTaskNameParam": _STR, "caseValueParam": _STR,
    "caseExpression": _STR, "scriptExpression": _STR, "decisionCases": _MAP,
    "defaultCase": _LIST, "dynamicForkTasksParam": _STR,
    "dynamicForkTasksInputParamName": _STR, "dynamicForkJoinTasksParam": _STR,
    "forkTasks": _LIST, "startDelay": _INT, "subWorkflowParam": _MAP, "joinOn": _LIST,
    "sink": _STR, "optional": _BOOL, "taskDefinition": _MAP, "rateLimited": _BOOL,
    "defaultExclusiveJoinTask": _LIST, "asyncComplete": _BOOL, "loopCondition": _STR,
    "loopOver": _LIST, "items": _STR, "retryCount": _INT, "evaluatorType": _STR,
    "expression": _STR, "onStateChange": _MAP, "joinStatus": _STR, "cacheConfig": _MAP,
    "permissive": _BOOL, "metadata": _MAP,
}
_TASKDEF_FIELDS = {
    "name": _STR, "description": _STR, "retryCount": _INT, "timeoutSeconds": _INT,
    "totalTimeoutSeconds": _INT, "timeoutPolicy": _STR, "retryLogic": _STR,
    "retryDelaySeconds": _INT, "maxRetryDelaySeconds": _INT, "backoffJitterMs": _INT,
    "backoffScaleFactor": _INT, "responseTimeoutSeconds": _INT, "pollTimeoutSeconds": _INT,
    "concurrentExecLimit": _INT, "rateLimitPerFrequency": _INT,
    "rateLimitFrequencyInSeconds": _INT, "inputKeys": _LIST, "outputKeys": _LIST,
    "inputTemplate": _MAP, "ownerEmail": _STR, "isolationGroupId": _STR,
    "executionNameSpace": _STR, "baseType": _STR, "enforceSchema": _BOOL,
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
            yield _Hit(_join(loc, "." + name),
                       f"{what}.{name} must be a JSON {kind}, got {type(obj[name]).__name__}: "
                       "the server cannot parse the body (HTTP 500)")


# ----------------------------------------------------------------------------------------
# Workflow-level rules (B1–B9, BV-*)
# ----------------------------------------------------------------------------------------


@_rule("A1", S_MAPPER)
def wf_shape(w: _Wf) -> Iterator[_Hit]:
    """Jackson binding errors come back as HTTP 500, not a validation message."""
    yield from _shape_hits(w.wf, _WF_FIELDS, w.doc.loc, "WorkflowDef")
    for i, t in enumerate(_list(w.wf.get("tasks"))):
        if not isinstance(t, dict):
            yield _Hit(_join(w.doc.loc, f".tasks[{i}]"), "a task must be a JSON object (HTTP 500)")


@_rule("B1", S_WFDEF)
def wf_name(w: _Wf) -> Iterator[_Hit]:
    if w.wf.get("name") in (None, ""):
        yield _Hit(_join(w.doc.loc, ".name"), "WorkflowDef name cannot be null or empty")


@_rule("B2", S_WFDEF)
def wf_tasks(w: _Wf) -> Iterator[_Hit]:
    tasks = w.wf.get("tasks", _ABSENT)
    if tasks is None:
        yield _Hit(_join(w.doc.loc, ".tasks"), '"tasks": null makes TaskReferenceNameUniqueConstraint '
                   "throw a NullPointerException (HTTP 500); WorkflowTask list cannot be empty")
    elif isinstance(tasks, list) and not tasks:
        yield _Hit(_join(w.doc.loc, ".tasks"), "WorkflowTask list cannot be empty")


@_rule("B3", S_WFDEF)
def wf_schema_version(w: _Wf) -> Iterator[_Hit]:
    sv = w.wf.get("schemaVersion", 2)
    sv = 0 if sv is None else sv
    if isinstance(sv, (int, float, str)) and _binds(sv, _INT) and int(float(sv)) != 2:
        yield _Hit(_join(w.doc.loc, ".schemaVersion"),
                   f"workflowDef schemaVersion: 2 is only supported (got {w.wf.get('schemaVersion')!r})")


_VALID_NAME = re.compile(r"^[A-Za-z0-9_<>{}#\s-]+$")


@_rule("B4", S_NAME)
def wf_name_charset(w: _Wf) -> Iterator[_Hit]:
    name = w.wf.get("name")
    if w.profile.name_charset and isinstance(name, str) and name and not _VALID_NAME.match(name):
        yield _Hit(_join(w.doc.loc, ".name"),
                   f"Invalid name '{name}'. Allowed characters are alphanumeric, underscores, spaces, "
                   "hyphens, and special characters like <, >, {, }, # "
                   "(only with conductor.app.workflow.name-validation.enabled=true)")


def _owner_email_hits(obj: dict[str, Any], loc: str, profile: Profile) -> Iterator[_Hit]:
    email = obj.get("ownerEmail")
    if profile.owner_email_required and (email is None or email == ""):
        yield _Hit(_join(loc, ".ownerEmail"),
                   "ownerEmail cannot be empty (conductor.app.ownerEmailMandatory=true: the "
                   "ConductorProperties default, and the shipped config before v3.21.24/v3.22)")


_EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$")


def _email_format_hits(obj: dict[str, Any], loc: str, profile: Profile) -> Iterator[_Hit]:
    email = obj.get("ownerEmail")
    if profile.owner_email_format and isinstance(email, str) and email and not _EMAIL.match(email):
        yield _Hit(_join(loc, ".ownerEmail"),
                   f"ownerEmail should be valid email address (got {email!r}; @Email before v3.21.0)")


@_rule("B5", S_OWNER)
def wf_owner_email(w: _Wf) -> Iterator[_Hit]:
    yield from _owner_email_hits(w.wf, w.doc.loc, w.profile)


@_rule("BV-ownerEmail", S_WFDEF + " (@Email, before v3.21.0)")
def wf_owner_email_format(w: _Wf) -> Iterator[_Hit]:
    yield from _email_format_hits(w.wf, w.doc.loc, w.profile)


@_rule("BV-colon", S_SEMI)
def wf_no_colon(w: _Wf) -> Iterator[_Hit]:
    name = w.wf.get("name")
    if w.profile.no_colon and isinstance(name, str) and ":" in name:
        yield _Hit(_join(w.doc.loc, ".name"),
                   "Workflow name cannot contain the following set of characters: ':' (before v3.21.11)")


@_rule("B6", S_WFDEF)
def wf_timeout(w: _Wf) -> Iterator[_Hit]:
    policy = w.wf.get("timeoutPolicy")
    if policy is not None and policy not in ("TIME_OUT_WF", "ALERT_ONLY"):
        yield _Hit(_join(w.doc.loc, ".timeoutPolicy"),
                   f"timeoutPolicy {policy!r} is not TIME_OUT_WF or ALERT_ONLY: the body cannot be "
                   "parsed (HTTP 500)")


@_rule("B8", S_UNIQUE)
def wf_unique_refs(w: _Wf) -> Iterator[_Hit]:
    seen: set[Any] = set()
    for loc, t in _collect_tasks(w.wf.get("tasks")):
        ref = t.get("taskReferenceName")
        if not isinstance(ref, (str, type(None))):
            continue
        if ref in seen:
            yield _Hit(_join(w.doc.loc, "." + loc + ".taskReferenceName"),
                       f"taskReferenceName: {ref} should be unique across tasks for a given "
                       f"workflowDefinition: {w.wf.get('name')}")
        seen.add(ref)


def _b9_path_hits(w: _Wf, task: dict[str, Any], key: str, value: str, path: str,
                  loc: str) -> Iterator[_Hit]:
    prof = w.profile
    if prof.path_whitespace and re.search(r"\s", path):
        yield _Hit(loc, f"key: {key} input parameter value: {value} is not valid: the ${{…}} path "
                   "contains whitespace (rejected before v3.21.19)", rule="BV-whitespace")
    if prof.path_jsonpath and compile_error(path) is not None:
        yield _Hit(loc, f"key: {key} input parameter value: {path} is not valid "
                   f"(Jayway JsonPath: {compile_error(path)})")
        return
    if path in ENV_NAMES:
        return
    parts = path.split(".")
    head = parts[0] if parts else ""
    if head == "workflow":
        return
    if w.null_ref:
        yield _Hit(loc, f"reference {path!r} needs a task lookup, and a task with a null "
                   "taskReferenceName makes that lookup throw (HTTP 500)")
        return
    if head not in w.refs:
        yield _Hit(loc, f"taskReferenceName: {head} for given task: {_tname(task)} input value: "
                   f"{key} of input parameter: {value} is not defined in workflow definition.")


@_rule("B9", S_PARAM)
def wf_input_references(w: _Wf) -> Iterator[_Hit]:
    """Top-level tasks only, with the server's own (non-balanced) split."""
    for i, task in enumerate(_list(w.wf.get("tasks"))):
        if not isinstance(task, dict) or not isinstance(task.get("inputParameters"), dict):
            continue
        base = _join(w.doc.loc, f".tasks[{i}].inputParameters")
        for key, value, loc in _strings(task["inputParameters"], "", base):
            for path in _b9_paths(value):
                yield from _b9_path_hits(w, task, key, value, path, loc)


# ----------------------------------------------------------------------------------------
# Workflow-level lints
# ----------------------------------------------------------------------------------------


def _ref_lint_hits(w: _Wf, template: Any, loc: str, where: str) -> Iterator[_Hit]:
    """L1 (unknown ref) and L2 (path that does not compile) for runtime-resolved templates."""
    for key, value, sloc in _strings(template, "", loc):
        for path in _runtime_paths(value):
            if "${" not in path and compile_error(path) is not None:
                yield _Hit(sloc, f"{where}: ${{{path}}} is not a valid JsonPath "
                           f"({compile_error(path)}); it resolves to null at run time", rule="L2")
                continue
            head = _runtime_head(path)
            if head is None or head == "workflow" or path in ENV_NAMES:
                continue
            if head not in w.refs:
                yield _Hit(sloc, f"{where}: ${{{path}}} refers to task reference {head!r}, which "
                           "no task in the definition has; it resolves to null", rule="L1")


@_rule("L1", LINT)
def wf_output_references(w: _Wf) -> Iterator[_Hit]:
    """outputParameters are never checked by the server (B7) but resolve at the end."""
    yield from _ref_lint_hits(w, w.wf.get("outputParameters"),
                              _join(w.doc.loc, ".outputParameters"), "outputParameters")


@_rule("L15", LINT)
def wf_failure_workflow(w: _Wf) -> Iterator[_Hit]:
    fw = w.wf.get("failureWorkflow")
    if isinstance(fw, str) and fw.startswith("$"):
        yield _Hit(_join(w.doc.loc, ".failureWorkflow"),
                   f"failureWorkflow {fw!r}: the server splits it on '.' and uses the 3rd piece "
                   "verbatim as a workflow-input key (so '${workflow.input.X}' looks up 'X}'); "
                   "use a literal workflow name")


WORKFLOW_RULES: tuple[_Rule, ...] = (
    wf_shape, wf_name, wf_tasks, wf_schema_version, wf_name_charset, wf_owner_email,
    wf_owner_email_format, wf_no_colon, wf_timeout, wf_unique_refs, wf_input_references,
    wf_output_references, wf_failure_workflow,
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
            yield _Hit(t.at(f".decisionCases{_key(case)}"), "a decision case must be a task list (HTTP 500)")
    for b, branch in enumerate(_list(t.task.get("forkTasks"))):
        if not isinstance(branch, list):
            yield _Hit(t.at(f".forkTasks[{b}]"), "each fork branch must be a task list (HTTP 500)")
    sub = t.task.get("subWorkflowParam")
    if isinstance(sub, dict):
        wd = sub.get("workflowDefinition")
        if isinstance(wd, str) and not _is_expr(wd) or isinstance(wd, (list, int, float, bool)):
            yield _Hit(t.at(".subWorkflowParam.workflowDefinition"),
                       "workflowDefinition must be a WorkflowDef object or a \"${…}\" string (HTTP 500)")
        strategy = sub.get("idempotencyStrategy")
        if strategy is not None and strategy not in ("FAIL", "RETURN_EXISTING", "FAIL_ON_RUNNING"):
            yield _Hit(t.at(".subWorkflowParam.idempotencyStrategy"),
                       f"idempotencyStrategy {strategy!r} is not FAIL, RETURN_EXISTING or FAIL_ON_RUNNING (HTTP 500)")


@_rule("B10", S_WFTASK)
def task_names(t: _Task) -> Iterator[_Hit]:
    if t.task.get("name") in (None, ""):
        yield _Hit(t.at(".name"), "WorkflowTask name cannot be empty or null")
    if t.task.get("taskReferenceName") in (None, ""):
        yield _Hit(t.at(".taskReferenceName"), "WorkflowTask taskReferenceName name cannot be empty or null")


@_rule("B11", S_WFTASK)
def task_start_delay(t: _Task) -> Iterator[_Hit]:
    delay = t.task.get("startDelay")
    if isinstance(delay, (int, float)) and not isinstance(delay, bool) and delay < 0:
        yield _Hit(t.at(".startDelay"), f"startDelay must be >= 0 (got {delay})")


@_rule("B12", S_TYPE)
def task_type_null(t: _Task) -> Iterator[_Hit]:
    if "type" in t.task and t.task["type"] is None:
        yield _Hit(t.at(".type"), '"type": null makes the type validator throw (HTTP 500); omit it for SIMPLE')


@_rule("B13", S_VALID)
def task_simple_taskdef(t: _Task) -> Iterator[_Hit]:
    if t.profile.simple_taskdef_required and _needs_taskdef(t):
        yield _Hit(t.loc, f"workflowTask: {_tname(t.task)} task definition is not defined "
                   "(before v3.9.0 every SIMPLE task needs a registered or embedded TaskDef)")


def _needs_taskdef(t: _Task) -> bool:
    return (_ttype(t.task) == "SIMPLE" and not isinstance(t.task.get("taskDefinition"), dict)
            and _s(t.task.get("name")) not in t.wf.docs.taskdefs)


@_rule("B14", S_TYPE)
def task_event(t: _Task) -> Iterator[_Hit]:
    if _ttype(t.task) == "EVENT" and t.task.get("sink") is None:
        yield _Hit(t.at(".sink"), f"sink field is required for taskType: EVENT taskName: {_tname(t.task)}")


def _js_syntax_hit(expr: str, loc: str, what: str) -> Iterator[_Hit]:
    from agentc.targets.conductor.js import syntax_error

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
        yield _Hit(t.loc, f"Either caseValueParam or caseExpression param is required for taskType: DECISION taskName: {name}")
    cases = task.get("decisionCases", {})
    if cases is None or (isinstance(cases, dict) and not cases):
        yield _Hit(t.at(".decisionCases"), f"decisionCases should have atleast one task for taskType: DECISION taskName: {name}")
    expr = task.get("caseExpression")
    if isinstance(expr, str) and t.profile.js_syntax:
        yield from _js_syntax_hit(expr, t.at(".caseExpression"), f"taskType: DECISION taskName {name}")


@_rule("B16", S_TYPE)
def task_switch(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "SWITCH":
        return
    name = _tname(task)
    if task.get("evaluatorType") is None:
        yield _Hit(t.at(".evaluatorType"), f"evaluatorType should be set for taskType: SWITCH taskName: {name}")
    elif task.get("expression") is None:
        yield _Hit(t.at(".expression"), f"expression should be set for taskType: SWITCH taskName: {name}")
    cases = task.get("decisionCases", {})
    if cases is None or (isinstance(cases, dict) and not cases):
        yield _Hit(t.at(".decisionCases"), f"decisionCases should have atleast one task for taskType: SWITCH taskName: {name}")
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
    from agentc.targets.conductor.js import ScriptError, evaluate, syntax_error

    if t.profile.js_syntax and syntax_error(expr) is not None:
        return  # already reported by B15/B16 as a syntax error

    try:
        evaluate(expr, _dict(task.get("inputParameters")))
    except ScriptError as exc:
        yield _Hit(t.at(where), f"Expression is not well formatted: {exc}: v3.15–v3.31 run the script at "
                   f"registration with the unresolved inputParameters as $, taskType: {ttype} "
                   f"taskName {_tname(task)}")


@_rule("B17", S_TYPE)
def task_do_while(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "DO_WHILE":
        return
    name = _tname(task)
    if task.get("loopCondition") is None:
        yield _Hit(t.at(".loopCondition"), f"loopExpression field is required for taskType: DO_WHILE taskName: {name}"
                   " (also when `items` is used)")
    body = task.get("loopOver", [])
    if body is None or (isinstance(body, list) and not body):
        yield _Hit(t.at(".loopOver"), f"loopOver field is required for taskType: DO_WHILE taskName: {name}")


@_rule("B18", S_TYPE)
def task_dynamic(t: _Task) -> Iterator[_Hit]:
    if _ttype(t.task) == "DYNAMIC" and t.task.get("dynamicTaskNameParam") is None:
        yield _Hit(t.at(".dynamicTaskNameParam"),
                   f"dynamicTaskNameParam field is required for taskType: DYNAMIC taskName: {_tname(t.task)}")


def _fork_dynamic_hits(task: dict[str, Any], loc: str) -> Iterator[_Hit]:
    name = _tname(task)
    legacy = task.get("dynamicForkJoinTasksParam")
    param, input_name = task.get("dynamicForkTasksParam"), task.get("dynamicForkTasksInputParamName")
    if legacy is not None and (param is not None or input_name is not None):
        yield _Hit(loc, "dynamicForkJoinTasksParam or combination of dynamicForkTasksInputParamName and "
                   f"dynamicForkTasksParam cam be used for taskType: FORK_JOIN_DYNAMIC taskName: {name}")
        return
    if legacy is not None:
        return
    if param is None:
        yield _Hit(_join(loc, ".dynamicForkTasksParam"),
                   f"dynamicForkTasksParam field is required for taskType: FORK_JOIN_DYNAMIC taskName: {name}")
    if input_name is None:
        yield _Hit(_join(loc, ".dynamicForkTasksInputParamName"),
                   f"dynamicForkTasksInputParamName field is required for taskType: FORK_JOIN_DYNAMIC taskName: {name}")


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
                yield replace(h, rule="BV-fork-inputs", message=h.message +
                              " (inputParameters.forkTaskInputs alone is accepted only from v3.21.24/v3.22)")
        return
    yield from hits


@_rule("B20", S_TYPE)
def task_fork(t: _Task) -> Iterator[_Hit]:
    forks = t.task.get("forkTasks", [])
    if _ttype(t.task) == "FORK_JOIN" and isinstance(forks, list) and not forks:
        yield _Hit(t.at(".forkTasks"), f"forkTasks should have atleast one task for taskType: FORK_JOIN taskName: {_tname(t.task)}")


def _template_has(t: _Task, key: str) -> bool:
    """``key`` in the embedded taskDefinition's inputTemplate, else the TaskDef doc's."""
    embedded = t.task.get("taskDefinition")
    taskdef = embedded if isinstance(embedded, dict) else t.wf.docs.taskdefs.get(_s(t.task.get("name")), {})
    return key in _dict(taskdef.get("inputTemplate"))


def _registered_hint(t: _Task, key: str) -> str:
    if t.wf.docs.taskdefs:
        return ""
    return (f" (unless a TaskDef named {_tname(t.task)!r} with inputTemplate.{key} is already "
            "registered on the server: no TaskDef was among the validated documents)")


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
            yield _Hit(t.at(".inputParameters"), "inputParameters.http_request field is required for "
                       f"taskType: HTTP taskName: {_tname(task)} (top-level uri/method are accepted "
                       "only from v3.22.1)", rule="BV-http")
        return
    yield _Hit(t.at(".inputParameters"), "inputParameters.http_request or inputParameters.uri field is "
               f"required for taskType: HTTP taskName: {_tname(task)}" + _registered_hint(t, "http_request"))


def _required_input(t: _Task, task_type: str, key: str) -> Iterator[_Hit]:
    """``key`` must be in the task's inputParameters or its TaskDef's inputTemplate."""
    task = t.task
    if _ttype(task) == task_type and key not in _dict(task.get("inputParameters")) and not _template_has(t, key):
        yield _Hit(t.at(".inputParameters"), f"inputParameters.{key} field is required for taskType: "
                   f"{task_type} taskName: {_tname(task)}" + _registered_hint(t, key))


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
        yield _Hit(t.at(".subWorkflowParam"),
                   f"subWorkflowParam field is required for taskType: SUB_WORKFLOW taskName: {_tname(task)}")
        return
    sub = _dict(sub)
    inline = isinstance(sub.get("workflowDefinition"), (dict, str))
    if t.profile.subworkflow_name_required and sub.get("name") in (None, "") and not inline:
        yield _Hit(t.at(".subWorkflowParam.name"), "SubWorkflowParams name cannot be null or empty "
                   "(@NotNull/@NotEmpty before v3.21.0)", rule="BV-subworkflow-name", source=S_SUBWF)


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
        yield _Hit(t.at(".inputParameters.terminationStatus"),
                   f"terminate task must have an terminationStatus parameter and must be set to COMPLETED "
                   f"or FAILED, taskName: {name} (got {status!r}; the raw value is checked, so an "
                   f"expression is rejected; see {S_TERMINATE})")


_DURATION = re.compile(
    r"\s*(?:(\d+)\s*(?:days?|d))?\s*(?:(\d+)\s*(?:hours?|hrs?|h))?"
    r"\s*(?:(\d+)\s*(?:minutes?|mins?|m))?\s*(?:(\d+)\s*(?:seconds?|secs?|s))?\s*", re.IGNORECASE)
_UNTIL = (re.compile(r"\d+-\d+-\d+ \d+:\d+"),
          re.compile(r"\d+-\d+-\d+ \d+:\d+ (?:[A-Za-z]+(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{4})"),
          re.compile(r"\d+-\d+-\d+"))


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
        yield _Hit(t.at(".inputParameters"), "Both 'duration' and 'until' specified. Please provide only one input")
    if duration.strip() and not _is_expr(duration):
        if not wait_duration_ok(duration):
            yield _Hit(t.at(".inputParameters.duration"), f"Either date or duration is passed as null "
                       f"(duration {duration!r} does not match [N d] [N h] [N m] [N s]; see {S_WAIT})")
    elif until.strip() and not _is_expr(until) and not wait_until_ok(until):
        yield _Hit(t.at(".inputParameters.until"), f"Unable to parse date (until {until!r}; formats: "
                   f"yyyy-MM-dd HH:mm, yyyy-MM-dd HH:mm z, yyyy-MM-dd; see {S_WAIT})")


def _java_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v)


@_rule("B29", S_STATE)
def task_state_change(t: _Task) -> Iterator[_Hit]:
    for event, items in _dict(t.task.get("onStateChange")).items():
        for i, item in enumerate(_list(items)):
            if isinstance(item, dict) and item.get("type") is None:
                yield _Hit(t.at(f".onStateChange{_key(event)}[{i}].type"), "StateChangeEvent type cannot be null")


TASK_SERVER_RULES: tuple[_Rule, ...] = (
    task_shape, task_names, task_start_delay, task_type_null, task_simple_taskdef, task_event,
    task_decision, task_switch, task_js_executed, task_do_while, task_dynamic, task_fork_dynamic,
    task_fork, task_http, task_kafka, task_jq, task_sub_workflow, task_terminate, task_wait,
    task_state_change,
)


# ----------------------------------------------------------------------------------------
# Per-task lints (every task, including loop bodies)
# ----------------------------------------------------------------------------------------


@_rule("L1", LINT)
def lint_task_references(t: _Task) -> Iterator[_Hit]:
    """B9 covers top-level inputParameters; nested tasks and `items` are never checked."""
    if not t.top_level:
        yield from _ref_lint_hits(t.wf, t.task.get("inputParameters"), t.at(".inputParameters"),
                                  f"task {t.task.get('taskReferenceName')!r}")
    if "items" in t.task:
        yield from _ref_lint_hits(t.wf, t.task.get("items"), t.at(".items"), "DO_WHILE items")
    sub = _dict(t.task.get("subWorkflowParam"))
    for key in ("name", "version", "idempotencyKey", "priority"):
        if isinstance(sub.get(key), str):
            yield from _ref_lint_hits(t.wf, sub[key], t.at(f".subWorkflowParam.{key}"), "subWorkflowParam")


@_rule("L3", LINT)
def lint_fork_join(t: _Task) -> Iterator[_Hit]:
    ttype = _ttype(t.task)
    if ttype not in ("FORK_JOIN", "FORK_JOIN_DYNAMIC"):
        return
    nxt = t.siblings[t.index + 1] if t.index + 1 < len(t.siblings) else None
    if not (isinstance(nxt, dict) and _ttype(nxt) == "JOIN"):
        yield _Hit(t.loc, f"{ttype} is not directly followed by a JOIN in the same task list: the workflow "
                   "fails at run time ('… is not followed by a join task')")


@_rule("L4", LINT)
def lint_fork_branches(t: _Task) -> Iterator[_Hit]:
    if _ttype(t.task) != "FORK_JOIN":
        return
    if "forkTasks" in t.task and t.task["forkTasks"] is None:
        yield _Hit(t.at(".forkTasks"), '"forkTasks": null passes registration but the fork has no branches')
    for b, branch in enumerate(_list(t.task.get("forkTasks"))):
        if isinstance(branch, list) and not branch:
            yield _Hit(t.at(f".forkTasks[{b}]"), "empty fork branch: registration accepts it, the decider "
                       "crashes (IndexOutOfBounds) when the fork runs")


@_rule("L5", LINT)
def lint_simple_taskdef(t: _Task) -> Iterator[_Hit]:
    if not t.wf.docs.taskdefs or t.profile.simple_taskdef_required or not _needs_taskdef(t):
        return
    yield _Hit(t.loc, f"SIMPLE task {_tname(t.task)!r} has no TaskDef among the validated documents and "
               "no embedded taskDefinition: the server falls back to an ad-hoc default (3 retries, "
               "60 s delay, 3600 s response timeout) — a typo in the name?")


def _js_parse_hits(expr: Any, loc: str, what: str) -> Iterator[_Hit]:
    if not isinstance(expr, str) or not expr.strip():
        return
    from agentc.targets.conductor.js import syntax_error

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
            yield from _js_parse_hits(task.get("expression"), t.at(".expression"), "SWITCH expression")
    elif ttype == "DECISION" and not _server_parses(t, True):
        yield from _js_parse_hits(task.get("caseExpression"), t.at(".caseExpression"), "DECISION caseExpression")
    elif ttype == "DO_WHILE":
        yield from _js_parse_hits(task.get("loopCondition"), t.at(".loopCondition"), "DO_WHILE loopCondition")
    elif ttype == "INLINE":
        params = _dict(task.get("inputParameters"))
        if _s(params.get("evaluatorType", "javascript")) in JS_EVALUATORS and isinstance(params.get("expression"), str):
            expr = params["expression"]
            if not _is_expr(expr):  # ${…} is resolved before the script runs
                expr = re.sub(r"(?<!\$)\$\{[^{}]*\}", "0", expr)
                yield from _js_parse_hits(expr, t.at(".inputParameters.expression"), "INLINE expression")


@_rule("L7", LINT)
def lint_loop_ref_underscores(t: _Task) -> Iterator[_Hit]:
    ref = t.task.get("taskReferenceName")
    if t.loop_depth and isinstance(ref, str) and "__" in ref:
        yield _Hit(t.at(".taskReferenceName"), f"ref {ref!r} inside a DO_WHILE contains '__': the server strips "
                   "the iteration suffix at the first '__', so this task's output is filed under "
                   f"{ref.split('__')[0]!r}")


@_rule("L8", LINT)
def lint_nested_do_while(t: _Task) -> Iterator[_Hit]:
    if t.loop_depth and _ttype(t.task) == "DO_WHILE":
        yield _Hit(t.loc, "nested DO_WHILE: registration accepts it but Conductor does not support it "
                   "(do-while-task.md, Limitations); put the inner loop in a SUB_WORKFLOW")


@_rule("L9", LINT)
def lint_value_param(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) != "SWITCH" or task.get("evaluatorType") != "value-param":
        return
    expr = task.get("expression")
    if isinstance(expr, str) and expr not in _dict(task.get("inputParameters")):
        yield _Hit(t.at(".expression"), f"value-param SWITCH reads input[{expr!r}], which is not in "
                   "inputParameters: the case is always 'null' (→ defaultCase)")


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
        yield _Hit(t.at(".subWorkflowParam.name"), f"sub-workflow {name!r} is not among the validated "
                   "documents: the parent fails to start unless it is registered")
    elif isinstance(version, int) and version not in versions:
        yield _Hit(t.at(".subWorkflowParam.version"), f"sub-workflow {name!r} version {version} is not among "
                   f"the validated documents (have {sorted(map(str, versions))})")


@_rule("L11", LINT)
def lint_join_on(t: _Task) -> Iterator[_Hit]:
    task = t.task
    if _ttype(task) not in ("JOIN", "EXCLUSIVE_JOIN"):
        return
    for field_name in ("joinOn", "defaultExclusiveJoinTask"):
        for i, ref in enumerate(_list(task.get(field_name))):
            if isinstance(ref, str) and "${" not in ref and ref not in t.wf.refs:
                yield _Hit(t.at(f".{field_name}[{i}]"), f"{field_name} names {ref!r}, which no task in the "
                           "definition has: the JOIN waits for it forever")


@_rule("L12", LINT)
def lint_unknown_type(t: _Task) -> Iterator[_Hit]:
    ttype = _ttype(t.task)
    if isinstance(ttype, str) and ttype not in TASK_TYPES:
        hint = f" (did you mean {ttype.upper()!r}?)" if ttype.upper() in TASK_TYPES else ""
        yield _Hit(t.at(".type"), f"type {ttype!r} is not a Conductor task type: it is accepted and queued "
                   f"as a user-defined task named {ttype!r} that no system task executes{hint}")


@_rule("L13", LINT)
def lint_inline(t: _Task) -> Iterator[_Hit]:
    if _ttype(t.task) != "INLINE":
        return
    params = _dict(t.task.get("inputParameters"))
    evaluator = params.get("evaluatorType", "javascript")
    if isinstance(evaluator, str) and not _is_expr(evaluator) and evaluator not in (JS_EVALUATORS | {"python"}):
        yield _Hit(t.at(".inputParameters.evaluatorType"), f"INLINE evaluatorType {evaluator!r} is not "
                   "javascript/graaljs/python: the task fails at run time")
    if _blank(params.get("expression")):
        yield _Hit(t.at(".inputParameters.expression"), "INLINE needs a non-blank inputParameters.expression "
                   "(evaluatorType/expression live in inputParameters, not on the task)")


@_rule("L14", LINT)
def lint_switch_evaluator(t: _Task) -> Iterator[_Hit]:
    evaluator = t.task.get("evaluatorType")
    if _ttype(t.task) == "SWITCH" and isinstance(evaluator, str) and evaluator not in SWITCH_EVALUATORS:
        yield _Hit(t.at(".evaluatorType"), f"No evaluator registered for type: {evaluator}: the workflow "
                   "fails when the SWITCH runs")


TASK_LINTS: tuple[_Rule, ...] = (
    lint_task_references, lint_fork_join, lint_fork_branches, lint_simple_taskdef,
    lint_javascript, lint_loop_ref_underscores, lint_nested_do_while, lint_value_param,
    lint_sub_workflow_target, lint_join_on, lint_unknown_type, lint_inline,
    lint_switch_evaluator,
)


# ----------------------------------------------------------------------------------------
# TaskDef rules (§A.4, checked by /metadata/taskdefs)
# ----------------------------------------------------------------------------------------


def _num(obj: dict[str, Any], key: str, default: Any) -> Any:
    """Field value as Java sees it: absent → default, null → 0 for primitives (None kept
    for boxed fields, passed as default=None)."""
    if key not in obj:
        return default
    v = obj[key]
    if v is None:
        return None if default is None else 0
    if isinstance(v, bool) or not _binds(v, _INT):
        return None
    return int(float(v))


@_rule("A1", S_MAPPER)
def td_shape(d: _Doc) -> Iterator[_Hit]:
    yield from _shape_hits(d.data, _TASKDEF_FIELDS, d.loc, "TaskDef")


@_rule("TD1", S_TASKDEF)
def td_name(d: _Doc) -> Iterator[_Hit]:
    if d.data.get("name") in (None, ""):
        yield _Hit(_join(d.loc, ".name"), "TaskDef name cannot be null or empty")


def _min_hits(d: _Doc, key: str, default: Any, low: int) -> Iterator[_Hit]:
    v = _num(d.data, key, default)
    if v is not None and v < low:
        yield _Hit(_join(d.loc, "." + key), f"TaskDef {key}: {v} must be >= {low}")


@_rule("TD2", S_TASKDEF)
def td_retry_count(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "retryCount", 3, 0)


@_rule("TD3", S_TASKDEF)
def td_total_timeout(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "totalTimeoutSeconds", 0, 0)


@_rule("TD4", S_TASKDEF)
def td_enums(d: _Doc) -> Iterator[_Hit]:
    for key in ("timeoutPolicy", "retryLogic"):
        v = d.data.get(key)
        allowed = _ENUMS[("taskdef", key)]
        if v is not None and v not in allowed:
            yield _Hit(_join(d.loc, "." + key), f"TaskDef {key} {v!r} is not one of {'|'.join(allowed)}: "
                       "the body cannot be parsed (HTTP 500)")


@_rule("TD5", S_TASKDEF)
def td_max_retry_delay(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "maxRetryDelaySeconds", 0, 0)


@_rule("TD6", S_TASKDEF)
def td_backoff_jitter(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "backoffJitterMs", 0, 0)


@_rule("TD7", S_TASKDEF)
def td_backoff_scale(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "backoffScaleFactor", 1, 1)


@_rule("TD8", S_TASKDEF)
def td_response_timeout(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "responseTimeoutSeconds", 3600, 1)


@_rule("TD9", S_TASKDEF)
def td_poll_timeout(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "pollTimeoutSeconds", None, 0)


@_rule("TD10", S_TIMEOUT)
def td_response_within_timeout(d: _Doc) -> Iterator[_Hit]:
    timeout = _num(d.data, "timeoutSeconds", 0)
    response = _num(d.data, "responseTimeoutSeconds", 3600)
    if timeout is not None and response is not None and timeout > 0 and response > timeout:
        yield _Hit(_join(d.loc, ".responseTimeoutSeconds"),
                   f"TaskDef: {d.data.get('name')} responseTimeoutSeconds: {response} must be less than "
                   f"timeoutSeconds: {timeout}")


@_rule("TD11", S_TIMEOUT)
def td_timeout_within_total(d: _Doc) -> Iterator[_Hit]:
    timeout = _num(d.data, "timeoutSeconds", 0)
    total = _num(d.data, "totalTimeoutSeconds", 0)
    if timeout and total and timeout > 0 and total > 0 and timeout > total:
        yield _Hit(_join(d.loc, ".timeoutSeconds"),
                   f"TaskDef: {d.data.get('name')} timeoutSeconds: {timeout} must be less than or equal "
                   f"to totalTimeoutSeconds: {total}")


TASKDEF_RULES: tuple[_Rule, ...] = (
    td_shape, td_name, td_retry_count, td_total_timeout, td_enums, td_max_retry_delay,
    td_backoff_jitter, td_backoff_scale, td_response_timeout, td_poll_timeout,
    td_response_within_timeout, td_timeout_within_total,
)


def _taskdef_owner_hits(d: _Doc, profile: Profile) -> Iterator[Violation]:
    for h in _owner_email_hits(d.data, d.loc, profile):
        yield _violation(d.file, h, "B5", S_OWNER)
    for h in _email_format_hits(d.data, d.loc, profile):
        yield _violation(d.file, h, "BV-ownerEmail", S_TASKDEF + " (@Email, before v3.21.0)")


# ----------------------------------------------------------------------------------------
# Runner
# ----------------------------------------------------------------------------------------


def _violation(file: str, hit: _Hit, rule: str, source: str) -> Violation:
    where = f"{file}: {hit.loc}" if hit.loc else file
    return Violation(hit.rule or rule, where, hit.message, hit.source or source)


def _run_workflow(w: _Wf) -> Iterator[Violation]:
    for r in WORKFLOW_RULES:
        for hit in r.fn(w):
            yield _violation(w.doc.file, hit, r.rule, r.source)
    tasks = list(_walk(w, w.wf.get("tasks"), _join(w.doc.loc, ".tasks"), True, 0, True))
    for t in tasks:
        yield from _run_task(t)


def _run_task(t: _Task) -> Iterator[Violation]:
    for r in TASK_SERVER_RULES:
        if not t.cascaded and not r.loop_lint:
            continue
        for hit in r.fn(t):
            if t.cascaded:
                yield _violation(t.wf.doc.file, hit, r.rule, r.source)
            else:
                rule = hit.rule or r.rule
                src = hit.source or r.source
                yield Violation(f"L-loop-{rule}", f"{t.wf.doc.file}: {hit.loc}",
                                f"{hit.message} (server rule {rule} in {src} skips tasks under loopOver; "
                                "this fails at run time instead)", LINT)
    for r in TASK_LINTS:
        for hit in r.fn(t):
            yield _violation(t.wf.doc.file, hit, r.rule, r.source)


def _run_taskdef(d: _Doc, profile: Profile) -> Iterator[Violation]:
    for r in TASKDEF_RULES:
        for hit in r.fn(d):
            yield _violation(d.file, hit, r.rule, r.source)
    yield from _taskdef_owner_hits(d, profile)


def _split_documents(docs: list[tuple[str, Any]]) -> tuple[list[_Doc], list[Violation]]:
    """WorkflowDef = a JSON object with ``tasks``; any other object is a TaskDef; a list
    holds either."""
    out: list[_Doc] = []
    bad: list[Violation] = []

    def one(file: str, loc: str, data: Any) -> None:
        if isinstance(data, dict) and data.get("target") == "conductor" and "task_types" in data:
            return  # agentc's own manifest.json beside the definitions: not Conductor JSON
        if isinstance(data, dict):
            out.append(_Doc(file, loc, "workflow" if "tasks" in data else "taskdef", data))
        else:
            bad.append(Violation("J2", f"{file}: {loc}" if loc else file,
                                 f"expected a WorkflowDef or TaskDef object, got {type(data).__name__}", LINT))

    for file, data in docs:
        if isinstance(data, list):
            for i, item in enumerate(data):
                one(file, f"[{i}]", item)
        else:
            one(file, "", data)
    return out, bad


def _profile(server: str) -> Profile:
    try:
        return PROFILES[server]
    except KeyError:
        raise ValueError(f"unknown server profile {server!r}; choose from {sorted(PROFILES)}") from None


def validate_documents(docs: list[tuple[str, Any]], *, server: str = "all") -> list[Violation]:
    """Validate parsed documents (file name, JSON value) against a server profile.

    All documents form one set: TaskDefs satisfy SIMPLE/HTTP lookups and workflows satisfy
    SUB_WORKFLOW lookups across files."""
    profile = _profile(server)
    parsed, violations = _split_documents(docs)
    taskdefs = {d.data["name"]: d.data for d in parsed
                if d.kind == "taskdef" and isinstance(d.data.get("name"), str)}
    docset = _DocSet(profile, [d for d in parsed if d.kind == "workflow"], taskdefs)
    for d in parsed:
        if d.kind == "taskdef":
            violations.extend(_run_taskdef(d, profile))
            continue
        refs = [t.get("taskReferenceName") for _, t in _collect_tasks(d.data.get("tasks"))]
        w = _Wf(d, docset, {r for r in refs if isinstance(r, str)}, any(r is None for r in refs))
        violations.extend(_run_workflow(w))
    return violations


def _json_files(paths: list[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.rglob("*.json")) if p.is_dir() else [p])
    return files


def validate_paths(paths: list[str | Path], *, server: str = "all") -> list[Violation]:
    """Validate files and directories (``*.json`` recursively) as one document set.
    A file that is not JSON gives a ``J1`` violation at the parser's line:col."""
    docs: list[tuple[str, Any]] = []
    violations: list[Violation] = []
    for f in _json_files(paths):
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            violations.append(Violation("J1", str(f), f"cannot read file: {exc}", LINT))
            continue
        try:
            docs.append((str(f), json.loads(text)))
        except json.JSONDecodeError as exc:
            violations.append(Violation("J1", f"{f}:{exc.lineno}:{exc.colno}",
                                        f"not valid JSON: {exc.msg}", LINT))
    return violations + validate_documents(docs, server=server)


# ----------------------------------------------------------------------------------------
# conductor-python round trip
# ----------------------------------------------------------------------------------------

_WF_DEFAULTS: dict[str, Any] = {
    "version": 1, "inputParameters": [], "outputParameters": {}, "schemaVersion": 2,
    "restartable": True, "workflowStatusListenerEnabled": False, "timeoutPolicy": "ALERT_ONLY",
    "timeoutSeconds": 0, "variables": {}, "inputTemplate": {}, "enforceSchema": True,
    "metadata": {}, "maskedFields": [],
}
_TASK_DEFAULTS: dict[str, Any] = {
    "type": "SIMPLE", "inputParameters": {}, "decisionCases": {}, "defaultCase": [],
    "forkTasks": [], "startDelay": 0, "joinOn": [], "optional": False,
    "defaultExclusiveJoinTask": [], "asyncComplete": False, "loopOver": [],
    "onStateChange": {}, "permissive": False, "metadata": {},
}
_TASKDEF_DEFAULTS: dict[str, Any] = {
    "retryCount": 3, "timeoutSeconds": 0, "totalTimeoutSeconds": 0, "timeoutPolicy": "TIME_OUT_WF",
    "retryLogic": "FIXED", "retryDelaySeconds": 60, "responseTimeoutSeconds": 3600,
    "inputKeys": [], "outputKeys": [], "inputTemplate": {}, "enforceSchema": False,
    "backoffScaleFactor": 1, "maxRetryDelaySeconds": 0, "backoffJitterMs": 0,
    "taskStatusListenerEnabled": True,
}
_DEFAULTS = {"workflow": _WF_DEFAULTS, "task": _TASK_DEFAULTS, "taskdef": _TASKDEF_DEFAULTS,
             "schema": {"version": 1}, "other": {}}


def _child_kind(kind: str, key: str) -> str:
    """What a nested value is, so SDK-added keys can be compared with the right defaults."""
    if kind in ("workflow", "task") and key in ("tasks", "loopOver", "defaultCase", "forkTasks"):
        return "task"
    if kind == "task" and key == "decisionCases":
        return "cases"
    if kind == "cases":
        return "task"
    return {"taskDefinition": "taskdef", "workflowDefinition": "workflow",
            "inputSchema": "schema", "outputSchema": "schema"}.get(key, "data")


def _diff(before: Any, after: Any, path: str, kind: str, out: list[str]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for k, v in before.items():
            sub = f"{path}.{k}" if path else k
            if k not in after:
                out.append(f"{sub}: dropped (was {json.dumps(v)})")
            else:
                _diff(v, after[k], sub, _child_kind(kind, k), out)
        defaults = _DEFAULTS.get(kind, {})
        for k, v in after.items():
            if k not in before and not (k in defaults and defaults[k] == v):
                sub = f"{path}.{k}" if path else k
                note = f" (server default {json.dumps(defaults[k])})" if k in defaults else ""
                out.append(f"{sub}: added {json.dumps(v)}{note}")
        return
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after)):
            _diff(b, a, f"{path}[{i}]", kind, out)
        return
    if before != after or type(before) is not type(after):
        out.append(f"{path or '$'}: changed {json.dumps(before)} -> {json.dumps(after)}")


def sdk_roundtrip_loss(workflow_def: dict[str, Any]) -> list[str]:
    """Field paths that change when conductor-python 2.x parses and re-serialises
    ``workflow_def`` (``to_workflow_def`` → ``ObjectMapper().to_json`` → JSON), i.e. what a
    user of the SDK would silently lose (§D: failureWorkflowVersion, maskedFields,
    cacheConfig, task items/joinMode/metadata, …). Keys the SDK adds are reported only when
    they differ from the server default. Needs ``conductor-python`` installed."""
    from conductor.client.helpers.helper import ObjectMapper
    from conductor.client.http.models.workflow_def import to_workflow_def

    parsed = to_workflow_def(json_data=json.loads(json.dumps(workflow_def)))
    back = json.loads(json.dumps(ObjectMapper().to_json(parsed)))
    out: list[str] = []
    _diff(workflow_def, back, "", "workflow", out)
    return out
