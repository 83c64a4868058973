"""``--store URL``: where a process's claim-check blobs live (semantics/blobs.py).

Given to ``run``, ``resume``, ``simulate`` and ``worker``; without it the ``AGENTC_STORE``
environment variable, then ``[tool.agentc] store`` in ./pyproject.toml, then the default
folder ``.agentc/blobs``. The chosen URL is put in ``AGENTC_STORE`` so every worker this
process starts (in process, or the Conductor SDK's worker processes) uses the same store;
workers started elsewhere need the same ``--store``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def configured_store(pyproject: Path = Path("pyproject.toml")) -> str | None:
    """``[tool.agentc] store`` of ./pyproject.toml, if any (relative folders are relative
    to that file)."""
    try:
        data = tomllib.loads(pyproject.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None
    url = (data.get("tool", {}).get("agentc") or {}).get("store")
    if isinstance(url, str) and url and "://" not in url and not os.path.isabs(url):
        url = str(pyproject.resolve().parent / url)
    return url if isinstance(url, str) and url else None


def _configure(ctx: Any, param: Any, value: str | None) -> None:
    from agentc.semantics import blobs

    url = value or os.environ.get(blobs.ENV) or configured_store()
    if url:
        blobs.configure(url)


def store_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--store",
        metavar="URL",
        default=None,
        expose_value=False,
        callback=_configure,
        help="claim-check blob store for large values: a folder or s3://bucket/prefix "
        "[default: $AGENTC_STORE, [tool.agentc] store, .agentc/blobs]",
    )(fn)
