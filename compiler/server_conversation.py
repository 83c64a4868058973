"""``Runner.run``'s server-side conversation options — ``previous_response_id``,
``auto_previous_response_id``, ``conversation_id`` — refused loudly wherever a user could
pass them: ``agentc.run(...)`` keywords, the ``agentc run`` flags of the same names, and a
``--run-config`` REF naming a mapping that holds them (docs/openai-agents.md,
"`Runner.run` parameters").

Why refused: with them the conversation's history lives on OpenAI's server, which assigns
each response a new id; a durable run is driven many times (crash recovery, every engine
step replays it), and a replayed drive cannot reproduce the ids the server gave the first
one, nor make the server forget the turns a failed drive added. A ``--session`` keeps the
conversation where a replay can read it back (``runtime_shims/run_sessions.py``)."""

from __future__ import annotations

from typing import Any, Mapping

from .errors import AgentcError, Code

OPTIONS = ("previous_response_id", "auto_previous_response_id", "conversation_id")
"""``Runner.run``'s keyword arguments that hand the conversation to OpenAI's server."""


def refusal(option: str, where: str) -> AgentcError:
    """AC200 naming ``option`` as the user passed it (``where``: the flag or keyword)."""
    return AgentcError(
        Code.UNSUPPORTED,
        f"{option} is not supported: the conversation would live on OpenAI's "
        "server, which assigns response ids a replayed drive of a durable run cannot reproduce",
        construct=where,
        hint="keep the conversation in a Session instead (--session REF, e.g. an "
        "SQLiteSession of the conversation's id), or run with Runner.run",
    )


def refuse_given(given: Mapping[str, Any], flag: bool = False) -> None:
    """Raise for the first of ``OPTIONS`` set in ``given`` (None / False: not set);
    ``flag``: name it as the CLI's ``--option-name``."""
    for option in OPTIONS:
        value = given.get(option)
        if value is not None and value is not False:
            raise refusal(option, "--" + option.replace("_", "-") if flag else option)


def refuse_in_run_config(ref: str, obj: Any) -> None:
    """A ``--run-config`` REF naming a mapping (``Runner.run``'s keyword arguments, say)
    that sets one of ``OPTIONS``: refused naming it, not reported as "not a RunConfig"."""
    if isinstance(obj, Mapping):
        for option in OPTIONS:
            if obj.get(option) not in (None, False):
                raise refusal(option, f"--run-config {ref}: {option}")
