"""Task mappers: one ``_map_<type>`` per conductor-oss ``execution/mapper/*TaskMapper.java``,
turning a WorkflowTask into task records, plus the SWITCH/DECISION evaluators
(``execution/evaluators``). The simulator's ``_kinds`` table maps a task type to its mapper.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from . import js
from .expressions import (
    java_string,
)
from .metadata import _short, _td, _wt_type
from .model import (
    COMPLETED,
    FAILED,
    FAILED_WITH_TERMINAL_ERROR,
    IN_PROGRESS,
    SCHEDULED,
    SimulationError,
    SimulationUnsupported,
    _Ctx,
    _MAX_INT,
    _ScriptFailure,
    _TERMINAL,
    _Terminate,
)
from .utils import _int, _parse_duration, _parse_until, _script_message


class TaskMappers:
    """The TaskMapper of every simulated task type (``_kinds[type].map``)."""

    # ---------------------------------------------------------------- task records

    def _task_model(self, ctx: _Ctx, **fields: Any) -> dict:
        """``TaskMapperContext.createTaskModel`` plus the mapper's own settings."""
        wt = ctx.wt
        wf = ctx.wf
        task = {
            "taskId": ctx.task_id,
            "taskType": _wt_type(wt),
            "status": None,
            "referenceTaskName": wt.get("taskReferenceName"),
            "taskDefName": wt.get("name"),
            "inputData": {},
            "outputData": {},
            "retryCount": ctx.retry_count,
            "retriedTaskId": ctx.retried_task_id,
            "iteration": 0,
            "seq": 0,
            "scheduledTime": self.now,
            "startTime": 0,
            "endTime": 0,
            "updateTime": 0,
            "workflowInstanceId": wf["workflowId"],
            "workflowType": wf["workflowName"],
            "correlationId": wf["correlationId"],
            "reasonForIncompletion": None,
            "callbackAfterSeconds": 0,
            "startDelayInSeconds": 0,
            "pollCount": 0,
            "retried": False,
            "executed": False,
            "subWorkflowId": None,
            "workerId": None,
            "workflowTask": copy.deepcopy(wt),
            "_kind": ctx.kind,
            "_due": None,
        }
        task.update(fields)
        if task["status"] in _TERMINAL and not task["endTime"]:
            task["endTime"] = self.now
        return task

    # ---------------------------------------------------------------- SIMPLE / DYNAMIC /
    # USER_DEFINED (docs/conductor.md "Worker tasks")

    def _map_simple(self, ctx: _Ctx) -> list[dict]:
        """``SimpleTaskMapper``: queued for the worker polling ``name``."""
        wt = ctx.wt
        task_def = ctx.task_def or {}
        delay = _int(wt.get("startDelay"))
        return [
            self._task_model(
                ctx,
                taskType=wt.get("name"),
                status=SCHEDULED,
                inputData=self._resolve(
                    ctx.wf, wt.get("inputParameters"), task_id=ctx.task_id, task_def=task_def
                ),
                startDelayInSeconds=delay,
                callbackAfterSeconds=delay,
                responseTimeoutSeconds=_td(task_def, "responseTimeoutSeconds"),
            )
        ]

    def _map_dynamic(self, ctx: _Ctx) -> list[dict]:
        """``DynamicTaskMapper``: the task name comes from ``input[dynamicTaskNameParam]``;
        the TaskDef stays the one of the DYNAMIC WorkflowTask itself."""
        param = ctx.wt.get("dynamicTaskNameParam")
        value = ctx.input.get(param) if isinstance(param, str) else None
        if value is None:
            raise _Terminate(
                "Cannot map a dynamic task based on the parameter and input. "
                f"Parameter= {java_string(param)}, input= {java_string(ctx.input)}"
            )
        name = java_string(value)
        ctx.wt = wt = dict(ctx.wt, name=name)
        task_def = wt.get("taskDefinition") or self._registered_def(name)
        if task_def is None:
            raise _Terminate(
                f"Invalid task specified.  Cannot find task by name {name} in the task definitions"
            )
        wt["taskDefinition"] = task_def
        delay = _int(wt.get("startDelay"))
        return [
            self._task_model(
                ctx,
                taskType=name,
                status=SCHEDULED,
                inputData=self._resolve(
                    ctx.wf, wt.get("inputParameters"), task_id=ctx.task_id, task_def=task_def
                ),
                startDelayInSeconds=delay,
                callbackAfterSeconds=delay,
                responseTimeoutSeconds=_td(task_def, "responseTimeoutSeconds"),
            )
        ]

    def _map_user_defined(self, ctx: _Ctx) -> list[dict]:
        """``UserDefinedTaskMapper``: any other type string, queued under the type name."""
        wt = ctx.wt
        task_def = ctx.task_def or self._registered_def(wt.get("name"))
        if task_def is None:
            raise _Terminate(
                f"Invalid task specified. Cannot find task by name {java_string(wt.get('name'))} "
                "in the task definitions"
            )
        return [
            self._task_model(
                ctx,
                status=SCHEDULED,
                inputData=self._resolve(
                    ctx.wf, wt.get("inputParameters"), task_id=ctx.task_id, task_def=task_def
                ),
                callbackAfterSeconds=_int(wt.get("startDelay")),
            )
        ]

    # ---------------------------------------------------------------- scripts

    def _evaluate(
        self, evaluator: str, expression: Any, dollar: dict, task_type: str, ref: str | None
    ) -> Any:
        """One evaluator call (``evaluators/*``): value-param reads a key, javascript and
        graaljs run the script with ``$`` = a copy of the input."""
        if evaluator == "value-param":
            return dollar.get(expression) if isinstance(expression, str) else None
        if evaluator == "python":
            raise SimulationUnsupported(
                task_type, ref, "the python evaluator (GraalPy) is not available"
            )
        if not isinstance(expression, str):
            raise _ScriptFailure("Error evaluating the script: the expression is null")
        return self._eval_js(expression, dollar)

    @staticmethod
    def _eval_js(script: str, dollar: Any) -> Any:
        try:
            return js.evaluate(script, dollar)
        except js.ScriptError as exc:
            raise _ScriptFailure(_script_message(str(exc))) from None

    # ---------------------------------------------------------------- SWITCH / DECISION
    # (docs/conductor.md "SWITCH")

    def _map_switch(self, ctx: _Ctx) -> list[dict]:
        """``SwitchTaskMapper``: evaluate, then schedule the first task of the chosen branch.
        A case key that is present with an empty list runs nothing; an absent key runs
        ``defaultCase``. An unknown evaluator fails the workflow; a script error fails the
        SWITCH task (and so the workflow: built-ins are never retried)."""
        wt = ctx.wt
        evaluator = wt.get("evaluatorType")
        if evaluator not in ("value-param", "javascript", "graaljs", "python"):
            raise _Terminate(f"No evaluator registered for type: {java_string(evaluator)}")
        try:
            result = self._evaluate(
                evaluator,
                wt.get("expression"),
                copy.deepcopy(ctx.input),
                "SWITCH",
                wt.get("taskReferenceName"),
            )
        except _ScriptFailure as exc:
            return [
                self._task_model(
                    ctx,
                    taskType="SWITCH",
                    taskDefName="SWITCH",
                    inputData=copy.deepcopy(ctx.input),
                    startTime=self.now,
                    status=FAILED,
                    reasonForIncompletion=str(exc),
                )
            ]
        case = java_string(result)
        task = self._task_model(
            ctx,
            taskType="SWITCH",
            taskDefName="SWITCH",
            inputData={**copy.deepcopy(ctx.input), "case": case},
            outputData={"evaluationResult": [case], "selectedCase": case},
            startTime=self.now,
            status=IN_PROGRESS,
        )
        out = [task]
        selected = (wt.get("decisionCases") or {}).get(case)
        if selected is None:
            selected = wt.get("defaultCase")
        if selected:
            out += self._tasks_to_schedule(
                ctx.wf, selected[0], ctx.retry_count, ctx.retried_task_id
            )
            task["inputData"]["hasChildren"] = "true"
        return out

    def _map_decision(self, ctx: _Ctx) -> list[dict]:
        """``DecisionTaskMapper`` (deprecated): ``caseExpression`` JS or ``caseValueParam``;
        an empty case list falls back to the default; a script error fails the workflow."""
        wt = ctx.wt
        expression = wt.get("caseExpression")
        if isinstance(expression, str) and expression.strip():
            try:
                value = self._eval_js(expression, ctx.input)
            except _ScriptFailure:
                raise _Terminate(f"Error while evaluating script: {expression}") from None
            case = "null" if value is None else java_string(value)
        else:
            case = java_string(ctx.input.get(wt.get("caseValueParam")))
        task = self._task_model(
            ctx,
            taskType="DECISION",
            taskDefName="DECISION",
            inputData={"case": case},
            outputData={"caseOutput": [case]},
            startTime=self.now,
            status=IN_PROGRESS,
        )
        out = [task]
        selected = (wt.get("decisionCases") or {}).get(case)
        if not selected:
            selected = wt.get("defaultCase")
        if selected:
            out += self._tasks_to_schedule(
                ctx.wf, selected[0], ctx.retry_count, ctx.retried_task_id
            )
            task["inputData"]["hasChildren"] = "true"
        return out

    # ---------------------------------------------------------------- INLINE / LAMBDA
    # (docs/conductor.md "INLINE and LAMBDA")

    def _map_script(self, ctx: _Ctx, task_type: str) -> list[dict]:
        """INLINE and LAMBDA: IN_PROGRESS with the resolved input (TaskDef template applied)."""
        wt = ctx.wt
        task_def = ctx.task_def or self._registered_def(wt.get("name"))
        return [
            self._task_model(
                ctx,
                taskType=task_type,
                startTime=self.now,
                status=IN_PROGRESS,
                inputData=self._resolve(
                    ctx.wf, wt.get("inputParameters"), task_id=ctx.task_id, task_def=task_def
                ),
            )
        ]

    def _map_fork_join(self, ctx: _Ctx) -> list[dict]:
        """``ForkJoinTaskMapper``: a COMPLETED ``FORK`` record, the first task of every
        branch, and the JOIN that must come next in the definition."""
        wt = ctx.wt
        fork = self._task_model(
            ctx,
            taskType="FORK",
            taskDefName="FORK",
            _kind="FORK",
            startTime=self.now,
            endTime=self.now,
            inputData=copy.deepcopy(ctx.input),
            status=COMPLETED,
        )
        out = [fork]
        for branch in wt.get("forkTasks") or []:
            if not branch:
                raise SimulationError(
                    f"FORK_JOIN {wt.get('taskReferenceName')!r} has an empty branch, which crashes "
                    "Conductor's decider (IndexOutOfBoundsException)"
                )
            out += self._tasks_to_schedule(ctx.wf, branch[0], ctx.retry_count)
        join = self._join_after(
            ctx.wf,
            wt.get("taskReferenceName"),
            "Fork task definition is not followed by a join task.  Check the blueprint",
        )
        out += self._tasks_to_schedule(ctx.wf, join, ctx.retry_count)
        return out

    def _map_join(self, ctx: _Ctx) -> list[dict]:
        """``JoinTaskMapper``: the input is only ``joinOn``; inputParameters are ignored."""
        return [
            self._task_model(
                ctx,
                taskType="JOIN",
                taskDefName="JOIN",
                startTime=self.now,
                inputData={"joinOn": copy.deepcopy(ctx.wt.get("joinOn") or [])},
                status=IN_PROGRESS,
            )
        ]

    def _map_exclusive_join(self, ctx: _Ctx) -> list[dict]:
        data = {"joinOn": copy.deepcopy(ctx.wt.get("joinOn") or [])}
        if ctx.wt.get("defaultExclusiveJoinTask", []) is not None:
            data["defaultExclusiveJoinTask"] = copy.deepcopy(
                ctx.wt.get("defaultExclusiveJoinTask", [])
            )
        return [
            self._task_model(
                ctx,
                taskType="EXCLUSIVE_JOIN",
                taskDefName="EXCLUSIVE_JOIN",
                startTime=self.now,
                inputData=data,
                status=IN_PROGRESS,
            )
        ]

    def _map_fork_join_dynamic(self, ctx: _Ctx) -> list[dict]:
        """``ForkJoinDynamicTaskMapper``: the forked tasks come from the input, in one of
        three forms (simple ``forkTaskInputs``; ``dynamicForkTasksParam`` +
        ``dynamicForkTasksInputParamName``; legacy ``dynamicForkJoinTasksParam``). Each
        task's inputParameters, merged with its input entry, are resolved as expressions
        when it is scheduled. The JOIN that must follow waits on the forked refs."""
        wf, wt = ctx.wf, ctx.wt
        task_input = self._resolve(wf, wt.get("inputParameters"))
        nested = any(
            _wt_type(t.get("workflowTask") or {}) == "FORK_JOIN_DYNAMIC" for t in wf["tasks"]
        )
        pair = self._dynamic_simple(wt, task_input, nested)
        if pair is None:
            if wt.get("dynamicForkTasksParam") is not None:
                pair = self._dynamic_tasks_and_input(wt, task_input)
            else:
                pair = self._dynamic_legacy(wt, task_input)
        dyn_tasks, tasks_input = pair
        fork = self._task_model(
            ctx,
            taskType="FORK",
            taskDefName="FORK",
            _kind="FORK",
            startTime=self.now,
            endTime=self.now,
            executed=True,
            status=COMPLETED,
            inputData={
                "forkedTasks": [d.get("taskReferenceName") for d in dyn_tasks],
                "forkedTaskDefs": copy.deepcopy(dyn_tasks),
            },
        )
        fork["inputData"].update(copy.deepcopy(ctx.input))
        out = [fork]
        join_on: list[str] = []
        if not any(t["referenceTaskName"] == wt.get("taskReferenceName") for t in wf["tasks"]):
            for dyn in dyn_tasks:
                dref = dyn.get("taskReferenceName")
                extra = tasks_input.get(dref)
                if extra is not None and not isinstance(extra, Mapping):
                    raise _Terminate(
                        "Tasks could not be dynamically forked due to invalid input: "
                        f"{java_string(extra)} is not a map"
                    )
                dyn["inputParameters"] = {**(dyn.get("inputParameters") or {}), **(extra or {})}
                taken = any(t["referenceTaskName"] == dref for t in wf["tasks"]) or any(
                    t["referenceTaskName"] == dref for t in out
                )
                forked = [] if taken else self._tasks_to_schedule(wf, dyn, ctx.retry_count)
                if not forked:
                    raise _Terminate(
                        f"No dynamic tasks could be created for the Workflow: {_short(wf)}, "
                        f"Dynamic Fork Task: {java_string(dyn.get('name'))}/{dref} attempted to "
                        f"create a duplicate task reference name: {dref}"
                    )
                out += forked
                join_on.append(forked[-1]["referenceTaskName"])
        join_wt = self._join_after(
            wf,
            wt.get("taskReferenceName"),
            "Dynamic join definition is not followed by a join task.  Check the workflow "
            "definition.",
        )
        join = self._task_model(
            _Ctx(self, wf, join_wt, {}, 0, None, "JOIN"),
            taskType="JOIN",
            taskDefName="JOIN",
            startTime=self.now,
            status=IN_PROGRESS,
            inputData={**copy.deepcopy(join_wt.get("inputParameters") or {}), "joinOn": join_on},
        )
        out.append(join)
        return out

    def _dynamic_simple(
        self, wt: dict, task_input: dict, nested: bool
    ) -> tuple[list[dict], dict] | None:
        """The simple form: one task per element of ``forkTaskInputs``, refs
        ``_<forkTaskName>_<i>`` (``_<parentRef>_<forkTaskName>_<i>`` once a dynamic fork
        already ran), ``__index`` added to each input."""

        def text(key: str) -> str | None:
            value = task_input.get(key)
            if value is not None and not isinstance(value, str):
                raise SimulationError(
                    f"FORK_JOIN_DYNAMIC {wt.get('taskReferenceName')!r}: input {key} must be a "
                    "string "
                    f"(the server casts it to String), got {java_string(value)}"
                )
            return value

        sub_name = text("forkTaskWorkflow")
        version_text = text("forkTaskWorkflowVersion")
        sub_version = (
            int(version_text)
            if version_text is not None and version_text.strip().lstrip("+-").isdigit()
            else None
        )
        fork_type = text("forkTaskType")
        fork_name = text("forkTaskName")
        if fork_type is not None and self._is_system_type(fork_type) and fork_name is None:
            fork_name = fork_type
        if fork_name is None:
            fork_name = wt.get("taskReferenceName")
        if fork_type is None:
            fork_type = "SIMPLE"
        inputs = task_input.get("forkTaskInputs")
        if not isinstance(inputs, list):
            return None
        parent = wt.get("taskReferenceName")
        tasks: list[dict] = []
        by_ref: dict[str, dict] = {}
        for i, item in enumerate(inputs):
            params = (
                dict(copy.deepcopy(item))
                if isinstance(item, Mapping)
                else {"input": copy.deepcopy(item)}
            )
            if sub_name is not None:
                dyn = {
                    "name": sub_name,
                    "type": "SUB_WORKFLOW",
                    "subWorkflowParam": {"name": sub_name, "version": sub_version},
                }
                if isinstance(item, Mapping) and item.get("taskToDomain") is not None:
                    dyn["subWorkflowParam"]["taskToDomain"] = copy.deepcopy(item["taskToDomain"])
            else:
                dyn = {
                    "name": fork_name,
                    "type": fork_type,
                    "taskDefinition": self._registered_def(fork_name),
                }
            dyn["taskReferenceName"] = (
                f"_{parent}_{fork_name}_{i}" if nested else f"_{fork_name}_{i}"
            )
            params["__index"] = i
            dyn["inputParameters"] = params
            if wt.get("optional"):
                dyn["optional"] = True
            tasks.append(dyn)
            by_ref[dyn["taskReferenceName"]] = params
        return tasks, by_ref

    def _dynamic_tasks_and_input(self, wt: dict, task_input: dict) -> tuple[list[dict], dict]:
        """``dynamicForkTasksParam``: a list of WorkflowTasks, and a map ref → input."""
        param = wt.get("dynamicForkTasksParam")
        value = task_input.get(param)
        if not isinstance(value, list) or not all(
            isinstance(d, Mapping) and d.get("taskReferenceName") is not None for d in value
        ):
            raise _Terminate(
                f"Input '{param}' is invalid. Cannot deserialize a list of Workflow Tasks "
                f"from '{java_string(value)}'"
            )
        tasks = [dict(copy.deepcopy(d)) for d in value]
        for dyn in tasks:
            name = dyn.get("name")
            if dyn.get("taskDefinition") is None and isinstance(name, str) and name.strip():
                dyn["taskDefinition"] = self._registered_def(name)
        inputs = task_input.get(wt.get("dynamicForkTasksInputParamName"))
        if not isinstance(inputs, Mapping):
            raise _Terminate(
                "Input to the dynamically forked tasks is not a map -> expecting a map of "
                f"K,V  but found {java_string(inputs)}"
            )
        return tasks, dict(inputs)

    def _dynamic_legacy(self, wt: dict, task_input: dict) -> tuple[list[dict], dict]:
        """Legacy ``dynamicForkJoinTasksParam``: ``{dynamicTasks: [{taskName, referenceName,
        type, input}]}``."""
        param = wt.get("dynamicForkJoinTasksParam")
        value = task_input.get(param) if param is not None else None
        if not isinstance(value, Mapping):
            raise _Terminate(
                f"Dynamic tasks could not be created. The value of {java_string(param)} "
                f"from task's input {java_string(task_input)} has no dynamic tasks to be scheduled"
            )
        tasks, inputs = [], {}
        for item in value.get("dynamicTasks") or []:
            ref = item.get("referenceName")
            inputs[ref] = copy.deepcopy(item.get("input") or {})
            name = item.get("taskName")
            dyn = {"taskReferenceName": ref, "name": name, "type": item.get("type") or "SIMPLE"}
            if isinstance(name, str) and name.strip():
                dyn["taskDefinition"] = self._registered_def(name)
            tasks.append(dyn)
        return tasks, inputs

    # ---------------------------------------------------------------- DO_WHILE (docs/conductor.md
    # "DO_WHILE")

    def _map_do_while(self, ctx: _Ctx) -> list[dict]:
        wt = ctx.wt
        existing = self._latest(ctx.wf, wt.get("taskReferenceName"))
        if existing is not None and existing["status"] in _TERMINAL:
            return []
        task_def = ctx.task_def or self._registered_def(wt.get("name")) or {}
        return [
            self._task_model(
                ctx,
                taskType="DO_WHILE",
                status=IN_PROGRESS,
                startTime=self.now,
                inputData=self._resolve(
                    ctx.wf, wt.get("inputParameters"), task_id=ctx.task_id, task_def=task_def
                ),
            )
        ]

    # ---------------------------------------------------------------- WAIT / HUMAN
    # (docs/conductor.md "WAIT and HUMAN")

    def _map_wait(self, ctx: _Ctx) -> list[dict]:
        """``WaitTaskMapper``: ``duration`` or ``until`` set the wake-up time on the virtual
        clock; neither waits forever; both (or a bad ``until``) is FAILED_WITH_TERMINAL_ERROR."""
        data = self._resolve(ctx.wf, ctx.wt.get("inputParameters"), task_id=ctx.task_id)
        task = self._task_model(
            ctx,
            taskType="WAIT",
            inputData=data,
            startTime=self.now,
            status=IN_PROGRESS,
            waitTimeout=0,
        )
        duration = "" if data.get("duration") is None else java_string(data["duration"])
        until = "" if data.get("until") is None else java_string(data["until"])
        if duration.strip() and until.strip():
            task["status"] = FAILED_WITH_TERMINAL_ERROR
            task["reasonForIncompletion"] = (
                "Both 'duration' and 'until' specified. Please provide only one input"
            )
        elif duration.strip():
            seconds = _parse_duration(duration)
            task["waitTimeout"] = self.now + seconds * 1000
            task["callbackAfterSeconds"] = seconds
        elif until.strip():
            moment = _parse_until(until)
            if moment is None:
                task["status"] = FAILED_WITH_TERMINAL_ERROR
                task["reasonForIncompletion"] = (
                    f"Invalid/Unsupported Wait Until format.  Provided: {until}"
                )
            else:
                task["callbackAfterSeconds"] = max(int((moment - self.now) / 1000), 0)
                task["waitTimeout"] = moment
        else:
            task["callbackAfterSeconds"] = _MAX_INT
        if task["status"] in _TERMINAL:
            task["endTime"] = self.now
        return [task]

    def _map_human(self, ctx: _Ctx) -> list[dict]:
        """``HumanTaskMapper``: IN_PROGRESS until :meth:`complete_task`."""
        return [
            self._task_model(
                ctx,
                taskType="HUMAN",
                startTime=self.now,
                status=IN_PROGRESS,
                inputData=self._resolve(ctx.wf, ctx.wt.get("inputParameters"), task_id=ctx.task_id),
            )
        ]

    # ---------------------------------------------------------------- TERMINATE / SET_VARIABLE /
    # NOOP (docs/conductor.md "TERMINATE, SET_VARIABLE, NOOP")

    def _map_terminate(self, ctx: _Ctx) -> list[dict]:
        return [
            self._task_model(
                ctx,
                taskType="TERMINATE",
                startTime=self.now,
                status=IN_PROGRESS,
                inputData=self._resolve(ctx.wf, ctx.wt.get("inputParameters"), task_id=ctx.task_id),
            )
        ]

    def _map_set_variable(self, ctx: _Ctx) -> list[dict]:
        return [
            self._task_model(
                ctx, startTime=self.now, status=IN_PROGRESS, inputData=copy.deepcopy(ctx.input)
            )
        ]

    def _map_noop(self, ctx: _Ctx) -> list[dict]:
        return [self._task_model(ctx, taskType="NOOP", startTime=self.now, status=IN_PROGRESS)]

    # ---------------------------------------------------------------- SUB_WORKFLOW / START_WORKFLOW
    # (docs/conductor.md "Sub-workflows")

    def _map_sub_workflow(self, ctx: _Ctx) -> list[dict]:
        """``SubWorkflowTaskMapper``: subWorkflowParam fields are resolved as expressions;
        the task input wraps the resolved inputParameters under ``workflowInput``."""
        wt = ctx.wt
        params = wt.get("subWorkflowParam")
        if not isinstance(params, Mapping):
            raise _Terminate(
                f"Task {java_string(wt.get('name'))} is defined as sub-workflow and is missing "
                "subWorkflowParams. Please check the workflow definition"
            )
        inline = params.get("workflowDefinition")
        p: dict[str, Any] = {"name": params.get("name"), "priority": params.get("priority")}
        if isinstance(inline, Mapping):  # SubWorkflowParams takes name/version from the def
            p["name"] = inline.get("name")
            if inline.get("version") is not None:
                p["version"] = inline.get("version")
        elif params.get("version") is not None:
            p["version"] = params["version"]
        for key in ("taskToDomain", "idempotencyKey", "idempotencyStrategy"):
            if params.get(key) is not None:
                p[key] = params[key]
        if isinstance(inline, str):
            p["workflowDefinition"] = inline
            p = self._resolve(ctx.wf, p)
        else:
            p = self._resolve(ctx.wf, p)
            if inline is not None:
                p["workflowDefinition"] = copy.deepcopy(inline)
        if p.get("name") is None and p.get("workflowDefinition") is None:
            raise SimulationError(
                f"SUB_WORKFLOW {wt.get('taskReferenceName')!r} has no name "
                "(NullPointerException in the server's mapper)"
            )
        name = java_string(p.get("name")) if p.get("name") is not None else None
        definition = p.get("workflowDefinition")
        version = None
        if definition is None:
            raw = p.get("version")
            if raw is not None:
                try:
                    version = int(raw) if isinstance(raw, (int, float)) else int(java_string(raw))
                except ValueError:
                    raise SimulationError(
                        f"SUB_WORKFLOW {wt.get('taskReferenceName')!r}: version "
                        f"{java_string(raw)} is not a number"
                    ) from None
            else:
                found = self._lookup_definition(name, None)
                if found is None:
                    raise _Terminate(
                        f"The Task {name} defined as a sub-workflow has no workflow "
                        "definition available "
                    )
                version = found.get("version", 1)
        task_to_domain = (
            p.get("taskToDomain") if isinstance(p.get("taskToDomain"), Mapping) else None
        )
        return [
            self._task_model(
                ctx,
                taskType="SUB_WORKFLOW",
                status=SCHEDULED,
                callbackAfterSeconds=_int(wt.get("startDelay")),
                inputData={
                    "subWorkflowName": name,
                    "priority": p.get("priority"),
                    "subWorkflowVersion": version,
                    "subWorkflowTaskToDomain": task_to_domain,
                    "subWorkflowDefinition": definition,
                    "idempotencyKey": p.get("idempotencyKey"),
                    "idempotencyStrategy": p.get("idempotencyStrategy"),
                    "workflowInput": copy.deepcopy(ctx.input),
                },
            )
        ]

    def _map_start_workflow(self, ctx: _Ctx) -> list[dict]:
        return [
            self._task_model(
                ctx,
                taskType="START_WORKFLOW",
                status=SCHEDULED,
                inputData=copy.deepcopy(ctx.input),
                callbackAfterSeconds=_int(ctx.wt.get("startDelay")),
            )
        ]
