"""Compiled output: a set of named text files, written atomically.

Every file's content is produced in memory first; each is then written to a temporary file
in the destination folder and moved into place with ``os.replace``, so an error never
leaves a half-written output behind.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Artifact:
    target: str
    name: str
    files: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def write(self, out_dir: str | Path) -> list[Path]:
        out = Path(out_dir)
        written = []
        for rel in sorted(self.files):
            written.append(write_atomic(out / rel, self.files[rel]))
        return written


def write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
