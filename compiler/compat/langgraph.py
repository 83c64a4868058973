"""Every private LangGraph symbol agentc uses (langgraph 1.2), in one place.

* The config keys and namespace separators of a Pregel task (``langgraph/_internal/
  _constants.py``): the runtime shims build a task's config the way LangGraph's own loop does
  (``langgraph/pregel/_algo.py`` ``prepare_single_task``), so a graph a node invokes itself
  (``child.invoke(...)`` inside the node) — a nested Pregel run of LangGraph's own — finds its
  checkpointer, checkpoint namespace, the parent task's scratchpad (``interrupt()`` resume
  values) and the "resuming" flag there (docs/langgraph.md, "Graphs invoked inside a node").
* ``PULL``/``PUSH``/``TASKS``: the first element of a task's path (a node triggered by its
  channels, a ``Send``) and the channel ``Send`` packets are written to. agentc's Pregel frame
  (``semantics/pregel.py``) names its tasks the same way, so the plan and the runtime read
  task paths as LangGraph does.
* :class:`PregelScratchpad`, :data:`LangGraphParentCommand` (``ParentCommand``, raised by a
  nested graph's ``Command(graph=PARENT)``).
* :class:`RunnableCallable`: the wrapper ``add_node`` puts around a function; the frontend
  unwraps it to find the user's function.
* A node's return value as channel writes: :func:`command_updates` (``Command._update_as_tuples``)
  and :func:`model_updates` (``_internal/_fields.py``, for dataclass / pydantic states).
* :func:`node_default_retry`: the retry policy set by ``StateGraph.set_node_defaults``
  (kept in the builder's private ``_node_defaults``).
* :func:`tool_node_handles_all_errors`: ``ToolNode``'s ``handle_tool_errors`` (kept as the
  private ``_handle_tool_errors``), for the parallel-batch check (``effect_checks.py``).
* :func:`arun_timed_attempt`: one attempt of a node under its ``TimeoutPolicy``, run by
  LangGraph's own ``_arun_with_timeout`` (``pregel/_retry.py``, what ``arun_with_retry``
  calls): its progress scope (``_TimedAttemptScope``: the guarded config, the callback handler
  of ``refresh_on="auto"``, ``runtime.heartbeat``), its watchdogs and its ``NodeTimeoutError``;
  progress reaches agentc through LangGraph's timed-attempt observer
  (``CONFIG_KEY_TIMED_ATTEMPT_OBSERVER``, ``_start_timed_attempt``), docs/policies.md
  "Node timeouts".
* :data:`DEFAULT_RECURSION_LIMIT`: the IR's default ``recursion_limit`` must equal it
  (``tests/test_sdk_compat.py`` checks).
"""

from __future__ import annotations

from typing import Any

from langgraph._internal._config import DEFAULT_RECURSION_LIMIT
from langgraph._internal._constants import (
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_CHECKPOINTER,
    CONFIG_KEY_RESUMING,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_SEND,
    CONFIG_KEY_TASK_ID,
    NS_END,
    NS_SEP,
    PULL,
    PUSH,
    RESUME,
    TASKS,
)
from langgraph._internal._fields import get_cached_annotated_keys, get_update_as_tuples
from langgraph._internal._runnable import RunnableCallable
from langgraph._internal._scratchpad import PregelScratchpad
from langgraph.errors import ParentCommand as LangGraphParentCommand

__all__ = [
    "CONFIG_KEY_CHECKPOINTER",
    "CONFIG_KEY_CHECKPOINT_NS",
    "CONFIG_KEY_RESUMING",
    "CONFIG_KEY_RUNTIME",
    "CONFIG_KEY_SCRATCHPAD",
    "CONFIG_KEY_SEND",
    "CONFIG_KEY_TASK_ID",
    "DEFAULT_RECURSION_LIMIT",
    "LangGraphParentCommand",
    "NS_END",
    "NS_SEP",
    "PULL",
    "PUSH",
    "PregelScratchpad",
    "RESUME",
    "RunnableCallable",
    "TASKS",
    "arun_timed_attempt",
    "command_updates",
    "model_updates",
    "node_default_retry",
    "recast_ns",
    "task_path",
]


def task_path(path: tuple[Any, ...]) -> tuple[Any, ...]:
    """A task's path as LangGraph's metadata shows it (``langgraph_path``): a ``Send`` task's
    is ``(PUSH, index, False)`` (``False``: not a functional-API call), agentc's frame keeps
    ``(PUSH, index)``."""
    return (*path, False) if len(path) == 2 and path[0] == PUSH else tuple(path)


def recast_ns(ns: str) -> str:
    """A checkpoint namespace without its task ids (``a:1|b:2`` -> ``a|b``), which is
    where a ``checkpointer=True`` subgraph keeps its per-thread history."""
    return NS_SEP.join(part.split(NS_END)[0] for part in ns.split(NS_SEP))


def command_updates(command: Any) -> list[tuple[str, Any]]:
    """A ``Command``'s ``update`` as ``(channel, value)`` writes, as LangGraph applies it."""
    return list(command._update_as_tuples())


def model_updates(result: Any, keys: list[str]) -> list[tuple[str, Any]] | None:
    """A dataclass / pydantic state returned by a node as writes to ``keys``; None when
    ``result`` is not such a state (LangGraph's ``_get_updates`` fallback)."""
    if not get_cached_annotated_keys(type(result)):
        return None
    return list(get_update_as_tuples(result, keys))


def node_default_retry(builder: Any) -> Any:
    """The retry policy ``builder.set_node_defaults(retry_policy=...)`` set, or None."""
    return getattr(getattr(builder, "_node_defaults", None), "retry_policy", None)


def tool_node_handles_all_errors(tool_node: Any) -> bool:
    """Whether a ``ToolNode`` turns every tool exception into a ``ToolMessage``
    (``handle_tool_errors=True``), so a failing call never fails the node."""
    return getattr(tool_node, "_handle_tool_errors", None) is True


async def arun_timed_attempt(
    runnable: Any,
    value: Any,
    config: dict[str, Any],
    name: str,
    run_s: float | None,
    idle: tuple[float, str] | None,
    on_progress: Any = None,
) -> Any:
    """``runnable.ainvoke(value, config)`` as one attempt of node ``name`` under
    ``TimeoutPolicy(run_timeout=run_s, idle_timeout=idle[0], refresh_on=idle[1])``, by
    LangGraph's own code; ``on_progress()`` is called when the attempt makes progress (at
    most about four times per idle window: LangGraph's rate limit)."""
    from types import SimpleNamespace

    from langgraph._internal._config import patch_configurable
    from langgraph._internal._constants import CONFIG_KEY_TIMED_ATTEMPT_OBSERVER
    from langgraph.pregel._retry import (
        _arun_with_timeout,
        _ResolvedTimeout,
        _start_timed_attempt,
    )

    # the fields of a PregelExecutableTask _arun_with_timeout reads: agentc computes the
    # node's writes from its return value, so ``proc`` is the node itself
    task = SimpleNamespace(
        proc=runnable,
        input=value,
        name=name,
        id=config["configurable"].get(CONFIG_KEY_TASK_ID, ""),
        writes=[],
    )
    refresh: Any = idle[1] if idle else None  # "auto" | "heartbeat" (the IR's Literal)
    timeout = _ResolvedTimeout(run_s, idle[0] if idle else None, refresh)
    attempt = None
    if on_progress is not None and idle is not None:

        def observer(event: Any) -> None:
            if event.event == "progress":
                on_progress()

        config = dict(
            patch_configurable(config, {CONFIG_KEY_TIMED_ATTEMPT_OBSERVER: observer})  # type: ignore[arg-type]
        )
        attempt = _start_timed_attempt(task, config, timeout)  # type: ignore[arg-type]
    return await _arun_with_timeout(task, config, timeout, attempt, stream=False)  # type: ignore[arg-type]
