"""``agentc timers [--db PATH] [--watch]``: fire the due deadlines of external steps in a
local store with nobody continuing the runs (docs/policies.md "External completion");
registered on the ``agentc`` group by ``cli.py``. Like cli.py, the only place here that
prints or exits. The work is ``targets/local/deadline_sweep.py``.

Without ``--watch``: one sweep, for a cron job or a systemd timer; prints the sweep as JSON
and exits 0, or 1 when a run's firing failed (a compensator raised). With ``--watch``: one
JSON line per sweep, sleeping until the next deadline (at most ``--rescan`` seconds).
"""

from __future__ import annotations

import json

import click


def register(main: click.Group) -> None:
    from .cli_common import _db_default as db_default, _diagnose as diagnose

    @main.command("timers")
    @click.option(
        "--db",
        "--store",
        "db",
        default=None,
        help="journal database [default: $AGENTC_DB or .agentc/runs.db]",
    )
    @click.option(
        "--watch", is_flag=True, help="keep running: sleep until the next deadline, fire, repeat"
    )
    @click.option(
        "--rescan",
        type=click.FloatRange(min=0.1),
        default=60.0,
        show_default=True,
        help="with --watch: the longest sleep (a run paused by another process meanwhile is "
        "noticed within it)",
    )
    @diagnose  # type: ignore[misc, operator]
    def timers_cmd(db: str | None, watch: bool, rescan: float) -> None:
        """Fire every external-step deadline that is due (AC316, then compensation)."""
        from agentc.targets.local import deadline_sweep

        path = db or db_default()
        if not watch:
            result = deadline_sweep.sweep(path)
            click.echo(json.dumps(result.to_json(), indent=2, sort_keys=True))
            if result.failed:
                raise SystemExit(1)
            return
        for result, wake in deadline_sweep.watch(path, rescan=rescan):
            click.echo(json.dumps({**result.to_json(), "next_wake": wake}, sort_keys=True))
