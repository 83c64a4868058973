"""Idempotency keys for side effects, read by user code (docs/effects.md).

A key is derived from the run id, the step's path in the run (the task's namespace for a
LangGraph node; the agent-tool scope, agent, tool and the call's ordinal among that tool's
calls for an OpenAI Agents tool) and the ordinal of the key within that step — never from
the model's ``tool_call_id`` (the model mints a new one every turn). A retried, resumed,
replayed or crash-recovered step recomputes the same path, so it gets the same keys, and a
service that honours ``Idempotency-Key`` performs the effect once.

User code reads the key through its SDK's own context::

    from agentc.effects import effect_key

    def charge(state, config):              # LangGraph node: the RunnableConfig
        requests.post(url, headers={"Idempotency-Key": effect_key(config)})

    @function_tool
    def charge(ctx: RunContextWrapper[Any], amount: int) -> str:   # OpenAI Agents tool
        ... effect_key(ctx) ...

Each call returns the next key of the step (ordinal 0, 1, ...): call it once per request.
Outside an agentc run a LangGraph node gets a key derived the same way from LangGraph's
own ``thread_id`` and checkpoint namespace; an OpenAI Agents tool gets ``None`` (a plain
``Runner.run`` keeps no journal, so there is nothing stable to derive it from).

This module imports no SDK: it is on the path of every target's workers.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import threading
from collections.abc import Iterator
from typing import Any

CONFIG_KEY = "__agentc_effects"
"""The ``configurable`` key of a node's config that holds its ``EffectScope``."""
CTX_ATTR = "agentc_effects"
"""The attribute of an OpenAI Agents ``ToolContext`` that holds the tool call's scope."""

_CURRENT: contextvars.ContextVar[EffectScope | None] = contextvars.ContextVar(
    "agentc_effect_scope", default=None
)


def derive(run_id: str, path: str, ordinal: int) -> str:
    """The key of the ``ordinal``-th request of the step at ``path`` in run ``run_id``
    (48 characters: within every payment API's limit)."""
    digest = hashlib.sha256(json.dumps([run_id, path, ordinal]).encode()).hexdigest()[:40]
    return f"agentc-{digest}"


class EffectScope:
    """The keys of one step: ``next()`` hands out ordinal 0, 1, ... in call order."""

    def __init__(self, run_id: str, path: str, origin: str | None = None) -> None:
        self.run_id, self.path = run_id, path
        self.origin = origin
        """In a compensator: the key of the effect it undoes (``compensated_key``)."""
        self._n = 0
        self._lock = threading.Lock()

    def key(self, ordinal: int = 0) -> str:
        return derive(self.run_id, self.path, ordinal)

    def next(self) -> str:
        with self._lock:
            n, self._n = self._n, self._n + 1
        return self.key(n)

    def child(self, suffix: str) -> EffectScope:
        """A scope under this one (a compensator's keys under its effect's)."""
        return EffectScope(self.run_id, f"{self.path}/{suffix}")


def _from_config(config: Any) -> EffectScope | None:
    conf = config.get("configurable") if isinstance(config, dict) else None
    if not isinstance(conf, dict):
        return None
    scope = conf.get(CONFIG_KEY)
    if isinstance(scope, EffectScope):  # agentc's: a fresh config per attempt
        return scope
    if conf.get("thread_id") is None:
        return None
    # plain LangGraph: its own task identity; LangGraph reuses a task's config for its
    # RetryPolicy attempts, so the ordinals restart with each attempt
    from agentc.compat.langgraph import CONFIG_KEY_RUNTIME

    info = getattr(conf.get(CONFIG_KEY_RUNTIME), "execution_info", None)
    attempt = getattr(info, "node_attempt", 1)
    if not (isinstance(scope, tuple) and scope[0] == attempt):
        scope = (attempt, EffectScope(str(conf["thread_id"]), str(conf.get("checkpoint_ns", ""))))
        conf[CONFIG_KEY] = scope
    return scope[1]


def scope_of(ctx: Any = None) -> EffectScope | None:
    """The scope of the running step: from ``ctx`` (a LangGraph config, an OpenAI Agents
    ``ToolContext``/``RunContextWrapper``), else the one agentc set for this call."""
    if ctx is not None:
        found = getattr(ctx, CTX_ATTR, None) if not isinstance(ctx, dict) else _from_config(ctx)
        if found is not None:
            return found
    found = _CURRENT.get()
    if found is not None:
        return found
    try:
        from langchain_core.runnables.config import var_child_runnable_config
    except ImportError:  # pragma: no cover - an agents-only worker
        return None
    return _from_config(var_child_runnable_config.get())


def effect_key(ctx: Any = None) -> str | None:
    """The next idempotency key of the running step (see the module docstring)."""
    scope = scope_of(ctx)
    return scope.next() if scope is not None else None


current_effect_key = effect_key


def compensated_key() -> str | None:
    """In a compensator: the idempotency key the undone effect was sent with (a
    compensator whose effect paused before returning gets no result; it can read the
    effect back from the service with this key)."""
    scope = _CURRENT.get()
    return scope.origin if scope is not None else None


@contextlib.contextmanager
def active(scope: EffectScope | None) -> Iterator[None]:
    """Make ``scope`` the running step's (for code that receives no context object)."""
    token = _CURRENT.set(scope)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def record(
    scope: EffectScope, name: str, kind: str, compensator: str | None, args: Any, result: Any
) -> dict[str, Any]:
    """A completed effect as a workflow engine's history keeps it (a step's ``effect``
    output): what its compensation needs, as JSON."""
    from .codec import to_jsonable

    return {
        "key": scope.key(0),
        "path": scope.path,
        "name": name,
        "class": kind,
        "compensator": compensator,
        "args": to_jsonable(args),
        "result": to_jsonable(result),
        "digest": digest(result),
    }


def digest(value: Any) -> str:
    """A short digest of a JSON-able result, for the effect ledger."""
    from .codec import to_jsonable

    text = json.dumps(to_jsonable(value), sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


__all__ = [
    "EffectScope",
    "active",
    "compensated_key",
    "current_effect_key",
    "derive",
    "digest",
    "effect_key",
    "scope_of",
]
