"""Helpers every ``agentc`` command module shares (cli.py, cli_ui.py, cli_effects.py, ...):
diagnostics instead of tracebacks, JSON arguments, the outcome on stdout. Like cli.py, the
only layer that prints or exits."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from .errors import AgentcError, Code

EXIT_WAITING = 3
ADDRESS_ENV = "TEMPORAL_ADDRESS"


def _db_default() -> str:
    return os.environ.get("AGENTC_DB", ".agentc/runs.db")


def _diagnose(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                result = fn(*args, **kwargs)
            except SystemExit:
                sys.stdout.flush()  # a closed pipe must surface here, not at interpreter exit
                raise
            sys.stdout.flush()
            return result
        except BrokenPipeError:
            _reader_gone()
        except AgentcError as exc:
            click.echo(exc.render(), err=True)
            sys.exit(exc.exit_status)
        except click.exceptions.Exit:
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - last resort: no traceback for users
            if os.environ.get("AGENTC_DEBUG"):
                raise
            click.echo(
                f"error[AC999]: internal error: {type(exc).__name__}: {exc}\n"
                "  hint: set AGENTC_DEBUG=1 for a traceback and report it",
                err=True,
            )
            sys.exit(1)

    return wrapper


def _reader_gone() -> None:
    """The reader of stdout went away (``agentc runs | head -1``): stop quietly, the way a
    Unix tool killed by SIGPIPE does (status 128 + SIGPIPE), with nothing on stderr. stdout
    is pointed at /dev/null so the interpreter's final flush cannot complain either."""
    import signal

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    sys.exit(128 + signal.SIGPIPE)


def _parse_json(text: str | None, what: str) -> Any:
    if text is None:
        return None
    source = what
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.exists():
            raise AgentcError(
                Code.INVALID_JSON,
                f"{what} file not found: {path}",
                construct=what,
                hint="use @path/to/file.json with an existing file",
            )
        source, text = str(path), path.read_text()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AgentcError(
            Code.INVALID_JSON,
            f"{what} is not valid JSON: {exc.msg}",
            construct=what,
            file=source if source != what else None,
            line=exc.lineno if source != what else None,
            hint='quote it for the shell, e.g. --input \'{"text": "hi"}\'',
        ) from None


def _user_code(body: Callable[[], Any]) -> Any:
    """Run ``body`` (which runs the user's nodes, tools and hooks) with ``print`` going to
    stderr: the JSON result must be the only thing on stdout, so ``agentc run ... | jq``
    works whatever the agent prints. Only Python-level writes are moved; a subprocess the
    user starts keeps its own file descriptors."""
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):
        return body()


def _emit_outcome(outcome: Any) -> None:
    click.echo(json.dumps(outcome.to_json(), indent=2, sort_keys=True, ensure_ascii=False))
    if outcome.status == "waiting":
        sys.exit(EXIT_WAITING)


def _print_warnings(warnings: Any) -> None:
    for d in warnings.items:
        click.echo(d.render(), err=True)


def _exit_now(body: Callable[[], None]) -> None:
    """Run a Temporal client command, then leave with ``os._exit``: temporalio's native
    client can abort the interpreter while it finalizes (sdk-python#300), which would turn a
    correct answer into exit status 134. Output is flushed first."""
    status = 0
    try:
        body()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except AgentcError as exc:
        click.echo(exc.render(), err=True)
        status = exc.exit_status
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
