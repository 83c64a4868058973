"""Node timeouts: a bounded run of each attempt of a LangGraph node (docs/policies.md
"Node timeouts").

Two sources give a node a run limit, and the smaller wins: LangGraph's own
``add_node(..., timeout=TimeoutPolicy(run_timeout=S))`` (read into ``Node.timeout``) and a
policy's ``[policies.nodes.NAME] timeout = S`` (not on an external node, whose ``timeout``
bounds the outside work instead). LangGraph's ``idle_timeout`` (``Node.idle_timeout``, with
its ``refresh_on``) bounds each attempt's time *without progress*. The semantics are
LangGraph's, and so is the code: ``bounded`` runs each attempt through LangGraph's own
``_arun_with_timeout`` (``compat.langgraph.arun_timed_attempt``, what ``graph.ainvoke``
runs), so the attempt is cancelled at its next ``await`` and fails with LangGraph's own
``NodeTimeoutError`` — which the node's ``RetryPolicy`` may retry (its default
``retry_on`` does), like any failure — and progress is what LangGraph counts: with
``refresh_on="auto"`` any callback event under the node and ``runtime.heartbeat()``, with
``"heartbeat"`` only ``runtime.heartbeat()`` (the node's config carries the runtime,
``semantics/langgraph_calls.node_config``). Only async function nodes take a timeout
(LangGraph refuses sync ones at ``compile()``; the policy loader refuses them with AC200),
so the bound is always a cancellation, never a thread left running.

Every target runs a node through ``bounded`` (the local executor and the shared step
worker that Conductor tasks and Temporal activities run), so the same code enforces it;
the engines' own step timeouts (``engine_timeout``, ``heartbeat_timeout``) only catch a
worker that cannot report — a node that blocks its event loop — and then end the step for
good. A worker that reports progress elsewhere (a Temporal activity heartbeat) sets a
``reporting`` hook: the attempt calls it when the node makes progress.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator

ENGINE_GRACE_S = 60
"""Seconds an engine's step timeout adds to the node's limit: the worker reports the
``NodeTimeoutError`` itself; the engine's timeout only catches a worker that cannot."""


@dataclass(frozen=True)
class Limits:
    """The bounds of each attempt of a node: ``run`` seconds in all, ``idle`` (seconds,
    ``refresh_on``) without progress."""

    run: float | None = None
    idle: tuple[float, str] | None = None


_PROGRESS: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "agentc_node_progress", default=None
)


@contextlib.contextmanager
def reporting(hook: Callable[[], None]) -> Iterator[None]:
    """Within this block an idle-timed node's progress also calls ``hook()`` (from any
    thread; at most about four times per idle window)."""
    token = _PROGRESS.set(hook)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


def limit(wf: Any, name: str, node: Any, root: bool = True) -> Limits | None:
    """The bounds of each attempt of node ``name`` (None: unbounded). ``root``: a node of
    the root graph (policies name only those)."""
    own = getattr(node, "timeout", None) if node is not None else None
    policies = getattr(wf, "policies", None)
    rule = policies.node(name) if policies is not None and root else None
    extra = rule.timeout if rule is not None and not rule.external else None
    found = [t for t in (own, extra) if t]
    idle = getattr(node, "idle_timeout", None) if node is not None else None
    if not found and idle is None:
        return None
    return Limits(
        min(found) if found else None,
        (idle.seconds, idle.refresh_on) if idle is not None else None,
    )


def engine_timeout(wf: Any, name: str, node: Any, root: bool = True) -> int | None:
    """The engine's step timeout (seconds) for a node with a run limit (None: the target's
    default)."""
    found = limit(wf, name, node, root)
    s = found.run if found is not None else None
    return math.ceil(s) + ENGINE_GRACE_S if s else None


def heartbeat_timeout(wf: Any, name: str, node: Any, root: bool = True) -> int | None:
    """The engine's heartbeat timeout (seconds) for a node with an idle limit: the worker
    heartbeats when the node makes progress, so an attempt no heartbeat reaches for this
    long is one whose worker cannot report (None: no idle limit)."""
    found = limit(wf, name, node, root)
    idle = found.idle if found is not None else None
    return math.ceil(idle[0]) + ENGINE_GRACE_S if idle else None


class _Bounded:
    """A node runnable whose ``ainvoke`` is one attempt under ``limits`` (LangGraph's
    ``NodeTimeoutError`` past them); everything else is the node's."""

    def __init__(self, runnable: Any, limits: Limits, node: str) -> None:
        self.runnable, self.limits, self.node = runnable, limits, node

    def invoke(self, value: Any, config: Any) -> Any:  # a sync node has no timeout (above)
        return self.runnable.invoke(value, config)

    async def ainvoke(self, value: Any, config: Any) -> Any:
        from agentc.compat.langgraph import arun_timed_attempt

        return await arun_timed_attempt(
            self.runnable,
            value,
            config,
            self.node,
            self.limits.run,
            self.limits.idle,
            _PROGRESS.get(),
        )


def bounded(runnable: Any, limits: Limits | None, node: str) -> Any:
    """``runnable``, each call bounded by ``limits`` when given."""
    return _Bounded(runnable, limits, node) if limits is not None else runnable
