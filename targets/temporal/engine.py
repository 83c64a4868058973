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
    import importlib

    from agentc.api import workflow_and_live
    from agentc.runtime_shims.steps import worker_for
    from agentc.runtime_shims.temporal_runtime import activities_for

    from . import lower

    wf, live = workflow_and_live(ref_or_obj)
    artifact = lower(wf)
    manifest = json.loads(artifact.files["manifest.json"])
    folder = str(_code_dir(artifact, Path(code_base).resolve()))
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    for m in manifest["modules"]:
        sys.modules.pop(m["module"], None)
    classes = [getattr(importlib.import_module(m["module"]), m["class"]) for m in manifest["modules"]]
    worker = worker_for(wf, live)
    return {"manifest": manifest, "workflows": classes, "activities": activities_for(worker), "worker": worker}


async def connect(address: str) -> Any:
    from temporalio.client import Client

    try:
        return await Client.connect(address)
    except Exception as exc:  # noqa: BLE001 - connection errors come in many types
        raise AgentcError(Code.CONFIG, f"cannot connect to Temporal at {address}: {exc}", construct="--address",
                          hint="start a server (e.g. `temporal server start-dev`) or fix --address HOST:PORT") from None


@contextlib.asynccontextmanager
async def running_worker(client: Any, loaded: dict[str, Any], task_queue: str | None = None) -> AsyncIterator[Any]:
    from temporalio.worker import Worker

    q = task_queue or loaded["manifest"]["task_queue"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        worker = Worker(client, task_queue=q, workflows=loaded["workflows"], activities=loaded["activities"],
                        activity_executor=pool, max_concurrent_activities=16,
                        workflow_failure_exception_types=[Exception],
                        # a crashed worker's sticky queue is abandoned after 2 s, not 10
                        sticky_queue_schedule_to_start_timeout=timedelta(seconds=2))
        async with worker:
            yield worker


async def serve(ref: str, address: str, task_queue: str | None = None, *, stop: asyncio.Event | None = None) -> None:
    loaded = load(ref)
    client = await connect(address)
    async with running_worker(client, loaded, task_queue):
        await (stop.wait() if stop is not None else asyncio.Event().wait())


async def start(ref: Any, address: str, input: Any, *, context: Any = None, run_id: str | None = None,
                task_queue: str | None = None, options: dict[str, Any] | None = None,
                with_worker: bool = False, client: Any = None, max_turns: int | None = None,
                context_factory: Any = None) -> Any:
    import uuid

    from agentc.api import workflow_and_live
    from agentc.plan.layout import layout

    from . import default_task_queue

    # only the workflow type is needed to start a run: no code generation here
    wf, live = workflow_and_live(ref)
    if wf.agents is not None:  # an agent loop: the context travels packed
        from agentc.api import agent_context
        from agentc.plan.agents import agent_layout
        from agentc.runtime_shims.agent_steps import run_input

        wf_type = agent_layout(wf).workflow
        arg = run_input(input, *agent_context(live, context, context_factory), max_turns=max_turns)
    else:
        if context_factory is not None:
            from agentc.frontends.openai_agents.user_code import call_factory

            context = call_factory(context_factory, context)
        wf_type = layout(wf).root.workflow
        arg = {"input": input, "context": context}
    client = client or await connect(address)
    q = task_queue or default_task_queue(wf_type)
    run_id = run_id or f"{wf_type}-{uuid.uuid4().hex[:12]}"
    if options:
        arg["options"] = options
    handle = await client.start_workflow(wf_type, arg, id=run_id, task_queue=q)
    if with_worker:
        import logging

        # the outcome (a diagnostic for a failed run) is the answer here; the SDK's log of
        # each failed activity attempt, traceback included, is for worker operators
        logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
        async with running_worker(client, load(ref), q):
            return await wait(client, run_id, handle=handle)
    return await wait(client, run_id, handle=handle)


async def wait(client: Any, run_id: str, *, timeout_s: float | None = None, handle: Any = None) -> Any:
    """The run's result, or its pending interrupts once it waits for a human. ``handle``:
    the one ``start_workflow`` returned (the time-skipping test server only skips time
    while that handle waits for the result)."""
    from temporalio.client import WorkflowFailureError

    from agentc.targets.local.executor import RunOutcome

    handle = handle or client.get_workflow_handle(run_id)
    result = asyncio.ensure_future(handle.result())
    loop = asyncio.get_running_loop()
    deadline = None if timeout_s is None else loop.time() + timeout_s
    try:
        while True:
            done, _ = await asyncio.wait({result}, timeout=POLL_S)
            if done:
                out = result.result()
                return RunOutcome(run_id, "done", output=out.get("state") if isinstance(out, dict) else out)
            pending = await paused(client, run_id)
            if pending:
                return RunOutcome(run_id, "waiting", interrupts=pending)
            if deadline is not None and loop.time() > deadline:
                raise AgentcError(Code.CONFIG, f"run {run_id} did not finish in {timeout_s} s", construct=run_id,
                                  hint="is a worker running? `agentc worker temporal REF --address ...`")
    except WorkflowFailureError as exc:
        cause = exc.cause
        while getattr(cause, "cause", None) is not None:
            cause = cause.cause
        msg = str(cause or exc)
        code = next((c for c in Code if c.value in msg), Code.NODE_FAILED)
        raise RunFailed(code, f"workflow {run_id} failed: {msg}", construct=run_id,
                        hint="see the workflow's history in Temporal for the failing activity") from None
    finally:
        result.cancel()


async def paused(client: Any, workflow_id: str) -> list[dict[str, Any]]:
    """The pending interrupts of a run and its child workflows, once nothing in it runs
    any more (else ``[]``): LangGraph reports a pause after the whole superstep."""
    from temporalio.service import RPCError

    handle = client.get_workflow_handle(workflow_id)
    try:
        status = await handle.query("running")
        pending = list(await handle.query("pending"))
    except RPCError:
        return []
    if status["activities"]:
        return []
    for child in status["children"]:
        inner = await paused(client, child)
        if not inner:
            return []
        pending += inner
    return pending


async def resume(run_id: str, address: str, value: Any = NO_VALUE, *, client: Any = None) -> Any:
    from temporalio.client import WorkflowExecutionStatus

    client = client or await connect(address)
    handle = client.get_workflow_handle(run_id)
    try:
        desc = await handle.describe()
    except Exception:  # noqa: BLE001 - not found
        raise AgentcError(Code.UNKNOWN_RUN, f"no workflow {run_id!r} on {address}", construct=run_id,
                          hint="use the run id `agentc run --engine temporal` printed") from None
    if desc.status != WorkflowExecutionStatus.RUNNING:
        raise AgentcError(Code.RUN_NOT_RESUMABLE, f"run {run_id} is {desc.status.name.lower()}", construct=run_id,
                          hint="start a new run")
    pending = await paused(client, run_id)
    chosen = answers(run_id, pending, value)
    if "decisions" in chosen:  # tool approvals: one signal to the agent loop that waits
        await client.get_workflow_handle(pending[0].get("workflow_id", run_id)).signal("resume", chosen)
    else:
        owner = {p["id"]: p.get("workflow_id", run_id) for p in pending}
        for wid in sorted({owner[i] for i in chosen}):
            await client.get_workflow_handle(wid).signal("resume", {i: v for i, v in chosen.items()
                                                                   if owner[i] == wid})
    await asyncio.sleep(POLL_S)
    return await wait(client, run_id)


def answers(run_id: str, pending: list[dict[str, Any]], value: Any) -> dict[str, Any]:
    """The resume signal's payload, by ``agentc resume``'s rules (``agentc.answers``);
    breakpoints are released with an empty answer."""
    from agentc.answers import match_answers

    if any(p.get("kind") == "approval" for p in pending):  # an agent's tool approvals
        from agentc.runtime_shims.openai_agents_replay import decide

        return {"decisions": decide(run_id, pending, value)}
    real = [p["id"] for p in pending if p.get("kind") == "interrupt"]
    return match_answers(run_id, real, value, NO_VALUE) or {p["id"]: None for p in pending}
