"""The engine's own cost on this machine: a plain Temporal workflow (no agentc) that runs
N sequential no-op activities with a payload of the size agentc's steps carry. Its time
per activity is the "activity round trip" that bench_scale.py's Temporal goal is stated
in (per-turn time within two round trips of the native model-plus-tool time)."""
from __future__ import annotations

import concurrent.futures
import time
import uuid
from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench_noop")
def noop(x: str) -> str:
    return x


@workflow.defn(name="BenchRoundTrips", sandboxed=False)
class RoundTrips:
    @workflow.run
    async def run(self, n: int) -> int:
        for _ in range(n):
            await workflow.execute_activity(noop, "x" * 7000, start_to_close_timeout=timedelta(seconds=30))
        return n


async def round_trip_ms(client, n: int) -> float:
    """Milliseconds per activity of a plain workflow of ``n`` activities (after a warm-up
    run of the same length: a fresh worker answers its first few dozen tasks faster)."""
    from temporalio.worker import Worker

    queue = f"bench-rt-{uuid.uuid4().hex[:8]}"
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        async with Worker(client, task_queue=queue, workflows=[RoundTrips], activities=[noop],
                          activity_executor=pool):
            await client.execute_workflow(RoundTrips.run, n, id=uuid.uuid4().hex, task_queue=queue)
            t = time.perf_counter()
            await client.execute_workflow(RoundTrips.run, n, id=uuid.uuid4().hex, task_queue=queue)
            return (time.perf_counter() - t) / n * 1000
