"""Audit trail, transcripts and replay (docs/replay.md).

``history(run_id, db=...)`` reads a run's ordered events (``runtime_shims/audit_events``);
``transcript`` writes and reads the portable, hash-chained JSON form; ``replay`` reruns an
agent from a record with zero model calls, optionally altering one step; ``render`` turns
events into the text ``agentc history`` prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentc.runtime_shims.audit_events import Break, Event, History

# The submodule first: a submodule imported later (by any fork or replay) would be set on the
# package in the place of the function ``replay`` below, which shares its name.
from . import replay as _replay_module  # noqa: F401,E402

__all__ = ["Break", "Event", "History", "history", "verify"]


def history(
    run_id: str, *, db: str | Path | None = None, engine: str = "local", **options: Any
) -> History:
    """The run's ordered events. ``engine``: ``local`` (the SQLite journal at ``db``) or
    ``temporal`` (``address=HOST:PORT``: the workflow history, read through the client) or
    ``conductor`` (a simulation saved under ``state_dir`` by ``agentc simulate``)."""
    from agentc.errors import AgentcError, Code

    if engine == "temporal":
        return _temporal_history(run_id, options.get("address"))
    if (
        engine == "conductor"
    ):  # a simulation saved by `agentc simulate` (targets/conductor/history.py)
        from agentc.targets.conductor.history import read as read_simulation

        return read_simulation(
            Path(options.get("state_dir") or ".agentc/simulations") / f"{run_id}.json"
        )
    if engine != "local":
        raise AgentcError(
            Code.CONFIG,
            f"history from engine {engine!r} is not supported",
            construct=engine,
            hint="--engine local (the SQLite journal), temporal (--address HOST:PORT) or conductor "
            "(a simulation, --state-dir)",
        )
    from agentc.api import DEFAULT_DB, _journal, _require_db
    from agentc.targets.local import history as local

    db = db or DEFAULT_DB
    _require_db(db)
    journal = _journal(db)
    try:
        return local.read(journal, run_id)
    finally:
        journal.close()


def _temporal_history(run_id: str, address: str | None) -> History:
    """Read through the client (``targets/temporal/history.py``)."""
    import asyncio

    from agentc.errors import AgentcError, Code

    if not address:
        raise AgentcError(
            Code.CONFIG,
            "--engine temporal needs --address HOST:PORT",
            construct="--address",
            hint="e.g. --address 127.0.0.1:7233",
        )

    async def go() -> History:
        from agentc.targets.temporal.engine import connect
        from agentc.targets.temporal.history import read

        return await read(await connect(address), run_id)

    return asyncio.run(go())


def verify_engine(
    run_id: str, *, engine: str, address: str | None = None, state_dir: str | Path | None = None
) -> list[dict[str, Any]]:
    """Check an engine run's effect ledger (the server's record) against the run's effect
    chain in the payload store (``targets/effect_audit.py``): raises ``AC131`` naming a row
    edited, removed or inserted on the server, or a chain record edited or deleted in the
    store. Returns the checked ledger."""
    import asyncio

    if engine == "conductor":
        from agentc.targets.conductor.effects import ledger
        from agentc.targets.conductor.simulate import Simulation

        folder = Path(state_dir or ".agentc/simulations")
        return ledger(Simulation.load(folder / f"{run_id}.json"))
    from agentc.errors import AgentcError, Code
    from agentc.targets.temporal.effects import ledger as temporal_ledger

    if engine != "temporal" or not address:
        raise AgentcError(
            Code.CONFIG,
            f"verifying an engine run needs --engine temporal --address HOST:PORT or --engine "
            f"conductor (got {engine!r}, address {address!r})",
            construct="--engine",
            hint="e.g. --engine temporal --address 127.0.0.1:7233",
        )
    return asyncio.run(temporal_ledger(run_id, address))


def verify(run_id: str, *, db: str | Path | None = None) -> Break | None:
    """Check a local run's journal against its hash-chained audit entries."""
    from agentc.api import DEFAULT_DB, _journal, _require_db
    from agentc.targets.local import history as local

    db = db or DEFAULT_DB
    _require_db(db)
    journal = _journal(db)
    try:
        found = local.verify(journal, run_id)
    finally:
        journal.close()
    return None if found is None else Break(*found)


def record(source: str | Path, *, db: str | Path | None = None) -> History:
    """A record to replay: a transcript file (verified) or a local run id."""
    from agentc.errors import AgentcError, Code

    from . import transcript

    if str(source).endswith(".json") or Path(source).is_file():
        h = transcript.load(source)
        found = transcript.check(h)
        if found is not None:
            raise AgentcError(
                Code.TAMPERED,
                f"{source} does not verify: {found.reason}",
                construct=f"event {found.seq}",
                hint="replay only a record you can trust",
            )
        return h
    found_local = verify(str(source), db=db)
    if found_local is not None:
        raise AgentcError(
            Code.TAMPERED,
            f"run {source} does not verify: {found_local.reason}",
            construct=f"event {found_local.seq}",
            hint="replay only a record you can trust",
        )
    return history(str(source), db=db)


def replay(source: str | Path | History, *, db: str | Path | None = None, **options: Any) -> Any:
    """Re-run a recorded run with zero model calls (``replay.replay`` for the options)."""
    from .replay import replay as run_replay

    h = source if isinstance(source, History) else record(source, db=db)
    return run_replay(h, **options)


def fork(
    run_id: str,
    *,
    db: str | Path | None = None,
    at: int,
    value: Any = None,
    new_run_id: str | None = None,
    obj: Any = None,
    engine: str = "local",
    **options: Any,
) -> Any:
    """A new durable run in ``db`` whose prefix is run ``run_id``'s journal up to step
    ``at`` (altered to ``value``); the rest runs live and can be resumed like any run.
    ``engine="temporal"`` (``address=``, ``with_worker=``) or ``"conductor"`` (``state_dir=``):
    a new workflow on that engine started with the prefix (``engine_fork.py``)."""
    import uuid

    from agentc.api import DEFAULT_DB

    from .replay import replay as run_replay

    if engine != "local":
        from .engine_fork import fork_on_engine
        from .replay import NOT_SET

        return fork_on_engine(
            run_id,
            engine=engine,
            at=at,
            value=NOT_SET if value is None else value,
            new_run_id=new_run_id,
            obj=obj,
            **options,
        )

    db = db or DEFAULT_DB
    h = record(run_id, db=db)
    from .replay import NOT_SET

    return run_replay(
        h,
        obj=obj,
        at=at,
        value=NOT_SET if value is None else value,
        then="live",
        db=db,
        run_id=new_run_id or f"{run_id}-fork-{uuid.uuid4().hex[:6]}",
        keep_step=True,
        lineage="fork",
    )
