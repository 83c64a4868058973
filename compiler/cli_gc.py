"""``agentc gc``: remove the claim-check blobs of runs finished more than N days ago
(design and limits: runtime_shims/blob_gc.py, docs/claim-check.md).

Registered on the main group by ``cli.py``; like it, the only layer that prints or exits.
Exit status: 0 ok · 2 bad input (``--older-than`` under a day) · 1 the store failed (AC313).
"""

from __future__ import annotations

import datetime
import json

import click


def register(main: click.Group) -> None:
    from .cli_common import _diagnose
    from .cli_store import store_option

    @main.command("gc")
    @click.option(
        "--older-than",
        "days",
        type=float,
        default=30.0,
        show_default=True,
        metavar="DAYS",
        help="remove blobs of runs finished more than DAYS ago (and unnamed blobs that old); "
        "at least 1",
    )
    @click.option("--dry-run", is_flag=True, help="list what would be removed; remove nothing")
    @click.option("--json", "as_json", is_flag=True, help="the plan (and what was removed) as JSON")
    @store_option
    @_diagnose
    def gc_cmd(days: float, dry_run: bool, as_json: bool) -> None:
        """Remove the blobs of runs finished more than --older-than days ago from the
        claim-check store. Runs still running or waiting, runs finished recently and every
        blob they name are kept; Temporal and Conductor runs are known only through the
        index their workers write in the store, never from the engine."""
        from agentc.runtime_shims import blob_gc
        from agentc.semantics import blobs

        store = blobs.store()
        p = blob_gc.plan(store, days)
        deleted = runs_removed = 0
        if not dry_run:
            deleted, runs_removed = blob_gc.apply(store, p)
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "store": p.store,
                        "older_than_days": days,
                        "dry_run": dry_run,
                        "collectable_runs": [
                            {"run": r.id, "status": r.status, "finished": _when(r.last)}
                            for r in p.collectable
                        ],
                        "kept_runs": [
                            {
                                "run": r.id,
                                "status": r.status or "in flight",
                                "last_step": _when(r.last),
                            }
                            for r in p.kept
                        ],
                        "blobs": [
                            {
                                "digest": d,
                                "modified": _when(m),
                                "bytes": s,
                                "orphan": d in p.orphans,
                            }
                            for d, m, s in p.delete
                        ],
                        "bytes": p.bytes,
                        "kept_old_blobs": p.protected_old,
                        "deleted": deleted,
                        "runs_removed": runs_removed,
                    },
                    indent=2,
                    sort_keys=True,
                )
            )
            return
        verb = "would remove" if dry_run else "removed"
        for r in p.collectable:
            click.echo(f"run {r.id}: {r.status} {_when(r.last)} — {verb} its index")
        for r in p.kept:
            click.echo(
                f"run {r.id}: {r.status or 'in flight'}, last step {_when(r.last)} — kept with "
                "its blobs"
            )
        for d, m, s in p.delete:
            click.echo(
                f"blob {d} {s} B modified "
                f"{_when(m)}{' (named by no run)' if d in p.orphans else ''}"
                f" — {verb}"
            )
        n = len(p.delete) if dry_run else deleted
        click.echo(
            f"{verb} {n} blob(s), {p.bytes} B, and {len(p.collectable)} run index(es) from "
            f"{p.store}; "
            f"kept {len(p.kept)} run(s) and {p.protected_old} old blob(s) they name",
            err=True,
        )


def _when(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
