"""Start a fork of a Temporal run (``agentc fork RUN_ID --engine temporal``).

The fork is a new workflow of the original's type on its task queue, started with the
original's input plus the fork's starting journal (``journal``: the agent loop's model
step merges it, as a child agent loop merges its parent's — ``compiler/audit/engine_fork.py``).
Its memo keeps the REF it serves (``resume --with-worker`` uses it) and its origin
(``FORK_MEMO``, which ``agentc history`` shows). Then it is awaited as ``agentc run
--engine temporal`` awaits a run: its result or its first pause.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agentc.runtime_shims.graph_fork import ANSWERS

from .history import ENTRY_MEMO, FORK_MEMO


def start_fork(
    address: str | None,
    run_id: str,
    new_id: str,
    journal: str,
    origin: dict[str, Any],
    *,
    with_worker: bool = False,
    no_worker_s: float | None = None,
    field: str = "journal",
    answers: dict[str, list[Any]] | None = None,
) -> Any:
    """``field``: the input key the record travels in (``journal``: an agent loop's starting
    journal; ``fork``: a graph's recorded prefix, ``runtime_shims/graph_fork.py``).
    ``answers``: a graph fork's recorded answers (key → values given), which the workflow
    starts with as received (``ANSWERS``: it does not wait at those pauses)."""
    from agentc.errors import AgentcError, Code

    if not address:
        raise AgentcError(
            Code.CONFIG,
            "--engine temporal needs --address HOST:PORT",
            construct="--address",
            hint="e.g. --address 127.0.0.1:7233",
        )
    return asyncio.run(
        _start(address, run_id, new_id, journal, origin, with_worker, no_worker_s, field, answers)
    )


async def _original(client: Any, run_id: str) -> tuple[Any, dict[str, Any]]:
    """The original's description and the input its (first) execution started with."""
    handle = client.get_workflow_handle(run_id)
    desc = await handle.describe()
    async for e in handle.fetch_history_events():
        a = e.workflow_execution_started_event_attributes
        return desc, (await client.data_converter.decode(a.input.payloads) or [{}])[0]
    return desc, {}


async def _start(
    address: str,
    run_id: str,
    new_id: str,
    journal: str,
    origin: dict[str, Any],
    with_worker: bool,
    no_worker_s: float | None,
    field: str = "journal",
    answers: dict[str, list[Any]] | None = None,
) -> Any:
    from temporalio.exceptions import WorkflowAlreadyStartedError

    from agentc.errors import AgentcError, Code

    from . import engine

    client = await engine.connect(address)
    desc, original = await _original(client, run_id)
    entry = await desc.memo_value(ENTRY_MEMO, None)
    # a continued-as-new original carries its journal in ``_carry``: the fork starts from its own
    drop = ("_carry", "journal", "fork", ANSWERS)
    arg = {**{k: v for k, v in original.items() if k not in drop}, field: journal}
    if answers:  # the first value given for each key (its first wait saw that one)
        arg[ANSWERS] = {k: v[0] for k, v in answers.items()}
    q = desc.task_queue
    memo = {FORK_MEMO: origin, **({ENTRY_MEMO: entry} if entry else {})}

    async def go(bound: float | None) -> Any:
        try:
            handle = await client.start_workflow(
                desc.workflow_type, arg, id=new_id, task_queue=q, memo=memo
            )
        except WorkflowAlreadyStartedError:
            raise AgentcError(
                Code.CONFIG,
                f"a workflow {new_id!r} already exists on {address}",
                construct=new_id,
                hint="choose another --run-id",
            ) from None
        return await engine.wait(client, new_id, handle=handle, task_queue=q, no_worker_s=bound)

    if with_worker:
        if not entry:
            raise AgentcError(
                Code.RUN_NOT_RESUMABLE,
                f"run {run_id} records no REF to serve its fork with",
                construct=run_id,
                hint=f"start a worker for task queue {q} and fork without --with-worker",
            )
        engine._quiet_activity_log()
        async with engine.running_worker(client, engine.load(entry), q):
            return await go(None)
    if no_worker_s is not None:
        await engine.require_worker(client, q, f"fork {new_id} (not started)", no_worker_s)
    return await go(no_worker_s)
