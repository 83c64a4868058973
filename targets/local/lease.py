"""One driver per run: a lease on the run, kept in the journal (table ``leases``).

Why: a run's journal lets any process continue it (``agentc resume`` after a crash). Two
live processes driving the same run would both execute its pending nodes, and the user's
side effects would happen twice. So a process drives a run only while it holds the run's
lease:

* ``agentc run``/``resume`` take the lease in the transaction that creates or first reads
  the run; a second process is refused with ``AC124`` naming the holder (pid, host, since).
* The holder renews the lease on every journal commit (progress) and from a heartbeat
  thread (a node may run for minutes without committing).
* A holder is presumed dead, and its lease free to take, when its process is gone (same
  host: no such pid, a zombie, or a different process reusing the pid — the process start
  time is part of the identity) or when the lease was not renewed for ``TTL`` seconds (any
  host, and a frozen process).
* Fencing: every commit checks that the lease is still this process's. A holder that lost
  it (presumed dead, then taken over) stops with ``LeaseLost`` without writing, so the run's
  journal only ever has one writer.
* The lease is released when the drive ends (done, waiting, failed, Ctrl-C). A run left
  ``running`` with a dead holder is ``crashed``; with no holder, ``interrupted``
  (``agentc runs``). Both are continued with ``agentc resume``.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentc.errors import AgentcError, Code

TTL = float(os.environ.get("AGENTC_LEASE_TTL", "30"))
"""Seconds without renewal after which a lease holder is presumed dead."""
HEARTBEAT = TTL / 6

SCHEMA = """
CREATE TABLE IF NOT EXISTS leases(
  run_id TEXT PRIMARY KEY, token TEXT, pid INTEGER, host TEXT, proc_start TEXT,
  since REAL, renewed REAL);
"""

HOST = socket.gethostname()


class LeaseLost(AgentcError):
    """Another process took over the run this process was driving (exit status 1)."""

    exit_status = 1


def _proc_start(pid: int) -> str | None:
    """The process's start time in clock ticks (Linux ``/proc``), None when there is no
    such live process. Raises ``OSError`` when ``/proc`` is not available."""
    if not Path("/proc/self/stat").exists():
        raise OSError("no /proc")
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def _pid_alive(pid: int, proc_start: str | None) -> bool:
    try:
        current = _proc_start(pid)
    except OSError:  # no /proc: ask the kernel, without identity check
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return current is not None and (proc_start is None or current == proc_start)


def _me() -> tuple[int, str | None]:
    pid = os.getpid()
    try:
        return pid, _proc_start(pid)
    except OSError:
        return pid, None


@dataclass(frozen=True)
class Holder:
    token: str
    pid: int
    host: str
    proc_start: str | None
    since: float
    renewed: float

    def alive(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if now - self.renewed > TTL:
            return False
        return _pid_alive(self.pid, self.proc_start) if self.host == HOST else True

    def describe(self) -> str:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        return f"pid {self.pid} on host {self.host} since {since}"

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "host": self.host, "since": self.since, "renewed": self.renewed}


def holder(db: sqlite3.Connection, run_id: str) -> Holder | None:
    row = db.execute(
        "SELECT token, pid, host, proc_start, since, renewed FROM leases WHERE run_id=?", (run_id,)
    ).fetchone()
    return Holder(*row) if row else None


def acquire(db: sqlite3.Connection, run_id: str) -> str:
    """Inside a write transaction: take the run's lease, or refuse (``AC124``) while a live
    process holds it. Returns this holding's token."""
    found = holder(db, run_id)
    if found is not None and found.alive():
        raise AgentcError(
            Code.RUN_BUSY,
            f"run {run_id} is being driven by another process: {found.describe()}",
            construct=run_id,
            hint=f"wait for that process to finish or pause the run (see `agentc runs`); if it is "
            f"gone for good its lease expires {TTL:g}s after its last renewal",
        )
    token = uuid.uuid4().hex
    pid, proc_start = _me()
    now = time.time()
    db.execute(
        "INSERT OR REPLACE INTO leases(run_id, token, pid, host, proc_start, since, renewed)"
        " VALUES(?,?,?,?,?,?,?)",
        (run_id, token, pid, HOST, proc_start, now, now),
    )
    return token


def renew(db: sqlite3.Connection, run_id: str, token: str) -> None:
    """Inside a write transaction (fencing): renew the lease, or stop with ``LeaseLost``."""
    cur = db.execute(
        "UPDATE leases SET renewed=? WHERE run_id=? AND token=?", (time.time(), run_id, token)
    )
    if cur.rowcount == 1:
        return
    found = holder(db, run_id)
    who = found.describe() if found else "no process"
    raise LeaseLost(
        Code.RUN_BUSY,
        f"run {run_id} was taken over ({who} holds it now); this process "
        "stopped driving it and wrote nothing more",
        construct=run_id,
        hint=f"this process went {TTL:g}s without renewing its lease (frozen or suspended?); "
        "the other process continues the run",
    )


def release(db: sqlite3.Connection, run_id: str, token: str) -> None:
    db.execute("DELETE FROM leases WHERE run_id=? AND token=?", (run_id, token))


def effective_status(status: str, found: Holder | None) -> str:
    """What ``agentc runs`` shows: a live holder means the run is being driven now."""
    if found is not None and found.alive():
        return "running"
    if status == "running":
        return "crashed" if found is not None else "interrupted"
    return status


class Heartbeat:
    """Renews a lease every ``HEARTBEAT`` seconds from its own connection while a long
    node runs. It only renews a lease that is still this holder's (the token)."""

    def __init__(self, path: str, run_id: str, token: str) -> None:
        self.path, self.run_id, self.token = path, run_id, token
        self.stopped = threading.Event()
        self.thread = threading.Thread(
            target=self._loop, name=f"agentc-lease-{run_id}", daemon=True
        )
        self.thread.start()

    def _loop(self) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=HEARTBEAT)
        except sqlite3.Error:
            return
        try:
            while not self.stopped.wait(HEARTBEAT):
                try:
                    cur = db.execute(
                        "UPDATE leases SET renewed=? WHERE run_id=? AND token=?",
                        (time.time(), self.run_id, self.token),
                    )
                except sqlite3.Error:
                    continue  # busy: the next beat (or the next commit) renews
                if cur.rowcount == 0:
                    return  # lost: the next commit of the driver stops it (fencing)
        finally:
            db.close()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=HEARTBEAT + 5)
