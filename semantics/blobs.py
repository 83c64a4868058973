"""The claim-check store: large values live here, workflow engines carry references.

Temporal caps a payload at 2 MB and Conductor a task's input or output at a few MB (see
docs/conductor.md, docs/temporal.md); a long agent run's journal, a LangGraph state whose
``messages`` grow, or one big tool output pass those caps. So every value agentc hands an
engine goes through ``put``: small ones stay inline, the others are written to the store
under the sha256 of their bytes and replaced by ``blob:sha256:<hex>``. The blob is written
*before* the reference is returned — before any engine sees it — so a crash can leave an
orphan blob (``agentc gc`` removes those) but never a dangling reference. Content
addressing makes a write idempotent: a retried step writes the same name with the same
bytes.

Stores are URLs opened through fsspec: a local folder by default (``.agentc/blobs``, shared
by the worker processes of one machine), ``s3://bucket/prefix`` (s3fs) for workers on many
machines, any other fsspec protocol likewise. Where a process finds its store:
``configure(url)`` (the CLI's ``--store`` and ``[tool.agentc] store``), else the
``AGENTC_STORE`` environment variable (which ``configure`` also sets, so workers a CLI
starts inherit it), else the default folder. S3 options come from the usual AWS variables;
``AGENTC_STORE_ENDPOINT`` sets an S3-compatible endpoint (MinIO, moto's server).

A store that cannot be reached, or a reference whose blob is missing, raises ``AgentcError``
``AC313`` (the step fails loudly with the store's URL and the reason, never a silent retry).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from agentc.errors import AgentcError, Code

PREFIX = "blob:sha256:"
INLINE_MAX = 4096
"""Bytes a value may take inline in an engine payload; larger ones go to the store."""
ENV = "AGENTC_STORE"
ENDPOINT_ENV = "AGENTC_STORE_ENDPOINT"
DEFAULT = ".agentc/blobs"
CACHE_BYTES = 256 * 1024 * 1024
"""Blobs are immutable, so a worker keeps the ones it read or wrote (up to this size)."""
REFRESH_S = 3600.0
"""``put`` of a blob that exists already refreshes its modification time when it is older
than this, so a blob a step just reused is never old in the eyes of ``agentc gc``
(``blob_gc.py``: it deletes only blobs older than a day at least)."""

_RECORDING: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "agentc_blob_refs", default=None
)


@contextlib.contextmanager
def recording() -> Iterator[set[str]]:
    """The digests every ``put`` and ``get`` of this context touches (a step's refs, for
    its run's index: ``run_index.py``)."""
    refs: set[str] = set()
    token = _RECORDING.set(refs)
    try:
        yield refs
    finally:
        _RECORDING.reset(token)


def _note(h: str) -> None:
    refs = _RECORDING.get()
    if refs is not None:
        refs.add(h)


def is_ref(text: Any) -> bool:
    return isinstance(text, str) and text.startswith(PREFIX)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Store:
    """One content-addressed store: ``put(bytes) -> ref``, ``get(ref) -> bytes``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._fs: Any = None
        self._root = ""
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached = 0
        self._confirmed: dict[
            str, float
        ] = {}  # digest -> when this process last saw it fresh in the store

    # ------------------------------------------------------------ the filesystem
    @property
    def fs(self) -> Any:
        if self._fs is None:
            import fsspec.core

            options: dict[str, Any] = {}
            if self.url.startswith("s3://") and os.environ.get(ENDPOINT_ENV):
                options["client_kwargs"] = {"endpoint_url": os.environ[ENDPOINT_ENV]}
            try:
                self._fs, root = fsspec.core.url_to_fs(self.url, **options)
            except (ImportError, ValueError) as exc:
                raise unreachable(self.url, exc) from None
            self._root = root.rstrip("/")
        return self._fs

    def path(self, hexdigest: str) -> str:
        _ = self.fs
        return f"{self._root}/{hexdigest[:2]}/{hexdigest}"

    # ------------------------------------------------------------ blobs
    def put(self, data: bytes) -> str:
        """Write ``data`` (unless a blob of that digest exists) and return its reference."""
        h = digest(data)
        _note(h)
        now = time.time()
        if now - self._confirmed.get(h, 0.0) > REFRESH_S:
            path = self.path(h)
            try:
                try:
                    fresh = now - _mtime(self.fs.info(path)) <= REFRESH_S
                except FileNotFoundError:
                    fresh = False
                if not fresh:  # absent, or old: (re)written, so gc sees it as just used
                    self._write(path, data)
            except AgentcError:
                raise
            except Exception as exc:  # noqa: BLE001 - fsspec backends raise many types
                raise unreachable(self.url, exc) from None
            self._confirmed[h] = now
            self._remember(h, data)
        return PREFIX + h

    def _write(self, path: str, data: bytes) -> None:
        """A local folder: write a temporary file and rename it, so a reader never sees a
        half-written blob; object stores write whole objects anyway."""
        from fsspec.implementations.local import LocalFileSystem

        fs = self.fs
        if isinstance(fs, LocalFileSystem):
            import tempfile

            folder = os.path.dirname(path)
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        else:
            fs.pipe_file(path, data)

    def get(self, ref: str) -> bytes:
        h = ref[len(PREFIX) :]
        _note(h)
        with self._lock:
            data = self._cache.get(h)
            if data is not None:
                self._cache.move_to_end(h)
                return data
        try:
            data = self.fs.cat_file(self.path(h))
        except FileNotFoundError:
            raise AgentcError(
                Code.STORE_FAILED,
                f"blob {h[:16]}… is missing from the store {self.url}",
                construct=self.url,
                hint="every worker and the process that starts runs must use "
                "the same store (--store URL or [tool.agentc] store); was it garbage-collected "
                "while the run was in flight?",
            ) from None
        except AgentcError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise unreachable(self.url, exc) from None
        if digest(data) != h:
            raise AgentcError(
                Code.STORE_FAILED,
                f"blob {h[:16]}… in {self.url} does not match its digest",
                construct=self.url,
                hint="the store was modified by something other than agentc",
            )
        self._remember(h, data)
        return data

    def _remember(self, h: str, data: bytes) -> None:
        with self._lock:
            if h in self._cache:
                return
            self._cache[h] = data
            self._cached += len(data)
            while self._cached > CACHE_BYTES and self._cache:
                _, old = self._cache.popitem(last=False)
                self._cached -= len(old)

    # ------------------------------------------------------------ housekeeping
    def check(self) -> None:
        """Reach the store now (a CLI checks before it starts a run)."""
        try:
            self.fs.makedirs(self._root, exist_ok=True)
            self.fs.ls(self._root)
        except AgentcError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise unreachable(self.url, exc) from None

    def blobs(self) -> list[tuple[str, float]]:
        """Every blob with its modification time (seconds since the epoch)."""
        out = []
        for info in self.fs.find(self._root, detail=True).values():
            name = info["name"].rsplit("/", 1)[-1]
            if len(name) == 64 and not name.startswith("."):
                out.append((name, _mtime(info)))
        return out

    def mtime(self, hexdigest: str) -> float | None:
        """The blob's modification time, or None when it is gone."""
        try:
            return _mtime(self.fs.info(self.path(hexdigest)))
        except FileNotFoundError:
            return None

    def remove(self, hexdigest: str) -> None:
        self.fs.rm_file(self.path(hexdigest))
        with self._lock:
            self._confirmed.pop(hexdigest, None)
            data = self._cache.pop(hexdigest, None)
            if data is not None:
                self._cached -= len(data)

    @property
    def root(self) -> str:
        _ = self.fs
        return self._root


def _mtime(info: dict[str, Any]) -> float:
    for key in ("mtime", "LastModified", "created"):
        v = info.get(key)
        if v is not None:
            return v.timestamp() if hasattr(v, "timestamp") else float(v)
    return 0.0


def unreachable(url: str, exc: BaseException) -> AgentcError:
    return AgentcError(
        Code.STORE_FAILED,
        f"the blob store {url} cannot be used: {type(exc).__name__}: {exc}",
        construct=url,
        hint="check --store / [tool.agentc] store (a folder, or s3://bucket/prefix "
        "with s3fs installed and credentials set) and that it is reachable",
    )


_STORES: dict[str, Store] = {}
_CONFIGURED: str | None = None


def normalize(url: str) -> str:
    """A local folder as an absolute path (workers started elsewhere find the same one)."""
    if "://" in url:
        return url
    return os.path.abspath(os.path.expanduser(url))


def configure(url: str | None) -> None:
    """This process's store (and its children's, through ``AGENTC_STORE``)."""
    global _CONFIGURED
    _CONFIGURED = normalize(url) if url else None
    if _CONFIGURED:
        os.environ[ENV] = _CONFIGURED
    else:
        os.environ.pop(ENV, None)


def store_url() -> str:
    return _CONFIGURED or os.environ.get(ENV) or normalize(DEFAULT)


def store(url: str | None = None) -> Store:
    url = normalize(url) if url else store_url()
    s = _STORES.get(url)
    if s is None:
        s = _STORES[url] = Store(url)
    return s
