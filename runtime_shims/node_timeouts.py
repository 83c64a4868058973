"""Node timeouts: a bounded run of each attempt of a LangGraph node (docs/policies.md
"Node timeouts").

Two sources give a node a limit, and the smaller wins: LangGraph's own
``add_node(..., timeout=TimeoutPolicy(run_timeout=S))`` (read into ``Node.timeout``) and a
policy's ``[policies.nodes.NAME] timeout = S`` (not on an external node, whose ``timeout``
bounds the outside work instead). The semantics are LangGraph's (``arun_with_retry``, which
``graph.ainvoke`` runs): each *attempt* of the node is cancelled at its next ``await`` once
it has run S seconds, and fails with LangGraph's own ``NodeTimeoutError`` — which the node's
``RetryPolicy`` may retry (its default ``retry_on`` does), like any failure. Only async
function nodes take a timeout (LangGraph refuses sync ones at ``compile()``; the policy
loader refuses them with AC200), so the bound is always a cancellation, never a thread
left running.

Every target runs a node through ``bounded`` (the local executor and the shared step
worker that Conductor tasks and Temporal activities run), so the same code enforces it;
the engines' own step timeouts (``engine_timeout``) only catch a worker that cannot
report — a node that blocks its event loop — and then end the step for good.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

ENGINE_GRACE_S = 60
"""Seconds an engine's step timeout adds to the node's limit: the worker reports the
``NodeTimeoutError`` itself; the engine's timeout only catches a worker that cannot."""


def limit(wf: Any, name: str, node: Any, root: bool = True) -> float | None:
    """Seconds each attempt of node ``name`` may run (None: unbounded). ``root``: a node of
    the root graph (policies name only those)."""
    own = getattr(node, "timeout", None) if node is not None else None
    policies = getattr(wf, "policies", None)
    rule = policies.node(name) if policies is not None and root else None
    extra = rule.timeout if rule is not None and not rule.external else None
    found = [t for t in (own, extra) if t]
    return min(found) if found else None


def engine_timeout(wf: Any, name: str, node: Any, root: bool = True) -> int | None:
    """The engine's step timeout (seconds) for a node with a limit (None: the target's
    default)."""
    s = limit(wf, name, node, root)
    return math.ceil(s) + ENGINE_GRACE_S if s else None


class _Bounded:
    """A node runnable whose ``ainvoke`` runs at most ``seconds`` (LangGraph's
    ``NodeTimeoutError`` past it); everything else is the node's."""

    def __init__(self, runnable: Any, seconds: float, node: str) -> None:
        self.runnable, self.seconds, self.node = runnable, seconds, node

    def invoke(self, value: Any, config: Any) -> Any:  # a sync node has no timeout (above)
        return self.runnable.invoke(value, config)

    async def ainvoke(self, value: Any, config: Any) -> Any:
        from langgraph.errors import NodeTimeoutError

        t0 = time.monotonic()
        task = asyncio.ensure_future(self.runnable.ainvoke(value, config))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.seconds)
        except asyncio.CancelledError:  # a fan-out's scope cancelled the step: the node too
            task.cancel()
            raise
        if task in done:
            return task.result()
        task.cancel()  # at the node's next await, as LangGraph cancels it
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:  # failing while it was cancelled: the timeout is what happened
            pass
        raise NodeTimeoutError(
            self.node, time.monotonic() - t0, kind="run", run_timeout=self.seconds
        )


def bounded(runnable: Any, seconds: float | None, node: str) -> Any:
    """``runnable``, bounded to ``seconds`` per call when given."""
    return _Bounded(runnable, seconds, node) if seconds else runnable
