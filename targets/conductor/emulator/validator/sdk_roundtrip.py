"""The conductor-python round trip: what a WorkflowDef loses when it is loaded into the SDK's
models and serialized again (:func:`sdk_roundtrip_loss`).
"""

from __future__ import annotations

import json
from typing import Any


# ----------------------------------------------------------------------------------------
# conductor-python round trip
# ----------------------------------------------------------------------------------------

_WF_DEFAULTS: dict[str, Any] = {
    "version": 1,
    "inputParameters": [],
    "outputParameters": {},
    "schemaVersion": 2,
    "restartable": True,
    "workflowStatusListenerEnabled": False,
    "timeoutPolicy": "ALERT_ONLY",
    "timeoutSeconds": 0,
    "variables": {},
    "inputTemplate": {},
    "enforceSchema": True,
    "metadata": {},
    "maskedFields": [],
}
_TASK_DEFAULTS: dict[str, Any] = {
    "type": "SIMPLE",
    "inputParameters": {},
    "decisionCases": {},
    "defaultCase": [],
    "forkTasks": [],
    "startDelay": 0,
    "joinOn": [],
    "optional": False,
    "defaultExclusiveJoinTask": [],
    "asyncComplete": False,
    "loopOver": [],
    "onStateChange": {},
    "permissive": False,
    "metadata": {},
}
_TASKDEF_DEFAULTS: dict[str, Any] = {
    "retryCount": 3,
    "timeoutSeconds": 0,
    "totalTimeoutSeconds": 0,
    "timeoutPolicy": "TIME_OUT_WF",
    "retryLogic": "FIXED",
    "retryDelaySeconds": 60,
    "responseTimeoutSeconds": 3600,
    "inputKeys": [],
    "outputKeys": [],
    "inputTemplate": {},
    "enforceSchema": False,
    "backoffScaleFactor": 1,
    "maxRetryDelaySeconds": 0,
    "backoffJitterMs": 0,
    "taskStatusListenerEnabled": True,
}
_DEFAULTS = {
    "workflow": _WF_DEFAULTS,
    "task": _TASK_DEFAULTS,
    "taskdef": _TASKDEF_DEFAULTS,
    "schema": {"version": 1},
    "other": {},
}


def _child_kind(kind: str, key: str) -> str:
    """What a nested value is, so SDK-added keys can be compared with the right defaults."""
    if kind in ("workflow", "task") and key in ("tasks", "loopOver", "defaultCase", "forkTasks"):
        return "task"
    if kind == "task" and key == "decisionCases":
        return "cases"
    if kind == "cases":
        return "task"
    return {
        "taskDefinition": "taskdef",
        "workflowDefinition": "workflow",
        "inputSchema": "schema",
        "outputSchema": "schema",
    }.get(key, "data")


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
    user of the SDK would silently lose (docs/conductor.md "The conductor-python SDK":
    failureWorkflowVersion, maskedFields,
    cacheConfig, task items/joinMode/metadata, …). Keys the SDK adds are reported only when
    they differ from the server default. Needs ``conductor-python`` installed."""
    from conductor.client.helpers.helper import ObjectMapper
    from conductor.client.http.models.workflow_def import to_workflow_def

    parsed = to_workflow_def(json_data=json.loads(json.dumps(workflow_def)))
    back = json.loads(json.dumps(ObjectMapper().to_json(parsed)))
    out: list[str] = []
    _diff(workflow_def, back, "", "workflow", out)
    return out
