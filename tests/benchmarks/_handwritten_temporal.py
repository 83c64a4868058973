"""The hand-written baseline of ``bench_temporal.py``: the straight-line Temporal workflow a
person would write for a chain of ``n`` nodes with agentc's activities.

It calls the SAME activities the agentc worker registers (by name, ``<graph>-n<i>`` then
``<graph>-_end``) with the same payload protocol as ``AgentWorkflow._payload`` — ``{"plan":
..., "self": ref, "prev": {previous_ref: previous_output}}``, the first step's previous ref
being ``"_input"`` (the run's input) — and the same activity options as the generated code
(3600 s start-to-close, retry 1 s / x2 / 60 s, unlimited attempts). It keeps nothing but the
previous output: no ``out`` dict, no ``pick()``, no helper methods, no signal/query.

Side-effect free on purpose: Temporal's sandbox re-imports this module for every workflow
run, so it must not be a script or a test file.
"""
from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

TIMEOUT = timedelta(seconds=3600.0)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1.0), backoff_coefficient=2.0,
                    maximum_interval=timedelta(seconds=60.0), maximum_attempts=0)


@workflow.defn(name="handwritten_chain")
class HandwrittenChain:
    @workflow.run
    async def run(self, inp: dict) -> dict:
        plan, graph, n = inp["plan"], inp["graph"], inp["n"]
        prev_ref, prev_out = "_input", inp["input"]
        for i in range(n):
            ref = f"n{i}"
            prev_out = await workflow.execute_activity(
                f"{graph}-{ref}", {"plan": plan, "self": ref, "prev": {prev_ref: prev_out}},
                start_to_close_timeout=TIMEOUT, retry_policy=RETRY)
            prev_ref = ref
        out = await workflow.execute_activity(
            f"{graph}-_end", {"plan": plan, "self": "end", "prev": {prev_ref: prev_out}},
            start_to_close_timeout=TIMEOUT, retry_policy=RETRY)
        return {"state": out.get("state")}
