"""``agentc effects`` and ``agentc cancel`` (docs/effects.md); registered on the ``agentc``
group by ``cli.py``. Like cli.py, the only place here that prints or exits."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import click
from .cli_common import _exit_now
from .cli_store import store_option


def register(
    main: click.Group,
    diagnose: Callable[..., Any],
    db_default: Callable[[], str],
    emit: Callable[[Any], None],
) -> None:
    @main.command("effects")
    @click.argument("run_id")
    @click.option(
        "--db", default=None, help="journal database [default: $AGENTC_DB or .agentc/runs.db]"
    )
    @click.option("--json", "as_json", is_flag=True, help="print a JSON list")
    @click.option(
        "--forget",
        default=None,
        metavar="KEY",
        help="an at_most_once call cut off by a crash (or a lost engine attempt) did NOT happen: "
        "let the "
        "next resume call it again",
    )
    @_engine_options
    @diagnose  # type: ignore[misc, operator]
    def effects_cmd(
        run_id: str,
        db: str | None,
        as_json: bool,
        forget: str | None,
        engine: str,
        address: str | None,
        state_dir: str,
        server: str | None,
    ) -> None:
        """List the effect ledger of a run: key, class, start, finish, result digest,
        compensation (local: the journal; Temporal: the workflow's history; Conductor: the
        saved simulation's task outputs, or with --server the live run's)."""
        from .api import effects_of, forget_effect

        if engine == "conductor" and server:
            from agentc.targets.conductor import live_runs

            if forget is not None:
                from agentc.errors import AgentcError, Code

                raise AgentcError(
                    Code.UNSUPPORTED,
                    "--forget is not built for a run on a live Conductor server",
                    construct="--forget",
                    hint="there an at_most_once call cut off fails its task for good and the "
                    "failure workflow compensates the run (docs/effects.md)",
                )
            _show(live_runs.ledger(server, run_id), as_json)
            return
        if engine == "conductor":
            from agentc.targets.conductor.effects import ledger as conductor_ledger

            sim = _simulation(run_id, state_dir)
            if (
                forget is not None
            ):  # kept in the saved simulation (targets/conductor/at_most_once.py)
                from agentc.targets.conductor.at_most_once import forget as forget_conductor

                forget_conductor(sim, forget)
                sim.save(Path(state_dir) / f"{run_id}.json")
                click.echo(f"forgot {forget}: `agentc simulate --resume {run_id}` calls it again")
                return
            _show(conductor_ledger(sim), as_json)
            return
        if engine == "temporal":
            import asyncio

            from agentc.errors import AgentcError, Code
            from agentc.targets.temporal.effects import forget as forget_temporal, ledger

            if not address:
                raise AgentcError(
                    Code.CONFIG,
                    "--engine temporal needs --address",
                    construct="--engine",
                    hint="pass --address HOST:PORT or set TEMPORAL_ADDRESS",
                )
            if (
                forget is not None
            ):  # a signal, kept in the workflow's history (runtime_shims/temporal_at_most_once.py)
                key, temporal_address = forget, address

                def body() -> None:
                    asyncio.run(forget_temporal(run_id, key, temporal_address))
                    click.echo(
                        f"forgot {key}: `agentc resume {run_id} --engine temporal` calls it again"
                    )

                # leave as `agentc resume --engine temporal` does: the native client can crash the
                # interpreter as it finalizes (exit -11 after a correct answer;
                # cli_common._exit_now)
                _exit_now(body)
                return
            _show(asyncio.run(ledger(run_id, address)), as_json)
            return
        path = db or db_default()  # type: ignore[operator]
        if forget is not None:
            forget_effect(run_id, forget, db=path)
            click.echo(f"forgot {forget}: `agentc resume {run_id}` calls it again")
            return
        from agentc.targets.local.effects_ledger import to_json

        _show([to_json(r) for r in effects_of(run_id, db=path)], as_json)

    def _show(rows: list, as_json: bool) -> None:
        if as_json:
            click.echo(json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False))
            return
        for r in rows:
            comp = f"  compensated({r['comp_status']})" if r["comp_status"] else ""
            click.echo(
                f"{r['key']}  {r['class']:<12}  {r['target']} {r['name']:<20}  {r['status']:<7}  "
                f"{_at(r['started'])} -> {_at(r['finished'])}  {r['digest'] or '-'}{comp}"
            )

    @main.command("cancel")
    @click.argument("run_id")
    @click.option(
        "--db", default=None, help="journal database [default: $AGENTC_DB or .agentc/runs.db]"
    )
    @_engine_options
    @diagnose  # type: ignore[misc, operator]
    def cancel_cmd(
        run_id: str,
        db: str | None,
        engine: str,
        address: str | None,
        state_dir: str,
        server: str | None,
    ) -> None:
        """Cancel a run that waits, failed or crashed: its completed compensable effects are
        compensated in reverse order; prints the outcome as JSON. Temporal: the workflow
        compensates (a worker must serve it), then reports the cancellation. Conductor (a
        saved simulation, or with --server a live run): the run is terminated, then its
        failure workflow compensates (live: a worker must serve it)."""
        if engine == "conductor" and server:
            from agentc.targets.conductor import live_runs

            emit(live_runs.cancel(server, run_id))  # type: ignore[operator]
            return
        if engine == "conductor":
            from agentc.targets.conductor.effects import cancel as cancel_conductor

            sim = _simulation(run_id, state_dir)
            try:
                outcome = cancel_conductor(sim)
            finally:
                sim.save(Path(state_dir) / f"{run_id}.json")
            emit(outcome)  # type: ignore[operator]
            return
        if engine == "temporal":
            import asyncio

            from agentc.errors import AgentcError, Code
            from agentc.targets.temporal.cancel import cancel as cancel_temporal

            if not address:
                raise AgentcError(
                    Code.CONFIG,
                    "--engine temporal needs --address",
                    construct="--address",
                    hint="pass --address HOST:PORT or set TEMPORAL_ADDRESS",
                )
            emit(asyncio.run(cancel_temporal(run_id, address)))  # type: ignore[operator]
            return
        from .api import cancel

        emit(cancel(run_id, db=db or db_default()))  # type: ignore[operator]


def _engine_options(fn: Any) -> Any:
    fn = click.option(
        "--server",
        default=None,
        help="with --engine conductor: a live server's API URL (the run id is the workflow "
        "id; late compensations are read from the payload store, --store)",
    )(fn)
    fn = store_option(fn)
    fn = click.option(
        "--state-dir",
        default=".agentc/simulations",
        show_default=True,
        help="with --engine conductor: where `agentc simulate` saved the run",
    )(fn)
    fn = click.option(
        "--address",
        default=None,
        envvar="TEMPORAL_ADDRESS",
        show_envvar=True,
        help="with --engine temporal: the server, HOST:PORT",
    )(fn)
    return click.option(
        "--engine",
        type=click.Choice(["local", "temporal", "conductor"]),
        default="local",
        show_default=True,
        help="conductor: a simulation saved by `agentc simulate`",
    )(fn)


def _simulation(run_id: str, state_dir: str) -> Any:
    from agentc.targets.conductor.simulate import Simulation

    return Simulation.load(Path(state_dir) / f"{run_id}.json")


def _at(t: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t)) if t else "-"
