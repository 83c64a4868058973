"""The error taxonomy: every problem agentc reports has a stable code, the construct it is
about, where that construct lives in user code, and what to do next.

Library code raises `AgentcError`; only the CLI layer turns it into text and an exit status.
Codes are stable: tests, docs and users' CI scripts match on them.

One sink collects what a compile finds (:class:`Warnings`, also named :class:`Diagnostics`):
the ``ErrorLevel`` decides what a finding does — IGNORE drops it, WARN records a warning,
RAISE records an error and the compile raises once, at the end of the stage, with every
error found (a graph with two unsupported constructs reports both), IMMEDIATE raises at
the first. Refusals (an unsupported construct) are errors at every level but IMMEDIATE's
"at once"; refusals found by the plan or a target stop the compile where they are found and
are raised through the sink together with what it already holds (docs/architecture.md,
"Diagnostics").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class ErrorLevel(enum.Enum):
    """What to do with a finding of a compile (sqlglot-style): drop it, warn, collect it as
    an error and raise everything at the end, or raise at once."""

    IGNORE = "ignore"
    WARN = "warn"
    RAISE = "raise"
    IMMEDIATE = "immediate"


class Code(str, enum.Enum):
    # references and loading
    BAD_REF = "AC100"
    UNKNOWN_TARGET = "AC100"  # an alias of BAD_REF: tests and users' scripts match AC100 for it
    IMPORT_FAILED = "AC101"
    MISSING_ATTRIBUTE = "AC102"
    NOT_AN_AGENT = "AC103"
    # inputs
    INVALID_JSON = "AC110"
    INPUT_SCHEMA = "AC111"
    INVALID_RESUME = "AC112"
    MISSING_OPTION = "AC113"
    # runs
    UNKNOWN_RUN = "AC120"
    RUN_NOT_RESUMABLE = "AC121"
    GRAPH_CHANGED = "AC122"
    RUN_EXISTS = "AC123"
    RUN_BUSY = "AC124"
    # audit: transcripts, replay, fork (docs/replay.md)
    TRANSCRIPT = "AC130"
    TAMPERED = "AC131"
    UNKNOWN_STEP = "AC132"
    BAD_STEP_VALUE = "AC133"
    # constructs
    UNSUPPORTED = "AC200"
    DYNAMIC_TARGETS = "AC201"
    UNREACHABLE_NODE = "AC202"
    IGNORED_OPTION = "AC203"
    EFFECT_RERUN = "AC204"
    TOKEN_STREAM = "AC205"
    """A warning: --stream-mode messages of a graph whose chat model streams tokens (LangGraph
    yields a chunk per token, a durable run a whole message: ``token_streams.py``)."""
    INVALID_IR = "AC210"
    # execution
    NODE_FAILED = "AC300"
    RECURSION_LIMIT = "AC301"
    INVALID_UPDATE = "AC302"
    GUARDRAIL_TRIPPED = "AC303"
    MAX_TURNS = "AC304"
    EFFECT_UNCERTAIN = "AC305"
    POLICY_DENIED = "AC310"
    FANOUT_DEADLINE = "AC311"
    PAYLOAD_TOO_LARGE = "AC312"
    STORE_FAILED = "AC313"
    TOOL_TIMED_OUT = "AC314"
    """A tool call ran past its policy ``timeout`` under ``on_deny = "fail"`` (docs/policies.md)."""
    TOKEN_BUDGET = "AC315"
    """The run spent its policy's ``max_tokens`` (docs/policies.md)."""
    EXTERNAL_TIMED_OUT = "AC316"
    """An external step was not completed within its policy ``timeout`` (docs/policies.md "External
    completion")."""
    # check / artifacts
    DRIFT = "AC400"
    CONFIG = "AC401"
    OUTPUT = "AC402"
    WRONG_ARTIFACT = "AC403"
    EFFECT_POLICY = "AC404"
    """A bad effect policy (docs/effects.md)."""
    # policies (docs/policies.md)
    POLICY = "AC410"
    POLICY_PROOF = "AC411"


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
    """A user-facing failure. `exit_status` is what the CLI exits with (2 = bad input).

    ``diagnostic`` is the (first) problem; ``diagnostics`` every problem the compile
    collected before raising (see :class:`Warnings`); :meth:`render` shows them all."""

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
        self.diagnostics: tuple[Diagnostic, ...] = (self.diagnostic,)
        self.details = details or {}
        super().__init__(self.diagnostic.render())

    @classmethod
    def of(cls, diagnostics: list[Diagnostic]) -> AgentcError:
        """One error reporting every diagnostic (rendered in order, the first is ``diagnostic``)."""
        first = diagnostics[0]
        err = cls(
            first.code,
            first.message,
            construct=first.construct,
            file=first.file,
            line=first.line,
            hint=first.hint,
        )
        err.diagnostics = tuple(_as_error(d) for d in diagnostics)
        err.args = (err.render(),)
        return err

    @property
    def code(self) -> Code:
        return self.diagnostic.code

    def render(self) -> str:
        """Every diagnostic, one block each (what the CLI prints)."""
        return "\n".join(d.render() for d in self.diagnostics)


class RunFailed(AgentcError):
    """A run stopped because user code failed; it stays resumable (exit status 1)."""

    exit_status = 1


def _as_error(diag: Diagnostic) -> Diagnostic:
    return (
        diag if diag.severity == "error" else Diagnostic(**{**diag.__dict__, "severity": "error"})
    )


@dataclass
class Warnings:
    """The diagnostics sink of one compile: ``items`` are the warnings (the CLI prints them
    to stderr), ``errors`` the errors collected under ErrorLevel.RAISE and the refusals, which
    :meth:`raise_errors` raises together at the end of a stage (the frontend's read, the
    passes). Library code never prints: the sink only collects and raises."""

    items: list[Diagnostic] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)

    def add(self, diag: Diagnostic, level: ErrorLevel = ErrorLevel.WARN) -> None:
        """A finding the level decides about (an ignored option, an unreachable node …)."""
        if level is ErrorLevel.IMMEDIATE:
            raise AgentcError.of([*self.errors, diag])
        if level is ErrorLevel.RAISE:
            self.errors.append(_as_error(diag))
        elif level is ErrorLevel.WARN:
            self.items.append(Diagnostic(**{**diag.__dict__, "severity": "warning"}))

    def refuse(self, diag: Diagnostic, level: ErrorLevel = ErrorLevel.RAISE) -> None:
        """An unsupported construct: an error at every level. Under IMMEDIATE it raises at
        once; otherwise it is collected so the compile reports every refusal together."""
        self.add(diag, ErrorLevel.IMMEDIATE if level is ErrorLevel.IMMEDIATE else ErrorLevel.RAISE)

    def raise_if_refused(self) -> None:
        """End of a frontend's read: raise every collected error if any is a refusal (the IR
        cannot be built past it); errors that are only findings wait for :meth:`raise_errors`."""
        if any(d.code is Code.UNSUPPORTED for d in self.errors):
            self.raise_errors()

    def fail(self, error: AgentcError) -> AgentcError:
        """A refusal the caller cannot continue past (the plan's, a target's): the error to
        raise, carrying the errors already collected first."""
        if not self.errors:
            return error
        return AgentcError.of([*self.errors, *error.diagnostics])

    def raise_errors(self) -> None:
        """End of a stage: raise every collected error at once (nothing when there is none)."""
        if self.errors:
            errors, self.errors = self.errors, []
            raise AgentcError.of(errors)


Diagnostics = Warnings
"""The sink's descriptive name; ``Warnings`` is kept for the callers that use it."""
