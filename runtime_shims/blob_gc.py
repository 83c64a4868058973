"""``agentc gc``: remove the claim-check blobs of runs that finished more than N days ago.

Blobs are content-addressed and shared between runs, so a blob may go only when no run
that could still read it names it. The plan (``plan``), from the store alone:

1. Read every run's index (``run_index.py``). A run is *collectable* when its newest
   record says it finished (``done`` or ``failed``) more than N days ago. Every other
   indexed run — running, waiting for a human, failed or finished recently, or stopped
   without a final step (a terminated Temporal workflow, a crashed Conductor run) — is
   *kept*, and so is every blob any of its records names, however old.
2. A blob is deleted when its modification time is more than N days old and no kept run
   names it: the blobs of collectable runs, and *orphans* no run names (a step that
   crashed after writing a blob, before its record; blobs written before run indexes
   existed). Then the collectable runs' records go.

Why this cannot take a blob a live run needs: a live run's steps all wrote records naming
every blob they wrote or read (before the engine saw the step's outcome), and a live run's
status is not final, so all its blobs are kept. A step that reuses a blob another run
wrote long ago (content addressing) refreshes its modification time (``blobs.REFRESH_S``,
an hour), so it is not old when ``gc`` looks, even before the step's record exists; ``gc``
reads the time again right before deleting. ``older_than`` is at least one day.

Limits: ``gc`` knows runs only through this index, never through the engine: a run whose
engine ended it without a final step (terminated, timed out) is kept until a person deletes
its records (``runs/<id>/`` in the store). A run started by an agentc that wrote no index
has only orphan blobs: collect only once such runs have finished. A step that reuses a
blob more than N days old in the milliseconds between ``gc``'s last check and its delete
loses it: that run then fails loudly (AC313, missing blob), never silently.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from agentc.errors import AgentcError, Code
from agentc.runtime_shims import run_index
from agentc.semantics import blobs

DAY = 86400.0
MIN_DAYS = 1.0


@dataclass
class Plan:
    store: str
    older_than_days: float
    collectable: list[run_index.Run] = field(default_factory=list)
    kept: list[run_index.Run] = field(default_factory=list)
    delete: list[tuple[str, float, int]] = field(default_factory=list)  # (digest, mtime, size)
    orphans: set[str] = field(default_factory=set)  # of ``delete``: named by no indexed run
    protected_old: int = 0  # old blobs kept because a kept run names them

    @property
    def bytes(self) -> int:
        return sum(size for _, _, size in self.delete)


def plan(store: blobs.Store, older_than_days: float, now: float | None = None) -> Plan:
    if older_than_days < MIN_DAYS:
        raise AgentcError(
            Code.CONFIG,
            f"--older-than {older_than_days:g} is under {MIN_DAYS:g} day",
            construct="--older-than",
            hint="gc keeps at least a day so a blob a step just reused is never taken",
        )
    now = time.time() if now is None else now
    cutoff = now - older_than_days * DAY
    out = Plan(store.url, older_than_days)
    named: set[str] = set()
    keep: set[str] = set()
    for run in sorted(run_index.runs(store).values(), key=lambda r: r.id):
        named |= run.refs
        if run.status in ("done", "failed") and run.last < cutoff:
            out.collectable.append(run)
        else:
            out.kept.append(run)
            keep |= run.refs
    try:
        found = store.fs.find(store.root, detail=True) if store.fs.exists(store.root) else {}
    except Exception as exc:  # noqa: BLE001 - fsspec backends raise many types
        raise blobs.unreachable(store.url, exc) from None
    for info in found.values():
        name = info["name"].rsplit("/", 1)[-1]
        if len(name) != 64 or name.startswith(".") or f"/{run_index.RUNS}/" in info["name"]:
            continue
        mtime = blobs._mtime(info)
        if mtime >= cutoff:
            continue
        if name in keep:
            out.protected_old += 1
            continue
        out.delete.append((name, mtime, int(info.get("size") or 0)))
        if name not in named:
            out.orphans.add(name)
    out.delete.sort()
    return out


def apply(store: blobs.Store, p: Plan, now: float | None = None) -> tuple[int, int]:
    """Delete what ``p`` lists, re-reading each blob's time first (a step may have reused it
    since). Returns (blobs deleted, run indexes removed)."""
    now = time.time() if now is None else now
    cutoff = now - p.older_than_days * DAY
    deleted = 0
    try:
        for digest, _, _ in p.delete:
            mtime = store.mtime(digest)
            if mtime is None or mtime >= cutoff:
                continue
            store.remove(digest)
            deleted += 1
        for run in p.collectable:
            for path in run.files:
                store.fs.rm_file(path)
    except AgentcError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise blobs.unreachable(store.url, exc) from None
    return deleted, len(p.collectable)
