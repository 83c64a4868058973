"""``--run-config REF``, ``--run-hooks REF``, ``--error-handlers REF`` and ``--session REF``: an
agent system's
``Runner.run`` options on ``agentc compile | run | simulate | worker`` (docs/openai-agents.md,
"`Runner.run` parameters"). Like ``--policy``, they hold for the one command and every
in-process worker it starts: they are put in ``$AGENTC_RUN_CONFIG`` / ``$AGENTC_RUN_HOOKS``
/ ``$AGENTC_ERROR_HANDLERS`` (what ``agentc.run_refs.chosen`` reads when no argument names
them) and restored when the command ends, so every place that reads the agents in this
process reads the same options.

``--error-handlers`` and ``--session`` are consumed here (the command never sees it): the decorator
puts it in
the environment before the command runs, which is all the command would do with it."""

from __future__ import annotations

import functools
import os
from typing import Any

import click

from .run_refs import ENV
from .server_conversation import OPTIONS

ENV_ONLY = ("error_handlers", "session")
"""Options the decorator consumes: set in the environment, not passed to the command."""


def run_option_flags(f: Any) -> Any:
    @functools.wraps(f)
    def command(*args: Any, **kwargs: Any) -> Any:
        from .cli_common import _diagnose
        from .server_conversation import refuse_given

        given = {o: kwargs.pop(o, None) for o in OPTIONS}
        _diagnose(refuse_given)(given, flag=True)  # AC200, exit 2
        for what in ENV_ONLY:
            _use(what, kwargs.pop(what, None))
        return f(*args, **kwargs)

    for (
        option
    ) in OPTIONS:  # Runner.run's server-side conversation: refused (server_conversation.py)
        command = click.option(
            "--" + option.replace("_", "-"),
            option,
            default=None,
            hidden=True,
            is_flag=option.startswith("auto_"),
        )(command)
    command = click.option(
        "--session",
        "session",
        default=None,
        metavar="REF",
        help="agents: the conversation's Session (or a factory of the run context returning "
        "one, e.g. SQLiteSession(ctx.chat_id, path)) given to Runner.run "
        "[default: $AGENTC_SESSION, [tool.agentc] session]",
    )(command)
    command = click.option(
        "--error-handlers",
        "error_handlers",
        default=None,
        metavar="REF",
        help="agents: a RunErrorHandlers dict (or a zero-argument factory) given to Runner.run, "
        "e.g. a max_turns handler returning a final output "
        "[default: $AGENTC_ERROR_HANDLERS, [tool.agentc] error_handlers]",
    )(command)
    command = click.option(
        "--run-hooks",
        default=None,
        metavar="REF",
        help="agents: a RunHooks object (or a zero-argument factory) given to Runner.run "
        "[default: $AGENTC_RUN_HOOKS, [tool.agentc] run_hooks]",
    )(command)
    return click.option(
        "--run-config",
        default=None,
        metavar="REF",
        help="agents: a RunConfig (or a zero-argument factory returning one) given to Runner.run "
        "[default: $AGENTC_RUN_CONFIG, [tool.agentc] run_config]",
    )(command)


def use_run_options(run_config: str | None, run_hooks: str | None) -> None:
    _use("run_config", run_config)
    _use("hooks", run_hooks)


def _use(what: str, value: str | None) -> None:
    if not value:
        return
    name, before = ENV[what], os.environ.get(ENV[what])
    os.environ[name] = value

    def restore(name: str = name, before: str | None = before) -> None:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before

    click.get_current_context().find_root().call_on_close(restore)
