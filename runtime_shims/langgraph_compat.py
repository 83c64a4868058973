"""The private LangGraph symbols the runtime shims need to build a task's config the way
LangGraph's own Pregel loop does (``langgraph/pregel/_algo.py`` ``prepare_single_task``),
in one place so a LangGraph upgrade breaks here and nowhere else.

A graph that a node invokes itself (``child.invoke(...)`` inside the node) is a nested
Pregel run of LangGraph's own: it reads its checkpointer, its checkpoint namespace, the
parent task's scratchpad (for ``interrupt()`` resume values) and the "resuming" flag from
these config keys (docs/langgraph.md, "Graphs invoked inside a node").
"""
from __future__ import annotations

from langgraph._internal._constants import (  # noqa: F401  (re-exported)
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_CHECKPOINTER,
    CONFIG_KEY_RESUMING,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_SEND,
    CONFIG_KEY_TASK_ID,
    NS_END,
    NS_SEP,
    RESUME,
)
from langgraph._internal._scratchpad import PregelScratchpad  # noqa: F401
from langgraph.errors import ParentCommand as LangGraphParentCommand  # noqa: F401


def recast_ns(ns: str) -> str:
    """A checkpoint namespace without its task ids (``a:1|b:2`` -> ``a|b``), which is
    where a ``checkpointer=True`` subgraph keeps its per-thread history."""
    return NS_SEP.join(part.split(NS_END)[0] for part in ns.split(NS_SEP))
