"""JavaScript for Conductor scripts, run in V8 (mini-racer) — the one engine agentc uses.

Conductor evaluates SWITCH ``javascript`` expressions, INLINE scripts and DO_WHILE
``loopCondition`` with GraalJS, ``$`` bound to the task input (docs/conductor.md "SWITCH", "INLINE
and LAMBDA",
"DO_WHILE"). The validator only needs a syntax check (docs/conductor.md "Registration rules",
B15/B16); the simulator needs
evaluation. Both go through this module so there is a single engine and one place that
decides how ``$`` is bound: as a plain JSON value, which matches GraalJS for the property
access and arithmetic agentc's own templates use (docs/conductor.md "JavaScript").
"""

from __future__ import annotations

import json
import threading
from typing import Any

_local = threading.local()
_contexts: list[Any] = []
_contexts_lock = threading.Lock()


def _close_all() -> None:
    """Close every V8 context at exit, while mini-racer's runtime is still whole: left to
    the garbage collector at interpreter shutdown, ``MiniRacer.__del__`` could hang the
    process after its output was written (seen in about 1 of 6 ``agentc simulate`` runs)."""
    with _contexts_lock:
        while _contexts:
            try:
                _contexts.pop().close()
            except Exception:  # noqa: BLE001 - best effort at exit
                pass


class ScriptError(Exception):
    """The script did not parse or threw; ``str()`` is the engine's message."""


def _ctx() -> Any:
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        from py_mini_racer import MiniRacer

        ctx = _local.ctx = MiniRacer()
        with _contexts_lock:
            if not _contexts:
                import atexit

                atexit.register(_close_all)
            _contexts.append(ctx)
    return ctx


def syntax_error(script: str) -> str | None:
    """The parse error of ``script`` as a GraalJS ``Context.parse`` would report it, or
    None. Parsed as a function body, so nothing in it runs."""
    try:
        _ctx().eval(f"new Function({json.dumps(script)}); 0")
    except Exception as exc:  # the engine's JSEvalException / JSParseException
        return _message(exc)
    return None


def evaluate(script: str, dollar: Any, timeout_s: float = 4.0) -> Any:
    """Value of the script's last statement with ``$`` = ``dollar`` (JSON-able).

    Conversion of the result follows docs/conductor.md "SWITCH": undefined → None, numbers that are
    integral
    → int, arrays → list, objects → dict."""
    ctx = _ctx()
    payload = json.dumps(dollar)
    # indirect eval: the script runs as a Script (completion value = last statement),
    # in global scope, with `$` visible; the result goes back as JSON text.
    program = (
        "(function(){var $ = "
        + payload
        + "; var __r = (0, eval)("
        + json.dumps("var $ = " + payload + ";\n" + script)
        + ");"
        " return JSON.stringify(__r === undefined ? null : __r);})()"
    )
    try:
        out = ctx.eval(program, timeout_sec=timeout_s)
    except Exception as exc:
        raise ScriptError(_message(exc)) from None
    value = json.loads(out) if isinstance(out, str) else None
    return _integral(value)


def _integral(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**63:
        return int(v)
    if isinstance(v, list):
        return [_integral(x) for x in v]
    if isinstance(v, dict):
        return {k: _integral(x) for k, x in v.items()}
    return v


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
