"""``--run-config REF`` and ``--run-hooks REF``: an agent system's ``Runner.run`` options on
``agentc compile | run | simulate | worker`` (docs/openai-agents.md, "`Runner.run`
parameters"). Like ``--policy``, they hold for the one command and every in-process worker
it starts: they are put in ``$AGENTC_RUN_CONFIG`` / ``$AGENTC_RUN_HOOKS`` (what
``agentc.run_refs.chosen`` reads when no argument names them) and restored when the command
ends, so every place that reads the agents in this process reads the same options."""
from __future__ import annotations

import os
from typing import Any

import click

from .run_refs import ENV


def run_option_flags(f: Any) -> Any:
    f = click.option("--run-hooks", default=None, metavar="REF",
                     help="agents: a RunHooks object (or a zero-argument factory) given to Runner.run "
                          "[default: $AGENTC_RUN_HOOKS, [tool.agentc] run_hooks]")(f)
    return click.option("--run-config", default=None, metavar="REF",
                        help="agents: a RunConfig (or a zero-argument factory returning one) given to Runner.run "
                             "[default: $AGENTC_RUN_CONFIG, [tool.agentc] run_config]")(f)


def use_run_options(run_config: str | None, run_hooks: str | None) -> None:
    for what, value in (("run_config", run_config), ("hooks", run_hooks)):
        if not value:
            continue
        name, before = ENV[what], os.environ.get(ENV[what])
        os.environ[name] = value

        def restore(name: str = name, before: str | None = before) -> None:
            if before is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = before

        click.get_current_context().find_root().call_on_close(restore)
