"""The Python API: ``load``, ``compile``, ``run``, ``resume``, ``runs``.

Library code never prints or exits; failures are ``AgentcError`` with a diagnostic.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from .artifact import Artifact
from .errors import AgentcError, Code, ErrorLevel, Warnings
from .ir import AgentProgram, BodyKind, Workflow
from .refs import load_ref

# Reading a REF into its IR and live object lives below the targets (agentc.reading, so the
# targets' run drivers need not import this module); these names stay the API's.
from .reading import (  # noqa: F401
    agent_context,
    check_context,
    check_input,
    workflow_and_live,
)
from .reading import check_context as _context  # noqa: F401
from .reading import entry_and_obj as _entry_and_obj
from .reading import read_workflow as _read
from .reading import run_options as _run_options  # noqa: F401

DEFAULT_DB = os.environ.get("AGENTC_DB", ".agentc/runs.db")
NO_VALUE: Any = object()


def load(
    obj: Any,
    *,
    level: ErrorLevel = ErrorLevel.WARN,
    warnings: Warnings | None = None,
    policy: str | Path | None = None,
    run_config: Any = None,
    run_hooks: Any = None,
    error_handlers: Any = None,
    session: Any = None,
) -> Workflow:
    """Read an agent (live object or REF string) into the verified IR. ``policy``: an
    effect policy file (else ``[tool.agentc.effects]`` of ./pyproject.toml; docs/effects.md).
    ``run_config`` / ``run_hooks``: an agent system's ``Runner.run`` options, REFs or
    module-level objects (else ``$AGENTC_RUN_CONFIG`` … or ``[tool.agentc]``; ``run_refs``);
    ``error_handlers``, ``session``: likewise, the ``RunErrorHandlers`` and the session
    (factory)."""
    entry, live = _entry_and_obj(obj)
    return _read(
        entry,
        live,
        level,
        warnings,
        policy,
        run_refs(run_config, run_hooks, error_handlers, session),
    )


def run_refs(
    run_config: Any = None, run_hooks: Any = None, error_handlers: Any = None, session: Any = None
) -> Any:
    """The ``Runner.run`` option REFs in effect when one is given (the others default:
    ``agentc.run_refs.chosen``); None when none is (``_read`` applies the defaults)."""
    if run_config is None and run_hooks is None and error_handlers is None and session is None:
        return None
    from .run_refs import chosen

    return chosen(run_config, run_hooks, error_handlers=error_handlers, session=session)


def compile(
    obj: Any,
    target: str = "ir",
    *,
    level: ErrorLevel = ErrorLevel.WARN,
    warnings: Warnings | None = None,
    policy: str | Path | None = None,
    run_config: Any = None,
    run_hooks: Any = None,
    error_handlers: Any = None,
    session: Any = None,
) -> Artifact:
    from agentc.targets import get

    warnings = warnings if warnings is not None else Warnings()
    wf = (
        obj
        if isinstance(obj, Workflow)
        else load(
            obj,
            level=level,
            warnings=warnings,
            policy=policy,
            run_config=run_config,
            run_hooks=run_hooks,
            error_handlers=error_handlers,
            session=session,
        )
    )
    try:
        return get(target).lower(wf)
    except AgentcError as exc:  # a refusal of the plan or the target leaves through the sink
        raise warnings.fail(exc) from None


def _journal(db: str | Path, durability: str = "normal") -> Any:
    from agentc.targets.local.journal import Journal

    return Journal(db, durability=durability)


def run(
    obj: Any,
    input: Any,
    *,
    db: str | Path = DEFAULT_DB,
    context: Any = None,
    run_id: str | None = None,
    durability: str = "normal",
    recursion_limit: int | None = None,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
    workflow: Workflow | None = None,
    context_factory: Any = None,
    policy: str | Path | None = None,
    run_config: Any = None,
    run_hooks: Any = None,
    full_result: bool = False,
    error_handlers: Any = None,
    session: Any = None,
    previous_response_id: str | None = None,
    auto_previous_response_id: bool = False,
    conversation_id: str | None = None,
) -> Any:
    """Run durably; returns a ``RunOutcome`` (``status`` "done" with ``output``, or
    "waiting" with ``interrupts``). Raises ``RunFailed`` when a node fails (resumable).

    ``workflow``: an IR already loaded from ``obj`` (``agentc.load(obj)``), so repeated
    runs of one agent do not re-read it, as a compiled LangGraph graph is reused.
    ``context``: the run context, or JSON for it (built into the declared type: an
    agent's ``RunContextWrapper[T]``, a graph's ``context_schema``); ``context_factory``:
    a callable or REF that builds it (``context`` JSON becomes its keyword arguments);
    ``policy``: an effect policy file (docs/effects.md); ``run_config`` / ``run_hooks`` /
    ``error_handlers`` / ``session``: an agent system's ``Runner.run`` options (``load``);
    ``full_result``: an agent run's output
    also holds the SDK's ``RunResult`` as JSON (``agentc.runtime_shims.run_result``).
    ``previous_response_id`` / ``auto_previous_response_id`` / ``conversation_id`` are
    ``Runner.run``'s, refused (AC200, ``server_conversation.py``)."""

    from .server_conversation import refuse_given

    refuse_given(
        {
            "previous_response_id": previous_response_id,
            "conversation_id": conversation_id,
            "auto_previous_response_id": auto_previous_response_id,
        }
    )

    if workflow is not None:
        wf, live = workflow, (load_ref(obj) if isinstance(obj, str) else obj)
    else:
        wf, live = workflow_and_live(
            obj, policy, run_refs(run_config, run_hooks, error_handlers, session)
        )
    return _LOCAL_STARTS[wf.body.kind](
        wf,
        live,
        input,
        db=db,
        context=context,
        run_id=run_id,
        durability=durability,
        recursion_limit=recursion_limit,
        on_event=on_event,
        context_factory=context_factory,
        full_result=full_result,
    )


def _start_agents(
    wf: Workflow,
    live: Any,
    input: Any,
    *,
    db: str | Path,
    context: Any,
    run_id: str | None,
    durability: str,
    recursion_limit: int | None,
    on_event: Any,
    context_factory: Any,
    full_result: bool,
) -> Any:
    """An OpenAI Agents SDK agent system: the SDK's loop, journaled."""
    from agentc.targets.local.agent_runs import AgentRunner

    ctx, factory = agent_context(live, context, context_factory)
    journal = _journal(db, durability)
    try:
        return AgentRunner(wf, live, journal, on_event=on_event).start(
            input,
            run_id=run_id,
            context=ctx,
            max_turns=recursion_limit,
            context_factory=factory,
            full_result=full_result,
        )
    finally:
        journal.close()


def _start_graph(
    wf: Workflow,
    live: Any,
    input: Any,
    *,
    db: str | Path,
    context: Any,
    run_id: str | None,
    durability: str,
    recursion_limit: int | None,
    on_event: Any,
    context_factory: Any,
    full_result: bool,
) -> Any:
    """A LangGraph graph: the Pregel supersteps, journaled (targets/local/executor.py)."""
    from agentc.targets.local.executor import LocalExecutor

    if full_result:
        from .run_refs import refuse_full_result

        raise refuse_full_result(wf.name)
    value = check_input(wf, live, input)
    if context_factory is not None:
        from .agent_context import call_factory

        ctx = call_factory(context_factory, context)
    else:
        ctx = _context(wf, live, context)
    journal = _journal(db, durability)
    try:
        return LocalExecutor(wf, live, journal, on_event=on_event).start(
            value, run_id=run_id, context=ctx, recursion_limit=recursion_limit
        )
    finally:
        journal.close()


_LOCAL_STARTS: dict[BodyKind, Callable[..., Any]] = {"agents": _start_agents, "graph": _start_graph}
"""The local target's lowering, by body kind: which journaled loop runs the program."""


def resume(
    run_id: str,
    value: Any = NO_VALUE,
    *,
    db: str | Path = DEFAULT_DB,
    obj: Any = None,
    durability: str = "normal",
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
    goto: Any = None,
    update: Any = None,
) -> Any:
    """Continue a paused, failed or crashed run from its journal (in any process).

    At a static breakpoint, ``goto`` (a node name, a ``Send``, or a list of them) and
    ``update`` (state keys to write through the reducers) act as LangGraph's
    ``graph.invoke(Command(goto=..., update=...), config)``; ``value`` may also be that
    ``Command`` itself (``agentc.commands``)."""
    from agentc import ir as IR
    from agentc.targets.local import external_deadlines
    from agentc.targets.local.executor import NO_VALUE as EXEC_NO_VALUE

    from .commands import split

    value, command = split(value, NO_VALUE, goto, update)
    _require_db(db)
    journal = _journal(db, durability)
    try:
        # an external step past its timeout: AC316 (docs/policies.md "External completion")
        external_deadlines.enforce(journal, run_id, by="agentc resume")
        row = journal.existing(run_id)
        saved = IR.load(row["ir"])
        if obj is None:
            if not row["entry"]:
                raise AgentcError(
                    Code.RUN_NOT_RESUMABLE,
                    f"run {run_id} was started from an object with no REF",
                    construct=run_id,
                    hint="resume it from Python: agentc.resume(run_id, obj=graph)",
                )
            obj = row["entry"]
        wf, live = workflow_and_live(obj, refs=_saved_run_refs(saved))
        # the run keeps the effect policy it started with (a --policy file is not re-read)
        wf = wf.model_copy(update={"effects": saved.effects})
        if IR.fingerprint(wf) != IR.fingerprint(saved):
            raise AgentcError(
                Code.GRAPH_CHANGED,
                f"the graph behind run {run_id} changed shape since it started",
                construct=row["entry"] or run_id,
                hint="node code may change between resumes, nodes and edges may not; "
                "finish the run with the old graph or start a new run",
            )
        return _LOCAL_RESUMES[saved.body.kind](
            saved,
            live,
            journal,
            run_id,
            EXEC_NO_VALUE if value is NO_VALUE else value,
            command,
            on_event,
        )
    finally:
        journal.close()


def _resume_agents(
    saved: Workflow, live: Any, journal: Any, run_id: str, value: Any, command: Any, on_event: Any
) -> Any:
    from agentc.targets.local.agent_runs import AgentRunner

    if command:
        raise AgentcError(
            Code.INVALID_RESUME,
            f"run {run_id} is an agent run; {command.describe()} continues a LangGraph breakpoint",
            construct=run_id,
            hint="resume it with --value (tool approvals)",
        )
    return AgentRunner(saved, live, journal, on_event=on_event).resume(run_id, value)


def _resume_graph(
    saved: Workflow, live: Any, journal: Any, run_id: str, value: Any, command: Any, on_event: Any
) -> Any:
    from agentc.targets.local.executor import LocalExecutor

    return LocalExecutor(saved, live, journal, on_event=on_event).resume(run_id, value, command)


_LOCAL_RESUMES: dict[BodyKind, Callable[..., Any]] = {
    "agents": _resume_agents,
    "graph": _resume_graph,
}


def runs(db: str | Path = DEFAULT_DB) -> list[dict[str, Any]]:
    if not Path(db).exists():
        return []
    journal = _journal(db)
    try:
        return journal.runs()
    finally:
        journal.close()


def fire_deadlines(db: str | Path = DEFAULT_DB, *, now: float | None = None) -> Any:
    """Fire every due deadline of an external step in the store (``agentc timers``,
    docs/policies.md "External completion"): returns the ``deadline_sweep.Sweep``."""
    from agentc.targets.local import deadline_sweep

    return deadline_sweep.sweep(db, now=now)


def _require_db(db: str | Path) -> None:
    if str(db) != ":memory:" and not Path(db).exists():
        raise AgentcError(
            Code.UNKNOWN_RUN,
            f"no run database at {db}",
            construct=str(db),
            hint="pass the --db used when the run started",
        )


def _saved_run_refs(saved: Workflow) -> Any:
    """A run keeps the ``Runner.run`` options it started with (its IR names them)."""
    from .run_refs import RunRefs

    options = saved.body.system.run if isinstance(saved.body, AgentProgram) else None
    if options is None:
        return RunRefs()
    return RunRefs(
        options.run_config,
        options.hooks,
        error_handlers=options.error_handlers,
        session=options.session,
    )


def cancel(run_id: str, *, db: str | Path = DEFAULT_DB, obj: Any = None) -> Any:
    """Cancel a run that is not being driven (waiting, failed, crashed): the compensators of
    its completed compensable effects run in reverse order; its status becomes
    ``cancelled`` (docs/effects.md). Returns the ``RunOutcome``."""
    from agentc.targets.local.compensation import cancel as cancel_run

    _require_db(db)
    journal = _journal(db)
    try:
        return cancel_run(journal, run_id)
    finally:
        journal.close()


def effects_of(run_id: str, *, db: str | Path = DEFAULT_DB) -> list[dict[str, Any]]:
    """The effect ledger of a local run (``agentc effects``), in the order effects started."""
    from agentc.targets.local import effects_ledger

    _require_db(db)
    journal = _journal(db)
    try:
        journal.existing(run_id)
        return effects_ledger.rows(journal.db, run_id)
    finally:
        journal.close()


def forget_effect(run_id: str, key: str, *, db: str | Path = DEFAULT_DB) -> None:
    """A human decided that the ``at_most_once`` call ``key``, cut off by a crash, did not
    happen: the next resume calls it again (docs/effects.md)."""
    from agentc.targets.local import effects_ledger

    _require_db(db)
    journal = _journal(db)
    try:
        with journal.tx() as j:
            if not effects_ledger.forget(j.db, run_id, key):
                raise AgentcError(
                    Code.UNKNOWN_RUN,
                    f"run {run_id!r} has no uncertain effect {key!r}",
                    construct=key,
                    hint=f"list its effects with `agentc effects {run_id}`",
                )
    finally:
        journal.close()
