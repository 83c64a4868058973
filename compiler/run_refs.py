"""The REFs naming ``Runner.run``'s options for an OpenAI Agents SDK agent system — a
``RunConfig`` (``--run-config``), ``RunHooks`` (``--run-hooks``), ``RunErrorHandlers``
(``--error-handlers``) and a session factory (``--session``) — and the objects they name
(docs/openai-agents.md, "`Runner.run` parameters").

A REF is chosen, in this order, from the caller's argument (``agentc.load/compile/run``,
the CLI options), ``$AGENTC_RUN_CONFIG`` / ``$AGENTC_RUN_HOOKS`` / … (what the CLI sets for the
in-process workers of one command), then ``[tool.agentc] run_config`` / ``run_hooks`` of
./pyproject.toml — so a worker in another process that reads the same project compiles the
same workflow (the options are part of its fingerprint). The object is built again in
every process that drives the run, never shipped: a REF names a module global holding the
object, or a zero-argument factory returning it, so it need not be serializable.

It sits beside ``agent_context`` (imports only ``errors``, ``refs`` and ``source_refs``):
the frontend describes the options into the IR, the runtime shims build them for a drive.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import AgentcError, Code

ENV = {
    "run_config": "AGENTC_RUN_CONFIG",
    "hooks": "AGENTC_RUN_HOOKS",
    "error_handlers": "AGENTC_ERROR_HANDLERS",
    "session": "AGENTC_SESSION",
}
OPTION = {
    "run_config": "--run-config",
    "hooks": "--run-hooks",
    "error_handlers": "--error-handlers",
    "session": "--session",
}
PYPROJECT_KEY = {
    "run_config": "run_config",
    "hooks": "run_hooks",
    "error_handlers": "error_handlers",
    "session": "session",
}


@dataclass(frozen=True)
class RunRefs:
    run_config: str | None = None
    hooks: str | None = None
    error_handlers: str | None = None
    session: str | None = None

    def __bool__(self) -> bool:
        return bool(self.run_config or self.hooks or self.error_handlers or self.session)


def chosen(
    run_config: Any = None,
    hooks: Any = None,
    project: Path | None = None,
    *,
    error_handlers: Any = None,
    session: Any = None,
) -> RunRefs:
    """The REFs in effect: arguments (REF strings or module-level objects), else the
    environment, else ``[tool.agentc]`` of ``project`` (default ./pyproject.toml)."""
    given = {
        "run_config": run_config,
        "hooks": hooks,
        "error_handlers": error_handlers,
        "session": session,
    }
    table: dict[str, Any] | None = None
    out: dict[str, str | None] = {}
    for what, value in given.items():
        if value is None:
            value = os.environ.get(ENV[what]) or None
        if value is None:
            if table is None:
                table = _project_table(project or Path.cwd() / "pyproject.toml")
            value = table.get(PYPROJECT_KEY[what])
            if value is not None and not isinstance(value, str):
                raise AgentcError(
                    Code.CONFIG,
                    f"[tool.agentc] {PYPROJECT_KEY[what]} must be a REF string",
                    construct=f"[tool.agentc] {PYPROJECT_KEY[what]}",
                    hint='e.g. run_config = "myapp.config:RUN_CONFIG"',
                )
        out[what] = None if value is None else ref_of(value, what)
    return RunRefs(**out)


def _project_table(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError:
        return {}  # `agentc check` reports a broken pyproject; nothing is configured here
    agentc = data.get("tool", {}).get("agentc", {})
    return agentc if isinstance(agentc, dict) else {}


def ref_of(value: Any, what: str) -> str:
    """A REF string for ``value``: itself, or where the module global it is lives."""
    if isinstance(value, str):
        return value
    from .refs import find_ref

    modules = [getattr(value, "__module__", None) or getattr(type(value), "__module__", "") or ""]
    ref = find_ref(value, modules) or find_ref(
        value, sorted(m for m in sys.modules if m != "__main__")
    )
    if ref is None:
        raise AgentcError(
            Code.CONFIG,
            f"the {OPTION[what][2:]} object {type(value).__name__} is not a module-level name",
            construct=OPTION[what],
            hint="put it in a module global (or a zero-argument factory) and pass that, or its REF "
            "module:attr: every process driving the run imports it",
        )
    return ref


def refuse_full_result(name: str) -> AgentcError:
    """``--json`` (the whole ``RunResult``) asked of a LangGraph graph."""
    return AgentcError(
        Code.IGNORED_OPTION,
        f"{name} is a LangGraph graph; --json (full_result) returns an agent run's RunResult",
        construct="--json",
        hint="drop --json: a graph's output is its final state",
    )


def load_run_config(ref: str) -> Any:
    """The ``RunConfig`` a REF names (the object, or what a zero-argument factory returns)."""
    from agents import RunConfig

    from .refs import load_ref
    from .server_conversation import refuse_in_run_config

    refuse_in_run_config(ref, load_ref(ref))  # Runner.run's previous_response_id etc.: AC200
    config = _load(ref, (RunConfig, dict), "run_config", "a RunConfig")
    return config if isinstance(config, RunConfig) else _config_of(ref, config)


def _config_of(ref: str, mapping: dict[str, Any]) -> Any:
    """The ``RunConfig`` a dict stands for, as ``Runner.run(run_config={...})`` builds it
    (the SDK's ``RunConfig(**mapping)`` after refusing keys it does not have)."""
    import dataclasses

    from agents import RunConfig

    names = {f.name for f in dataclasses.fields(RunConfig) if f.init}
    unknown = sorted(str(k) for k in mapping if k not in names)
    if unknown:
        raise AgentcError(
            Code.CONFIG,
            f"--run-config {ref}: {', '.join(unknown)} is not a RunConfig field",
            construct=OPTION["run_config"],
            hint="name a RunConfig, or a dict of RunConfig's fields",
        )
    return RunConfig(**mapping)


def load_run_hooks(ref: str) -> Any:
    from agents.lifecycle import RunHooksBase

    return _load(ref, RunHooksBase, "hooks", "a RunHooks object")


ERROR_KINDS = ("max_turns", "model_refusal", "invalid_final_output")
"""The keys of the SDK's ``RunErrorHandlers`` (tests/test_run_error_handlers.py checks them)."""


def load_error_handlers(ref: str) -> dict[str, Any]:
    """The ``RunErrorHandlers`` (a dict: error kind → handler) a REF names, or a
    zero-argument factory returns; every key one the SDK knows, every value callable."""
    handlers = _load(ref, dict, "error_handlers", "a RunErrorHandlers dict")
    for kind, handler in handlers.items():
        if kind not in ERROR_KINDS or not callable(handler):
            raise AgentcError(
                Code.CONFIG,
                f"--error-handlers {ref}: {kind!r} is not an error kind with a handler "
                f"(the SDK's RunErrorHandlers has {', '.join(ERROR_KINDS)})",
                construct="--error-handlers",
                hint="map those kinds to functions taking a RunErrorHandlerInput",
            )
    return handlers


def _load(ref: str, cls: type | tuple[type, ...], what: str, wanted: str) -> Any:
    from .refs import load_ref

    obj = load_ref(ref)
    if not isinstance(obj, cls) and callable(obj):
        try:
            obj = obj()
        except Exception as exc:  # noqa: BLE001 - the user's factory failed
            raise AgentcError(
                Code.CONFIG,
                f"{OPTION[what]} {ref}: the factory failed: {type(exc).__name__}: {exc}",
                construct=OPTION[what],
                source=_src(load_ref(ref)),
                hint=f"name {wanted}, or a function with no arguments returning one",
            ) from None
    if not isinstance(obj, cls):
        raise AgentcError(
            Code.CONFIG,
            f"{OPTION[what]} {ref} is {type(obj).__name__}, not {wanted}",
            construct=OPTION[what],
            hint=f"name {wanted}, or a function with no arguments returning one",
        )
    return obj


def _src(obj: Any) -> Any:
    from .source_refs import source_ref

    try:
        return source_ref(obj)
    except Exception:  # noqa: BLE001 - best effort
        return None


def is_session(obj: Any) -> bool:
    """A session object (the SDK's ``SessionABC``, or anything with its four methods)."""
    from agents.memory.session import SessionABC

    if isinstance(obj, type):  # a class is a factory
        return False
    return isinstance(obj, SessionABC) or all(
        callable(getattr(obj, m, None))
        for m in ("get_items", "add_items", "pop_item", "clear_session")
    )


def refuse_server_session(session: Any, ref: str) -> None:
    """AC200 for a session whose history lives on a server (runtime_shims/run_sessions.py)."""
    from agents.memory import OpenAIConversationsSession
    from agents.memory.session import is_openai_responses_compaction_aware_session

    if isinstance(
        session, OpenAIConversationsSession
    ) or is_openai_responses_compaction_aware_session(session):
        raise AgentcError(
            Code.UNSUPPORTED,
            f"--session {ref}: {type(session).__name__} keeps the history on the "
            "server, which assigns the items' ids and compacts them: a replayed drive cannot "
            "reproduce it",
            construct="--session",
            hint="use a local session (SQLiteSession, or one of your own), or run with Runner.run",
        )
