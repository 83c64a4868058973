"""Offline validator for Conductor (conductor-oss) WorkflowDef / TaskDef JSON.

Conductor checks a definition only when it is registered, and a real server cannot run
here (docs/conductor.md "Why an emulator"). This module re-implements the registration checks of
docs/conductor.md "Registration rules" (rules B1–B30, each message names the rule id and the Java
file it comes
from) and the version differences of docs/conductor.md "Version differences", plus lints (``L…``)
for mistakes the server
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

Scope (docs/conductor.md "Registration rules"): the per-task rules B10–B29 apply to tasks Bean
Validation
reaches — top-level tasks, ``decisionCases``/``defaultCase`` values and ``forkTasks``
branches, recursively — but **not** ``loopOver``. Tasks under a DO_WHILE are checked with
the same rules under lint ids ``L-loop-B…``, because they fail at run time instead.

Rule ids: ``B1``…``B29`` and ``BV-…`` (server registration), ``TD1``…``TD11`` (TaskDef,
docs/conductor.md "TaskDef defaults"), ``A1`` (JSON that Jackson cannot bind: HTTP 500),
``J1``/``J2`` (not JSON / not a
definition), ``L1``…``L15`` and ``L-loop-…`` (agentc lints, source ``agentc lint``).

Layout: :mod:`.common` (profiles, violations, the document/task contexts and the ``@_rule``
decorator), one module per rule family — :mod:`.workflow_rules` (B1–B9, BV-*),
:mod:`.task_rules` (B10–B29, BV-*), :mod:`.lints` (L…), :mod:`.taskdef_rules` (TD…) — each
ending in its registry tuple, and this module, the runner that applies the registries
(``WORKFLOW_RULES``, ``TASK_SERVER_RULES``, ``TASK_LINTS``, ``TASKDEF_RULES``). To add a rule,
write it in its family's module and append it to that module's tuple.
:mod:`.sdk_roundtrip` checks what the conductor-python SDK's models lose.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from .common import (
    LINT,
    PROFILES,
    Profile,
    Violation,
    _Doc,
    _DocSet,
    _Task,
    _Wf,
    _collect_tasks,
    _join,
    render,
    _violation,
    _walk,
)
from .lints import TASK_LINTS
from .task_rules import TASK_SERVER_RULES
from .taskdef_rules import TASKDEF_RULES, _taskdef_owner_hits
from .workflow_rules import WORKFLOW_RULES
from .sdk_roundtrip import sdk_roundtrip_loss

__all__ = [
    "Violation",
    "render",
    "validate_documents",
    "validate_paths",
    "sdk_roundtrip_loss",
    "PROFILES",
    "Profile",
]


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
                yield Violation(
                    f"L-loop-{rule}",
                    f"{t.wf.doc.file}: {hit.loc}",
                    f"{hit.message} (server rule {rule} in {src} skips tasks under loopOver; "
                    "this fails at run time instead)",
                    LINT,
                )
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
            bad.append(
                Violation(
                    "J2",
                    f"{file}: {loc}" if loc else file,
                    f"expected a WorkflowDef or TaskDef object, got {type(data).__name__}",
                    LINT,
                )
            )

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
        raise ValueError(
            f"unknown server profile {server!r}; choose from {sorted(PROFILES)}"
        ) from None


def validate_documents(docs: list[tuple[str, Any]], *, server: str = "all") -> list[Violation]:
    """Validate parsed documents (file name, JSON value) against a server profile.

    All documents form one set: TaskDefs satisfy SIMPLE/HTTP lookups and workflows satisfy
    SUB_WORKFLOW lookups across files."""
    profile = _profile(server)
    parsed, violations = _split_documents(docs)
    taskdefs = {
        d.data["name"]: d.data
        for d in parsed
        if d.kind == "taskdef" and isinstance(d.data.get("name"), str)
    }
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
            violations.append(
                Violation("J1", f"{f}:{exc.lineno}:{exc.colno}", f"not valid JSON: {exc.msg}", LINT)
            )
    return violations + validate_documents(docs, server=server)
