"""The Conductor simulator against hand-written WorkflowDefs (conductor.md §C).

Every workflow here is a plain dict, the worker is a few lines of Python, and the
assertions are exact: reference names, statuses, outputs, reasons, virtual-clock times.
"""
from __future__ import annotations

import json

import pytest
from agentc.targets.conductor.emulator import expressions as ex
from agentc.targets.conductor.emulator.simulator import (
    UNSUPPORTED,
    SimulationError,
    SimulationUnsupported,
    Simulator,
    TaskCall,
    TaskResult,
)

T0 = 1_767_225_600_000  # the default clock start, 2026-01-01T00:00:00Z


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


class Worker:
    """Serves the task types used below and records every call."""

    def __init__(self, fail_times: int = 0) -> None:
        self.calls: list[TaskCall] = []
        self.fail_times = fail_times
        self.attempts: dict[tuple[str, str], int] = {}

    def __call__(self, call: TaskCall) -> TaskResult:
        self.calls.append(call)
        kind = call.task_type
        if kind == "add":
            return TaskResult("COMPLETED", {"sum": call.input["a"] + call.input["b"]})
        if kind == "echo":
            return TaskResult("COMPLETED", dict(call.input))
        if kind == "empty":
            return TaskResult("COMPLETED", {})
        if kind == "fail":
            return TaskResult("FAILED", {"partial": 1}, "boom")
        if kind == "flaky":  # fails `fail_times` times per ref, then succeeds
            key = (call.workflow_id, call.ref)
            self.attempts[key] = self.attempts.get(key, 0) + 1
            if self.attempts[key] <= self.fail_times:
                return TaskResult("FAILED", {}, f"attempt {self.attempts[key]} failed")
            return TaskResult("COMPLETED", {"attempts": self.attempts[key], "seen": call.input})
        if kind == "raise":
            raise ValueError("worker crashed")
        if kind == "later":
            return TaskResult("IN_PROGRESS", {"waiting": True})
        raise AssertionError(f"unexpected task type {kind}")


def simple(ref: str, name: str = "echo", **params) -> dict:
    return {"name": name, "taskReferenceName": ref, "type": "SIMPLE", "inputParameters": params}


def wf(name: str, *tasks: dict, **extra) -> dict:
    return {"name": name, "version": 1, "schemaVersion": 2, "tasks": list(tasks), **extra}


def execute(definition: dict, input: dict | None = None, *, worker=None, task_defs=None,
            more: dict | None = None, **options):
    defs = {definition["name"]: definition, **(more or {})}
    sim = Simulator(defs, task_defs or {}, worker or Worker(), **options)
    wid = sim.start(definition["name"], input or {})
    sim.run(wid)
    return sim, wid, sim.execution(wid)


def by_ref(execution: dict) -> dict[str, dict]:
    """Latest task record per reference name."""
    out = {}
    for t in execution["tasks"]:
        out[t["referenceTaskName"]] = t
    return out


def refs(execution: dict) -> list[str]:
    return [t["referenceTaskName"] for t in execution["tasks"]]


# --------------------------------------------------------------------------------------
# C.1 expressions
# --------------------------------------------------------------------------------------

DOC = {
    "workflow": {
        "input": {"n": 7, "f": 1.0, "b": True, "none": None, "s": "text", "key": "n",
                  "m": {"k": "v", "l": [1, 2]}, "l": ["a", "b"]},
        "variables": {},
    },
    "prev": {"output": {"x": {"deep": 1}}},
}


@pytest.mark.parametrize("template, expected", [
    ("${workflow.input.n}", 7),
    ("${workflow.input.f}", 1.0),
    ("${workflow.input.b}", True),
    ("${workflow.input.none}", None),
    ("${workflow.input.m}", {"k": "v", "l": [1, 2]}),
    ("${workflow.input.l}", ["a", "b"]),
    ("${prev.output.x.deep}", 1),
])
def test_whole_string_reference_keeps_the_type(template, expected):
    value = ex.resolve(template, DOC)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("template, expected", [
    ("n=${workflow.input.n}", "n=7"),
    ("f=${workflow.input.f}", "f=1.0"),
    ("${workflow.input.b}/${workflow.input.none}", "true/null"),
    ("m=${workflow.input.m}", "m={k=v, l=[1, 2]}"),
    ("l=${workflow.input.l}", "l=[a, b]"),
    ('{"k": "${workflow.input.s}"}', '{"k": "text"}'),
    (" ${workflow.input.n}", " 7"),
])
def test_interpolation_uses_java_to_string(template, expected):
    assert ex.resolve(template, DOC) == expected


def test_missing_paths_are_null_and_escapes_are_kept():
    assert ex.resolve("${workflow.input.absent}", DOC) is None
    assert ex.resolve("${nosuchtask.output.x}", DOC) is None
    assert ex.resolve("${workflow.input.s.deeper}", DOC) is None  # a string has no fields
    assert ex.resolve("${workflow.input.l[9]}", DOC) is None
    assert ex.resolve("x=${workflow.input.absent}", DOC) == "x=null"
    assert ex.resolve("$${workflow.input.n}", DOC) == "${workflow.input.n}"
    assert ex.resolve("cost $$${workflow.input.n}", DOC) == "cost $${workflow.input.n}"
    assert ex.resolve("${workflow.input.n", DOC) == "${workflow.input.n"  # unclosed
    assert ex.resolve("${ }", DOC) == ""


def test_nested_reference_is_resolved_first():
    assert ex.resolve("${workflow.input.${workflow.input.key}}", DOC) == 7
    assert ex.find_references("a ${x.${y}} b ${z}") == [(2, 11), (14, 18)]


def test_system_parameters_secrets_and_env():
    assert ex.resolve("${CPEWF_TASK_ID}", DOC) == "${CPEWF_TASK_ID}"
    assert ex.resolve("id ${CPEWF_TASK_ID}", DOC, task_id="t-9") == "id t-9"
    assert ex.resolve("${workflow.secrets.api_key}", DOC) == "${workflow.secrets.api_key}"
    assert ex.resolve("${workflow.env.REGION}", DOC) is None
    env = {"REGION": "eu", "CFG": '{"a": {"b": 3}}'}
    assert ex.resolve("${workflow.env.REGION}", DOC, env=env) == "eu"
    assert ex.resolve("${workflow.env.CFG.a.b}", DOC, env=env) == 3


def test_walks_maps_and_lists_but_not_keys():
    template = {"${workflow.input.s}": ["${workflow.input.n}", {"x": "${workflow.input.b}"}, 5]}
    assert ex.resolve(template, DOC) == {"${workflow.input.s}": [7, {"x": True}, 5]}


def test_task_def_input_template_put_if_absent_and_null_fallback():
    task_def = {"inputTemplate": {"a": "default-a", "b": "default-b", "c": "${workflow.input.n}"}}
    params = {"a": "${workflow.input.absent}", "b": "given"}
    assert ex.resolve_input(params, DOC, task_def=task_def) == {
        "a": "default-a",  # resolved to null → the raw template value
        "b": "given",
        "c": 7,  # added, then resolved like the rest
    }


def test_java_string_forms():
    assert [ex.java_string(v) for v in (None, True, 2, 2.5, 1.0, 1e7, 1.5e-4, "s")] == [
        "null", "true", "2", "2.5", "1.0", "1.0E7", "1.5E-4", "s"]
    assert ex.java_string({"a": [1, {"b": None}]}) == "{a=[1, {b=null}]}"
    assert ex.strip_iteration("step__3") == "step"
    assert ex.strip_iteration("my__task__3") == "my"


def test_document_uses_latest_attempt_and_stripped_loop_refs():
    execution = {
        "workflowId": "wf-1", "workflowName": "w", "workflowVersion": 1, "input": {}, "output": {},
        "status": "RUNNING", "variables": {"v": 1},
        "tasks": [
            {"referenceTaskName": "a", "iteration": 0, "retryCount": 0, "status": "FAILED",
             "inputData": {}, "outputData": {"try": 0}},
            {"referenceTaskName": "a", "iteration": 0, "retryCount": 1, "status": "COMPLETED",
             "inputData": {}, "outputData": {"try": 1}},
            {"referenceTaskName": "b__1", "iteration": 1, "status": "COMPLETED",
             "inputData": {}, "outputData": {"i": 1}},
            {"referenceTaskName": "b__2", "iteration": 2, "status": "COMPLETED",
             "inputData": {}, "outputData": {"i": 2}},
        ],
    }
    doc = ex.build_document(execution)
    assert doc["a"]["output"] == {"try": 1} and doc["a"]["retryCount"] == 1
    assert doc["b"]["output"] == {"i": 2} and doc["b"]["referenceTaskName"] == "b__2"
    assert "b__1" not in doc
    assert doc["workflow"]["variables"] == {"v": 1} and doc["workflow"]["workflowType"] == "w"


# --------------------------------------------------------------------------------------
# C.2 / C.9 sequence, output, determinism
# --------------------------------------------------------------------------------------


def test_sequence_input_resolution_and_output_parameters():
    definition = wf(
        "seq",
        simple("first", "add", a="${workflow.input.x}", b=2),
        simple("second", "echo", total="${first.output.sum}", text="sum is ${first.output.sum}",
               whole="${first.output}", missing="${first.output.nope}"),
        outputParameters={"result": "${first.output.sum}", "echo": "${second.output.text}"},
    )
    _, wid, out = execute(definition, {"x": 40})
    assert out["status"] == "COMPLETED"
    assert out["output"] == {"result": 42, "echo": "sum is 42"}
    second = by_ref(out)["second"]
    assert second["inputData"] == {"total": 42, "text": "sum is 42", "whole": {"sum": 42},
                                   "missing": None}
    assert [(t["seq"], t["taskId"], t["taskType"], t["status"]) for t in out["tasks"]] == [
        (1, "t-1", "add", "COMPLETED"), (2, "t-2", "echo", "COMPLETED")]
    assert wid == "wf-1"


def test_output_is_last_task_output_without_output_parameters():
    _, _, out = execute(wf("last", simple("a", "add", a=1, b=1), simple("b", "echo", v="x")))
    assert out["output"] == {"v": "x"}


def test_input_template_fills_a_non_empty_input_only():
    definition = wf("tmpl", simple("a", "echo", v="${workflow.input.v}", w="${workflow.input.w}"),
                    inputTemplate={"v": "dv", "w": "dw"})
    _, _, out = execute(definition, {"w": "given"})
    assert out["input"] == {"w": "given", "v": "dv"}
    _, _, empty = execute(definition, {})
    assert empty["input"] == {} and by_ref(empty)["a"]["inputData"] == {"v": None, "w": None}


def test_two_runs_give_identical_executions():
    definition = wf(
        "det",
        {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN",
         "forkTasks": [[simple("l", "add", a=1, b=2)], [simple("r", "flaky", x=1)]]},
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["l", "r"]},
    )
    runs = [execute(definition, worker=Worker(fail_times=1))[2] for _ in range(2)]
    assert json.dumps(runs[0], sort_keys=True) == json.dumps(runs[1], sort_keys=True)


# --------------------------------------------------------------------------------------
# C.3 SWITCH
# --------------------------------------------------------------------------------------


def switch(ref: str, expression: str, cases: dict, default: list | None = None,
           evaluator: str = "value-param", **params) -> dict:
    return {"name": ref, "taskReferenceName": ref, "type": "SWITCH", "evaluatorType": evaluator,
            "expression": expression, "inputParameters": params, "decisionCases": cases,
            "defaultCase": default or []}


def test_switch_value_param_uses_java_string_of_the_value():
    definition = wf(
        "sw",
        switch("sw", "kind", {"2": [simple("two", "echo", v="${sw.output.selectedCase}")],
                              "1.0": [simple("one_point_o")]},
               [simple("other")], kind="${workflow.input.kind}"),
        simple("after", "echo", done=True),
    )
    _, _, out = execute(definition, {"kind": 2})
    assert refs(out) == ["sw", "two", "after"]
    sw = by_ref(out)["sw"]
    assert sw["outputData"] == {"evaluationResult": ["2"], "selectedCase": "2"}
    assert sw["inputData"] == {"kind": 2, "case": "2", "hasChildren": "true"}
    assert by_ref(out)["two"]["inputData"] == {"v": None}  # first branch task: resolved before the SWITCH is recorded
    _, _, out = execute(definition, {"kind": 1.0})
    assert refs(out) == ["sw", "one_point_o", "after"]
    _, _, out = execute(definition, {"kind": None})
    assert refs(out) == ["sw", "other", "after"] and by_ref(out)["sw"]["outputData"]["selectedCase"] == "null"


def test_switch_present_but_empty_case_runs_nothing_absent_runs_default():
    definition = wf(
        "sw_empty",
        switch("sw", "$.v > 5 ? 'big' : 'small'", {"big": [], "small": [simple("small_task")]},
               [simple("default_task")], evaluator="javascript", v="${workflow.input.v}"),
        simple("after"),
    )
    _, _, big = execute(definition, {"v": 9})
    assert refs(big) == ["sw", "after"]
    assert "hasChildren" not in by_ref(big)["sw"]["inputData"]
    _, _, small = execute(definition, {"v": 1})
    assert refs(small) == ["sw", "small_task", "after"]
    definition["tasks"][0]["expression"] = "'neither'"
    _, _, other = execute(definition, {"v": 1})
    assert refs(other) == ["sw", "default_task", "after"]


def test_switch_unknown_evaluator_and_script_error_fail_the_workflow():
    bad = wf("sw_bad", switch("sw", "x", {}, evaluator="jq"), simple("after"))
    _, _, out = execute(bad)
    assert out["status"] == "FAILED"
    assert out["reasonForIncompletion"] == "No evaluator registered for type: jq"
    assert out["tasks"] == []

    broken = wf("sw_js", switch("sw", "nope.x", {}, evaluator="javascript"), simple("after"))
    _, _, out = execute(broken)
    assert out["status"] == "FAILED"
    assert out["reasonForIncompletion"] == (
        "Task t-1 failed with status: FAILED and reason: "
        "'Error evaluating the script `ReferenceError: nope is not defined` at line 1'")
    assert refs(out) == ["sw"] and by_ref(out)["sw"]["status"] == "FAILED"


def test_decision_falls_back_to_default_on_an_empty_case():
    definition = wf("dec", {"name": "d", "taskReferenceName": "d", "type": "DECISION",
                            "caseValueParam": "c", "inputParameters": {"c": "${workflow.input.c}"},
                            "decisionCases": {"a": []}, "defaultCase": [simple("dflt")]})
    _, _, out = execute(definition, {"c": "a"})
    assert refs(out) == ["d", "dflt"] and by_ref(out)["d"]["outputData"] == {"caseOutput": ["a"]}


# --------------------------------------------------------------------------------------
# C.4 INLINE
# --------------------------------------------------------------------------------------


def inline(ref: str, expression: str, **params) -> dict:
    return {"name": ref, "taskReferenceName": ref, "type": "INLINE",
            "inputParameters": {"evaluatorType": "graaljs", "expression": expression, **params}}


def test_inline_result_and_dollar_is_the_resolved_input():
    definition = wf("inl", inline("calc", "(function(){ return {sum: $.a + $.b, ev: $.evaluatorType}; })()",
                                  a="${workflow.input.a}", b=0.5))
    _, _, out = execute(definition, {"a": 2})
    assert by_ref(out)["calc"]["outputData"] == {"result": {"sum": 2.5, "ev": "graaljs"}}
    assert out["output"] == {"result": {"sum": 2.5, "ev": "graaljs"}}


def test_inline_script_error_is_terminal_and_not_retried():
    definition = wf("inl_err", dict(inline("calc", "throw new Error('bad input')"), retryCount=5))
    _, _, out = execute(definition)
    calc = by_ref(out)["calc"]
    assert calc["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert calc["reasonForIncompletion"] == "Error evaluating the script `Error: bad input` at line 1"
    assert calc["outputData"] == {"error": calc["reasonForIncompletion"]}
    assert len(out["tasks"]) == 1 and out["status"] == "FAILED"
    assert out["failedReferenceTaskNames"] == ["calc"]


# --------------------------------------------------------------------------------------
# C.5 FORK_JOIN / JOIN
# --------------------------------------------------------------------------------------


def fork(ref: str, *branches: list) -> dict:
    return {"name": ref, "taskReferenceName": ref, "type": "FORK_JOIN", "forkTasks": list(branches)}


def join(ref: str, *on: str) -> dict:
    return {"name": ref, "taskReferenceName": ref, "type": "JOIN", "joinOn": list(on)}


def test_fork_join_waits_for_join_on_and_collects_non_empty_outputs():
    definition = wf(
        "fj",
        fork("fork", [simple("l1", "add", a=1, b=1), simple("l2", "add", a="${l1.output.sum}", b=1)],
             [simple("r1", "empty")]),
        join("join", "l2", "r1"),
        simple("after", "echo", joined="${join.output}"),
    )
    _, _, out = execute(definition)
    assert out["status"] == "COMPLETED"
    assert refs(out) == ["fork", "l1", "r1", "join", "l2", "after"]
    assert by_ref(out)["fork"]["taskType"] == "FORK"
    assert by_ref(out)["join"]["inputData"] == {"joinOn": ["l2", "r1"]}
    assert by_ref(out)["join"]["outputData"] == {"l2": {"sum": 3}}  # r1's output is empty
    assert out["output"] == {"joined": {"l2": {"sum": 3}}}


def test_join_failure_rules():
    def failing(**flags):
        bad = dict(simple("bad", "fail"), retryCount=0, **flags)
        return wf("jf", fork("fork", [bad], [simple("good", "add", a=1, b=1)]),
                  join("join", "bad", "good"), simple("after"))

    _, _, out = execute(failing())  # a plain failure ends the workflow from the decider
    assert out["status"] == "FAILED"
    assert out["reasonForIncompletion"] == "Task t-2 failed with status: FAILED and reason: 'boom'"
    assert by_ref(out)["join"]["status"] == "CANCELED"

    _, _, out = execute(failing(permissive=True))  # permissive: the JOIN fails once all are done
    assert by_ref(out)["join"]["status"] == "FAILED"
    assert by_ref(out)["join"]["reasonForIncompletion"] == "boom"
    assert out["status"] == "FAILED"
    assert out["reasonForIncompletion"] == "Task t-4 failed with status: FAILED and reason: 'boom'"
    assert by_ref(out)["bad"]["status"] == "FAILED" and "after" not in refs(out)

    _, _, out = execute(failing(optional=True))  # optional: COMPLETED_WITH_ERRORS all the way
    assert by_ref(out)["bad"]["status"] == "COMPLETED_WITH_ERRORS"
    assert by_ref(out)["join"]["status"] == "COMPLETED_WITH_ERRORS"
    assert by_ref(out)["join"]["reasonForIncompletion"] == "fail/t-2 completed with errors"
    assert by_ref(out)["join"]["outputData"] == {"bad": {"partial": 1}, "good": {"sum": 2}}
    assert out["status"] == "COMPLETED" and refs(out)[-1] == "after"


def test_fork_without_a_following_join_fails_the_workflow():
    _, _, out = execute(wf("nojoin", fork("fork", [simple("a")]), simple("b")))
    assert out["status"] == "FAILED"
    assert out["reasonForIncompletion"] == "Fork task definition is not followed by a join task.  Check the blueprint"


# --------------------------------------------------------------------------------------
# C.5 FORK_JOIN_DYNAMIC
# --------------------------------------------------------------------------------------


def dynamic(ref: str, **fields) -> dict:
    return {"name": ref, "taskReferenceName": ref, "type": "FORK_JOIN_DYNAMIC", **fields}


def test_dynamic_fork_simple_form():
    definition = wf(
        "dyn_simple",
        dynamic("fan", inputParameters={"forkTaskName": "echo", "forkTaskInputs": "${workflow.input.items}"}),
        join("fan_join"),
        dynamic("fan2", inputParameters={"forkTaskName": "add", "forkTaskInputs": [{"a": 1, "b": 1}]}),
        join("fan2_join"),
    )
    _, _, out = execute(definition, {"items": [{"x": 1}, "plain"]})
    assert out["status"] == "COMPLETED"
    assert refs(out) == ["fan", "_echo_0", "_echo_1", "fan_join", "fan2", "_fan2_add_0", "fan2_join"]
    tasks = by_ref(out)
    assert tasks["_echo_0"]["inputData"] == {"x": 1, "__index": 0}
    assert tasks["_echo_1"]["inputData"] == {"input": "plain", "__index": 1}
    assert tasks["fan"]["inputData"]["forkedTasks"] == ["_echo_0", "_echo_1"]
    assert tasks["fan_join"]["inputData"] == {"joinOn": ["_echo_0", "_echo_1"]}
    assert tasks["fan_join"]["outputData"] == {"_echo_0": {"x": 1, "__index": 0},
                                                "_echo_1": {"input": "plain", "__index": 1}}
    assert tasks["_fan2_add_0"]["outputData"] == {"sum": 2}

    optional = wf("dyn_opt", dynamic("fan", optional=True, inputParameters={
        "forkTaskName": "fail", "forkTaskInputs": [1]}), join("fan_join"), simple("after"))
    _, _, out = execute(optional)  # forked tasks inherit `optional` (and have no TaskDef: no retries)
    assert [(t["referenceTaskName"], t["status"]) for t in out["tasks"]] == [
        ("fan", "COMPLETED"), ("_fail_0", "COMPLETED_WITH_ERRORS"),
        ("fan_join", "COMPLETED_WITH_ERRORS"), ("after", "COMPLETED")]


def test_dynamic_fork_tasks_param_inputs_are_resolved_as_expressions():
    definition = wf(
        "dyn_param",
        simple("prep", "add", a=1, b=2),
        dynamic("fan", dynamicForkTasksParam="tasks", dynamicForkTasksInputParamName="inputs",
                inputParameters={"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"}),
        {**join("fan_join", "ignored"), "inputParameters": {"extra": 1}},
    )
    tasks = [{"name": "echo", "taskReferenceName": "e1", "inputParameters": {"fixed": "f"}},
             {"name": "add", "taskReferenceName": "a1", "type": "SIMPLE"}]
    inputs = {"e1": {"from_prep": "${prep.output.sum}", "text": "v=${workflow.input.v}"},
              "a1": {"a": "${prep.output.sum}", "b": 10}}
    _, _, out = execute(definition, {"tasks": tasks, "inputs": inputs, "v": 5})
    assert out["status"] == "COMPLETED"
    got = by_ref(out)
    assert got["e1"]["inputData"] == {"fixed": "f", "from_prep": 3, "text": "v=5"}
    assert got["a1"]["outputData"] == {"sum": 13}
    assert got["fan_join"]["inputData"] == {"extra": 1, "joinOn": ["e1", "a1"]}

    _, _, bad = execute(definition, {"tasks": tasks, "inputs": ["not", "a", "map"]})
    assert bad["status"] == "FAILED"
    assert bad["reasonForIncompletion"] == (
        "Input to the dynamically forked tasks is not a map -> expecting a map of K,V  but found [not, a, map]")


def test_dynamic_fork_legacy_form():
    definition = wf(
        "dyn_legacy",
        dynamic("fan", dynamicForkJoinTasksParam="dyn", inputParameters={"dyn": {"dynamicTasks": [
            {"taskName": "add", "referenceName": "x1", "type": "SIMPLE", "input": {"a": 2, "b": 3}}]}}),
        join("fan_join"),
    )
    _, _, out = execute(definition)
    assert refs(out) == ["fan", "x1", "fan_join"]
    assert by_ref(out)["fan_join"]["outputData"] == {"x1": {"sum": 5}}


def test_dynamic_fork_duplicate_ref_and_empty_list():
    definition = wf(
        "dyn_dup",
        simple("e1", "empty"),
        dynamic("fan", dynamicForkTasksParam="tasks", dynamicForkTasksInputParamName="inputs",
                inputParameters={"tasks": [{"name": "echo", "taskReferenceName": "e1"}], "inputs": {}}),
        join("fan_join"),
    )
    _, _, out = execute(definition)
    assert out["status"] == "FAILED"
    assert out["reasonForIncompletion"] == (
        "No dynamic tasks could be created for the Workflow: dyn_dup.1/wf-1, Dynamic Fork Task: "
        "echo/e1 attempted to create a duplicate task reference name: e1")

    empty = wf("dyn_empty", dynamic("fan", inputParameters={"forkTaskName": "echo", "forkTaskInputs": []}),
               join("fan_join"), simple("after"))
    _, _, out = execute(empty)
    assert out["status"] == "COMPLETED"
    assert refs(out) == ["fan", "fan_join", "after"]
    assert by_ref(out)["fan_join"]["inputData"] == {"joinOn": []}


# --------------------------------------------------------------------------------------
# C.6 DO_WHILE
# --------------------------------------------------------------------------------------


def loop(ref: str, condition: str, *body: dict, **fields) -> dict:
    return {"name": ref, "taskReferenceName": ref, "type": "DO_WHILE", "loopCondition": condition,
            "loopOver": list(body), **fields}


def test_do_while_suffixes_records_and_latest_iteration_references():
    definition = wf(
        "dw",
        loop("loop", "$.loop['iteration'] < 3 && $.second.n < 100",
             simple("first", "echo", prev_second="${second.output.n}", it="${loop.output.iteration}"),
             switch("sw", "$.parity % 2 == 1 ? 'odd' : 'even'", {"odd": [inline("odd_step", "'odd'")]},
                    [inline("even_step", "'even'")], evaluator="javascript", parity="${loop.output.iteration}"),
             simple("second", "echo", n="${loop.output.iteration}")),
        simple("after", "echo", last="${second.output.n}", body="${first.input.prev_second}"),
    )
    _, _, out = execute(definition)
    assert out["status"] == "COMPLETED"
    assert refs(out) == ["loop",
                         "first__1", "sw__1", "odd_step__1", "second__1",
                         "first__2", "sw__2", "even_step__2", "second__2",
                         "first__3", "sw__3", "odd_step__3", "second__3",
                         "after"]
    tasks = by_ref(out)
    # in iteration 1 `second` has not run; later it resolves to the previous iteration's copy
    assert tasks["first__1"]["inputData"] == {"prev_second": None, "it": 1}
    assert tasks["first__2"]["inputData"] == {"prev_second": 1, "it": 2}
    assert tasks["first__3"]["inputData"] == {"prev_second": 2, "it": 3}
    assert [tasks[f"second__{i}"]["iteration"] for i in (1, 2, 3)] == [1, 2, 3]
    assert tasks["loop"]["outputData"]["iteration"] == 3
    assert tasks["loop"]["outputData"]["2"] == {
        "first": {"prev_second": 1, "it": 2}, "sw": {"evaluationResult": ["even"], "selectedCase": "even"},
        "even_step": {"result": "even"}, "second": {"n": 2}}
    assert tasks["after"]["inputData"] == {"last": 3, "body": 2}


def test_do_while_runs_once_when_condition_is_false_and_truthiness():
    for condition, expected in (("false", 1), ("'true'", 1), ("$.loop.iteration < 2 ? 1 : 0", 2),
                                ("2 - $.body.n", 2)):
        definition = wf("dw_once", loop("loop", condition, simple("body", "echo", n="${loop.output.iteration}")))
        _, _, out = execute(definition)
        assert by_ref(out)["loop"]["outputData"]["iteration"] == expected, condition


def test_loop_condition_sees_resolved_input_parameters():
    definition = wf("dw_limit", loop("loop", "$.loop.iteration < $.limit", simple("body", "empty"),
                                     inputParameters={"limit": "${workflow.input.limit}"}))
    _, _, out = execute(definition, {"limit": 4})
    assert by_ref(out)["loop"]["outputData"]["iteration"] == 4
    assert by_ref(out)["loop"]["inputData"] == {"limit": 4}


def test_do_while_items_mode_and_empty_items():
    definition = wf("dw_items", loop("loop", "", simple("each", "echo", item="${loop.output.loopItem}",
                                                         index="${loop.output.loopIndex}"),
                                     items="${workflow.input.things}"))
    _, _, out = execute(definition, {"things": ["a", "b", "c"]})
    tasks = by_ref(out)
    assert [tasks[f"each__{i}"]["inputData"] for i in (1, 2, 3)] == [
        {"item": "a", "index": 0}, {"item": "b", "index": 1}, {"item": "c", "index": 2}]
    assert tasks["loop"]["outputData"]["iteration"] == 3
    _, _, out = execute(definition, {"things": []})
    assert refs(out) == ["loop"] and by_ref(out)["loop"]["outputData"] == {"iteration": 0}
    assert out["status"] == "COMPLETED"


def test_do_while_keep_last_n():
    definition = wf("dw_keep", loop("loop", "$.loop.iteration < 4", simple("body", "echo", i="${loop.output.iteration}"),
                                    inputParameters={"keepLastN": 2}))
    _, _, out = execute(definition)
    assert refs(out) == ["loop", "body__3", "body__4"]
    assert sorted(by_ref(out)["loop"]["outputData"]) == ["3", "4", "iteration"]


def test_do_while_fails_when_a_body_task_fails_or_the_condition_throws():
    definition = wf("dw_fail", loop("loop", "true", dict(simple("bad", "fail"), permissive=True)))
    _, _, out = execute(definition)
    assert by_ref(out)["loop"]["status"] == "FAILED"
    assert by_ref(out)["loop"]["reasonForIncompletion"] == "boom "
    assert out["status"] == "FAILED"
    assert out["reasonForIncompletion"] == "Task t-1 failed with status: FAILED and reason: 'boom '"

    definition = wf("dw_throw", loop("loop", "$.nothing.here", simple("body", "empty")))
    _, _, out = execute(definition)
    assert by_ref(out)["loop"]["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert by_ref(out)["loop"]["reasonForIncompletion"] == (
        "Unable to evaluate condition $.nothing.here, exception Error evaluating the script "
        "`TypeError: Cannot read properties of undefined (reading 'here')` at line 1")
    assert out["status"] == "FAILED"


def test_runaway_loop_is_stopped():
    definition = wf("dw_forever", loop("loop", "true", inline("tick", "1")))
    sim = Simulator({"dw_forever": definition}, {}, Worker(), max_tasks=50)
    with pytest.raises(SimulationError, match="more than 50 tasks"):
        sim.start("dw_forever", {})


# --------------------------------------------------------------------------------------
# C.7 WAIT / HUMAN, virtual clock, save and resume
# --------------------------------------------------------------------------------------


def test_wait_duration_on_the_virtual_clock():
    definition = wf("wait", {"name": "w", "taskReferenceName": "w", "type": "WAIT",
                             "inputParameters": {"duration": "1 hour 30 minutes"}}, simple("after"))
    sim, wid, out = execute(definition)  # auto_advance: jumps to the timer
    assert out["status"] == "COMPLETED"
    assert by_ref(out)["w"]["endTime"] - by_ref(out)["w"]["startTime"] == 5_400_000
    assert sim.now == T0 + 5_400_000

    sim, wid, out = execute(definition, auto_advance=False)
    assert out["status"] == "RUNNING" and refs(out) == ["w"]
    assert sim.pending_human(wid)[0]["taskType"] == "WAIT"
    sim.advance(5399)
    assert sim.run(wid) == "RUNNING"
    sim.advance(1)
    assert sim.run(wid) == "COMPLETED"


def test_wait_until_and_bad_inputs():
    def waiting(**params):
        return wf("wait_u", {"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": params})

    sim, _, out = execute(waiting(until="2026-01-02 10:30"))
    assert out["status"] == "COMPLETED" and sim.now == T0 + (24 + 10.5) * 3_600_000
    sim, _, out = execute(waiting(until="2026-01-01 01:00 GMT+01:00"))  # already past
    assert out["status"] == "COMPLETED" and sim.now == T0
    _, _, out = execute(waiting(duration="10s", until="2026-01-02"))
    assert by_ref(out)["w"]["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert by_ref(out)["w"]["reasonForIncompletion"] == (
        "Both 'duration' and 'until' specified. Please provide only one input")
    _, _, out = execute(waiting(until="tomorrow"))
    assert by_ref(out)["w"]["reasonForIncompletion"] == "Invalid/Unsupported Wait Until format.  Provided: tomorrow"
    with pytest.raises(SimulationError, match="Not valid duration: 10ms"):
        execute(waiting(duration="10ms"))


def test_human_pause_complete_and_resume_from_saved_state():
    definition = wf(
        "hitl",
        simple("draft", "echo", text="${workflow.input.text}"),
        {"name": "review", "taskReferenceName": "review", "type": "HUMAN",
         "inputParameters": {"draft": "${draft.output.text}"}},
        switch("decide", "approved", {"true": [simple("publish", "echo", text="${draft.output.text}",
                                                      note="${review.output.note}")]},
               [{"name": "stop", "taskReferenceName": "stop", "type": "TERMINATE",
                 "inputParameters": {"terminationStatus": "TERMINATED", "terminationReason": "rejected"}}],
               approved="${review.output.approved}"),
    )
    sim = Simulator({"hitl": definition}, {}, Worker())
    wid = sim.start("hitl", {"text": "hello"})
    assert sim.run(wid) == "RUNNING"
    pending = sim.pending_human(wid)
    assert pending == [{"workflowId": "wf-1", "taskId": "t-2", "ref": "review", "taskType": "HUMAN",
                        "input": {"draft": "hello"}}]

    saved = json.loads(json.dumps(sim.to_json()))  # a file in between
    worker = Worker()
    resumed = Simulator.from_json(saved, worker)
    assert resumed.pending_human(wid) == pending
    resumed.complete_task(wid, "review", {"approved": True, "note": "ok"})
    assert resumed.run(wid) == "COMPLETED"
    out = resumed.execution(wid)
    assert refs(out) == ["draft", "review", "decide", "publish"]
    assert by_ref(out)["review"]["outputData"] == {"approved": True, "note": "ok"}
    assert out["output"] == {"text": "hello", "note": "ok"}
    assert [c.ref for c in worker.calls] == ["publish"]

    rejected = Simulator.from_json(saved, Worker())
    rejected.complete_task(wid, "t-2", {"approved": False})
    assert rejected.run(wid) == "TERMINATED"
    assert rejected.execution(wid)["reasonForIncompletion"] == "rejected"
    with pytest.raises(SimulationError, match="already COMPLETED"):
        rejected.complete_task(wid, "review", {})


def test_worker_in_progress_blocks_until_completed_and_callback_repolls():
    definition = wf("slow", simple("job", "later"), simple("after", "echo", got="${job.output.answer}"))
    sim, wid, out = execute(definition)
    assert out["status"] == "RUNNING" and by_ref(out)["job"]["status"] == "IN_PROGRESS"
    sim.complete_task(wid, "job", {"answer": 42})
    assert sim.run(wid) == "COMPLETED"
    assert sim.execution(wid)["output"] == {"got": 42}

    polls = []

    def poll_twice(call):
        polls.append(sim2.now)
        if len(polls) < 3:
            return TaskResult("IN_PROGRESS", {"n": len(polls)}, callback_after_seconds=30)
        return TaskResult("COMPLETED", {"n": len(polls)})

    sim2 = Simulator({"slow": wf("slow", simple("job", "later"))}, {}, poll_twice)
    wid2 = sim2.start("slow", {})
    assert sim2.run(wid2) == "COMPLETED"
    assert polls == [T0, T0 + 30_000, T0 + 60_000]
    assert by_ref(sim2.execution(wid2))["job"]["pollCount"] == 3


# --------------------------------------------------------------------------------------
# C.8 TERMINATE / SET_VARIABLE
# --------------------------------------------------------------------------------------


def terminate(ref: str, status: str, **params) -> dict:
    return {"name": ref, "taskReferenceName": ref, "type": "TERMINATE",
            "inputParameters": {"terminationStatus": status, **params}}


def test_terminate_output_wins_and_cancels_the_rest():
    definition = wf(
        "term",
        fork("fork", [{"name": "h", "taskReferenceName": "h", "type": "HUMAN"}],
             [simple("a", "add", a=1, b=2), terminate("end", "COMPLETED", workflowOutput={"sum": "${a.output.sum}"})]),
        join("join", "h", "end"),
        outputParameters={"ignored": True},
    )
    _, _, out = execute(definition)
    assert out["status"] == "COMPLETED"
    assert out["output"] == {"sum": 3}
    assert out["reasonForIncompletion"] == "Workflow is COMPLETED by TERMINATE task: t-5"
    assert by_ref(out)["h"]["status"] == "CANCELED" and by_ref(out)["join"]["status"] == "CANCELED"

    failed = wf("term_fail", terminate("end", "FAILED", terminationReason="nope", workflowOutput="plain"))
    _, _, out = execute(failed)
    assert (out["status"], out["reasonForIncompletion"], out["output"]) == ("FAILED", "nope", {"output": "plain"})


def test_task_def_input_template_in_a_workflow():
    task_defs = {"echo": {"name": "echo", "inputTemplate": {"lang": "en", "x": "dflt"}}}
    definition = wf(
        "tmpl_td",
        simple("a", "echo", x="${workflow.input.missing}"),
        dict(simple("b", "echo", x="given"), taskDefinition={"name": "echo", "inputTemplate": {"y": 1}}),
        {"name": "echo", "taskReferenceName": "h", "type": "HUMAN", "inputParameters": {"x": None}},
        {"name": "nop", "taskReferenceName": "nop", "type": "NOOP"},
    )
    sim, wid, out = execute(definition, task_defs=task_defs)
    assert by_ref(out)["a"]["inputData"] == {"x": "dflt", "lang": "en"}
    assert by_ref(out)["b"]["inputData"] == {"x": "given", "y": 1}  # the embedded TaskDef wins
    assert by_ref(out)["h"]["inputData"] == {"x": None}  # HUMAN's mapper passes no TaskDef
    sim.complete_task(wid, "h", {})
    assert sim.run(wid) == "COMPLETED" and by_ref(sim.execution(wid))["nop"]["status"] == "COMPLETED"


def test_set_variable_and_workflow_variables():
    definition = wf(
        "vars",
        {"name": "sv", "taskReferenceName": "sv", "type": "SET_VARIABLE",
         "inputParameters": {"count": "${workflow.input.n}", "tag": "v${workflow.input.n}"}},
        simple("use", "echo", c="${workflow.variables.count}", kept="${workflow.variables.kept}"),
        variables={"kept": "k"},
    )
    _, _, out = execute(definition, {"n": 3})
    assert out["variables"] == {"kept": "k", "count": 3, "tag": "v3"}
    assert by_ref(out)["use"]["inputData"] == {"c": 3, "kept": "k"}
    assert by_ref(out)["sv"]["outputData"] == {}


# --------------------------------------------------------------------------------------
# C.10 / C.11 retries and failures
# --------------------------------------------------------------------------------------


def test_retries_on_the_virtual_clock_with_re_resolved_input():
    definition = wf("retry", simple("job", "flaky", at="${workflow.input.x}", me="${CPEWF_TASK_ID}"))
    task_defs = {"flaky": {"name": "flaky", "retryCount": 3, "retryLogic": "FIXED", "retryDelaySeconds": 10}}
    sim, _, out = execute(definition, {"x": 1}, worker=Worker(fail_times=2), task_defs=task_defs)
    assert out["status"] == "COMPLETED"
    attempts = [t for t in out["tasks"] if t["referenceTaskName"] == "job"]
    assert [(t["taskId"], t["retryCount"], t["status"], t["retriedTaskId"]) for t in attempts] == [
        ("t-1", 0, "FAILED", None), ("t-2", 1, "FAILED", "t-1"), ("t-3", 2, "COMPLETED", "t-2")]
    assert [t["startTime"] - T0 for t in attempts] == [0, 10_000, 20_000]
    assert [t["inputData"]["me"] for t in attempts] == ["t-1", "t-2", "t-3"]  # re-resolved per attempt
    assert attempts[-1]["outputData"] == {"attempts": 3, "seen": {"at": 1, "me": "t-3"}}
    assert sim.now == T0 + 20_000


def test_backoff_delays_cap_and_default_task_def():
    definition = wf("backoff", simple("job", "flaky"))
    task_defs = {"flaky": {"name": "flaky", "retryCount": 4, "retryLogic": "EXPONENTIAL_BACKOFF",
                           "retryDelaySeconds": 10, "maxRetryDelaySeconds": 50}}
    _, _, out = execute(definition, worker=Worker(fail_times=4), task_defs=task_defs)
    starts = [t["startTime"] - T0 for t in out["tasks"]]
    assert starts == [0, 10_000, 30_000, 70_000, 120_000]  # delays 10, 20, 40, min(80, 50)

    task_defs["flaky"].update(retryLogic="LINEAR_BACKOFF", backoffScaleFactor=2, maxRetryDelaySeconds=0)
    _, _, out = execute(definition, worker=Worker(fail_times=2), task_defs=task_defs)
    assert [t["startTime"] - T0 for t in out["tasks"]] == [0, 20_000, 60_000]  # 10*2*1, 10*2*2

    _, _, out = execute(definition, worker=Worker(fail_times=1))  # ad-hoc: 3 retries, 60 s FIXED
    assert [t["startTime"] - T0 for t in out["tasks"]] == [0, 60_000]


def test_retries_exhausted_fail_the_workflow_unless_optional():
    definition = wf("exhaust", dict(simple("job", "flaky"), retryCount=1), simple("after"),
                    outputParameters={"job": "${job.output}"})
    _, _, out = execute(definition, worker=Worker(fail_times=5))
    assert [t["retryCount"] for t in out["tasks"]] == [0, 1]
    assert out["status"] == "FAILED"
    assert out["reasonForIncompletion"] == "Task t-2 failed with status: FAILED and reason: 'attempt 2 failed'"
    assert out["output"] == {"job": {}}  # outputParameters are resolved on failure too
    assert out["failedReferenceTaskNames"] == ["job"] and out["failedTaskId"] == "t-2"

    optional = wf("opt", dict(simple("job", "fail"), optional=True, retryCount=0), simple("after", "echo", v=1))
    _, _, out = execute(optional)
    assert by_ref(out)["job"]["status"] == "COMPLETED_WITH_ERRORS"
    assert out["status"] == "COMPLETED" and refs(out) == ["job", "after"]


def test_a_raising_worker_is_a_failed_task_and_non_simple_tasks_do_not_retry():
    _, _, out = execute(wf("raise", simple("job", "raise")), task_defs={"raise": {"name": "raise", "retryCount": 0}})
    assert out["reasonForIncompletion"] == "Task t-1 failed with status: FAILED and reason: 'worker crashed'"
    custom = {"name": "fail", "taskReferenceName": "job", "type": "MY_CUSTOM_TYPE"}
    worker = Worker()
    _, _, out = execute(wf("custom", custom), worker=worker)
    assert [c.task_type for c in worker.calls] == ["MY_CUSTOM_TYPE"]  # unknown type → the worker
    assert len(out["tasks"]) == 1 and out["status"] == "FAILED"  # ad-hoc non-SIMPLE TaskDef: 0 retries


def test_permissive_failure_fails_the_workflow_at_the_end():
    definition = wf("perm", dict(simple("job", "fail"), permissive=True, retryCount=0), simple("after"))
    _, _, out = execute(definition)
    assert refs(out) == ["job", "after"]
    assert out["status"] == "FAILED"
    assert out["reasonForIncompletion"] == "Task t-1 failed with status: FAILED and reason: 'boom'"


def test_failure_workflow_is_started_with_the_failure_details():
    handler = wf("on_failure", simple("notify", "echo", wid="${workflow.input.workflowId}",
                                     why="${workflow.input.reason}", status="${workflow.input.failureStatus}"))
    definition = wf("main", dict(simple("job", "fail"), retryCount=0), failureWorkflow="on_failure")
    sim, _, out = execute(definition, {"k": 1}, more={"on_failure": handler})
    fid = out["output"]["conductor.failure_workflow"]
    assert fid == "wf-2"
    failure = sim.execution(fid)
    assert failure["status"] == "COMPLETED"
    assert failure["input"]["k"] == 1 and failure["input"]["failureTaskId"] == "t-1"
    assert failure["input"]["failedWorkflow"]["workflowId"] == "wf-1"
    assert by_ref(failure)["notify"]["inputData"] == {
        "wid": "wf-1", "why": "Task t-1 failed with status: FAILED and reason: 'boom'", "status": "FAILED"}


def test_task_and_workflow_timeouts():
    definition = wf("wto", {"name": "h", "taskReferenceName": "h", "type": "HUMAN"},
                    timeoutSeconds=600, timeoutPolicy="TIME_OUT_WF")
    sim, _, out = execute(definition)
    assert out["status"] == "TIMED_OUT" and sim.now == T0 + 600_000
    assert out["reasonForIncompletion"] == (
        "Workflow timed out after 600 seconds. Timeout configured as 600 seconds. Timeout policy configured to TIME_OUT_WF")
    assert by_ref(out)["h"]["status"] == "CANCELED"

    task = {"name": "later", "taskReferenceName": "job", "type": "SIMPLE",  # its worker never answers
            "taskDefinition": {"name": "later", "timeoutSeconds": 30, "responseTimeoutSeconds": 30,
                               "timeoutPolicy": "RETRY", "retryCount": 1, "retryDelaySeconds": 0}}
    sim, _, out = execute(wf("tto", task))
    assert [(t["status"], t["startTime"] - T0) for t in out["tasks"]] == [("TIMED_OUT", 0), ("TIMED_OUT", 30_000)]
    assert out["status"] == "TIMED_OUT" and sim.now == T0 + 60_000
    assert out["tasks"][0]["reasonForIncompletion"] == (
        "Task timed out after 30 seconds. Timeout configured as 30 seconds. Timeout policy configured to RETRY")


# --------------------------------------------------------------------------------------
# C.12 SUB_WORKFLOW / START_WORKFLOW, C.15 DYNAMIC, unsupported types
# --------------------------------------------------------------------------------------

CHILD_V1 = wf("child", simple("c", "add", a="${workflow.input.a}", b=1),
              outputParameters={"value": "${c.output.sum}", "v": 1})
CHILD_V2 = dict(CHILD_V1, version=2, outputParameters={"value": "${c.output.sum}", "v": 2})


def sub(ref: str, **param) -> dict:
    return {"name": ref, "taskReferenceName": ref, "type": "SUB_WORKFLOW",
            "subWorkflowParam": param, "inputParameters": {"a": "${workflow.input.a}"}}


def test_sub_workflow_input_output_and_versions():
    definition = wf("parent", sub("latest", name="child"), sub("pinned", name="child", version=1),
                    simple("after", "echo", got="${latest.output.value}", v="${pinned.output.v}"))
    sim, _, out = execute(definition, {"a": 41}, more={"child": [CHILD_V1, CHILD_V2]})
    assert out["status"] == "COMPLETED"
    latest = by_ref(out)["latest"]
    assert latest["inputData"]["workflowInput"] == {"a": 41}
    assert latest["inputData"]["subWorkflowName"] == "child" and latest["inputData"]["subWorkflowVersion"] == 2
    assert latest["outputData"] == {"subWorkflowId": "wf-2", "value": 42, "v": 2}
    assert latest["subWorkflowId"] == "wf-2"
    assert by_ref(out)["pinned"]["outputData"] == {"subWorkflowId": "wf-3", "value": 42, "v": 1}
    assert by_ref(out)["after"]["inputData"] == {"got": 42, "v": 1}
    child = sim.execution("wf-2")
    assert (child["parentWorkflowId"], child["parentWorkflowTaskId"], child["input"]) == ("wf-1", "t-1", {"a": 41})


def test_sub_workflow_without_inputs_gets_the_whole_task_input_and_the_correlation_id():
    echo_child = wf("echo_child", simple("c", "echo", all="${workflow.input}", corr="${workflow.correlationId}"))
    definition = wf("p", {"name": "s", "taskReferenceName": "s", "type": "SUB_WORKFLOW",
                          "subWorkflowParam": {"name": "echo_child", "version": 1}})
    sim = Simulator({"p": definition, "echo_child": echo_child}, {}, Worker())
    wid = sim.start("p", {}, correlation_id="order-7")
    assert sim.run(wid) == "COMPLETED"
    seen = by_ref(sim.execution("wf-2"))["c"]["inputData"]
    assert seen["corr"] == "order-7"
    assert seen["all"] == {"subWorkflowName": "echo_child", "priority": None, "subWorkflowVersion": 1,
                           "subWorkflowTaskToDomain": None, "subWorkflowDefinition": None,
                           "idempotencyKey": None, "idempotencyStrategy": None, "workflowInput": {}}


def test_sub_workflow_failure_inline_definition_and_human_inside():
    failing_child = wf("bad_child", dict(simple("x", "fail"), retryCount=0))
    _, _, out = execute(wf("p1", sub("s", name="bad_child")), more={"bad_child": failing_child})
    s = by_ref(out)["s"]
    assert s["status"] == "FAILED"
    assert s["reasonForIncompletion"] == (
        "Sub workflow bad_child.1/wf-2 failure reason: Task t-2 failed with status: FAILED and reason: 'boom'")
    assert out["status"] == "FAILED"

    inline_def = wf("inline_child", simple("c", "echo", seen="${workflow.input}"))
    _, _, out = execute(wf("p2", sub("s", workflowDefinition=inline_def)), {"a": 1})
    assert by_ref(out)["s"]["outputData"]["seen"] == {"a": 1, "_systemMetadata": {"dynamic": True}}

    human_child = wf("human_child", {"name": "ask", "taskReferenceName": "ask", "type": "HUMAN",
                                     "inputParameters": {"q": "${workflow.input.a}"}})
    sim, wid, out = execute(wf("p3", sub("s", name="human_child"), simple("after", "echo", answer="${s.output.answer}")),
                            {"a": "why?"}, more={"human_child": human_child})
    assert out["status"] == "RUNNING"
    [pending] = sim.pending_human(wid)
    assert pending["workflowId"] == "wf-2" and pending["input"] == {"q": "why?"}
    sim.complete_task(pending["workflowId"], pending["taskId"], {"answer": "because"})
    assert sim.run(wid) == "COMPLETED"
    assert sim.execution(wid)["output"] == {"answer": "because"}


def test_missing_sub_workflow_definition_fails_the_workflow():
    _, _, out = execute(wf("p", sub("s", name="ghost")))
    assert out["status"] == "FAILED"
    assert out["reasonForIncompletion"] == "The Task ghost defined as a sub-workflow has no workflow definition available "


def test_start_workflow_is_fire_and_forget():
    definition = wf("starter", {"name": "sw", "taskReferenceName": "go", "type": "START_WORKFLOW",
                                "inputParameters": {"startWorkflow": {"name": "child", "input": {"a": 1}}}})
    sim, _, out = execute(definition, more={"child": CHILD_V1})
    assert out["status"] == "COMPLETED" and by_ref(out)["go"]["outputData"] == {"workflowId": "wf-2"}
    assert sim.execution("wf-2")["status"] == "COMPLETED" and sim.execution("wf-2")["output"]["value"] == 2
    assert sim.execution("wf-2")["parentWorkflowId"] is None


def test_dynamic_task_takes_its_name_from_the_input():
    definition = wf("dyn", {"name": "whatever", "taskReferenceName": "d", "type": "DYNAMIC",
                            "dynamicTaskNameParam": "which", "inputParameters": {"which": "add", "a": 2, "b": 2}})
    worker = Worker()
    _, _, out = execute(definition, worker=worker)
    assert by_ref(out)["d"]["taskType"] == "add" and by_ref(out)["d"]["outputData"] == {"sum": 4}
    assert worker.calls[0].input == {"which": "add", "a": 2, "b": 2}


def test_unsupported_types_raise_unless_routed_to_the_worker():
    http = {"name": "call", "taskReferenceName": "call", "type": "HTTP",
            "inputParameters": {"http_request": {"uri": "http://x", "method": "GET"}}}
    assert "HTTP" in UNSUPPORTED and "JSON_JQ_TRANSFORM" in UNSUPPORTED
    with pytest.raises(SimulationUnsupported) as info:
        execute(wf("http", simple("before"), http))
    assert (info.value.task_type, info.value.ref) == ("HTTP", "call")

    def fake_http(call):
        return TaskResult("COMPLETED", {"response": {"statusCode": 200, "req": call.input["http_request"]["uri"]}})

    _, _, out = execute(wf("http", http), worker=fake_http, worker_types=["HTTP"])
    assert out["output"] == {"response": {"statusCode": 200, "req": "http://x"}}


def test_unknown_workflow_and_task_lookups_raise():
    sim = Simulator({}, {}, Worker())
    with pytest.raises(SimulationError, match="No such workflow defined. name=nope, version=null"):
        sim.start("nope", {})
    with pytest.raises(SimulationError, match="no workflow 'wf-9'"):
        sim.run("wf-9")
    with pytest.raises(SimulationError, match="not a saved simulation"):
        Simulator.from_json({"format": "other"}, Worker())


# --------------------------------------------------------------------------------------
# more combinations
# --------------------------------------------------------------------------------------


def test_join_inside_a_loop_waits_on_the_iteration_refs():
    definition = wf("loop_fork", loop(
        "loop", "$.loop.iteration < 2",
        fork("f", [simple("x", "add", a="${loop.output.iteration}", b=0)], [simple("y", "empty")]),
        join("j", "x", "y")))
    _, _, out = execute(definition)
    assert out["status"] == "COMPLETED"
    assert refs(out) == ["loop", "f__1", "x__1", "y__1", "j__1", "f__2", "x__2", "y__2", "j__2"]
    tasks = by_ref(out)
    assert tasks["j__2"]["inputData"] == {"joinOn": ["x", "y"]}
    assert tasks["j__2"]["outputData"] == {"x__2": {"sum": 2}}
    assert tasks["loop"]["outputData"]["1"] == {"f": {}, "x": {"sum": 1}, "y": {}, "j": {"x__1": {"sum": 1}}}


def test_human_inside_a_loop_is_completed_by_its_plain_ref():
    definition = wf("ask_loop", loop(
        "loop", "$.ask.more == true",
        {"name": "ask", "taskReferenceName": "ask", "type": "HUMAN",
         "inputParameters": {"round": "${loop.output.iteration}"}}))
    sim, wid, _ = execute(definition)
    assert [p["ref"] for p in sim.pending_human(wid)] == ["ask__1"]
    sim.complete_task(wid, "ask", {"more": True})
    assert sim.run(wid) == "RUNNING"
    assert [(p["ref"], p["input"]) for p in sim.pending_human(wid)] == [("ask__2", {"round": 2})]
    sim.complete_task(wid, "ask", {"more": False})
    assert sim.run(wid) == "COMPLETED"
    assert by_ref(sim.execution(wid))["loop"]["outputData"]["iteration"] == 2


def test_exclusive_join_lambda_and_nested_switch_successors():
    definition = wf(
        "excl",
        switch("outer", "o", {"a": [switch("inner", "i", {"x": [simple("ix", "echo", v="ix")]}, i="x"),
                                    simple("after_inner", "echo", v="after_inner")],
                              "b": [simple("tb", "echo", v="tb")]}, o="${workflow.input.o}"),
        {"name": "ej", "taskReferenceName": "ej", "type": "EXCLUSIVE_JOIN", "joinOn": ["after_inner", "tb"]},
        {"name": "lam", "taskReferenceName": "lam", "type": "LAMBDA",
         "inputParameters": {"scriptExpression": "return $.v + '!';", "v": "${ej.output.v}"}},
    )
    _, _, a = execute(definition, {"o": "a"})
    assert refs(a) == ["outer", "inner", "ix", "after_inner", "ej", "lam"]
    assert a["output"] == {"result": "after_inner!"}
    _, _, b = execute(definition, {"o": "b"})
    assert refs(b) == ["outer", "tb", "ej", "lam"] and b["output"] == {"result": "tb!"}


def test_sub_workflow_retry_starts_a_new_child_and_parent_failure_terminates_children():
    seen = []

    def once_failing(call):
        seen.append(call.workflow_id)
        if len(seen) == 1:
            return TaskResult("FAILED", {}, "first child fails")
        return TaskResult("COMPLETED", {"ok": True})

    child = wf("c1", dict(simple("c", "flaky"), retryCount=0), outputParameters={"ok": "${c.output.ok}"})
    parent = wf("p", dict(sub("s", name="c1"), retryCount=1))
    sim, wid, out = execute(parent, worker=once_failing, more={"c1": child})
    assert out["status"] == "COMPLETED" and seen == ["wf-2", "wf-3"]
    attempts = [t for t in out["tasks"] if t["referenceTaskName"] == "s"]
    assert [(t["status"], t["subWorkflowId"]) for t in attempts] == [("FAILED", "wf-2"), ("COMPLETED", "wf-3")]
    assert attempts[1]["startTime"] - T0 == 60_000  # the ad-hoc TaskDef's 60 s FIXED delay
    assert out["output"] == {"subWorkflowId": "wf-3", "ok": True}

    asker = wf("asker", {"name": "h", "taskReferenceName": "h", "type": "HUMAN"})
    parent = wf("p2", fork("f", [sub("s", name="asker")], [dict(simple("x", "fail"), retryCount=0)]),
                join("j", "s", "x"))
    sim, wid, out = execute(parent, more={"asker": asker})
    assert out["status"] == "FAILED" and by_ref(out)["s"]["status"] == "CANCELED"
    child = sim.execution(by_ref(out)["s"]["subWorkflowId"])
    assert child["status"] == "TERMINATED"
    assert child["reasonForIncompletion"] == (
        "Parent workflow has been terminated with reason: "
        "Task t-3 failed with status: FAILED and reason: 'boom'")
    assert by_ref(child)["h"]["status"] == "CANCELED"
    assert sim.pending_human(wid) == []


def test_retry_delay_blocks_without_auto_advance():
    definition = wf("manual", dict(simple("job", "flaky"), retryCount=1))
    sim = Simulator({"manual": definition}, {}, Worker(fail_times=1), auto_advance=False)
    wid = sim.start("manual", {})
    assert sim.run(wid) == "RUNNING"
    assert [t["status"] for t in sim.execution(wid)["tasks"]] == ["FAILED", "SCHEDULED"]
    sim.advance(59)
    assert sim.run(wid) == "RUNNING"
    sim.advance(1)
    assert sim.run(wid) == "COMPLETED"


# --------------------------------------------------------------------------------------
# C.16 the test endpoint with mocks
# --------------------------------------------------------------------------------------


def test_run_test_request_answers_tasks_from_mocks():
    definition = wf(
        "mocked",
        simple("a", "anything", x="${workflow.input.x}"),
        loop("loop", "$.loop.iteration < 2", simple("b", "anything", prev="${a.output.v}")),
        {"name": "h", "taskReferenceName": "h", "type": "HUMAN"},
        sub("s", name="child"),
        outputParameters={"a": "${a.output.v}", "b": "${b.output.n}", "h": "${h.output.ok}", "s": "${s.output.value}"},
    )
    sim = Simulator({"mocked": definition, "child": CHILD_V1}, {}, None)
    out = sim.run_test_request({
        "name": "mocked", "input": {"x": 1, "a": 0},
        "taskRefToMockOutput": {
            "a": [{"status": "FAILED"}, {"output": {"v": "A"}}],  # the retry takes the 2nd mock
            "b__1": [{"output": {"n": 1}}], "b__2": [{"output": {"n": 2}}],
            "h": [{"output": {"ok": True}}],
        },
        "subWorkflowTestRequest": {"s": {"taskRefToMockOutput": {"c": [{"output": {"sum": 5}}]}}},
    })
    assert out["status"] == "COMPLETED"
    assert out["output"] == {"a": "A", "b": 2, "h": True, "s": 5}
    assert [(t["referenceTaskName"], t["status"]) for t in out["tasks"]] == [
        ("a", "FAILED"), ("a", "COMPLETED"), ("loop", "COMPLETED"), ("b__1", "COMPLETED"),
        ("b__2", "COMPLETED"), ("h", "COMPLETED"), ("s", "COMPLETED")]

    stopped = sim.run_test_request({"name": "mocked", "input": {}, "taskRefToMockOutput": {"a": [{}]}})
    assert stopped["status"] == "RUNNING"  # b__1 has no mock: the endpoint gives up there
    assert [(t["referenceTaskName"], t["status"]) for t in stopped["tasks"]] == [
        ("a", "COMPLETED"), ("loop", "IN_PROGRESS"), ("b__1", "SCHEDULED")]


def test_start_delay_postpones_the_first_poll():
    worker = Worker()
    sim, _, out = execute(wf("delayed", dict(simple("job", "add", a=1, b=1), startDelay=5)), worker=worker)
    assert out["status"] == "COMPLETED"
    assert (by_ref(out)["job"]["scheduledTime"], by_ref(out)["job"]["startTime"]) == (T0, T0 + 5_000)
    assert sim.now == T0 + 5_000
