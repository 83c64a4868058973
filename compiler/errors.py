"""The error taxonomy: every problem agentc reports has a stable code, the construct it is
about, where that construct lives in user code, and what to do next.

Library code raises `AgentcError`; only the CLI layer turns it into text and an exit status.
Codes are stable: tests, docs and users' CI scripts match on them.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class ErrorLevel(enum.Enum):
    """What to do with a construct a frontend or target does not support (sqlglot-style)."""

    IGNORE = "ignore"
    WARN = "warn"
    RAISE = "raise"


class Code(str, enum.Enum):
    # references and loading
    BAD_REF = "AC100"
    IMPORT_FAILED = "AC101"
    MISSING_ATTRIBUTE = "AC102"
    NOT_AN_AGENT = "AC103"
    # inputs
    INVALID_JSON = "AC110"
    INPUT_SCHEMA = "AC111"
    INVALID_RESUME = "AC112"
    # runs
    UNKNOWN_RUN = "AC120"
    RUN_NOT_RESUMABLE = "AC121"
    GRAPH_CHANGED = "AC122"
    RUN_EXISTS = "AC123"
    RUN_BUSY = "AC124"
    # constructs
    UNSUPPORTED = "AC200"
    DYNAMIC_TARGETS = "AC201"
    UNREACHABLE_NODE = "AC202"
    IGNORED_OPTION = "AC203"
    INVALID_IR = "AC210"
    # execution
    NODE_FAILED = "AC300"
    RECURSION_LIMIT = "AC301"
    INVALID_UPDATE = "AC302"
    GUARDRAIL_TRIPPED = "AC303"
    MAX_TURNS = "AC304"
    PAYLOAD_TOO_LARGE = "AC310"
    STORE_FAILED = "AC311"
    # check / artifacts
    DRIFT = "AC400"
    CONFIG = "AC401"
    OUTPUT = "AC402"
    WRONG_ARTIFACT = "AC403"


@dataclass(frozen=True)
class Diagnostic:
    code: Code
    message: str
    construct: str = ""
    file: str | None = None
    line: int | None = None
    hint: str = ""
    severity: str = "error"

    @property
    def location(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def render(self) -> str:
        head = f"{self.severity}[{self.code.value}]: {self.message}"
        lines = [head]
        if self.construct or self.location:
            where = self.location or "<unknown location>"
            lines.append(f"  --> {where}" + (f" ({self.construct})" if self.construct else ""))
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "severity": self.severity,
            "message": self.message,
            "construct": self.construct,
            "location": self.location or None,
            "hint": self.hint,
        }


class AgentcError(Exception):
    """A user-facing failure. `exit_status` is what the CLI exits with (2 = bad input)."""

    exit_status = 2

    def __init__(
        self,
        code: Code,
        message: str,
        *,
        construct: str = "",
        source: Any = None,
        file: str | None = None,
        line: int | None = None,
        hint: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        if source is not None:
            file = file or getattr(source, "file", None)
            line = line or getattr(source, "line", None)
        self.diagnostic = Diagnostic(code, message, construct, file, line, hint)
        self.details = details or {}
        super().__init__(self.diagnostic.render())

    @property
    def code(self) -> Code:
        return self.diagnostic.code


class RunFailed(AgentcError):
    """A run stopped because user code failed; it stays resumable (exit status 1)."""

    exit_status = 1


@dataclass
class Warnings:
    """Collects non-fatal diagnostics during a compile; the CLI prints them to stderr."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diag: Diagnostic, level: ErrorLevel = ErrorLevel.WARN) -> None:
        if level is ErrorLevel.RAISE:
            raise AgentcError(
                diag.code, diag.message, construct=diag.construct, file=diag.file,
                line=diag.line, hint=diag.hint,
            )
        if level is ErrorLevel.WARN:
            self.items.append(Diagnostic(**{**diag.__dict__, "severity": "warning"}))
