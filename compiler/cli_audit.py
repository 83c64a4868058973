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
    return AgentcError(Code.TAMPERED, f"{where} does not verify: {brk.reason}", construct=f"event {brk.seq}",
                       hint="the record was changed after it was written; compare with a copy you trust")


def register(main: click.Group) -> None:
    from .cli import _db_default, _diagnose, _parse_json  # noqa: F401 - cli.py is loaded by now

    @main.command("history")
    @click.argument("run_id")
    @click.option("--db", default=None, help=DB_HELP)
    @click.option("--json", "as_json", is_flag=True, help="the run and its events as one JSON object")
    @click.option("--jsonl", "as_jsonl", is_flag=True, help="one JSON event per line")
    @click.option("--verify", "verify_", is_flag=True,
                  help="check the journal against its hash-chained audit entries (exit 2 when edited)")
    @_diagnose
    def history_cmd(run_id: str, db: str | None, as_json: bool, as_jsonl: bool, verify_: bool) -> None:
        """Print a run's ordered events: inputs, node steps and their writes, model calls
        (request digest, response), tool calls (arguments, result), answers, retries, status."""
        from .audit import history, verify
        from .audit.render import text

        db = db or _db_default()
        if verify_:
            found = verify(run_id, db=db)
            if found is not None:
                raise _tampered(f"run {run_id}", found)
        h = history(run_id, db=db)
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
    @click.option("--engine", type=click.Choice(["local"]), default="local", show_default=True)
    @click.option("--out", "-o", "out", required=True, type=click.Path(dir_okay=False), help="transcript file")
    @_diagnose
    def export_cmd(run_id: str, db: str | None, engine: str, out: str) -> None:
        """Write a run's portable, hash-chained transcript (JSON; `agentc transcript-schema`)."""
        from .audit import history, verify
        from .audit import transcript

        db = db or _db_default()
        found = verify(run_id, db=db)
        if found is not None:  # never launder an edited journal into a transcript that verifies
            raise _tampered(f"run {run_id}", found)
        path = transcript.write(out, transcript.dumps(history(run_id, db=db, engine=engine)))
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

    _ = sys  # the replay commands live in cli_replay.py
