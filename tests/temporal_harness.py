"""Running a live LangGraph graph (not only a fixture REF) on the session's Temporal dev
server, with an in-process worker on a task queue of its own, so tests that build graphs
on the fly (plan shapes, the random-graph property test) share one way to do it."""
from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from agentc.targets.temporal import engine


async def run_live(g: Any, address: str, inp: Any, code_dir: Path, *, context: Any = None,
                   timeout_s: float = 60.0, client: Any = None) -> Any:
    """``g`` on Temporal: the run's outcome (``RunOutcome``); raises what ``engine.start``
    raises (``RunFailed`` for a failed run). ``timeout_s`` bounds the wait: a hang fails
    the test (TimeoutError) and the workflow is terminated, not left running."""
    client = client or await engine.connect(address)
    loaded = engine.load(g, code_dir)
    q = f"live-{uuid.uuid4().hex[:10]}"
    run_id = f"{q}-run"
    async with engine.running_worker(client, loaded, q):
        try:
            return await asyncio.wait_for(engine.start(g, address, inp, context=context, client=client,
                                                       task_queue=q, run_id=run_id), timeout_s)
        except asyncio.TimeoutError:
            await client.get_workflow_handle(run_id).terminate("test timeout")
            raise


def on_temporal(g: Any, address: str, inp: Any, code_dir: Path, **kw: Any) -> Any:
    return asyncio.run(run_live(g, address, inp, code_dir, **kw))
