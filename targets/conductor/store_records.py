"""Records the Conductor workers and the CLI share through the payload store, one JSON file
per key under ``<store>/<folder>/<run id>/<key>.json`` (run id and key URL-quoted): the
late effects a worker compensated (``late_effects.py``) and the humans' decisions on
uncertain calls (``live_wait.py``). A live server keeps no such state for agentc, and the
store is the one place every worker process and the CLI reach. Failures to reach it are
``blobs.unreachable`` diagnostics (AC313)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from agentc.errors import AgentcError
from agentc.semantics import blobs


def _folder(store: blobs.Store, folder: str, run_id: str) -> str:
    return f"{store.root}/{folder}/{urllib.parse.quote(run_id, safe='')}"


def _path(store: blobs.Store, folder: str, run_id: str, key: str) -> str:
    return f"{_folder(store, folder, run_id)}/{urllib.parse.quote(key, safe='')}.json"


def write(store: blobs.Store, folder: str, run_id: str, key: str, entry: dict[str, Any]) -> None:
    """Write (or replace) the record of ``key``."""
    try:
        store.fs.makedirs(_folder(store, folder, run_id), exist_ok=True)
        data = json.dumps(entry, sort_keys=True, default=str).encode("utf-8")
        store.fs.pipe_file(_path(store, folder, run_id, key), data)
    except AgentcError:
        raise
    except Exception as exc:  # noqa: BLE001 - fsspec backends raise many types
        raise blobs.unreachable(store.url, exc) from None


def read_all(store: blobs.Store, folder: str, run_id: str) -> list[dict[str, Any]]:
    """Every record of run ``run_id`` in ``folder``, in the order of their paths."""
    base = _folder(store, folder, run_id)
    try:
        found = store.fs.find(base) if store.fs.exists(base) else []
        return [json.loads(store.fs.cat_file(p)) for p in sorted(found) if p.endswith(".json")]
    except Exception as exc:  # noqa: BLE001
        raise blobs.unreachable(store.url, exc) from None


def remove(store: blobs.Store, folder: str, run_id: str, key: str) -> None:
    """Delete the record of ``key``."""
    store.fs.rm_file(_path(store, folder, run_id, key))


__all__ = ["read_all", "remove", "write"]
