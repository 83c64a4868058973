"""Conductor's payload size thresholds, as a default server applies them, for the
simulator (docs/conductor.md, "Payload sizes").

conductor-oss ``ConductorProperties`` (core/config) sets, per payload kind, a threshold
above which the server moves the payload to external payload storage and a maximum above
which it rejects it; ``ExternalPayloadStorageUtils.verifyAndUpload`` measures the payload
as the JSON Jackson writes and, over the maximum, fails a task with
FAILED_WITH_TERMINAL_ERROR (its input or output emptied, the reason naming the size and the
limit) or a workflow with FAILED. ``ExecutionDAOFacade`` runs that check whenever it
saves a task, input and output alike. Defaults (KB = 1024 bytes):

=====================  =============  ==================
payload                externalized   rejected (maximum)
=====================  =============  ==================
task input / output    3072 KB        10240 KB
workflow input/output  5120 KB        10240 KB
=====================  =============  ==================

A real server with external storage (S3, Postgres…) keeps a payload between the two
thresholds elsewhere; the simulator keeps it inline and counts it in ``externalized``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

KB = 1024
TASK_INPUT = 3072 * KB
TASK_INPUT_MAX = 10240 * KB
TASK_OUTPUT = 3072 * KB
TASK_OUTPUT_MAX = 10240 * KB
WORKFLOW_INPUT = 5120 * KB
WORKFLOW_INPUT_MAX = 10240 * KB
WORKFLOW_OUTPUT = 5120 * KB
WORKFLOW_OUTPUT_MAX = 10240 * KB


def size(payload: Mapping[str, Any] | None) -> int:
    """The payload's size as the server measures it (its JSON bytes)."""
    return len(
        json.dumps(dict(payload or {}), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    )


def task_rejection(task: Mapping[str, Any], kind: str) -> str | None:
    """The server's reason for failing ``task`` whose ``kind`` ("input"/"output") payload
    is over the maximum, or None. The message is the server's own format."""
    payload = task.get("inputData" if kind == "input" else "outputData")
    n = size(payload)
    limit = TASK_INPUT_MAX if kind == "input" else TASK_OUTPUT_MAX
    if n <= limit:
        return None
    return (
        f"The payload size: {n} of task: {task.get('taskId')} in workflow: "
        f"{task.get('workflowInstanceId')}  is greater than the permissible limit: {limit} bytes"
    )


def externalized(task: Mapping[str, Any]) -> bool:
    """Would a server with external payload storage move part of this task out of line?"""
    return size(task.get("inputData")) > TASK_INPUT or size(task.get("outputData")) > TASK_OUTPUT
