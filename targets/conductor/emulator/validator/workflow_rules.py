"""Workflow-level registration rules (B1–B9, BV-*) and workflow-level lints; the registry is
``WORKFLOW_RULES`` (applied once per WorkflowDef by the runner in :mod:`..validator`).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..jsonpath import compile_error
from .common import (
    _INT,
    ENV_NAMES,
    LINT,
    Profile,
    S_MAPPER,
    S_NAME,
    S_OWNER,
    S_PARAM,
    S_SEMI,
    S_UNIQUE,
    S_WFDEF,
    _ABSENT,
    _Hit,
    _Rule,
    _WF_FIELDS,
    _Wf,
    _b9_paths,
    _binds,
    _collect_tasks,
    _join,
    _list,
    _rule,
    _runtime_head,
    _runtime_paths,
    _shape_hits,
    _strings,
    _tname,
)


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
        yield _Hit(
            _join(w.doc.loc, ".tasks"),
            '"tasks": null makes TaskReferenceNameUniqueConstraint '
            "throw a NullPointerException (HTTP 500); WorkflowTask list cannot be empty",
        )
    elif isinstance(tasks, list) and not tasks:
        yield _Hit(_join(w.doc.loc, ".tasks"), "WorkflowTask list cannot be empty")


@_rule("B3", S_WFDEF)
def wf_schema_version(w: _Wf) -> Iterator[_Hit]:
    sv = w.wf.get("schemaVersion", 2)
    sv = 0 if sv is None else sv
    if isinstance(sv, (int, float, str)) and _binds(sv, _INT) and int(float(sv)) != 2:
        yield _Hit(
            _join(w.doc.loc, ".schemaVersion"),
            f"workflowDef schemaVersion: 2 is only supported (got {w.wf.get('schemaVersion')!r})",
        )


_VALID_NAME = re.compile(r"^[A-Za-z0-9_<>{}#\s-]+$")


@_rule("B4", S_NAME)
def wf_name_charset(w: _Wf) -> Iterator[_Hit]:
    name = w.wf.get("name")
    if w.profile.name_charset and isinstance(name, str) and name and not _VALID_NAME.match(name):
        yield _Hit(
            _join(w.doc.loc, ".name"),
            f"Invalid name '{name}'. Allowed characters are alphanumeric, underscores, spaces, "
            "hyphens, and special characters like <, >, {, }, # "
            "(only with conductor.app.workflow.name-validation.enabled=true)",
        )


def _owner_email_hits(obj: dict[str, Any], loc: str, profile: Profile) -> Iterator[_Hit]:
    email = obj.get("ownerEmail")
    if profile.owner_email_required and (email is None or email == ""):
        yield _Hit(
            _join(loc, ".ownerEmail"),
            "ownerEmail cannot be empty (conductor.app.ownerEmailMandatory=true: the "
            "ConductorProperties default, and the shipped config before v3.21.24/v3.22)",
        )


_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)


def _email_format_hits(obj: dict[str, Any], loc: str, profile: Profile) -> Iterator[_Hit]:
    email = obj.get("ownerEmail")
    if profile.owner_email_format and isinstance(email, str) and email and not _EMAIL.match(email):
        yield _Hit(
            _join(loc, ".ownerEmail"),
            f"ownerEmail should be valid email address (got {email!r}; @Email before v3.21.0)",
        )


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
        yield _Hit(
            _join(w.doc.loc, ".name"),
            "Workflow name cannot contain the following set of characters: ':' (before v3.21.11)",
        )


@_rule("B6", S_WFDEF)
def wf_timeout(w: _Wf) -> Iterator[_Hit]:
    policy = w.wf.get("timeoutPolicy")
    if policy is not None and policy not in ("TIME_OUT_WF", "ALERT_ONLY"):
        yield _Hit(
            _join(w.doc.loc, ".timeoutPolicy"),
            f"timeoutPolicy {policy!r} is not TIME_OUT_WF or ALERT_ONLY: the body cannot be "
            "parsed (HTTP 500)",
        )


@_rule("B8", S_UNIQUE)
def wf_unique_refs(w: _Wf) -> Iterator[_Hit]:
    seen: set[Any] = set()
    for loc, t in _collect_tasks(w.wf.get("tasks")):
        ref = t.get("taskReferenceName")
        if not isinstance(ref, (str, type(None))):
            continue
        if ref in seen:
            yield _Hit(
                _join(w.doc.loc, "." + loc + ".taskReferenceName"),
                f"taskReferenceName: {ref} should be unique across tasks for a given "
                f"workflowDefinition: {w.wf.get('name')}",
            )
        seen.add(ref)


def _b9_path_hits(
    w: _Wf, task: dict[str, Any], key: str, value: str, path: str, loc: str
) -> Iterator[_Hit]:
    prof = w.profile
    if prof.path_whitespace and re.search(r"\s", path):
        yield _Hit(
            loc,
            f"key: {key} input parameter value: {value} is not valid: the ${{…}} path "
            "contains whitespace (rejected before v3.21.19)",
            rule="BV-whitespace",
        )
    if prof.path_jsonpath and compile_error(path) is not None:
        yield _Hit(
            loc,
            f"key: {key} input parameter value: {path} is not valid "
            f"(Jayway JsonPath: {compile_error(path)})",
        )
        return
    if path in ENV_NAMES:
        return
    parts = path.split(".")
    head = parts[0] if parts else ""
    if head == "workflow":
        return
    if w.null_ref:
        yield _Hit(
            loc,
            f"reference {path!r} needs a task lookup, and a task with a null "
            "taskReferenceName makes that lookup throw (HTTP 500)",
        )
        return
    if head not in w.refs:
        yield _Hit(
            loc,
            f"taskReferenceName: {head} for given task: {_tname(task)} input value: "
            f"{key} of input parameter: {value} is not defined in workflow definition.",
        )


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
    for _key, value, sloc in _strings(template, "", loc):
        for path in _runtime_paths(value):
            if "${" not in path and compile_error(path) is not None:
                yield _Hit(
                    sloc,
                    f"{where}: ${{{path}}} is not a valid JsonPath "
                    f"({compile_error(path)}); it resolves to null at run time",
                    rule="L2",
                )
                continue
            head = _runtime_head(path)
            if head is None or head == "workflow" or path in ENV_NAMES:
                continue
            if head not in w.refs:
                yield _Hit(
                    sloc,
                    f"{where}: ${{{path}}} refers to task reference {head!r}, which "
                    "no task in the definition has; it resolves to null",
                    rule="L1",
                )


@_rule("L1", LINT)
def wf_output_references(w: _Wf) -> Iterator[_Hit]:
    """outputParameters are never checked by the server (B7) but resolve at the end."""
    yield from _ref_lint_hits(
        w, w.wf.get("outputParameters"), _join(w.doc.loc, ".outputParameters"), "outputParameters"
    )


@_rule("L15", LINT)
def wf_failure_workflow(w: _Wf) -> Iterator[_Hit]:
    fw = w.wf.get("failureWorkflow")
    if isinstance(fw, str) and fw.startswith("$"):
        yield _Hit(
            _join(w.doc.loc, ".failureWorkflow"),
            f"failureWorkflow {fw!r}: the server splits it on '.' and uses the 3rd piece "
            "verbatim as a workflow-input key (so '${workflow.input.X}' looks up 'X}'); "
            "use a literal workflow name",
        )


WORKFLOW_RULES: tuple[_Rule, ...] = (
    wf_shape,
    wf_name,
    wf_tasks,
    wf_schema_version,
    wf_name_charset,
    wf_owner_email,
    wf_owner_email_format,
    wf_no_colon,
    wf_timeout,
    wf_unique_refs,
    wf_input_references,
    wf_output_references,
    wf_failure_workflow,
)
