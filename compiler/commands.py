"""Resuming a run paused at a static breakpoint with LangGraph's ``Command``.

Natively, a graph compiled with ``interrupt_before`` / ``interrupt_after`` pauses there and
the caller may continue with ``graph.invoke(Command(goto=..., update=..., resume=...),
config)``: the update goes through the graph's reducers, each ``goto`` node joins the
nodes that were about to run (docs/langgraph.md, "Breakpoints"). ``ResumeCommand`` is
that command as ``agentc resume`` takes it (``--goto NODE`` ..., ``--update JSON``, or a
``langgraph.types.Command`` given to ``agentc.resume``); ``check`` holds the rules every
engine applies before touching the run, so a bad command is refused the same way
everywhere. The state change itself is the shared Pregel frame's
(``semantics.pregel.apply_command``).

Where agentc is stricter than LangGraph, it is on purpose: LangGraph ignores a ``goto`` to
a node the graph does not have (a warning in its log) and runs a ``goto`` on a finished
thread; agentc refuses both (AC112), since neither is what a user meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import AgentcError, Code

END = "__end__"


@dataclass(frozen=True)
class ResumeCommand:
    """``Command(goto=..., update=...)`` for a paused run. ``goto``: node names or
    ``langgraph.types.Send`` packets; ``update``: what a node could return (a dict of state
    keys, as LangGraph: keys that are no state key are dropped)."""

    goto: tuple[Any, ...] = ()
    update: Any = None

    def __bool__(self) -> bool:
        return bool(self.goto) or self.update is not None

    def describe(self) -> str:
        parts = []
        if self.goto:
            parts.append(
                "goto="
                + repr([g if isinstance(g, str) else f"Send({g.node!r})" for g in self.goto])
            )
        if self.update is not None:
            parts.append("update=...")
        return "Command(" + ", ".join(parts) + ")"


def split(
    value: Any, no_value: Any, goto: Any = None, update: Any = None
) -> tuple[Any, ResumeCommand]:
    """(resume value, command) from ``agentc.resume``'s arguments: ``value`` may itself be
    a ``langgraph.types.Command`` (as given to ``graph.invoke``); ``goto`` one target or a
    list of them."""
    from langgraph.types import Command, Send

    if isinstance(value, Command):
        if value.graph is not None:
            raise AgentcError(
                Code.INVALID_RESUME,
                "a run cannot be resumed with Command(graph=...)",
                construct=repr(value),
                hint="there is no parent graph: drop graph=",
            )
        if goto is not None or update is not None:
            raise AgentcError(
                Code.INVALID_RESUME,
                "give goto/update either in the Command or as arguments",
                construct=repr(value),
                hint="agentc.resume(run_id, Command(goto=..., update=...))",
            )
        goto, update = value.goto, value.update
        value = no_value if value.resume is None else value.resume
    targets = (
        ()
        if goto is None or goto == ()
        else (tuple(goto) if isinstance(goto, (list, tuple)) else (goto,))
    )
    for g in targets:
        if not isinstance(g, (str, Send)):
            raise AgentcError(
                Code.INVALID_RESUME,
                f"goto {g!r} is neither a node name nor a Send",
                construct="goto",
                hint="pass node names, e.g. --goto NODE",
            )
    return value, ResumeCommand(targets, update)


def check(
    run_id: str, graph: Any, cmd: ResumeCommand, status: str, pending: list[dict[str, Any]]
) -> None:
    """Refuse a command the run cannot take: it must be paused at a breakpoint of its root
    graph (not at ``interrupt()``, not finished or failed), and every ``goto`` must name
    one of the root graph's nodes (``graph``: its IR)."""
    if not cmd:
        return
    what = cmd.describe()
    if status != "waiting" or not pending:
        raise AgentcError(
            Code.INVALID_RESUME,
            f"run {run_id} is {status}, not paused at a breakpoint; {what} continues a breakpoint",
            construct=run_id,
            hint="resume it without --goto/--update",
        )
    waits = [p for p in pending if p.get("kind") != "breakpoint"]
    if waits:
        raise AgentcError(
            Code.INVALID_RESUME,
            f"run {run_id} waits for an answer to interrupt(), not at a breakpoint; "
            f"{what} continues only a static breakpoint (interrupt_before/interrupt_after)",
            construct=run_id,
            hint="answer it with --value JSON (and no --goto/--update)",
        )
    if any(p.get("ns") for p in pending):
        raise AgentcError(
            Code.UNSUPPORTED,
            f"run {run_id} is paused at a breakpoint inside a subgraph; "
            f"agentc applies {what} to the root graph's breakpoints only",
            construct=f"subgraph {pending[0]['ns']!r}",
            hint="resume without --goto/--update, or put the breakpoint on the root graph",
        )
    nodes = [n.name for n in graph.nodes]
    for g in cmd.goto:
        name = g if isinstance(g, str) else g.node
        if name != END and name not in nodes:
            raise AgentcError(
                Code.INVALID_RESUME,
                f"goto {name!r}: graph {graph.name!r} has no node {name!r}",
                construct=f"goto {name!r}",
                source=graph.source,
                hint="valid nodes: " + ", ".join(nodes),
            )


def refuse_compiled(
    target: str, value: Any, no_value: Any, goto: Any = None, update: Any = None
) -> Any:
    """The plain resume value for a compiled target (Conductor, Temporal), which refuses a
    ``goto``/``update`` loudly instead of ignoring it (a breakpoint ignores a resume value):
    their workflows run only the superstep schedules the plan enumerated at compile time
    (docs/langgraph.md, "Breakpoints"), and a ``goto`` adds nodes to the paused step that no
    compiled schedule has; the pause's answer does not reach the state, so no ``update``."""
    value, cmd = split(value, no_value, goto, update)
    if cmd:
        raise AgentcError(
            Code.UNSUPPORTED,
            f"{cmd.describe()} at a breakpoint is not supported on the {target} target: "
            "its workflow runs only the superstep schedules compiled from the graph, and the pause "
            "passes no state on",
            construct=f"resume {cmd.describe()}",
            hint="run the graph with the local target (`agentc run`, then `agentc resume RUN "
            "--goto NODE "
            "--update JSON`), or resume here without goto/update",
        )
    return value
