"""Running compiled agents on a Temporal server: the worker (``agentc worker temporal``),
starting a run and waiting for its result or its first pause (``agentc run --engine
temporal``), and answering a pause by signal (``agentc resume --engine temporal``).

The worker compiles the REF it is given (deterministically: the same code the artifact
has), imports the generated modules from a folder on ``sys.path`` (the sandbox re-imports
workflow modules by name) and registers one activity per step type.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator

from agentc.errors import AgentcError, Code, RunFailed

NO_VALUE = object()
POLL_S = 0.1
QUERY_S = 5.0
"""How long one query may wait for an answer: an unanswered query means no worker serves
the run (Temporal answers queries through a worker)."""
NO_WORKER_S = 15.0
"""What the CLI waits, at most, for a worker on the run's task queue before it says so."""
ENTRY_MEMO = "agentc_entry"
"""The memo key under which a run records the REF it was started from
(``resume --with-worker`` compiles and serves that REF)."""


def _code_dir(artifact: Any, base: Path) -> Path:
    """A folder per distinct generated code (plan id + content hash), never reused for
    different code: the sandbox re-imports workflow modules by name from ``sys.path``."""
    import hashlib

    digest = hashlib.sha256(json.dumps(artifact.files, sort_keys=True).encode()).hexdigest()[:12]
    manifest = json.loads(artifact.files["manifest.json"])
    folder = base / f"{manifest['plan']}-{digest}"
    if not (folder / "manifest.json").exists():
        artifact.write(folder)
    return folder


def load(ref_or_obj: Any, code_base: str | Path = ".agentc/temporal") -> dict[str, Any]:
    """Compile REF, import its workflow classes, build its activities."""
    from agentc.reading import workflow_and_live

    from . import lower

    wf, live = workflow_and_live(ref_or_obj)
    return _load(wf, live, lower(wf), code_base)


def _load(
    wf: Any, live: Any, artifact: Any, code_base: str | Path = ".agentc/temporal"
) -> dict[str, Any]:
    import importlib

    from agentc.runtime_shims.steps import worker_for
    from agentc.runtime_shims.temporal_runtime import activities_for

    manifest = json.loads(artifact.files["manifest.json"])
    folder = str(_code_dir(artifact, Path(code_base).resolve()))
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    for m in manifest["modules"]:
        sys.modules.pop(m["module"], None)
    classes = [
        getattr(importlib.import_module(m["module"]), m["class"]) for m in manifest["modules"]
    ]
    worker = worker_for(wf, live)
    return {
        "manifest": manifest,
        "workflows": classes,
        "activities": activities_for(worker),
        "worker": worker,
    }


async def connect(address: str) -> Any:
    from temporalio.client import Client

    try:
        return await Client.connect(address)
    except Exception as exc:  # noqa: BLE001 - connection errors come in many types
        raise AgentcError(
            Code.CONFIG,
            f"cannot connect to Temporal at {address}: {exc}",
            construct="--address",
            hint="start a server (e.g. `temporal server start-dev`) or fix --address HOST:PORT",
        ) from None


def default_queue(manifest: dict[str, Any]) -> str:
    """The task queue a worker serves and a run starts on when none is given: the compiled
    manifest's (``agentc-<workflow>``). One place, so a worker and a starter agree."""
    return str(manifest["task_queue"])


@contextlib.asynccontextmanager
async def running_worker(
    client: Any, loaded: dict[str, Any], task_queue: str | None = None
) -> AsyncIterator[Any]:
    from temporalio.worker import Worker

    from agentc.runtime_shims.temporal_fanout import THROTTLE_S

    q = task_queue or default_queue(loaded["manifest"])
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        worker = Worker(
            client,
            task_queue=q,
            workflows=loaded["workflows"],
            activities=loaded["activities"],
            activity_executor=pool,
            max_concurrent_activities=16,
            workflow_failure_exception_types=[Exception],
            # a crashed worker's sticky queue is abandoned after 2 s, not 10
            sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
            # a fan-out's cancellation reaches its activities promptly (temporal_fanout)
            max_heartbeat_throttle_interval=timedelta(seconds=THROTTLE_S),
        )
        async with worker:
            yield worker


async def serve(
    ref: str, address: str, task_queue: str | None = None, *, stop: asyncio.Event | None = None
) -> None:
    loaded = load(ref)
    client = await connect(address)
    async with running_worker(client, loaded, task_queue):
        await (stop.wait() if stop is not None else asyncio.Event().wait())


async def start(
    ref: Any,
    address: str,
    input: Any,
    *,
    context: Any = None,
    run_id: str | None = None,
    task_queue: str | None = None,
    options: dict[str, Any] | None = None,
    with_worker: bool = False,
    client: Any = None,
    max_turns: int | None = None,
    context_factory: Any = None,
    no_worker_s: float | None = None,
    full_result: bool = False,
) -> Any:
    """Start a run and wait for its result or its first pause. Whatever can fail before the
    run exists fails first, so a bad input or a graph the target cannot compile starts no
    workflow: the input and context are checked as ``agentc run`` checks them (AC111), the
    code is generated, and with ``with_worker`` the worker (its workflows loaded in the
    sandbox) is up before the workflow starts. ``no_worker_s``: give up (a diagnostic)
    when no worker serves the task queue for that long; None waits for one indefinitely.
    ``full_result``: an agent run returns the SDK's whole ``RunResult`` as JSON."""
    import uuid

    from agentc.reading import workflow_and_live

    from . import lower

    wf, live = workflow_and_live(ref)
    if wf.body.kind == "agents":  # an agent loop: the context travels packed
        from agentc.reading import agent_context
        from agentc.runtime_shims.agent_steps import run_input

        arg = run_input(
            input,
            *agent_context(live, context, context_factory),
            max_turns=max_turns,
            full_result=full_result,
        )
    else:
        from agentc.reading import check_context, check_input

        if full_result:
            from agentc.run_refs import refuse_full_result

            raise refuse_full_result(wf.name)
        if context_factory is not None:
            from agentc.agent_context import call_factory

            context = call_factory(context_factory, context)
        check_input(wf, live, input)
        check_context(wf, live, context)
        arg = {"input": input, "context": context}
    artifact = lower(wf)
    manifest = json.loads(artifact.files["manifest.json"])
    wf_type = manifest["workflow"]
    q = task_queue or default_queue(manifest)
    run_id = run_id or f"{wf_type}-{uuid.uuid4().hex[:12]}"
    if options:
        arg["options"] = options
    client = client or await connect(address)

    async def go(bound: float | None) -> Any:
        handle = await client.start_workflow(
            wf_type, arg, id=run_id, task_queue=q, memo={ENTRY_MEMO: wf.entry} if wf.entry else None
        )
        return await wait(client, run_id, handle=handle, task_queue=q, no_worker_s=bound)

    if with_worker:
        _quiet_activity_log()
        async with running_worker(client, _load(wf, live, artifact), q):
            return await go(None)
    if no_worker_s is not None:
        await require_worker(client, q, f"run {run_id} (not started)", no_worker_s)
    return await go(no_worker_s)


def _quiet_activity_log() -> None:
    """With an in-process worker the outcome (a diagnostic for a failed run) is the
    answer; the SDK's log of each failed activity attempt, traceback included, is for
    worker operators."""
    import logging

    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)


async def pollers(client: Any, task_queue: str) -> int:
    """How many workers Temporal lists as polling ``task_queue`` for workflow tasks (a
    stopped worker stays listed for a few minutes, so 0 is certain, more is a hint)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    r = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len(r.pollers)


async def require_worker(client: Any, task_queue: str, what: str, bound_s: float) -> None:
    """Wait (at most ``bound_s``) until some worker polls ``task_queue``; else a diagnostic."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound_s
    while not await pollers(client, task_queue):
        if loop.time() > deadline:
            raise no_worker(what, task_queue, f"no worker polls task queue {task_queue!r}")
        await asyncio.sleep(0.5)


def no_worker(what: str, task_queue: str, why: str) -> AgentcError:
    return AgentcError(
        Code.CONFIG,
        f"{what}: {why}",
        construct=f"task queue {task_queue}",
        hint=f"pass --with-worker, or start a worker for it: agentc worker temporal REF "
        f"--address HOST:PORT --task-queue {task_queue}",
    )


async def wait(
    client: Any,
    run_id: str,
    *,
    timeout_s: float | None = None,
    handle: Any = None,
    task_queue: str | None = None,
    no_worker_s: float | None = None,
) -> Any:
    """The run's result, or its pending interrupts once it waits for a human; ``RunFailed``
    when it failed, or when a node failed and the run waits for ``agentc resume`` to retry
    it. ``handle``: the one ``start_workflow`` returned (the time-skipping test server only
    skips time while that handle waits for the result). ``no_worker_s``: raise once no
    worker has answered the run's queries for that long (None: wait for one)."""
    from temporalio.client import WorkflowFailureError

    from agentc.targets.local.executor import RunOutcome

    handle = handle or client.get_workflow_handle(run_id)
    result = asyncio.ensure_future(handle.result())
    loop = asyncio.get_running_loop()
    deadline = None if timeout_s is None else loop.time() + timeout_s
    silent_since: float | None = None
    try:
        while True:
            done, _ = await asyncio.wait({result}, timeout=POLL_S)
            if done:
                out = result.result()
                from agentc.semantics.claim_check import resolve_result

                return RunOutcome(
                    run_id,
                    "done",
                    output=resolve_result(out.get("state") if isinstance(out, dict) else out),
                )
            pending = await paused(client, run_id)
            if pending is None:  # no worker answered
                silent_since = silent_since or loop.time()
                if no_worker_s is not None and loop.time() - silent_since > no_worker_s:
                    q = task_queue or (await handle.describe()).task_queue
                    raise no_worker(
                        f"run {run_id} waits on the server",
                        q,
                        f"no worker answered it for {no_worker_s:.0f} s (none polls task queue "
                        f"{q!r}, "
                        "or the ones Temporal lists have stopped)",
                    )
                continue
            silent_since = None
            failed = [p for p in pending if p.get("kind") == "failure"]
            if failed:
                raise failure(run_id, failed)
            if pending:  # the workflow's pending query lists them in task order
                return RunOutcome(run_id, "waiting", interrupts=pending)
            if deadline is not None and loop.time() > deadline:
                raise AgentcError(
                    Code.CONFIG,
                    f"run {run_id} did not finish in {timeout_s} s",
                    construct=run_id,
                    hint="is a worker running? `agentc worker temporal REF --address ...`",
                )
    except WorkflowFailureError as exc:
        cause = exc.cause
        while getattr(cause, "cause", None) is not None:
            cause = cause.cause
        msg = str(cause or exc)
        if _nondeterministic(msg):
            raise graph_changed(run_id, msg) from None
        code = next((c for c in Code if c.value in msg), Code.NODE_FAILED)
        raise RunFailed(
            code,
            f"workflow {run_id} failed: {msg}",
            construct=run_id,
            hint="see the workflow's history in Temporal for the failing activity",
        ) from None
    finally:
        result.cancel()


def _nondeterministic(msg: str) -> bool:
    return "TMPRL1100" in msg or "Nondeterminism" in msg


def graph_changed(run_id: str, msg: str) -> AgentcError:
    """The worker's workflow code cannot replay the run's history: its graph or agents
    changed shape (a renamed node, tool or edge). The plan id is position-free
    (``agentc.ir.fingerprint``), so an edit that only moved code never gets here."""
    return AgentcError(
        Code.GRAPH_CHANGED,
        f"the workflow code serving run {run_id} does not match the code the "
        f"run started with: {msg.splitlines()[0][:300]}",
        construct=run_id,
        hint="node code may change between resumes, nodes, edges and tools may not; finish the run "
        "with the old code (an older worker) or start a new run",
    )


def failure(run_id: str, failed: list[dict[str, Any]]) -> RunFailed:
    """A node failed in user code: the run waits on the server for a retry (resumable)."""
    msg = failed[0]["error"]
    code = next((c for c in Code if c.value in msg), Code.NODE_FAILED)
    if failed[0].get(
        "effect"
    ):  # an at_most_once call cut off (runtime_shims/temporal_at_most_once.py)
        key = failed[0]["effect"]
        return RunFailed(
            code,
            f"run {run_id} failed: {msg}",
            construct=run_id,
            hint=f"the run waits on the server: check the service; if it did not happen: `agentc "
            f"effects {run_id} --forget {key} --engine temporal` then `agentc resume {run_id} "
            f"--engine temporal`; to undo the run: `agentc cancel {run_id} --engine temporal`",
        )
    return RunFailed(
        code,
        f"run {run_id} failed: {msg}",
        construct=run_id,
        hint=f"the run waits on the server: fix the code, restart the worker, then "
        f"`agentc resume {run_id} --engine temporal` runs the failed step again "
        "(--with-worker: serve it in that process)",
    )


async def paused(client: Any, workflow_id: str) -> list[dict[str, Any]] | None:
    """The pending interrupts (and failed steps waiting for a retry) of a run and its child
    workflows, once nothing in it runs any more (else ``[]``): LangGraph reports a pause
    after the whole superstep. None when no worker answered a query within ``QUERY_S``."""
    from datetime import timedelta

    from temporalio.service import RPCError, RPCStatusCode

    from temporalio.client import WorkflowQueryFailedError

    handle = client.get_workflow_handle(workflow_id)
    bound = timedelta(seconds=QUERY_S)
    try:
        status = await handle.query("running", rpc_timeout=bound)
        pending = list(await handle.query("pending", rpc_timeout=bound))
    except WorkflowQueryFailedError as exc:
        if _nondeterministic(str(exc)):
            raise graph_changed(workflow_id, str(exc)) from None
        raise
    except RPCError as exc:
        # a client-side timeout is CANCELLED, the server's "query timed out before a worker
        # could process it" DEADLINE_EXCEEDED: either way, no worker answered
        unanswered = exc.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)
        return None if unanswered else []
    if status["activities"]:
        return []
    for child in status["children"]:
        inner = await paused(client, child)
        if not inner:
            return inner
        pending += inner
    return pending


async def resume(
    run_id: str,
    address: str,
    value: Any = NO_VALUE,
    *,
    client: Any = None,
    with_worker: bool = False,
    no_worker_s: float | None = None,
    goto: Any = None,
    update: Any = None,
) -> Any:
    """Answer a paused run (the ``resume`` signal), or run a failed step again, and wait
    for the next outcome. ``with_worker``: serve the run in this process (the REF it was
    started from, recorded in its memo). ``no_worker_s``: as for ``start``. ``goto`` /
    ``update`` (or a ``Command`` value) are refused (``agentc.commands.refuse_compiled``)."""
    from temporalio.client import WorkflowExecutionStatus

    from agentc.commands import refuse_compiled

    value = refuse_compiled("temporal", value, NO_VALUE, goto, update)
    client = client or await connect(address)
    handle = client.get_workflow_handle(run_id)
    try:
        desc = await handle.describe()
    except Exception:  # noqa: BLE001 - not found
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"no workflow {run_id!r} on {address}",
            construct=run_id,
            hint="use the run id `agentc run --engine temporal` printed",
        ) from None
    if desc.status != WorkflowExecutionStatus.RUNNING:
        status = desc.status.name.lower() if desc.status else "closed"
        why = (
            ": it stopped on an error retrying cannot fix (bad input, invalid update, recursion "
            "limit, "
            "changed graph); a run whose node failed waits for a retry instead"
            if status == "failed"
            else ""
        )
        raise AgentcError(
            Code.RUN_NOT_RESUMABLE,
            f"run {run_id} is {status}{why}",
            construct=run_id,
            hint="start a new run",
        )
    q = desc.task_queue
    if with_worker:
        entry = await desc.memo_value(ENTRY_MEMO, None)
        if not entry:
            raise AgentcError(
                Code.RUN_NOT_RESUMABLE,
                f"run {run_id} records no REF to serve it with",
                construct=run_id,
                hint=f"start a worker for it (agentc worker temporal REF --address "
                f"{address} --task-queue {q}) and resume without --with-worker",
            )
        _quiet_activity_log()
        async with running_worker(client, load(entry), q):
            return await _resume(client, run_id, value, q, None)
    if no_worker_s is not None:
        await require_worker(client, q, f"run {run_id}", no_worker_s)
    return await _resume(client, run_id, value, q, no_worker_s)


async def _resume(client: Any, run_id: str, value: Any, q: str, no_worker_s: float | None) -> Any:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    pending = await paused(client, run_id)
    while pending is None:  # no worker answered yet
        if no_worker_s is not None and loop.time() - t0 > no_worker_s:
            raise no_worker(
                f"run {run_id}",
                q,
                f"no worker answered it for {no_worker_s:.0f} s (none polls task "
                f"queue {q!r}, or the ones Temporal lists have stopped)",
            )
        pending = await paused(client, run_id)
    failed = [p for p in pending if p.get("kind") == "failure"]
    if not pending:  # running: nothing waits for an answer
        if value is not NO_VALUE:
            raise AgentcError(
                Code.INVALID_RESUME,
                f"run {run_id} is running, not waiting for an answer",
                construct=run_id,
                hint="resume it without --value to wait for its outcome",
            )
        return await wait(client, run_id, task_queue=q, no_worker_s=no_worker_s)
    if failed:
        if value is not NO_VALUE:
            raise AgentcError(
                Code.INVALID_RESUME,
                f"run {run_id} failed ({failed[0]['error']}); a failed run takes no value",
                construct=run_id,
                hint="resume it without --value: the failed step runs again",
            )
        chosen: dict[str, Any] = {f["id"]: None for f in failed}
        pending = failed
    else:
        chosen = answers(run_id, pending, value)
    if "decisions" in chosen:  # tool approvals: one signal to the agent loop that waits
        await client.get_workflow_handle(pending[0].get("workflow_id", run_id)).signal(
            "resume", chosen
        )
    else:
        owner = {p["id"]: p.get("workflow_id", run_id) for p in pending}
        for wid in sorted({owner[i] for i in chosen}):
            await client.get_workflow_handle(wid).signal(
                "resume", {i: v for i, v in chosen.items() if owner[i] == wid}
            )
    await asyncio.sleep(POLL_S)
    return await wait(client, run_id, task_queue=q, no_worker_s=no_worker_s)


def answers(run_id: str, pending: list[dict[str, Any]], value: Any) -> dict[str, Any]:
    """The resume signal's payload, by ``agentc resume``'s rules (``agentc.answers``);
    breakpoints are released with an empty answer."""
    from agentc.answers import match_answers

    if any(p.get("kind") == "approval" for p in pending):  # an agent's tool approvals
        from agentc.runtime_shims.openai_agents_replay import decide

        return {"decisions": decide(run_id, pending, value)}
    real = [p["id"] for p in pending if p.get("kind") == "interrupt"]
    return match_answers(run_id, real, value, NO_VALUE) or {p["id"]: None for p in pending}
