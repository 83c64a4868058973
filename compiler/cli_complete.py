"""``agentc complete RUN_ID STEP --value JSON``: finish an external step from outside
(docs/policies.md "External completion"); registered on the ``agentc`` group by ``cli.py``.
Like cli.py, the only place here that prints or exits.

STEP is the node's name, or for an agent's tool the call id (or the tool's name when one
call of it waits). Local runs: the journal (``agentc/complete.py``); ``--engine temporal``:
the step's async activity is completed by its id (``targets/temporal/async_completion.py``);
``--engine conductor``: a saved simulation's external task gets the task update
(``targets/conductor/external_tasks.py``).
"""

from __future__ import annotations

from pathlib import Path

import click


def register(main: click.Group) -> None:
    from .cli_common import _db_default as db_default, _diagnose as diagnose, _emit_outcome as emit
    from .cli_common import _exit_now, _parse_json as parse_json, _user_code as user_code

    @main.command("complete")
    @click.argument("run_id")
    @click.argument("step")
    @click.option(
        "--value",
        required=True,
        help="JSON: the node's return value or the tool's output, or @file.json",
    )
    @click.option(
        "--db", default=None, help="journal database [default: $AGENTC_DB or .agentc/runs.db]"
    )
    @click.option(
        "--engine",
        type=click.Choice(["local", "temporal", "conductor"]),
        default="local",
        show_default=True,
        help="where the run is (conductor: a simulation saved by `agentc simulate`)",
    )
    @click.option(
        "--address",
        default=None,
        envvar="TEMPORAL_ADDRESS",
        show_envvar=True,
        help="with --engine temporal: the server, HOST:PORT",
    )
    @click.option(
        "--with-worker", is_flag=True, help="with --engine temporal: serve the run in this process"
    )
    @click.option(
        "--state-dir",
        default=".agentc/simulations",
        show_default=True,
        help="with --engine conductor: where `agentc simulate` saved the run",
    )
    @diagnose  # type: ignore[misc, operator]
    def complete_cmd(
        run_id: str,
        step: str,
        value: str,
        db: str | None,
        engine: str,
        address: str | None,
        with_worker: bool,
        state_dir: str,
    ) -> None:
        """Supply the result of an external node or tool call (docs/policies.md) and continue the
        run."""
        answer = parse_json(value, "--value")
        if engine == "temporal":
            import asyncio

            from agentc.errors import AgentcError, Code
            from agentc.targets.temporal import async_completion, engine as temporal

            if not address:
                raise AgentcError(
                    Code.CONFIG,
                    "--engine temporal needs --address",
                    construct="--address",
                    hint="pass --address HOST:PORT or set TEMPORAL_ADDRESS",
                )
            # temporalio's native client can abort the interpreter at exit: leave at once
            # (cli_common)
            _exit_now(
                lambda: emit(
                    user_code(
                        lambda: asyncio.run(
                            async_completion.complete(
                                run_id,
                                step,
                                answer,
                                address,
                                with_worker=with_worker,
                                no_worker_s=temporal.NO_WORKER_S,
                            )
                        )
                    )
                )
            )
        if engine == "conductor":
            from agentc.targets.conductor import external_tasks
            from agentc.targets.conductor.simulate import Simulation

            saved = Path(state_dir) / f"{run_id}.json"
            sim = Simulation.load(saved)
            try:
                outcome = user_code(lambda: external_tasks.complete(sim, step, answer))
            finally:  # whatever happened is what a later --resume sees
                sim.save(saved)
            emit(outcome)
            return
        from .complete import complete

        emit(user_code(lambda: complete(run_id, step, answer, db=db or db_default())))
