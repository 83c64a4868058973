"""``agentc ui``: serve the web console (``agentc.ui``, docs/ui.md) on 127.0.0.1.

The click layer of the console: it binds the socket itself (so ``--port 0`` picks a free
port and the address printed is the one really served), prints where to point a browser,
and runs uvicorn until Ctrl-C. Only loopback is served: the console shows run state and,
with ``--allow-actions``, continues runs, so it is never exposed to the network.
"""

from __future__ import annotations

import socket

import click

from .cli_common import _db_default, _diagnose
from .errors import AgentcError, Code

HOST = "127.0.0.1"


@click.command("ui")
@click.option(
    "--db", default=None, help="journal database [default: $AGENTC_DB or .agentc/runs.db]"
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="port on 127.0.0.1 (0: any free port)",
)
@click.option(
    "--allow-actions",
    is_flag=True,
    help="allow answering pending interrupts and approvals from the pages (read-only otherwise)",
)
@_diagnose
def ui_cmd(db: str | None, port: int, allow_actions: bool) -> None:
    """Serve a local web console for the runs in a journal: runs, a run's diagram, timeline
    and state, and the pending approvals (answered with --allow-actions)."""
    import uvicorn

    from .ui.app import create_app

    path = db or _db_default()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise AgentcError(
            Code.CONFIG,
            f"cannot listen on {HOST}:{port}: {exc.strerror}",
            construct="--port",
            hint="choose another --port, or --port 0 for any free one",
        ) from None
    sock.listen(64)
    bound = sock.getsockname()[1]
    mode = "answers allowed (--allow-actions)" if allow_actions else "read-only"
    click.echo(
        f"agentc ui: http://{HOST}:{bound}/  ({mode}; journal {path}; Ctrl-C to stop)", err=False
    )
    import sys

    sys.stdout.flush()
    app = create_app(path, allow_actions=allow_actions)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    server.run(sockets=[sock])
