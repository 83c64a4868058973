"""IR → Conductor WorkflowDefs and TaskDefs.

Each graph level (the root graph, every subgraph) becomes one WorkflowDef laid out from
its Plan (``agentc.plan``): a ``Run`` of one node is that node's SIMPLE task; a superstep
of several nodes is FORK_JOIN + JOIN + a ``barrier`` task that merges their writes with
the user's reducers (or, when a single plain node follows, that node merges them);
``Send`` targets are FORK_JOIN_DYNAMIC + JOIN; ``Route`` is a SWITCH
(value-param on the step's ``next`` when one task decides, a templated JavaScript pick
otherwise); ``Loop`` is DO_WHILE; ``Dispatch`` is DO_WHILE around a SWITCH; subgraphs are
SUB_WORKFLOW; ``interrupt()`` is a HUMAN task between attempts of the node; breakpoints are
HUMAN tasks. A final ``end`` task reads the final state.

State never passes through JavaScript: every worker task receives the outputs of the
steps that may have run just before it (``prev``), takes the latest (highest step) and
carries the Pregel frame on (``runtime_shims/steps.py``). Only our own
reference names — slugs checked against ``[A-Za-z0-9_]`` — ever appear in ``${...}``
expressions or scripts; user data travels as task output, which Conductor never
evaluates.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from agentc import ir as IR
from agentc.ir import SubgraphNode, Workflow
from agentc.plan.layout import SAFE, Layout, Level, Refs, layout
from agentc.plan.schedule import END_ID
from agentc.plan.structure import Dispatch, Item, Loop, Route, Run
from agentc.runtime_shims import graph_fork, node_timeouts

from agentc.runtime_shims import step_audit

from .fanout import stamp_branches

OWNER = "agentc@example.com"
TIMEOUT_S = 3600
"""Default TaskDef timeoutSeconds/responseTimeoutSeconds (explicit: docs/conductor.md "TaskDef
defaults" defaults differ)."""
INFRA_RETRIES = 2
"""Retries for a task whose worker died (TIMED_OUT); user exceptions follow RetryPolicy."""
KEEP_LAST = 2
"""Iterations a DO_WHILE keeps (``keepLastN``): a step reads the outputs of the steps that
may have run just before it — this iteration's or the previous one's — so older ones only
grew the loop task's output with the run's length (issue 11)."""
PROTOCOL_KEYS = (
    "agentc",
    "status",
    "step",
    "next",
    "frame",
    "sends",
    "task",
    "writes",
    "update",
    "interrupts",
    "parent_command",
    "error",
    "audit",
    "node",
)


def _safe(ref: str) -> str:
    """Refuse anything but our own reference names where Conductor evaluates text (a
    check, not an ``assert``: it must hold under ``python -O`` too)."""
    if not SAFE.match(ref) or "__" in ref:
        from agentc.errors import AgentcError, Code

        raise AgentcError(
            Code.INVALID_IR,
            f"unsafe reference name {ref!r} reached an expression",
            hint="this is an agentc bug; please report it",
        )
    return ref


def out(ref: str, path: str = "") -> str:
    """A ``${ref.output...}`` expression over one of our own refs (never user text)."""
    _safe(ref)
    return "${" + ref + ".output" + (("." + path) if path else "") + "}"


def pick_js(refs: list[str], base: str, result: str) -> str:
    """The one JavaScript template: choose, among step outputs, the latest that finished
    (highest ``step`` with a ``next``), then compute ``result`` from it (``b``)."""
    for r in refs:
        _safe(r)
    access = ",".join(f"{base}[{json.dumps(r)}]" for r in refs)
    return (
        "(function(){var c=[" + access + "];var b=null;for(var i=0;i<c.length;i++){var o=c[i];"
        "if(o&&o.next!=null&&o.step!=null&&(b===null||o.step>b.step)){b=o;}}" + result + "})()"
    )


def task_def(
    name: str,
    description: str,
    node: IR.Node | None = None,
    output_keys: tuple[str, ...] = PROTOCOL_KEYS,
    timeout_s: int | None = None,
) -> dict[str, Any]:
    """A TaskDef: retries from the node's RetryPolicy (at least ``INFRA_RETRIES``, for
    dead workers), explicit timeouts (``TIMEOUT_S``, or ``timeout_s``: a node's or a tool's limit
    plus a grace, docs/policies.md "Timeouts" and "Node timeouts")."""
    retry, logic, delay, scale = INFRA_RETRIES, "FIXED", 1, 1
    timeout = TIMEOUT_S
    if node is not None and node.retry:
        p = max(node.retry, key=lambda r: r.max_attempts)
        retry = max(p.max_attempts - 1, INFRA_RETRIES)
        delay = max(1, math.ceil(p.initial_interval))
        if p.backoff_factor == 2:
            logic = "EXPONENTIAL_BACKOFF"
        elif p.backoff_factor > 1:
            logic, scale = "LINEAR_BACKOFF", max(1, round(p.backoff_factor))
    if timeout_s:
        timeout = timeout_s
    return {
        "name": name,
        "description": description,
        "ownerEmail": OWNER,
        "retryCount": retry,
        "retryLogic": logic,
        "retryDelaySeconds": delay,
        "backoffScaleFactor": scale,
        "timeoutSeconds": timeout,
        "responseTimeoutSeconds": timeout,
        "timeoutPolicy": "TIME_OUT_WF",
        "inputKeys": [],
        "outputKeys": list(output_keys),
    }


def workflow_def(
    name: str,
    description: str,
    plan: str,
    inputs: list[str],
    output: dict[str, Any],
    tasks: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": OWNER,
        "inputParameters": inputs,
        "outputParameters": output,
        "tasks": tasks,
        "restartable": True,
        "timeoutPolicy": "ALERT_ONLY",
        "timeoutSeconds": 0,
        "workflowStatusListenerEnabled": False,
        "enforceSchema": False,
        "metadata": {"agentc_plan": plan},
    }


def switch_value(
    ref: str, expr_input: str, cases: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    return {
        "name": ref,
        "taskReferenceName": ref,
        "type": "SWITCH",
        "evaluatorType": "value-param",
        "expression": "switchCaseValue",
        "inputParameters": {"switchCaseValue": expr_input},
        "decisionCases": cases,
        "defaultCase": [],
    }


def human(ref: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "HUMAN", "inputParameters": inputs}


def dynamic_fork(ref: str, join: str, tasks: str, inputs: str) -> list[dict[str, Any]]:
    """FORK_JOIN_DYNAMIC over ``tasks``/``inputs`` expressions, and its JOIN."""
    return [
        {
            "name": ref,
            "taskReferenceName": ref,
            "type": "FORK_JOIN_DYNAMIC",
            "dynamicForkTasksParam": "tasks",
            "dynamicForkTasksInputParamName": "inputs",
            "inputParameters": {"tasks": tasks, "inputs": inputs},
        },
        {"name": join, "taskReferenceName": join, "type": "JOIN", "joinOn": []},
    ]


@dataclass
class Lowered:
    layout: Layout
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Workflow name → WorkflowDef, children before their parents."""
    task_defs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def plan_id(self) -> str:
        return self.layout.plan_id


def lower_workflow(wf: Workflow) -> Lowered:
    res = Lowered(layout(wf))
    for path in sorted(res.layout.levels, key=len, reverse=True):  # children first
        _LevelLowerer(wf, res, res.layout.levels[path]).lower()
    from .saga import add_failure_workflow

    add_failure_workflow(wf, res)  # compensable nodes: a failureWorkflow (docs/effects.md)
    return res


class _LevelLowerer:
    def __init__(self, wf: Workflow, res: Lowered, level: Level) -> None:
        self.wf, self.res, self.level = wf, res, level
        self.path, self.name, self.graph = level.path, level.workflow, level.graph
        self.refs = Refs()
        self.nodes, self.blocks, self.preds = level.nodes, level.blocks, level.preds
        self.finals: dict[int, list[str]] = {}
        self.fixups: list[Callable[[], None]] = []
        self.folds: dict[int, tuple[int, dict[str, str]]] = {}
        looped = {m for it in level.structured.items if isinstance(it, Loop) for m in it.members}
        self.can_fold = not level.path and level.structured.mode == "structured"
        self.looped = looped

    def _task_def(self, name: str, node: IR.Node | None) -> None:
        self.res.task_defs[name] = task_def(
            name,
            "agentc worker task" if node is None else f"agentc node {node.name!r}",
            node,
            # a node timeout: the worker bounds each attempt; this catches one that cannot report
            timeout_s=node_timeouts.engine_timeout(self.wf, node.name, node, not self.path)
            if node is not None
            else None,
        )

    # ------------------------------------------------------------ task builders
    def _base_input(self) -> dict[str, Any]:
        d: dict[str, Any] = {"plan": self.res.plan_id}
        if self.wf.graph.context_schema is not None:
            d["context"] = "${workflow.input.context}"
        # a fork's record, when the run is a fork (runtime_shims/graph_fork.py): a subgraph's
        # child gets one of its own when it holds the fork point (targets/conductor/fork.py)
        d["fork"] = "${workflow.input.fork}"
        if not self.path and _loops(self.level.structured.items):  # DO_WHILE trims: keep the
            d[step_audit.ENABLE] = 1  # audit log (runtime_shims/step_audit.py)
        return d

    def _prev_for(self, block: int) -> dict[str, str]:
        prev: dict[str, str] = {}
        for p in sorted(self.preds[block]):
            if p == 0 and not self.finals.get(0):
                prev["_input"] = "${workflow.input.input}" if not self.path else "${workflow.input}"
            for r in self.finals.get(p, []):
                prev[r] = out(r)
        return prev

    def _simple(
        self, ref: str, type_name: str, block: int | None, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        task = {
            "name": type_name,
            "taskReferenceName": ref,
            "type": "SIMPLE",
            "inputParameters": {**self._base_input(), "self": ref, **(extra or {})},
        }
        if block is not None:
            self.fixups.append(
                lambda: task["inputParameters"].__setitem__("prev", self._prev_for(block))
            )
        return task

    # ------------------------------------------------------------ plan items
    def lower(self) -> None:
        tasks = self._items(self.level.structured.items)
        end_ref = self.refs.take("end")
        end = self._simple(
            end_ref,
            self.level.special_types["end"],
            END_ID,
            {"parent": "${workflow.input}"} if self.path else None,
        )
        tasks.append(end)
        for f in self.fixups:
            f()
        tasks = _prune(tasks)
        for n, t in self.level.node_types.items():
            self._task_def(t, self.nodes[n])
        for _kind, t in self.level.special_types.items():
            self._task_def(t, None)
        if self.path:
            # and whether its graph ended with Command(graph=PARENT) (graph_fork.BY_COMMAND)
            output = {k: out(end_ref, k) for k in (*PROTOCOL_KEYS, graph_fork.BY_COMMAND)}
            inputs = ["parent", "context", "fork"]
        else:
            output = {"state": out(end_ref, "state")}
            inputs = ["input", "context", "fork"]
        self.res.workflows[self.name] = workflow_def(
            self.name,
            f"agentc: LangGraph graph {' > '.join((self.wf.name, *self.path))!r} from "
            f"{self.wf.entry}",
            self.res.plan_id,
            inputs,
            output,
            tasks,
        )

    def _items(self, items: tuple[Item, ...]) -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = []
        last: list[str] = []
        for item in items:
            kind = type(item).__name__
            new, last = getattr(self, "_" + kind.lower())(item, last)
            tasks.extend(new)
        return tasks

    def _run(self, item: Run, last: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
        b = self.blocks[item.block]
        if item.block == 0:
            if len(b.succ) == 1:
                return [], []
            ref = self.refs.take("start")
            task = {
                "name": self.level.special_types["start"],
                "taskReferenceName": ref,
                "type": "SIMPLE",
                "inputParameters": {
                    **self._base_input(),
                    "self": ref,
                    "prev": {
                        "_input": "${workflow.input.input}"
                        if not self.path
                        else "${workflow.input}"
                    },
                },
            }
            self.finals.setdefault(0, []).append(ref)
            return [task], [ref]
        tasks: list[dict[str, Any]] = []
        if {*b.pull, *b.push} & set(self.graph.interrupt_before):  # Send targets too, as LangGraph
            tasks.append(
                human(
                    self.refs.take(f"pause_before_b{b.id}"), {"breakpoint": "before", "block": b.id}
                )
            )
        if b.single:
            chain, finals = self._node(b.pull[0], b.id, fold=self.folds.pop(b.id, None))
            tasks.extend(chain)
        else:
            branches: list[list[dict[str, Any]]] = []
            parts: dict[str, str] = {}
            for n in b.pull:
                chain, finals_n = self._node(n, b.id)
                if (
                    len(finals_n) > 1
                ):  # a JOIN needs a task that always runs last (docs/conductor.md, Forks and joins)
                    done = self.refs.take(f"done_{n}")
                    chain.append(
                        {
                            "name": done,
                            "taskReferenceName": done,
                            "type": "INLINE",
                            "inputParameters": {
                                "evaluatorType": "javascript",
                                "expression": "(function(){return true;})()",
                            },
                        }
                    )
                branches.append(chain)
                parts.update({r: out(r) for r in finals_n})
            for t in b.push:
                chain, join_ref = self._send(t, b.id)
                branches.append(chain)
                parts[join_ref] = out(join_ref)
            if len(branches) == 1:
                tasks.extend(branches[0])
            else:
                stamp_branches(
                    self.wf, self.level, b, branches
                )  # a fan-out policy: targets/conductor/fanout.py
                fork = self.refs.take(f"fork_b{b.id}")
                join = self.refs.take(f"join_b{b.id}")
                tasks.append(
                    {
                        "name": fork,
                        "taskReferenceName": fork,
                        "type": "FORK_JOIN",
                        "forkTasks": branches,
                    }
                )
                tasks.append(
                    {
                        "name": join,
                        "taskReferenceName": join,
                        "type": "JOIN",
                        "joinOn": [br[-1]["taskReferenceName"] for br in branches],
                    }
                )
            into = self._fold_target(b)
            if into is not None:  # the next node merges this step itself: no barrier task
                self.folds[into] = (b.id, parts)
                finals = []
            else:
                merge = self.refs.take(f"merge_b{b.id}")
                tasks.append(
                    self._simple(
                        merge,
                        self.level.special_types["barrier"],
                        b.id,
                        {"block": b.id, "parts": parts},
                    )
                )
                finals = [merge]
        # after the run's last step LangGraph's run is finished: no pause (nothing to resume)
        if set(b.pull) & set(self.graph.interrupt_after) and any(s != END_ID for s in b.succ):
            tasks.append(
                human(
                    self.refs.take(f"pause_after_b{b.id}"), {"breakpoint": "after", "block": b.id}
                )
            )
        self.finals.setdefault(b.id, []).extend(finals)
        return tasks, finals

    def _fold_target(self, b: Any) -> int | None:
        """The block that can merge ``b``'s parallel step itself (saving the barrier task):
        ``b``'s only successor, reached from nowhere else, one plain node without
        interrupts or breakpoints, outside loops (a loop's exit test reads barrier outputs)."""
        if not self.can_fold or len(b.succ) != 1 or b.id in self.looped:
            return None
        nxt = b.succ[0]
        if nxt == END_ID or self.preds[nxt] != {b.id} or nxt in self.looped:
            return None
        blk = self.blocks[nxt]
        if not blk.single or set(b.pull) & set(self.graph.interrupt_after):
            return None
        node = self.nodes[blk.pull[0]]
        if (
            isinstance(node, SubgraphNode)
            or node.interrupts
            or node.name in self.graph.interrupt_before
        ):
            return None
        return nxt

    def _node(
        self, name: str, block: int, fold: tuple[int, dict[str, str]] | None = None
    ) -> tuple[list[dict[str, Any]], list[str]]:
        node = self.nodes[name]
        if isinstance(node, SubgraphNode):
            ref = self.refs.take(name)
            child = self.level.children[name]
            task = {
                "name": child,
                "taskReferenceName": ref,
                "type": "SUB_WORKFLOW",
                "subWorkflowParam": {"name": child, "version": 1},
                "inputParameters": {**self._base_input(), "self": ref},
            }
            self.fixups.append(
                lambda: task["inputParameters"].__setitem__("prev", self._prev_for(block))
            )
            return [task], [ref]
        type_name = self.level.node_types[name]
        attempts = len(node.interrupts)
        refs = [self.refs.take(name if i == 0 else f"{name}_r{i}") for i in range(attempts + 1)]
        humans = [self.refs.take(f"human_{name}_{i + 1}") for i in range(attempts)]
        answers = [out(h) for h in humans]
        from .external_tasks import node_pauses

        external = node_pauses(self, name, type_name)  # docs/policies.md "External completion"

        def chain(i: int) -> list[dict[str, Any]]:
            extra: dict[str, Any] = {"interrupt_slots": attempts} if attempts else {}
            if i:  # the answers so far, and what the paused attempt left (nested_graphs)
                extra["resume"] = answers[:i]
                extra["carry"] = out(refs[i - 1], "carry")
            if fold is not None:  # merge the previous parallel step first (see _fold_target)
                extra.update({"fold": fold[0], "parts": fold[1]})
            tasks = [self._simple(refs[i], type_name, block if fold is None else fold[0], extra)]
            if i < attempts:
                route = self.refs.take(f"interrupted_{name}_{i + 1}")
                pause = [human(humans[i], {"interrupts": out(refs[i], "interrupts")})]
                if external is not None:
                    pause, answers[i] = external(i, refs[i], humans[i])
                tasks.append(
                    switch_value(
                        route, out(refs[i], "status"), {"interrupted": [*pause, *chain(i + 1)]}
                    )
                )
            return tasks

        return chain(0), refs

    def _send(self, target: str, block: int) -> tuple[list[dict[str, Any]], str]:
        key = self.level.send_keys[target]
        dyn = self.refs.take(f"send_{target}_b{block}")
        join = self.refs.take(f"sendjoin_{target}_b{block}")
        fork, join_task = dynamic_fork(dyn, join, "", "")
        pick_ref = self.refs.take(f"pick_{target}_b{block}")
        pick = {
            "name": pick_ref,
            "taskReferenceName": pick_ref,
            "type": "INLINE",
            "inputParameters": {},
        }

        def fix() -> None:
            cands = [r for p in sorted(self.preds[block]) for r in self.finals.get(p, [])]
            if len(cands) == 1:
                fork["inputParameters"] = {
                    "tasks": out(cands[0], f"sends.{key}.tasks"),
                    "inputs": out(cands[0], f"sends.{key}.inputs"),
                }
                pick["_drop"] = True
            else:
                pick["inputParameters"] = {
                    "evaluatorType": "javascript",
                    "c": {r: out(r) for r in cands},
                    "expression": pick_js(
                        cands, "$.c", f"return b===null?null:b.sends[{json.dumps(key)}];"
                    ),
                }
                fork["inputParameters"] = {
                    "tasks": out(pick_ref, "result.tasks"),
                    "inputs": out(pick_ref, "result.inputs"),
                }

        self.fixups.append(fix)
        return [pick, fork, join_task], join

    def _route(self, item: Route, last: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
        cases = {str(k): self._items(body) for k, body in item.cases}
        ref = self.refs.take("route")
        if len(last) == 1:
            return [switch_value(ref, out(last[0], "next"), cases)], []
        return [
            {
                "name": ref,
                "taskReferenceName": ref,
                "type": "SWITCH",
                "evaluatorType": "javascript",
                "inputParameters": {"c": {r: out(r) for r in last}},
                "expression": pick_js(last, "$.c", "return b===null?null:b.next;"),
                "decisionCases": cases,
                "defaultCase": [],
            }
        ], []

    def _loop(self, item: Loop, last: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
        ref = self.refs.take("loop")
        body = self._items(item.body)
        finals = [r for m in item.members for r in self.finals.get(m, [])]
        task = {
            "name": ref,
            "taskReferenceName": ref,
            "type": "DO_WHILE",
            "inputParameters": {"keepLastN": KEEP_LAST},
            "loopCondition": pick_js(finals, "$", f"return b!==null&&b.next=={item.header};"),
            "loopOver": body,
        }
        return [task], finals

    def _dispatch(self, item: Dispatch, last: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
        ref = self.refs.take("dispatch")
        sw_ref = self.refs.take("next_step")
        cases = {str(b): self._items((Run(b),)) for b in item.blocks}
        switch = {
            "name": sw_ref,
            "taskReferenceName": sw_ref,
            "type": "SWITCH",
            "evaluatorType": "javascript",
            "inputParameters": {},
            "expression": "",
            "decisionCases": cases,
            "defaultCase": [],
        }
        loop = {
            "name": ref,
            "taskReferenceName": ref,
            "type": "DO_WHILE",
            "inputParameters": {"keepLastN": KEEP_LAST},
            "loopCondition": "",
            "loopOver": [switch],
        }
        first = item.first

        def fix() -> None:
            start = self.finals.get(0, [])
            finals = [r for b in item.blocks for r in self.finals.get(b, [])]
            cands = start + finals
            switch["inputParameters"] = {"c": {r: out(r) for r in cands}}
            switch["expression"] = pick_js(cands, "$.c", f"return b===null?{first}:b.next;")
            loop["loopCondition"] = pick_js(finals, "$", "return b!==null&&b.next!=-1;")

        self.fixups.append(fix)
        return [loop], [r for b in item.blocks for r in self.finals.get(b, [])]


def _loops(items: tuple[Item, ...]) -> bool:
    """Whether the plan runs a DO_WHILE (a loop, or the dispatcher of an unstructured plan)."""
    for item in items:
        match item:
            case Loop() | Dispatch():
                return True
            case Route(cases=cases) if any(_loops(body) for _, body in cases):
                return True
    return False


def _prune(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop tasks a fixup marked unnecessary, at every nesting level."""
    kept = [t for t in tasks if not t.pop("_drop", False)]
    for t in kept:
        for key in ("loopOver", "defaultCase"):
            if key in t:
                t[key] = _prune(t[key])
        if "decisionCases" in t:
            t["decisionCases"] = {k: _prune(v) for k, v in t["decisionCases"].items()}
        if "forkTasks" in t:
            t["forkTasks"] = [_prune(b) for b in t["forkTasks"]]
    return kept
