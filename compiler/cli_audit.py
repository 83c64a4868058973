"""``agentc history | export | verify | transcript-schema | replay | fork`` (docs/replay.md).

Registered on the main group by ``cli.py``; like it, the only layer that prints or exits.
Exit status: 0 ok · 2 bad input, or a record that does not verify (the diagnostic names
the first bad event).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .errors import AgentcError, Code

DB_HELP = "journal database [default: $AGENTC_DB or .agentc/runs.db]"


def _tampered(where: str, brk: Any) -> AgentcError:
    return AgentcError(
        Code.TAMPERED,
        f"{where} does not verify: {brk.reason}",
        construct=f"event {brk.seq}",
        hint="the record was changed after it was written; compare with a copy you trust",
    )


def register(main: click.Group) -> None:
    from .cli_common import (
        ADDRESS_ENV,
        _db_default,
        _diagnose,
        _exit_now,
        _parse_json,
    )

    def engine_options(fn: Any) -> Any:
        """Where the run is: the local journal, a Temporal server, a saved simulation."""
        fn = click.option(
            "--state-dir",
            default=".agentc/simulations",
            show_default=True,
            help="with --engine conductor: where `agentc simulate` saved it",
        )(fn)
        fn = click.option(
            "--address",
            default=None,
            envvar=ADDRESS_ENV,
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

    @main.command("history")
    @click.argument("run_id")
    @click.option("--db", default=None, help=DB_HELP)
    @click.option(
        "--json", "as_json", is_flag=True, help="the run and its events as one JSON object"
    )
    @click.option("--jsonl", "as_jsonl", is_flag=True, help="one JSON event per line")
    @click.option(
        "--verify",
        "verify_",
        is_flag=True,
        help="check the journal against its hash-chained audit entries (--engine: the "
        "server's effect ledger against the run's audit log); exit 2 when edited",
    )
    @engine_options
    @_diagnose
    def history_cmd(
        run_id: str,
        db: str | None,
        as_json: bool,
        as_jsonl: bool,
        verify_: bool,
        engine: str,
        address: str | None,
        state_dir: str,
    ) -> None:
        """Print a run's ordered events: inputs, node steps and their writes, model calls
        (request digest, response), tool calls (arguments, result), answers, retries, status."""
        from .audit import history, verify
        from .audit.render import text

        db = db or _db_default()
        if verify_ and engine == "local":
            found = verify(run_id, db=db)
            if found is not None:
                raise _tampered(f"run {run_id}", found)
        elif verify_:  # the server's effect ledger against the run's effect chain
            from .audit import verify_engine

            verify_engine(run_id, engine=engine, address=address, state_dir=state_dir)
        h = history(run_id, db=db, engine=engine, address=address, state_dir=state_dir)
        if as_json:
            click.echo(json.dumps(h.to_json(), indent=2, sort_keys=True, ensure_ascii=False))
        elif as_jsonl:
            for e in h.events:
                click.echo(json.dumps(e.to_json(), sort_keys=True, ensure_ascii=False))
        else:
            click.echo(text(h))
        if verify_:
            click.echo(f"ok: {len(h.events)} events verify", err=True)

    @main.command("export")
    @click.argument("run_id")
    @click.option("--db", default=None, help=DB_HELP)
    @engine_options
    @click.option(
        "--out", "-o", "out", required=True, type=click.Path(dir_okay=False), help="transcript file"
    )
    @_diagnose
    def export_cmd(
        run_id: str, db: str | None, engine: str, address: str | None, state_dir: str, out: str
    ) -> None:
        """Write a run's portable, hash-chained transcript (JSON; `agentc transcript-schema`)."""
        from .audit import history, transcript, verify

        db = db or _db_default()
        if engine == "local":
            found = verify(run_id, db=db)
            if found is not None:  # never launder an edited journal into a transcript that verifies
                raise _tampered(f"run {run_id}", found)
        else:  # nor an engine run whose effect ledger was edited on the server
            from .audit import verify_engine

            verify_engine(run_id, engine=engine, address=address, state_dir=state_dir)
        h = history(run_id, db=db, engine=engine, address=address, state_dir=state_dir)
        path = transcript.write(out, transcript.dumps(h))
        click.echo(str(path))

    @main.command("verify")
    @click.argument("transcript_file", type=click.Path(dir_okay=False))
    @_diagnose
    def verify_cmd(transcript_file: str) -> None:
        """Check a transcript's hash chain: exit 2 naming the first edited or missing event."""
        from .audit import transcript

        h = transcript.load(transcript_file)
        found = transcript.check(h)
        if found is not None:
            raise _tampered(transcript_file, found)
        click.echo(f"ok: {len(h.events)} events verify (run {h.run_id})")

    @main.command("transcript-schema")
    def transcript_schema_cmd() -> None:
        """Print the JSON Schema of the transcript format."""
        from .audit.transcript import schema

        click.echo(json.dumps(schema(), indent=2, sort_keys=True))

    @main.command("replay")
    @click.argument("source")
    @click.option("--db", default=None, help=DB_HELP + " (where SOURCE is a run id)")
    @click.option(
        "--at", "at", type=int, default=None, help="event number (`agentc history`) to alter"
    )
    @click.option(
        "--set", "set_", default=None, help="JSON that replaces the step's output, or @file.json"
    )
    @click.option(
        "--then",
        "then",
        type=click.Choice(["live", "stop"]),
        default="live",
        show_default=True,
        help="after the altered step: run live, or stop where the record no longer applies",
    )
    @click.option(
        "--model",
        "model_ref",
        default=None,
        metavar="REF",
        help="module:attr of an agents Model (or a function returning one) for live model calls",
    )
    @click.option(
        "--live-tools",
        is_flag=True,
        help="call the tools instead of reusing their recorded results",
    )
    @click.option(
        "--agent",
        "agent_ref",
        default=None,
        metavar="REF",
        help="the agent [default: the recorded REF]",
    )
    @click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
    @_diagnose
    def replay_cmd(
        source: str,
        db: str | None,
        at: int | None,
        set_: str | None,
        then: str,
        model_ref: str | None,
        live_tools: bool,
        agent_ref: str | None,
        as_json: bool,
    ) -> None:
        """Re-run a recorded run (a transcript file or a local RUN_ID) with the recorded model
        outputs — no model is called — and print the trajectory diff against the record.
        Exit 0 when the replay reproduces the record (or, with --at, ran), 1 when an unaltered
        replay diverges or stops."""
        from .audit import record
        from .audit.replay import NOT_SET, replay

        h = record(source, db=db or _db_default())
        value = NOT_SET if set_ is None else _parse_json(set_, "--set")
        model = _model(model_ref) if model_ref else None
        r = replay(
            h, obj=agent_ref, at=at, value=value, then=then, model=model, live_tools=live_tools
        )
        _print_replay(r, as_json)
        if at is None and (r.diff or r.status == "stopped"):
            sys.exit(1)

    @main.command("fork")
    @click.argument("run_id")
    @click.option("--db", default=None, help=DB_HELP)
    @click.option(
        "--at", "at", type=int, required=True, help="event number (`agentc history`) to fork at"
    )
    @click.option(
        "--set", "set_", default=None, help="JSON that replaces that step's output, or @file.json"
    )
    @click.option(
        "--run-id", "new_id", default=None, help="the new run's id [default: RUN_ID-fork-XXXXXX]"
    )
    @engine_options
    @click.option(
        "--with-worker",
        is_flag=True,
        help="with --engine temporal: serve the fork in this process "
        "(the REF the original recorded); else a worker must poll its task queue",
    )
    @click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
    @_diagnose
    def fork_cmd(
        run_id: str,
        db: str | None,
        at: int,
        set_: str | None,
        new_id: str | None,
        engine: str,
        address: str | None,
        state_dir: str,
        with_worker: bool,
        as_json: bool,
    ) -> None:
        """Start a new durable run whose prefix is RUN_ID's journal through step --at (its
        output replaced by --set); no model is called in the prefix, the rest runs live.
        --engine temporal|conductor: a new workflow on that engine, started with the prefix."""
        from .audit import fork

        value = None if set_ is None else _parse_json(set_, "--set")
        if with_worker and engine != "temporal":
            raise AgentcError(
                Code.IGNORED_OPTION,
                f"--with-worker serves a Temporal fork; a {engine} fork runs in this process",
                construct="--with-worker",
                hint="drop --with-worker",
            )

        def body() -> None:
            if engine != "local":  # a new workflow there (audit/engine_fork.py)
                from agentc.targets.temporal.engine import NO_WORKER_S

                r = fork(
                    run_id,
                    at=at,
                    value=value,
                    new_run_id=new_id,
                    engine=engine,
                    address=address,
                    state_dir=state_dir,
                    with_worker=with_worker,
                    no_worker_s=NO_WORKER_S,
                )
            else:
                r = fork(run_id, db=db or _db_default(), at=at, value=value, new_run_id=new_id)
            click.echo(
                f"forked {run_id} at event {at} -> {r.replayed.run_id} ({r.status})", err=True
            )
            _print_replay(r, as_json)
            if r.status == "waiting" and engine != "local":
                how = {
                    "temporal": "agentc resume RUN_ID --engine temporal",
                    "conductor": "agentc simulate --resume RUN_ID",
                }[engine].replace("RUN_ID", r.replayed.run_id)
                click.echo(f"the fork waits for an answer: {how} --value JSON", err=True)

        if (
            engine == "temporal"
        ):  # leave as every Temporal client command does (cli_common._exit_now)
            _exit_now(body)
        body()


def _model(ref: str) -> Any:
    from agents.models.interface import Model

    from .refs import load_ref

    found = load_ref(ref)
    if not isinstance(found, Model) and callable(found):
        found = found()
    if not isinstance(found, Model):
        raise AgentcError(
            Code.BAD_REF,
            f"{ref} is not an agents Model (nor a function returning one)",
            construct=ref,
            hint="name an object implementing agents.models.interface.Model",
        )
    return found


def _print_replay(r: Any, as_json: bool) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run_id": r.replayed.run_id,
                    "status": r.status,
                    "stopped": r.stopped,
                    "live_model_calls": r.live_model_calls,
                    "live_nodes": r.live_nodes,
                    "error": r.error,
                    "diff": r.diff,
                    "output": r.replayed.output,
                },
                indent=2,
                sort_keys=True,
                ensure_ascii=False,
            )
        )
        return
    live = (
        f"live model calls: {r.live_model_calls}"
        if r.replayed.kind == "agents"
        else f"nodes run live: {r.live_nodes}"
    )
    click.echo(f"replay {r.replayed.run_id}: {r.status}; {live}")
    if r.stopped:
        click.echo(f"stopped at {r.stopped}")
    if r.error:
        click.echo(r.error)
    click.echo("\n".join(r.diff) if r.diff else "trajectory: identical to the record")
