"""Conductor's input resolution: ``${…}`` references in task inputs (docs/conductor.md "Input
resolution").

This is a port of ``core/…/core/utils/ParametersUtils.java`` (conductor-oss ``b54f0d4``):

* :func:`resolve` walks a template (maps, lists, strings) and replaces every ``${path}``.
* :func:`resolve_input` is ``getTaskInputV2``: the same, plus the ``TaskDef.inputTemplate``
  put-if-absent / null-fallback rules.
* :func:`build_document` is the map the paths are read from (``workflow`` + one entry per task
  reference name), built from a Workflow-execution JSON.
* :func:`java_string` is Java's ``Objects.toString``, which Conductor uses whenever a reference
  is only *part* of a string, and which SWITCH/DECISION use for the case key (docs/conductor.md
  "SWITCH").

Paths are read with :mod:`agentc.targets.conductor.emulator.jsonpath` (Jayway semantics with
SUPPRESS_EXCEPTIONS: anything missing is ``None``, an indefinite path gives a list).

Known difference: Java resolves into ``HashMap``s, so a *map* printed inside a string
(``"x ${a.output}"`` → ``{k=v, …}``) lists its keys in hash order there; here they keep their
insertion order.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import jsonpath

__all__ = [
    "SYSTEM_PARAMETERS",
    "build_document",
    "find_references",
    "java_string",
    "resolve",
    "resolve_input",
    "strip_iteration",
]

# : ``EnvUtils.SystemParameters``: names that are never read as JSON paths (docs/conductor.md "Input
# resolution" step 4).
SYSTEM_PARAMETERS = ("CPEWF_TASK_ID", "NETFLIX_ENV", "NETFLIX_STACK")

_SECRETS_PREFIX = "workflow.secrets."
_ENV_PREFIX = "workflow.env."
_ESCAPED = re.compile(r"\$\$\{")


# --------------------------------------------------------------------------------------
# Java string forms
# --------------------------------------------------------------------------------------


def java_string(value: Any) -> str:
    """``Objects.toString(value)`` for a JSON value: null → ``"null"``, booleans lower case,
    doubles as ``Double.toString`` (``1.0``, ``1.0E7``), maps as ``{k=v, k2=v2}`` and lists
    as ``[a, b]`` (``AbstractMap``/``AbstractCollection.toString``, not JSON)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{java_string(k)}={java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    return str(value)


def _java_double(d: float) -> str:
    """``Double.toString``: plain notation for 1e-3 ≤ |d| < 1e7, else ``d.dddE±n``; always
    at least one digit after the point. Digits are the shortest round-trip ones (JDK 19+)."""
    if math.isnan(d):
        return "NaN"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0:
        return "-0.0" if math.copysign(1.0, d) < 0 else "0.0"
    sign = "-" if d < 0 else ""
    a = abs(d)
    if 1e-3 <= a < 1e7:
        text = repr(a)
        if "e" in text or "E" in text:  # repr never does this in this range, but be safe
            text = format(Decimal(text), "f")
        if "." not in text:
            text += ".0"
        return sign + text
    _, digits, exponent = Decimal(repr(a)).normalize().as_tuple()
    mantissa = "".join(map(str, digits))
    sci_exp = len(digits) - 1 + int(exponent)
    return f"{sign}{mantissa[0]}.{mantissa[1:] or '0'}E{sci_exp}"


def strip_iteration(ref: str) -> str:
    """``TaskUtils.removeIterationFromTaskRefName``: the text before the first ``__``
    (Java ``split("__")[0]``, which also drops trailing empty pieces)."""
    parts = ref.split("__")
    while parts and parts[-1] == "":
        parts.pop()
    return parts[0] if parts else ref


# --------------------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------------------


def build_document(execution: Mapping[str, Any]) -> dict[str, Any]:
    """The map ``${…}`` paths are evaluated against (docs/conductor.md "Input resolution"
    "Document"), from a
    Workflow-execution JSON (``workflowId``, ``input``, ``tasks`` …).

    ``workflow`` holds the workflow's fields. Each task adds an entry under its reference
    name — for loop tasks (``iteration > 0``) with the ``__N`` suffix removed — describing
    the *latest* attempt of that exact ref (``WorkflowModel.getTaskByRefName``); tasks are
    visited in scheduling order, so the most recent iteration wins. Values are the live
    objects (not copies): callers must copy what they keep (:func:`resolve` does)."""
    definition = execution.get("workflowDefinition") or {}
    document: dict[str, Any] = {
        "workflow": {
            "input": execution.get("input"),
            "output": execution.get("output"),
            "status": execution.get("status"),
            "workflowId": execution.get("workflowId"),
            "parentWorkflowId": execution.get("parentWorkflowId"),
            "parentWorkflowTaskId": execution.get("parentWorkflowTaskId"),
            "workflowType": execution.get("workflowName"),
            "version": execution.get("workflowVersion"),
            "correlationId": execution.get("correlationId"),
            "reasonForIncompletion": execution.get("reasonForIncompletion"),
            "schemaVersion": definition.get("schemaVersion", 2),
            "variables": execution.get("variables"),
        }
    }
    tasks = execution.get("tasks") or []
    latest: dict[str, Mapping[str, Any]] = {}
    for task in tasks:
        latest[task["referenceTaskName"]] = task
    winners: dict[str, Mapping[str, Any]] = {}
    for task in tasks:
        found = latest[task["referenceTaskName"]]
        key = found["referenceTaskName"]
        if (found.get("iteration") or 0) > 0:
            key = strip_iteration(key)
        winners[key] = found
    for key, found in winners.items():
        document[key] = {
            "input": found.get("inputData"),
            "output": found.get("outputData"),
            "taskType": found.get("taskType"),
            "status": found.get("status"),
            "referenceTaskName": found.get("referenceTaskName"),
            "retryCount": found.get("retryCount", 0),
            "correlationId": found.get("correlationId"),
            "pollCount": found.get("pollCount", 0),
            "taskDefName": found.get("taskDefName"),
            "scheduledTime": found.get("scheduledTime", 0),
            "startTime": found.get("startTime", 0),
            "endTime": found.get("endTime", 0),
            "workflowInstanceId": found.get("workflowInstanceId"),
            "taskId": found.get("taskId"),
            "reasonForIncompletion": found.get("reasonForIncompletion"),
            "callbackAfterSeconds": found.get("callbackAfterSeconds", 0),
            "workerId": found.get("workerId"),
            "iteration": found.get("iteration", 0),
        }
    return document


# --------------------------------------------------------------------------------------
# Resolution
# --------------------------------------------------------------------------------------


def find_references(text: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the top-level ``${…}`` references in ``text``.

    Equivalent to ParametersUtils' PATTERN: a ``${`` not preceded by ``$`` opens a
    reference, which ends at the brace-*balanced* ``}``; nested ``${…}`` stay inside the
    outer span. An unclosed ``${`` is not a reference (scanning resumes after it)."""
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(text)
    while True:
        start = text.find("${", i)
        if start < 0:
            return spans
        if start > 0 and text[start - 1] == "$":
            i = start + 1
            continue
        depth = 0
        end = -1
        for k in range(start + 1, n):
            ch = text[k]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    end = k + 1
                    break
        if end < 0:
            i = start + 1
            continue
        spans.append((start, end))
        i = end


def resolve(
    template: Any,
    document: Mapping[str, Any],
    *,
    task_id: str | None = None,
    env: Mapping[str, Any] | None = None,
) -> Any:
    """Resolve every ``${…}`` in ``template`` against ``document`` (docs/conductor.md "Input
    resolution"). Returns a new
    value; the template and the document are not modified.

    Maps and lists are walked (keys are never resolved), other scalars are copied. In a
    string, nested references are resolved first and spliced into the outer path. A string
    that is exactly one reference gets the referenced value with its JSON type; otherwise
    each reference is replaced by :func:`java_string` of its value. Finally ``$${`` becomes
    ``${``. ``workflow.secrets.*`` is left as written (a SecretsDAO fills it in at hand-off).
    ``workflow.env.NAME[.json.path]`` is looked up in ``env`` (the server's EnvironmentDAO,
    which a default server has: ``CONDUCTOR_ENV_*`` variables); a missing name gives null,
    and so does ``env=None`` (the path is then read from the document, which has no
    ``env``). ``CPEWF_TASK_ID`` becomes ``task_id``, and is left as written when there is
    none (mappers that resolve without a task id)."""
    if isinstance(template, str):
        return _resolve_string(template, document, task_id, env, 0)
    if isinstance(template, Mapping):
        return {k: resolve(v, document, task_id=task_id, env=env) for k, v in template.items()}
    if isinstance(template, (list, tuple)):
        return [resolve(v, document, task_id=task_id, env=env) for v in template]
    return copy.deepcopy(template)


def resolve_input(
    parameters: Mapping[str, Any] | None,
    document: Mapping[str, Any],
    *,
    task_id: str | None = None,
    task_def: Mapping[str, Any] | None = None,
    env: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``ParametersUtils.getTaskInputV2``: a task's resolved input map.

    With a TaskDef, the keys of its ``inputTemplate`` are added first when missing
    (put-if-absent), and after resolution any key whose value came out null is replaced by
    the *raw* inputTemplate value for that key (docs/conductor.md "Input resolution"). Mappers that
    pass no TaskDef (WAIT,
    HUMAN, TERMINATE, SET_VARIABLE, SWITCH, FORK, SUB_WORKFLOW) call this with ``task_def=None``."""
    params: dict[str, Any] = dict(copy.deepcopy(dict(parameters or {})))
    template = task_def.get("inputTemplate") if task_def else None
    if template:
        for key, value in copy.deepcopy(dict(template)).items():
            params.setdefault(key, value)
    resolved = resolve(params, document, task_id=task_id, env=env)
    if template:
        for key, value in resolved.items():
            if value is None:
                resolved[key] = copy.deepcopy(template.get(key))
    return resolved


def _resolve_string(
    text: str,
    document: Mapping[str, Any],
    task_id: str | None,
    env: Mapping[str, Any] | None,
    depth: int,
) -> Any:
    """``replaceVariables``: returns the raw value for a whole-string reference at depth 0,
    otherwise a string."""
    replacements: list[tuple[int, int, Any]] = []
    for start, end in find_references(text):
        match = text[start:end]
        path = java_string(_resolve_string(match[2:-1], document, task_id, env, depth + 1))
        if path.strip() == "":
            replacements.append((start, end, ""))
        elif path.startswith(_SECRETS_PREFIX):
            replacements.append((start, end, match))
        elif env is not None and path.startswith(_ENV_PREFIX):
            replacements.append((start, end, _env_value(env, path[len(_ENV_PREFIX) :])))
        elif path in SYSTEM_PARAMETERS:
            # only CPEWF_TASK_ID has a value here; a null value leaves the reference as is
            if path == "CPEWF_TASK_ID" and task_id is not None:
                replacements.append((start, end, task_id))
        else:
            replacements.append((start, end, jsonpath.read(document, path)))
    if (
        depth == 0
        and len(replacements) == 1
        and replacements[0][0] == 0
        and replacements[0][1] == len(text)
    ):
        return copy.deepcopy(replacements[0][2])
    out = text
    for start, end, value in reversed(replacements):
        out = out[:start] + java_string(value) + out[end:]
    return _ESCAPED.sub("${", out)


def _env_value(env: Mapping[str, Any], ref: str) -> Any:
    """``resolveWithOptionalJsonPath``: ``NAME`` or ``NAME.json.path`` into a JSON-text value."""
    name, dot, path = ref.partition(".")
    value = env.get(name)
    if not dot or value is None:
        return value
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None
    return jsonpath.read(parsed, path)
