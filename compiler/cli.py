"""The ``agentc`` command. The only layer that prints or exits.

Exit status: 0 done · 1 a run failed in user code (resumable) or validation/drift found ·
2 bad input (diagnostic, no traceback, no partial output) · 3 the run waits for a human.

Imports stay lazy so ``agentc --help`` does not import langgraph.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from .cli_common import (  # noqa: F401 - re-exported for the command modules and tests
    ADDRESS_ENV,
    EXIT_WAITING,
    _db_default,
    _diagnose,
    _emit_outcome,
    _exit_now,
    _parse_json,
    _print_warnings,
    _reader_gone,
    _user_code,
)
from .cli_run_options import run_option_flags, use_run_options
from .cli_store import store_option
from .cli_stream import checked_mode, stream_mode_option
from .errors import AgentcError, Code


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="agentc-compiler", prog_name="agentc")
@click.option(
    "--policy",
    default=None,
    type=click.Path(dir_okay=False),
    envvar="AGENTC_POLICY",
    help="TOML policy file: [effects.NAME] (docs/effects.md) and [policies...] (docs/policies.md) "
    "[default: [tool.agentc.effects] / [tool.agentc.policies] in ./pyproject.toml]",
)
def main(policy: str | None) -> None:
    """Compile agents into durable workflows and run them.

    \b
    Frontends: LangGraph graphs (StateGraph, compiled) and OpenAI Agents SDK Agents.
    Targets:   ir         the typed IR as JSON
               local      embedded durable executor, SQLite journal (agentc run/resume)
               conductor  Conductor workflow + task definitions (validate, simulate, deploy)
               temporal   Temporal workflow modules (agentc run --engine temporal)
    """
    _use_policy(policy)


def _use_policy(policy: str | None) -> None:
    """One policy file for both of its tables, whether given as `agentc --policy FILE CMD`
    or `agentc CMD --policy FILE`: read by agentc.policy ([effects]) and agentc.policies
    ([policies]) in this process and in the in-process workers it starts — for this
    command only (restored when it ends, so a caller's process is left as it was)."""
    if not policy:
        return
    before = os.environ.get("AGENTC_POLICY")
    os.environ["AGENTC_POLICY"] = str(Path(policy).resolve())

    def restore() -> None:
        if before is None:
            os.environ.pop("AGENTC_POLICY", None)
        else:
            os.environ["AGENTC_POLICY"] = before

    click.get_current_context().find_root().call_on_close(restore)


@main.command("compile")
@click.argument("ref")
@click.option(
    "--target", "-t", default="ir", show_default=True, help="ir | local | conductor | temporal"
)
@click.option(
    "--out", "-o", "out", required=True, type=click.Path(file_okay=False), help="output folder"
)
@click.option("--strict", is_flag=True, help="turn warnings into errors")
@click.option(
    "--policy",
    default=None,
    type=click.Path(),
    help="policy file (TOML: [effects...], [policies...]), "
    "as `agentc --policy FILE` [default: [tool.agentc.effects] / [tool.agentc.policies] of "
    "./pyproject.toml]",
)
@run_option_flags
@_diagnose
def compile_cmd(
    ref: str,
    target: str,
    out: str,
    strict: bool,
    policy: str | None,
    run_config: str | None,
    run_hooks: str | None,
) -> None:
    """Compile REF (package.module:attr or path/file.py:attr) for a target."""
    from .api import compile as compile_
    from .errors import ErrorLevel, Warnings

    _use_policy(policy)
    use_run_options(run_config, run_hooks)
    warnings = Warnings()
    artifact = compile_(
        ref,
        target=target,
        level=ErrorLevel.RAISE if strict else ErrorLevel.WARN,
        warnings=warnings,
        policy=policy,
        run_config=run_config,
        run_hooks=run_hooks,
    )
    _print_warnings(warnings)
    for note in artifact.notes:
        click.echo(note, err=True)
    for path in artifact.write(out):
        click.echo(str(path))


@main.command("run")
@store_option
@click.argument("ref")
@click.option("--input", "-i", "input_", required=True, help="JSON, or @file.json")
@click.option(
    "--context",
    default=None,
    help="JSON for the graph's context_schema or the agents' run context "
    "type (RunContextWrapper[T]), or @file.json",
)
@click.option(
    "--context-factory",
    default=None,
    metavar="REF",
    help="module:function that builds the run context (--context JSON: its keyword arguments)",
)
@click.option(
    "--db", default=None, help="journal database [default: $AGENTC_DB or .agentc/runs.db]"
)
@click.option("--run-id", default=None, help="choose the run id (default: random)")
@click.option(
    "--recursion-limit",
    type=int,
    default=None,
    help="superstep budget (LangGraph's recursion_limit)",
)
@click.option(
    "--durability",
    type=click.Choice(["normal", "full"]),
    default="normal",
    show_default=True,
    help="normal: survives a killed process; full: survives power loss (fsync every commit)",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "temporal"]),
    default="local",
    show_default=True,
    help="local: the embedded executor; temporal: start the compiled workflow on a Temporal server",
)
@click.option(
    "--address",
    default=None,
    envvar=ADDRESS_ENV,
    show_envvar=True,
    help="with --engine temporal: the server, HOST:PORT",
)
@click.option("--task-queue", default=None, help="with --engine temporal [default: agentc-<graph>]")
@click.option(
    "--with-worker",
    is_flag=True,
    help="with --engine temporal: also run a worker in this process "
    "(else one must poll the task queue: agentc worker temporal REF)",
)
@click.option(
    "--policy",
    default=None,
    type=click.Path(),
    help="policy file (TOML: [effects...], [policies...]), "
    "as `agentc --policy FILE` [default: [tool.agentc.effects] / [tool.agentc.policies] of "
    "./pyproject.toml]",
)
@run_option_flags
@click.option(
    "--json",
    "full_result",
    is_flag=True,
    help="agents: print the SDK's whole RunResult as JSON (new_items, usage, guardrail results, "
    "input_list = to_input_list()), not only final_output and last_agent",
)
@click.option(
    "--stream",
    is_flag=True,
    help="print the run's events as JSON Lines as they are journaled (agents: "
    "the SDK's stream events; graphs: graph.stream's chunks); the last line is the result "
    "(docs/openai-agents.md, docs/langgraph.md: Streaming)",
)
@stream_mode_option
@_diagnose
def run_cmd(
    ref: str,
    input_: str,
    context: str | None,
    context_factory: str | None,
    db: str | None,
    run_id: str | None,
    recursion_limit: int | None,
    durability: str,
    engine: str,
    address: str | None,
    task_queue: str | None,
    with_worker: bool,
    policy: str | None,
    run_config: str | None,
    run_hooks: str | None,
    full_result: bool,
    stream: bool,
    stream_mode: str | None,
) -> None:
    """Run REF durably; print the final state as JSON (exit 3 when it waits for a human)."""
    stream_mode = checked_mode(stream, stream_mode)
    value = _parse_json(input_, "--input")
    ctx = _parse_json(context, "--context")
    _use_policy(policy)
    use_run_options(run_config, run_hooks)
    if engine == "temporal" and policy is not None:
        raise AgentcError(
            Code.IGNORED_OPTION,
            "--policy is not supported with --engine temporal yet",
            construct="--policy",
            hint="put the policy in [tool.agentc.effects] of ./pyproject.toml, "
            "which the compiled workflow and its workers read (docs/effects.md)",
        )
    if stream:
        from . import cli_stream

        return cli_stream.run(
            engine,
            ref,
            value,
            context=ctx,
            context_factory=context_factory,
            db=db or _db_default(),
            run_id=run_id,
            recursion_limit=recursion_limit,
            durability=durability,
            address=address,
            task_queue=task_queue,
            with_worker=with_worker,
            policy=policy,
            full_result=full_result,
            stream_mode=stream_mode,
        )
    if engine == "temporal":
        import asyncio

        from agentc.targets.temporal import engine as temporal

        _exit_now(
            lambda: _emit_outcome(
                _user_code(
                    lambda: asyncio.run(
                        temporal.start(
                            ref,
                            _address(address),
                            value,
                            context=ctx,
                            run_id=run_id,
                            task_queue=task_queue,
                            with_worker=with_worker,
                            max_turns=recursion_limit,
                            context_factory=context_factory,
                            no_worker_s=temporal.NO_WORKER_S,
                            full_result=full_result,
                        )
                    )
                )
            )
        )
    from .api import run

    _emit_outcome(
        _user_code(
            lambda: run(
                ref,
                value,
                db=db or _db_default(),
                context=ctx,
                run_id=run_id,
                recursion_limit=recursion_limit,
                durability=durability,
                context_factory=context_factory,
                policy=policy,
                run_config=run_config,
                run_hooks=run_hooks,
                full_result=full_result,
            )
        )
    )


def _address(address: str | None) -> str:
    if not address:
        raise AgentcError(
            Code.CONFIG,
            f"--engine temporal needs --address HOST:PORT (or ${ADDRESS_ENV})",
            construct="--address",
            hint="e.g. --address 127.0.0.1:7233 (`temporal server start-dev` listens there)",
        )
    return address


def _command_options(f: Any) -> Any:
    """``--goto NODE`` (repeatable) and ``--update JSON``: Command(goto=..., update=...) at a
    breakpoint."""
    f = click.option(
        "--update",
        default=None,
        metavar="JSON",
        help="at a breakpoint: JSON object of state keys to write "
        "(LangGraph's Command(update=...)), or @file.json",
    )(f)
    return click.option(
        "--goto",
        multiple=True,
        metavar="NODE",
        help="at a breakpoint: also run NODE next (LangGraph's Command(goto=...)); repeatable",
    )(f)


def _command(goto: tuple[str, ...], update: str | None) -> tuple[list[str] | None, Any]:
    return (list(goto) or None), (None if update is None else _parse_json(update, "--update"))


@main.command("resume")
@store_option
@click.argument("run_id")
@click.option(
    "--value", default=None, help="JSON answer for the pending interrupt(s), or @file.json"
)
@click.option(
    "--db", default=None, help="journal database [default: $AGENTC_DB or .agentc/runs.db]"
)
@click.option(
    "--engine", type=click.Choice(["local", "temporal"]), default="local", show_default=True
)
@click.option(
    "--address",
    default=None,
    envvar=ADDRESS_ENV,
    show_envvar=True,
    help="with --engine temporal: the server, HOST:PORT",
)
@click.option(
    "--with-worker",
    is_flag=True,
    help="with --engine temporal: serve the run in this process "
    "(its REF, recorded when it started); else a worker must poll its task queue",
)
@_command_options
@click.option(
    "--stream",
    is_flag=True,
    help="print the events after the pause as JSON Lines (as `agentc run "
    "--stream`); the last line is the result",
)
@stream_mode_option
@_diagnose
def resume_cmd(
    run_id: str,
    value: str | None,
    db: str | None,
    engine: str,
    address: str | None,
    with_worker: bool,
    goto: tuple[str, ...],
    update: str | None,
    stream: bool,
    stream_mode: str | None,
) -> None:
    """Continue a paused, failed or crashed run. Temporal: answer its pause by signal, or run
    its failed node again (a Temporal run whose node failed waits for this). At a breakpoint,
    --goto/--update act as LangGraph's Command(goto=..., update=...) (local engine)."""
    stream_mode = checked_mode(stream, stream_mode)
    from .api import NO_VALUE, resume

    answer = NO_VALUE if value is None else _parse_json(value, "--value")
    goto_, update_ = _command(goto, update)
    if stream:
        from . import cli_stream

        return cli_stream.resume(
            engine,
            run_id,
            None if value is None else answer,
            db=db or _db_default(),
            address=address,
            with_worker=with_worker,
            command=bool(goto_ or update_ is not None),
            stream_mode=stream_mode,
        )
    if engine == "temporal":
        import asyncio

        from agentc.targets.temporal import engine as temporal

        _exit_now(
            lambda: _emit_outcome(
                _user_code(
                    lambda: asyncio.run(
                        temporal.resume(
                            run_id,
                            _address(address),
                            temporal.NO_VALUE if value is None else answer,
                            with_worker=with_worker,
                            no_worker_s=temporal.NO_WORKER_S,
                            goto=goto_,
                            update=update_,
                        )
                    )
                )
            )
        )
    _emit_outcome(
        _user_code(
            lambda: resume(run_id, answer, db=db or _db_default(), goto=goto_, update=update_)
        )
    )


@main.command("runs")
@click.option(
    "--db", default=None, help="journal database [default: $AGENTC_DB or .agentc/runs.db]"
)
@click.option("--json", "as_json", is_flag=True, help="print a JSON list")
@_diagnose
def runs_cmd(db: str | None, as_json: bool) -> None:
    """List runs and their status."""
    from .api import runs

    rows = runs(db or _db_default())
    if as_json:
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    for r in rows:
        click.echo(f"{r['run_id']}  {r['status']:<8}  {r['workflow']}  {r['entry'] or ''}")


@main.command("inspect")
@click.argument("ref")
@click.option("--mermaid-only", is_flag=True, help="print only the Mermaid diagram")
@_diagnose
def inspect_cmd(ref: str, mermaid_only: bool) -> None:
    """Summarise the IR of REF and draw it as a Mermaid diagram."""
    from .api import load
    from .errors import Warnings
    from .inspect import mermaid, summary

    warnings = Warnings()
    wf = load(ref, warnings=warnings)
    _print_warnings(warnings)
    click.echo(mermaid(wf) if mermaid_only else summary(wf) + "\n\n" + mermaid(wf))


@main.command("check")
@click.option("--config", "config", default="pyproject.toml", show_default=True, type=click.Path())
@click.option(
    "--update", is_flag=True, help="rewrite the committed outputs instead of failing on drift"
)
@click.option("--strict", is_flag=True, help="turn warnings into errors")
@_diagnose
def check_cmd(config: str, update: bool, strict: bool) -> None:
    """Compile every agent in [tool.agentc], validate, and fail when outputs drifted."""
    from .check import check

    report = check(Path(config), update=update, strict=strict)
    for d in report.warnings:
        click.echo(d.render(), err=True)
    for line in report.lines:
        click.echo(line)
    if report.problems:
        for p in report.problems:
            click.echo(p.render(), err=True)
        sys.exit(1)


@main.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--server",
    default="all",
    show_default=True,
    help="Conductor server version profile to check against (all = every profile)",
)
@_diagnose
def validate_cmd(paths: tuple[str, ...], server: str) -> None:
    """Check workflows offline. Conductor JSON (files or folders): the server's registration
    rules plus run-time lints. A compiled Temporal folder: the code compiles, loads in the
    workflow sandbox, and replays the histories in DIR/histories/. Exit 1 with the
    violations, 0 when clean."""
    from agentc.targets.conductor.emulator.validator import render, validate_paths

    from agentc.artifact import artifact_target

    problems: list[str] = []
    conductor_paths = []
    for p in paths:
        target = artifact_target(p) if Path(p).is_dir() else None
        if target not in (None, "conductor", "temporal"):
            raise AgentcError(
                Code.WRONG_ARTIFACT,
                f"{p} holds a compiled {target!r} artifact: it is not a Conductor artifact "
                "(nor a Temporal one), so there is nothing to validate",
                construct=str(p),
                hint="validate checks `--target conductor` and `--target temporal` output; "
                "an IR is verified by `agentc compile` itself",
            )
        if target == "temporal":
            from agentc.artifact import Artifact
            from agentc.targets.temporal.check import check_artifact, histories_in

            files = {
                f.name: f.read_text() for f in Path(p).iterdir() if f.suffix in (".py", ".json")
            }
            art = Artifact(target="temporal", name=Path(p).name, files=files)
            problems += [f"{p}: {x}" for x in check_artifact(art, histories_in(Path(p)))]
        else:
            conductor_paths.append(p)
    if conductor_paths:
        problems += [render(v) for v in validate_paths(conductor_paths, server=server)]
    for line in problems:
        click.echo(line)
    if problems:
        click.echo(f"{len(problems)} violation(s)", err=True)
        sys.exit(1)
    click.echo("ok: no violations", err=True)


@main.command("simulate")
@store_option
@click.argument("folder", required=False, type=click.Path(file_okay=False))
@click.option("--input", "-i", "input_", default=None, help="JSON, or @file.json")
@click.option(
    "--context",
    default=None,
    help="JSON for the graph's context_schema or the agents' run context "
    "type (RunContextWrapper[T]), or @file.json",
)
@click.option(
    "--context-factory",
    default=None,
    metavar="REF",
    help="module:function that builds the run context (--context JSON: its keyword arguments)",
)
@click.option("--resume", "resume_id", default=None, help="continue the paused simulation RUN_ID")
@click.option(
    "--value", default=None, help="with --resume: JSON answer for the pending interrupt(s)"
)
@click.option(
    "--state-dir",
    default=".agentc/simulations",
    show_default=True,
    help="where paused simulations are saved",
)
@click.option(
    "--recursion-limit",
    "max_turns",
    type=int,
    default=None,
    help="superstep budget (LangGraph's recursion_limit; an agent's max_turns), as on `agentc run`",
)
@_command_options
@run_option_flags
@click.option(
    "--json",
    "full_result",
    is_flag=True,
    help="agents: print the SDK's whole RunResult as JSON, as `agentc run --json`",
)
@click.option(
    "--stream",
    is_flag=True,
    help="print the run's events as JSON Lines after each task (as `agentc run "
    "--stream`); the last line is the result",
)
@stream_mode_option
@_diagnose
def simulate_cmd(
    folder: str | None,
    input_: str | None,
    context: str | None,
    context_factory: str | None,
    resume_id: str | None,
    value: str | None,
    state_dir: str,
    max_turns: int | None,
    goto: tuple[str, ...],
    update: str | None,
    run_config: str | None,
    run_hooks: str | None,
    full_result: bool,
    stream: bool,
    stream_mode: str | None,
) -> None:
    """Run a compiled Conductor artifact offline by Conductor's runtime semantics, worker
    tasks served in process; prints the final state like `agentc run` (exit 3 when a HUMAN
    task waits: continue with --resume RUN_ID --value JSON)."""
    stream_mode = checked_mode(stream, stream_mode)
    from agentc.targets.conductor.simulate import NO_VALUE, Simulation

    use_run_options(run_config, run_hooks)  # as compiled: the workers re-read the agents with them
    if stream:
        from . import cli_stream

        return cli_stream.simulate(
            folder,
            _parse_json(input_, "--input"),
            _parse_json(context, "--context"),
            context_factory,
            resume_id,
            _parse_json(value, "--value"),
            state_dir,
            max_turns,
            bool(goto or update is not None),
            full_result,
            stream_mode=stream_mode,
        )
    if resume_id:
        saved = Path(state_dir) / f"{resume_id}.json"
        answer = NO_VALUE if value is None else _parse_json(value, "--value")
        goto_, update_ = _command(goto, update)
        sim = Simulation.load(saved)
        try:
            outcome = _user_code(lambda: sim.resume(answer, goto=goto_, update=update_))
        finally:  # whatever happened is what a later --resume sees (a finished run stays finished)
            sim.save(saved)
    else:
        if goto or update is not None:
            raise AgentcError(
                Code.INVALID_RESUME,
                "--goto/--update continue a paused simulation",
                construct="agentc simulate",
                hint="pass them with --resume RUN_ID",
            )
        if folder is None or input_ is None:
            raise AgentcError(
                Code.MISSING_OPTION,
                "simulate needs FOLDER and --input (or --resume RUN_ID)",
                construct="agentc simulate",
                hint="agentc simulate DIR --input JSON",
            )
        sim = Simulation.of(folder)
        args = _parse_json(input_, "--input"), _parse_json(context, "--context")
        try:
            outcome = _user_code(
                lambda: sim.start(
                    *args,
                    max_turns=max_turns,
                    context_factory=context_factory,
                    full_result=full_result,
                )
            )
        except AgentcError:
            if (
                sim.run_id
            ):  # a failed simulation too: `agentc effects/history RUN_ID --engine conductor`
                sim.save(Path(state_dir) / f"{sim.run_id}.json")
            raise
    sim.save(
        Path(state_dir) / f"{outcome.run_id}.json"
    )  # finished ones too: `agentc history --engine conductor`
    _emit_outcome(outcome)


@main.group("worker")
def worker_group() -> None:
    """Serve an agent's tasks to a workflow engine."""


@worker_group.command("conductor")
@store_option
@click.argument("ref")
@click.option("--server", required=True, help="Conductor API URL, e.g. http://localhost:8080/api")
@click.option("--domain", default=None, help="task domain to poll")
@click.option("--threads", default=1, show_default=True, type=int, help="threads per task type")
@_diagnose
def worker_conductor_cmd(ref: str, server: str, domain: str | None, threads: int) -> None:
    """Poll Conductor for REF's tasks and run them with the user's code (blocks)."""
    from agentc.targets.conductor.server import serve

    serve(ref, server, domain=domain, thread_count=threads)


@worker_group.command("temporal")
@store_option
@click.argument("ref")
@click.option(
    "--address",
    required=True,
    envvar=ADDRESS_ENV,
    show_envvar=True,
    help="Temporal server, HOST:PORT",
)
@click.option("--task-queue", default=None, help="[default: agentc-<graph>]")
@run_option_flags
@_diagnose
def worker_temporal_cmd(
    ref: str, address: str, task_queue: str | None, run_config: str | None, run_hooks: str | None
) -> None:
    """Run a Temporal worker for REF's compiled workflows and its activities (blocks)."""
    import asyncio

    use_run_options(run_config, run_hooks)

    from agentc.targets.temporal import engine as temporal

    asyncio.run(temporal.serve(ref, address, task_queue))


@main.command("deploy")
@click.argument("ref")
@click.option("--server", required=True, help="Conductor API URL, e.g. http://localhost:8080/api")
@click.option("--no-overwrite", is_flag=True, help="fail instead of replacing existing definitions")
@_diagnose
def deploy_cmd(ref: str, server: str, no_overwrite: bool) -> None:
    """Register REF's Conductor task and workflow definitions on a server."""
    from agentc.targets.conductor.server import definitions, deploy

    from .api import load

    workflows, task_defs = definitions(load(ref))  # a graph's or an agent system's
    for line in deploy(workflows, task_defs, server, overwrite=not no_overwrite):
        click.echo(line)


@main.command("ir-schema")
def ir_schema_cmd() -> None:
    """Print the JSON Schema of the IR."""
    from .ir import json_schema

    click.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


# commands in their own modules (at the end: they import this module's helpers)
from .cli_audit import register as _register_audit  # noqa: E402  (history, export, replay: docs/replay.md)
from .cli_complete import register as _register_complete  # noqa: E402  (external steps: docs/policies.md)
from .cli_effects import register as _register_effects  # noqa: E402
from .cli_gc import register as _register_gc  # noqa: E402  (agentc gc: docs/claim-check.md)
from .cli_timers import register as _register_timers  # noqa: E402  (docs/policies.md)
from .cli_ui import ui_cmd  # noqa: E402

_register_effects(main, _diagnose, _db_default, _emit_outcome)
_register_complete(main)
_register_audit(main)
_register_gc(main)
_register_timers(main)
main.add_command(ui_cmd)

if __name__ == "__main__":  # pragma: no cover
    main()
