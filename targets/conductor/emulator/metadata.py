"""Walking a WorkflowDef: the ``WorkflowDef`` / ``WorkflowTask`` helpers the decider needs
(``collectTasks``, ``WorkflowTask.next``/``has``, ``WorkflowDef.getNextTask``) and TaskDef
defaults, ported from conductor-oss ``common/…/metadata/workflow/*.java`` with the quirks kept
(docs/conductor.md, "The simulator").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .model import _TASKDEF_DEFAULTS


def _wt_type(wt: Mapping[str, Any]) -> str:
    t = wt.get("type")
    return "SIMPLE" if t is None else t


def _ref(item: Mapping[str, Any]) -> str:
    return (
        item.get("taskReferenceName")
        if "taskReferenceName" in item
        else item.get("referenceTaskName")
    )


def _children(wt: Mapping[str, Any]) -> list[list[dict]]:
    """``WorkflowTask.children``."""
    t = _wt_type(wt)
    if t in ("DECISION", "SWITCH"):
        return [*(wt.get("decisionCases") or {}).values(), wt.get("defaultCase") or []]
    if t == "FORK_JOIN":
        return list(wt.get("forkTasks") or [])
    if t == "DO_WHILE":
        return [wt.get("loopOver") or []]
    return []


def _collect_tasks(tasks: Iterable[dict]) -> list[dict]:
    """``WorkflowDef.collectTasks``: every WorkflowTask, nested ones included."""
    out: list[dict] = []
    for wt in tasks:
        out.append(wt)
        for branch in _children(wt):
            out.extend(_collect_tasks(branch))
    return out


def _subtree_refs(wt: Mapping[str, Any]) -> set[str]:
    """Every taskReferenceName in ``wt``'s subtree, itself included (``has`` for many refs)."""
    return {t.get("taskReferenceName") for t in _collect_tasks([wt])}


def _has(wt: Mapping[str, Any], ref: str) -> bool:
    """``WorkflowTask.has``."""
    if wt.get("taskReferenceName") == ref:
        return True
    if _wt_type(wt) in ("DECISION", "SWITCH", "DO_WHILE", "FORK_JOIN"):
        return any(_has(child, ref) for branch in _children(wt) for child in branch)
    return False


def _next_in(wt: dict, ref: str, parent: dict | None) -> dict | None:
    """``WorkflowTask.next``: the successor of ``ref`` inside ``wt``'s subtree, with its
    quirks kept (the end of a loop body answers the DO_WHILE itself; the end of a fork branch
    answers nothing new)."""
    t = _wt_type(wt)
    if t in ("DO_WHILE", "DECISION", "SWITCH"):
        for branch in _children(wt):
            after, _ = _after_in_branch(branch, ref, wt)
            if after is not None:
                return after
        if t == "DO_WHILE" and _has(wt, ref):
            return wt
        return None
    if t == "FORK_JOIN":
        for branch in _children(wt):
            after, found = _after_in_branch(branch, ref, wt)
            if after is not None:
                return after
            if found and parent is not None:
                return _next_in(parent, wt.get("taskReferenceName"), parent)
        return None
    return None


def _after_in_branch(branch: list[dict], ref: str, wt: dict) -> tuple[dict | None, bool]:
    """One branch's part of ``WorkflowTask.next``: the successor found inside a task of the
    branch, else the task after ``ref`` (or after the task holding it), if any; and whether
    ``ref`` itself is a task of this branch."""
    for i, task in enumerate(branch):
        after = branch[i + 1] if i + 1 < len(branch) else None
        if task.get("taskReferenceName") == ref:
            return after, True
        nxt = _next_in(task, ref, wt)
        if nxt is not None:
            return nxt, False
        if _has(task, ref):
            return after, False
    return None, False


def _get_task_by_ref(definition: Mapping[str, Any], ref: str) -> dict | None:
    for wt in _collect_tasks(definition.get("tasks") or []):
        if wt.get("taskReferenceName") == ref:
            return wt
    return None


def _get_next_task(definition: Mapping[str, Any], ref: str) -> dict | None:
    """``WorkflowDef.getNextTask``: the WorkflowTask to schedule after ``ref`` (docs/conductor.md
    "Scheduling (the decider)")."""
    wt = _get_task_by_ref(definition, ref)
    if wt is not None and _wt_type(wt) == "TERMINATE":
        return None
    tasks = definition.get("tasks") or []
    i = 0
    while i < len(tasks):
        task = tasks[i]
        i += 1
        if task.get("taskReferenceName") == ref:
            break
        nxt = _next_in(task, ref, None)
        if nxt is not None:
            return nxt
        if (
            _wt_type(task) == "DO_WHILE"
            and task.get("taskReferenceName") != ref
            and _has(task, ref)
        ):
            return None
        if _has(task, ref):
            break
    return tasks[i] if i < len(tasks) else None


def _td(task_def: Mapping[str, Any] | None, key: str) -> Any:
    """A TaskDef field with the Java default; JSON null on a primitive reads as 0."""
    default = _TASKDEF_DEFAULTS[key]
    value = task_def.get(key, default) if task_def else default
    if value is None:
        return 0 if isinstance(default, int) else default
    return value


def _short(wf: Mapping[str, Any]) -> str:
    """``WorkflowModel.toShortString``: ``name.version/id``."""
    definition = wf.get("workflowDefinition") or {}
    return f"{definition.get('name')}.{definition.get('version')}/{wf.get('workflowId')}"


def _is_agent(definition: Mapping[str, Any]) -> bool:
    """``WorkflowDef.isAgent``: metadata ``agent_sdk`` or ``agentDef`` present (docs/conductor.md
    "Forks and joins")."""
    meta = definition.get("metadata") or {}
    return meta.get("agent_sdk") is not None or meta.get("agentDef") is not None


def _agent_output(task: Mapping[str, Any]) -> dict:
    """``Join.prepareAgentOutput``: tool branches wrapped, state branches trimmed."""
    output = task["outputData"]
    tool = task["inputData"].get("_agent_tool_name")
    if tool is not None:
        return {"_agent_tool_name": tool, "_agent_tool_output": output}
    if any(k in output for k in ("_state_updates", "state")):
        return {k: output[k] for k in ("_state_updates", "state") if k in output}
    return output
