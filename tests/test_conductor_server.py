"""Talking to a Conductor server through conductor-python: ``deploy`` against a local
recording HTTP server (exact endpoints, order, bodies that parse back with the SDK's
models and carry our JSON unchanged; server errors as AC401), the task function the SDK's
Worker calls (in process, through ``Worker.execute``, and after pickling as the SDK's
spawned worker processes do), and ``serve`` end to end in a subprocess: it polls every
task type, runs a handed-out task and reports the result back."""
import copy
import json
import pickle
import socket
import signal
import subprocess
import time
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from agentc.errors import AgentcError, Code

ROOT = Path(__file__).resolve().parents[1]
CASES = json.loads((ROOT / "fixtures" / "langgraph" / "cases.json").read_text())
CHAIN = "agentc.fixtures.langgraph.chain:graph"


# ---------------------------------------------------------------------------- recording server
class Recorder:
    """A stand-in Conductor: records every request; ``respond(method, path, body)`` gives
    (status, JSON-able body or None) — by default 200 with what the real server returns."""

    def __init__(self, respond=None):
        self.calls = []
        self.respond = respond or self.default
        self.lock = threading.Lock()

    @staticmethod
    def default(method, path, body):
        if method == "PUT" and path == "/api/metadata/workflow":
            return 200, {"bulkErrorResults": {}, "bulkSuccessfulResults": [w["name"] for w in body]}
        if method == "GET" and path.startswith("/api/tasks/poll/batch/"):
            return 200, []
        if method == "GET" and path.startswith("/api/metadata/taskdefs/"):
            return 404, {"status": 404, "message": "No such taskType found by name"}
        return 200, None

    def endpoints(self):
        return [(c["method"], c["path"]) for c in self.calls]


def _handler(rec):
    class H(BaseHTTPRequestHandler):
        def _do(self):
            parts = urlsplit(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            body = json.loads(raw) if raw else None
            with rec.lock:
                rec.calls.append({"method": self.command, "path": parts.path,
                                  "query": parse_qs(parts.query), "body": body})
            status, out = rec.respond(self.command, parts.path, body)
            data = b"" if out is None else json.dumps(out).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _do

        def log_message(self, *args):
            pass

    return H


@pytest.fixture
def conductor():
    servers = []

    def start(respond=None):
        rec = Recorder(respond)
        srv = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        rec.url = f"http://127.0.0.1:{srv.server_address[1]}/api"
        return rec

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def lowered(ref):
    from agentc.api import load
    from agentc.targets.conductor.lowering import lower_workflow

    return lower_workflow(load(ref))


# ---------------------------------------------------------------------------- what must arrive
def walk(tasks):
    for t in tasks:
        yield t
        for b in (t.get("decisionCases") or {}).values():
            yield from walk(b)
        yield from walk(t.get("defaultCase") or [])
        yield from walk(t.get("loopOver") or [])
        for b in t.get("forkTasks") or []:
            yield from walk(b)


def essentials(wf):
    """The fields that make the workflow run as compiled."""
    def task(t):
        return {
            "name": t.get("name"), "ref": t.get("taskReferenceName"), "type": t.get("type"),
            "inputParameters": t.get("inputParameters"), "evaluatorType": t.get("evaluatorType"),
            "expression": t.get("expression"), "cases": sorted(t.get("decisionCases") or {}),
            "defaultCase": [x.get("taskReferenceName") for x in t.get("defaultCase") or []],
            "loopCondition": t.get("loopCondition"),
            "loopOver": [x.get("taskReferenceName") for x in t.get("loopOver") or []],
            "forkTasks": [[x.get("taskReferenceName") for x in b] for b in t.get("forkTasks") or []],
            "joinOn": t.get("joinOn"), "subWorkflowParam": t.get("subWorkflowParam"),
            "dynamicForkTasksParam": t.get("dynamicForkTasksParam"),
            "dynamicForkTasksInputParamName": t.get("dynamicForkTasksInputParamName"),
        }

    return {"name": wf["name"], "version": wf.get("version"), "schemaVersion": wf.get("schemaVersion"),
            "ownerEmail": wf.get("ownerEmail"), "outputParameters": wf.get("outputParameters"),
            "tasks": [task(t) for t in walk(wf["tasks"])]}


def contains(sent, ours, path="$"):
    """Everything we emitted arrives unchanged (the SDK may add its own defaults)."""
    if isinstance(ours, dict):
        assert isinstance(sent, dict), path
        for k, v in ours.items():
            assert k in sent, f"{path}.{k} was dropped by the SDK"
            contains(sent[k], v, f"{path}.{k}")
    elif isinstance(ours, list):
        assert isinstance(sent, list) and len(sent) == len(ours), path
        for i, (a, b) in enumerate(zip(sent, ours)):
            contains(a, b, f"{path}[{i}]")
    else:
        assert sent == ours, f"{path}: sent {sent!r}, emitted {ours!r}"


# ---------------------------------------------------------------------------- deploy
FIXTURES = ["chain", "subgraph", "branching", "router_loop", "map_reduce", "hitl_review", "command_goto"]


@pytest.mark.parametrize("name", FIXTURES)
def test_deploy_sends_what_we_emit(name, conductor):
    from agentc.targets.conductor.server import deploy
    from conductor.client.helpers.helper import ObjectMapper
    from conductor.client.http.models.task_def import TaskDef
    from conductor.client.http.models.workflow_def import WorkflowDef, to_workflow_def

    res = lowered(f"agentc.fixtures.langgraph.{name}:graph")
    ours = copy.deepcopy(res.workflows), copy.deepcopy(res.task_defs)
    rec = conductor()
    lines = deploy(res.workflows, res.task_defs, rec.url)
    assert (res.workflows, res.task_defs) == ours  # deploy does not touch its arguments

    assert rec.endpoints() == [("POST", "/api/metadata/taskdefs"), ("PUT", "/api/metadata/workflow")]
    assert all(c["query"] == {} for c in rec.calls)
    tds, wfs = rec.calls[0]["body"], rec.calls[1]["body"]

    # task definitions: one list, every one we emitted, parsing back with the SDK model
    assert sorted(t["name"] for t in tds) == sorted(res.task_defs)
    for t in tds:
        assert isinstance(ObjectMapper().from_json(t, TaskDef), TaskDef)
        contains(t, res.task_defs[t["name"]], f"taskdef {t['name']}")

    # workflow definitions: every one, sub-workflows before the workflows that run them
    names = [w["name"] for w in wfs]
    assert sorted(names) == sorted(res.workflows)
    for w in wfs:
        for t in walk(w["tasks"]):
            if t["type"] == "SUB_WORKFLOW":
                assert names.index(t["subWorkflowParam"]["name"]) < names.index(w["name"])
    root = names[-1]
    assert res.workflows[root]["inputParameters"] == ["input", "context", "fork"]  # the root is registered last (fork: a graph fork's record, docs/replay.md)
    for w in wfs:
        assert isinstance(to_workflow_def(json_data=w), WorkflowDef)
        assert essentials(w) == essentials(res.workflows[w["name"]])
        contains(w, res.workflows[w["name"]], f"workflow {w['name']}")

    assert len(lines) == len(res.task_defs) + len(res.workflows)
    assert all(isinstance(x, str) and "\n" not in x for x in lines)
    assert any(x.startswith(f"workflow {root} v1") for x in lines)


def test_deploy_orders_children_first_whatever_the_input_order(conductor):
    from agentc.targets.conductor.server import deploy

    res = lowered("agentc.fixtures.langgraph.subgraph:graph")
    root = "subgraph"
    shuffled = {root: res.workflows[root], **{k: v for k, v in res.workflows.items() if k != root}}
    rec = conductor()
    deploy(shuffled, res.task_defs, rec.url)
    names = [w["name"] for w in rec.calls[1]["body"]]
    assert names[-1] == root and set(names[:-1]) == set(res.workflows) - {root}


def test_deploy_without_overwrite_posts_each_workflow(conductor):
    from agentc.targets.conductor.server import deploy
    from conductor.client.http.models.workflow_def import to_workflow_def

    res = lowered("agentc.fixtures.langgraph.subgraph:graph")
    rec = conductor()
    lines = deploy(res.workflows, res.task_defs, rec.url.removesuffix("/api"), overwrite=False)
    assert rec.endpoints() == [("POST", "/api/metadata/taskdefs")] + [("POST", "/api/metadata/workflow")] * 3
    assert all(c["query"] == {} for c in rec.calls)  # no ?overwrite: older servers do not know it
    bodies = [c["body"] for c in rec.calls[1:]]
    assert [b["name"] for b in bodies][-1] == "subgraph"
    for b in bodies:
        assert to_workflow_def(json_data=b).name == b["name"]
        assert essentials(b) == essentials(res.workflows[b["name"]])
    assert any("POST (create)" in x for x in lines)


VALIDATION_ERROR = {
    "status": 400, "message": "Validation failed, check below errors for detail.",
    "validationErrors": [{"path": "updateWorkflowDef.workflowDefs[0].tasks[0].taskReferenceName",
                          "message": "taskReferenceName: normalize should be unique across tasks "
                                     "for a given workflowDefinition: chain",
                          "invalidValue": None}],
}


def test_deploy_validation_error_raises_with_the_server_message(conductor):
    from agentc.targets.conductor.server import deploy

    res = lowered(CHAIN)
    rec = conductor(lambda m, p, b: (400, VALIDATION_ERROR) if m == "PUT" else (200, None))
    with pytest.raises(AgentcError) as ei:
        deploy(res.workflows, res.task_defs, rec.url)
    err = ei.value
    assert err.code is Code.CONFIG
    msg = err.diagnostic.message
    assert "HTTP 400" in msg and "PUT" in msg and "/api/metadata/workflow" in msg
    assert "Validation failed" in msg
    assert "should be unique across tasks" in msg and "tasks[0].taskReferenceName" in msg
    assert "agentc validate" in err.diagnostic.hint
    assert err.details["body"] == VALIDATION_ERROR
    assert rec.endpoints() == [("POST", "/api/metadata/taskdefs"), ("PUT", "/api/metadata/workflow")]


def test_deploy_taskdef_error_stops_before_workflows(conductor):
    from agentc.targets.conductor.server import deploy

    res = lowered(CHAIN)
    body = {"status": 400, "message": "Validation failed, check below errors for detail.",
            "validationErrors": [{"path": "registerTaskDef.taskDefinitions[0].responseTimeoutSeconds",
                                  "message": "TaskDef: chain-_barrier responseTimeoutSeconds: 0 must be greater "
                                             "than 0 seconds", "invalidValue": 0}]}
    rec = conductor(lambda m, p, b: (400, body))
    with pytest.raises(AgentcError, match="responseTimeoutSeconds") as ei:
        deploy(res.workflows, res.task_defs, rec.url)
    assert "task definitions" in ei.value.diagnostic.message
    assert rec.endpoints() == [("POST", "/api/metadata/taskdefs")]


def test_deploy_bulk_error_in_a_200_raises(conductor):
    from agentc.targets.conductor.server import deploy

    res = lowered(CHAIN)

    def respond(m, p, b):
        if m == "PUT":
            return 200, {"bulkErrorResults": {"chain": "Some store error"}, "bulkSuccessfulResults": []}
        return 200, None

    with pytest.raises(AgentcError, match="chain: Some store error") as ei:
        deploy(res.workflows, res.task_defs, conductor(respond).url)
    assert ei.value.code is Code.CONFIG


def test_deploy_conflict_without_overwrite_hints_at_overwrite(conductor):
    from agentc.targets.conductor.server import deploy

    res = lowered(CHAIN)
    conflict = {"status": 409, "message": "Workflow with chain.1 already exists!"}
    rec = conductor(lambda m, p, b: (409, conflict) if p == "/api/metadata/workflow" else (200, None))
    with pytest.raises(AgentcError, match="already exists") as ei:
        deploy(res.workflows, res.task_defs, rec.url, overwrite=False)
    assert "--no-overwrite" in ei.value.diagnostic.hint


def test_deploy_auth_error_hints_at_credentials(conductor):
    from agentc.targets.conductor.server import deploy

    res = lowered(CHAIN)
    rec = conductor(lambda m, p, b: (403, {"error": "ACCESS_DENIED", "message": "Unauthorized"}))
    with pytest.raises(AgentcError, match="HTTP 403") as ei:
        deploy(res.workflows, res.task_defs, rec.url)
    assert "CONDUCTOR_AUTH_KEY" in ei.value.diagnostic.hint


def test_deploy_connection_refused_raises(monkeypatch):
    from agentc.targets.conductor.server import deploy

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = lowered(CHAIN)
    with pytest.raises(AgentcError) as ei:
        deploy(res.workflows, res.task_defs, f"http://127.0.0.1:{port}")
    assert ei.value.code is Code.CONFIG
    assert f"cannot reach the Conductor server at http://127.0.0.1:{port}/api" in ei.value.diagnostic.message
    assert "--server" in ei.value.diagnostic.hint


def test_bad_server_url_is_a_config_error():
    from agentc.targets.conductor.server import api_url, deploy

    assert api_url("http://h:8080") == api_url("http://h:8080/api/") == "http://h:8080/api"
    with pytest.raises(AgentcError) as ei:
        deploy({}, {}, "localhost:8080")
    assert ei.value.code is Code.CONFIG


# ---------------------------------------------------------------------------- task function
@pytest.fixture(scope="module")
def chain_worker():
    from agentc.runtime_shims.steps import StepWorker
    from agentc.targets.conductor.server import resolve

    wf, live = resolve(CHAIN)
    return StepWorker(wf, live)


def first_task(worker):
    from agentc.targets.conductor.lowering import lower_workflow

    root = lower_workflow(worker.wf).workflows[worker.layout.root.workflow]
    return root["tasks"][0]


def make_task(task_type, input_data, **kw):
    from conductor.client.http.models.task import Task

    return Task(task_type=task_type, task_def_name=task_type, input_data=input_data, retry_count=kw.get("retry", 0),
                workflow_instance_id=kw.get("wf", "wf-1"), task_id=kw.get("id", "task-1"), status="IN_PROGRESS")


def chain_input(worker, plan=None):
    t = first_task(worker)
    return t["name"], {"plan": plan or worker.layout.plan_id, "self": t["taskReferenceName"],
                       "prev": {"_input": CASES["chain"]["input"]}}


def test_first_task_input_protocol(chain_worker):
    t = first_task(chain_worker)
    assert t["type"] == "SIMPLE" and t["name"] in chain_worker.layout.task_kinds
    assert t["inputParameters"]["plan"] == chain_worker.layout.plan_id
    assert t["inputParameters"]["prev"] == {"_input": "${workflow.input.input}"}


def test_task_function_completes(chain_worker):
    from agentc.targets.conductor.server import task_function
    from conductor.client.http.models.task_result import TaskResult
    from conductor.client.http.models.task_result_status import TaskResultStatus

    task_type, inp = chain_input(chain_worker)
    fn = task_function(chain_worker, task_type)
    res = fn(make_task(task_type, inp))
    assert isinstance(res, TaskResult)
    assert res.status == TaskResultStatus.COMPLETED
    out = res.output_data
    assert out["agentc"] == 1 and isinstance(out["next"], int) and out["frame"]
    assert res.task_id == "task-1" and res.workflow_instance_id == "wf-1"
    assert res.reason_for_incompletion is None
    assert res.logs and "COMPLETED" in res.logs[0].log and task_type in res.logs[0].log
    json.dumps(res.output_data)  # what goes back to the server is JSON

    # the next task continues from this output (the ${ref.output} the workflow wires in)
    from agentc.targets.conductor.lowering import lower_workflow

    root = lower_workflow(chain_worker.wf).workflows[chain_worker.layout.root.workflow]
    second = root["tasks"][1]
    ref = first_task(chain_worker)["taskReferenceName"]
    assert second["inputParameters"]["prev"] == {ref: "${" + ref + ".output}"}
    res2 = task_function(chain_worker, second["name"])(make_task(second["name"], {
        "plan": chain_worker.layout.plan_id, "self": second["taskReferenceName"], "prev": {ref: out}}, id="task-2"))
    assert res2.status == TaskResultStatus.COMPLETED and res2.output_data["step"] > out["step"]


def test_task_function_wrong_plan_is_terminal(chain_worker):
    from agentc.targets.conductor.server import task_function
    from conductor.client.http.models.task_result_status import TaskResultStatus

    task_type, inp = chain_input(chain_worker, plan="0000000000000000")
    res = task_function(chain_worker, task_type)(make_task(task_type, inp))
    assert res.status == TaskResultStatus.FAILED_WITH_TERMINAL_ERROR
    assert "AC122" in res.reason_for_incompletion
    assert "AC122" in res.output_data["error"]
    assert "AC122" in res.logs[0].log


def test_task_function_is_what_the_sdk_worker_calls(chain_worker):
    from agentc.targets.conductor.server import task_function
    from conductor.client.http.models.task_result_status import TaskResultStatus
    from conductor.client.worker.worker import Worker

    task_type, inp = chain_input(chain_worker)
    fn = task_function(chain_worker, task_type)
    w = Worker(task_definition_name=task_type, execute_function=fn)
    assert w.execute_function is fn  # the SDK deep-copies its function: ours is shared, not copied
    assert w._is_execute_function_input_parameter_a_task  # the SDK hands it the Task object
    res = w.execute(make_task(task_type, inp))
    assert res.status == TaskResultStatus.COMPLETED and res.output_data["agentc"] == 1

    bad = w.execute(make_task(task_type, {**inp, "plan": "nope"}))
    assert bad.status == TaskResultStatus.FAILED_WITH_TERMINAL_ERROR and "AC122" in bad.reason_for_incompletion


def test_task_function_survives_pickling(chain_worker):
    """The SDK pickles each Worker into a spawned process: the function travels as
    (task type, REF) and rebuilds the same worker there."""
    from agentc.targets.conductor import server
    from conductor.client.worker.worker import Worker

    task_type, inp = chain_input(chain_worker)
    fn = server.task_function(chain_worker, task_type)
    state = fn.__getstate__()
    assert state == {"task_type": task_type, "ref": CHAIN}
    w2 = pickle.loads(pickle.dumps(Worker(task_definition_name=task_type, execute_function=fn)))
    assert w2.execute_function._worker is None and w2._is_execute_function_input_parameter_a_task
    got = w2.execute(make_task(task_type, inp))
    want = fn(make_task(task_type, inp))
    assert got.status == want.status and got.output_data == want.output_data


def test_task_function_rejects_unknown_type(chain_worker):
    from agentc.targets.conductor.server import task_function

    with pytest.raises(AgentcError, match="not one this agent"):
        task_function(chain_worker, "nope")


# ---------------------------------------------------------------------------- serve
SERVE = textwrap.dedent("""
    import sys
    from agentc.targets.conductor.server import serve
    if __name__ == "__main__":
        serve(sys.argv[1], sys.argv[2], poll_interval_ms=50, stop_after=float(sys.argv[3]))
""")


def test_serve_polls_every_task_type_and_reports_results(conductor, tmp_path, chain_worker):
    task_type, inp = chain_input(chain_worker)
    handed = threading.Event()

    def respond(method, path, body):
        if method == "GET" and path == f"/api/tasks/poll/batch/{task_type}" and not handed.is_set():
            handed.set()
            return 200, [{"taskId": "t-1", "workflowInstanceId": "wf-1", "taskType": task_type,
                          "taskDefName": task_type, "referenceTaskName": inp["self"], "status": "IN_PROGRESS",
                          "retryCount": 0, "inputData": inp}]
        if path == "/api/tasks/update-v2":  # an OSS server: no v2 update, the SDK falls back to v1
            return 404, {"status": 404, "message": "not found"}
        if method == "POST" and path == "/api/tasks":
            return 200, "t-1"
        return Recorder.default(method, path, body)

    rec = conductor(respond)
    script = tmp_path / "serve_main.py"
    script.write_text(SERVE)
    # runs until the result is posted (SIGTERM then), however slow a loaded machine is
    popen = subprocess.Popen([sys.executable, str(script), CHAIN, rec.url, "120"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 110
    while time.monotonic() < deadline and popen.poll() is None:
        posted = any(c["method"] == "POST" and c["path"] == "/api/tasks" for c in rec.calls)
        polled_all = {c["path"].rsplit("/", 1)[1] for c in rec.calls
                      if c["path"].startswith("/api/tasks/poll/batch/")} >= set(chain_worker.layout.task_kinds)
        if posted and polled_all:
            break
        time.sleep(0.2)
    popen.send_signal(signal.SIGTERM)
    out, err = popen.communicate(timeout=60)
    proc = subprocess.CompletedProcess(popen.args, popen.returncode, out, err)
    assert proc.returncode == 0, proc.stderr[-3000:]

    polled = {c["path"].rsplit("/", 1)[1] for c in rec.calls if c["path"].startswith("/api/tasks/poll/batch/")}
    assert polled == set(chain_worker.layout.task_kinds), proc.stderr[-3000:]
    assert not [c for c in rec.calls if c["path"].startswith("/api/metadata/") and c["method"] != "GET"]

    updates = [c for c in rec.calls if c["method"] == "POST" and c["path"] == "/api/tasks"]
    assert len(updates) == 1, proc.stderr[-3000:]
    result = updates[0]["body"]
    assert result["taskId"] == "t-1" and result["workflowInstanceId"] == "wf-1"
    assert result["status"] == "COMPLETED"
    assert result["outputData"]["agentc"] == 1 and isinstance(result["outputData"]["next"], int)
    assert any("COMPLETED" in log["log"] for log in result["logs"])
