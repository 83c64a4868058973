"""Compiled output: a set of named text files, written atomically, into a folder the
compile owns.

Every file's content is produced in memory first; each is then written to a temporary file
in the destination folder and moved into place with ``os.replace``, so an error never
leaves a half-written output behind. Files get the mode a plain ``open(path, "w")`` would
give them (``0o666`` minus the umask), not ``mkstemp``'s private ``0o600``.

Ownership: a compile writes ``.agentc-output`` (JSON) (the target and the files it wrote)
next to its files. Compiling again into that folder replaces the previous output: files
the previous compile wrote and this one does not are removed (a ``conductor`` compile
followed by a ``local`` one leaves only the local files). Anything else in the folder (e.g.
a Temporal folder's recorded ``histories/``) is left alone. A non-empty folder that agentc
did not write is refused (``AC402``) before anything is written. Folders compiled before
the record existed are recognised by their ``manifest.json`` (or, for the ``ir`` target,
by holding only ``*.ir.json`` files), and the manifest says which files were agentc's.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RECORD = ".agentc-output"  # JSON, but no .json suffix: tools that glob *.json skip it


@dataclass(frozen=True)
class Artifact:
    target: str
    name: str
    files: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def write(self, out_dir: str | Path) -> list[Path]:
        out = Path(out_dir)
        previous = owned_files(out)
        # the record always covers every file agentc may have left here, even if this
        # process dies half-way: first the union, at the end exactly this compile's files
        _write_record(out, self, sorted(previous | set(self.files)))
        written = [write_atomic(out / rel, self.files[rel]) for rel in sorted(self.files)]
        for rel in sorted(previous - set(self.files)):
            _remove(out, rel)
        _write_record(out, self, sorted(self.files))
        return written


def artifact_target(folder: str | Path) -> str | None:
    """Which target compiled ``folder`` (from its record or ``manifest.json``), or None
    when agentc did not write it."""
    root = Path(folder)
    for name in (RECORD, "manifest.json"):
        data = _read_json(root / name)
        if isinstance(data, dict) and isinstance(data.get("target"), str):
            return data["target"]
    visible = _visible(root)
    if visible and all(p.is_file() and p.name.endswith(".ir.json") for p in visible):
        return "ir"
    return None


def owned_files(out: Path) -> set[str]:
    """The files a previous agentc compile wrote into ``out`` (empty for a new or empty
    folder). Raises ``AC402`` for a non-empty folder agentc did not write."""
    from .errors import AgentcError, Code

    if not out.exists():
        return set()
    if not out.is_dir():
        raise AgentcError(
            Code.OUTPUT,
            f"{out} exists and is not a folder",
            construct=str(out),
            hint="choose another --out",
        )
    record = _read_json(out / RECORD)
    if isinstance(record, dict) and isinstance(record.get("files"), list):
        return {rel for rel in record["files"] if isinstance(rel, str) and _inside(out, rel)}
    manifest = _read_json(out / "manifest.json")
    target = artifact_target(out)
    if isinstance(manifest, dict) and target is not None:
        return {rel for rel in _manifest_files(manifest) if _inside(out, rel)}
    if target == "ir":
        return {p.name for p in _visible(out)}
    if not _visible(out):
        return set()
    raise AgentcError(
        Code.OUTPUT,
        f"{out} is not empty and was not written by agentc",
        construct=str(out),
        hint="compile into a new or empty folder; agentc replaces only folders it wrote itself",
    )


def _manifest_files(manifest: dict[str, Any]) -> list[str]:
    """What a compile that wrote this ``manifest.json`` wrote (folders from before the record)."""
    files = ["manifest.json"]
    match manifest.get("target"):
        case "local":
            files.append(str(manifest.get("ir", "")))
        case "conductor":
            files += [f"{w}.workflow.json" for w in manifest.get("workflows", [])] + [
                "taskdefs.json"
            ]
        case "temporal":
            files += [
                f"{m['module']}.py" for m in manifest.get("modules", []) if isinstance(m, dict)
            ]
    return [f for f in files if f]


def _write_record(out: Path, artifact: Artifact, files: list[str]) -> None:
    write_atomic(
        out / RECORD,
        json.dumps(
            {
                "generator": "agentc",
                "target": artifact.target,
                "name": artifact.name,
                "files": files,
            },
            indent=2,
        )
        + "\n",
    )


def _remove(out: Path, rel: str) -> None:
    path = out / rel
    if path.is_file() or path.is_symlink():
        path.unlink()
    parent = path.parent
    while parent != out and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _inside(out: Path, rel: str) -> bool:
    """A record is read from disk: never follow one outside its folder."""
    if not rel or os.path.isabs(rel):
        return False
    base = out.resolve()
    return (base / rel).resolve().is_relative_to(base) and (base / rel).resolve() != base


def _visible(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if not p.name.startswith(".")] if root.is_dir() else []


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The process umask, without changing it where Linux tells it (/proc); elsewhere by
    setting and restoring it under a lock."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
