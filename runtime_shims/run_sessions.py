"""``Runner.run(session=...)`` — conversation memory — on a journaled drive (``--session
REF``; docs/openai-agents.md, "Sessions").

The SDK reads the session's history before the run and writes the run's items into it as
the run goes (its input, each turn's items, the final output; a rewind pops some back).
A durable run is driven many times (every engine step, every crash recovery, every
approval pause replays it), so the drive never gives the SDK the user's session. It gives
it a ``DriveSession``: an in-memory session that starts from a **journaled snapshot** of the
user's session (read once per run, by the first drive that needs it; every later drive sees
what that one saw) and takes the SDK's reads and writes, so the SDK's own rules (history
limit, ``session_input_callback``, what is saved when) apply unchanged. When the run is
done, what the SDK wrote (the items after the snapshot, net of pops) is written to the
user's session **once**, as a keyed step: a drive that finds the write journaled skips it;
one that crashed between writing and journaling finds the items already at the session's
tail and does not write them again (one writer per session at a time is assumed).

A run that fails or pauses for approvals writes nothing to the session until it is done
(``Runner.run`` saves the turns before a failure or a pause). Sessions whose history lives
on a server that assigns the items' ids (``OpenAIConversationsSession``, compaction-aware
sessions) cannot be modelled in memory and are refused (AC200).
"""
from __future__ import annotations

import copy
import inspect
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.run_refs import is_session, refuse_server_session
from agentc.runtime_shims import openai_agents_replay as replay

SESSION_KINDS = ("session_read", "session_write")
"""The journal entry kinds of a session's snapshot and of its one write."""


def load_session(ref: str, context: Any) -> Any:
    """The user's session for one run: the object a REF names, or what its factory returns
    (called with the run context when it takes an argument: a conversation id usually lives
    there, and the context travels with the run to every engine)."""
    from agentc.refs import load_ref

    obj = load_ref(ref)
    if callable(obj) and not is_session(obj):
        params = [p for p in inspect.signature(obj).parameters.values()
                  if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        obj = obj(context) if params else obj()
    if not is_session(obj):
        raise AgentcError(Code.CONFIG, f"--session {ref} is {type(obj).__name__}, not a Session",
                          construct="--session", hint="name a Session (e.g. SQLiteSession), or a function of the "
                                                      "run context returning one")
    refuse_server_session(obj, ref)
    return obj


class DriveSession:
    """The session the SDK uses during one drive (see the module docstring)."""

    def __init__(self, real: Any, steps: replay.Steps) -> None:
        self.real, self.steps = real, steps
        self.session_id = getattr(real, "session_id", "")
        self.session_settings = getattr(real, "session_settings", None)
        self.items: list[Any] | None = None
        self.snapshot: list[Any] = []

    async def _load(self) -> list[Any]:
        if self.items is None:
            key, _ = self.steps.occurrence(f"session:read:{self.session_id}")
            await self.steps.reached(key)
            if key in self.steps.done:
                snapshot = self.steps.done[key]
            else:
                self.steps.live()
                snapshot = [_plain(i) for i in await self.real.get_items()]
                self.steps.record(key, "session_read", snapshot)
            self.snapshot, self.items = list(snapshot), copy.deepcopy(list(snapshot))
        return self.items

    async def get_items(self, limit: int | None = None) -> list[Any]:
        from agents.memory.session_settings import resolve_session_limit

        items = await self._load()
        limit = resolve_session_limit(limit, self.session_settings)
        chosen = items if limit is None else (items[-limit:] if limit > 0 else [])
        return copy.deepcopy(chosen)

    async def add_items(self, items: list[Any]) -> None:
        (await self._load()).extend(_plain(i) for i in items)

    async def pop_item(self) -> Any:
        items = await self._load()
        return items.pop() if items else None

    async def clear_session(self) -> None:
        (await self._load()).clear()

    async def commit(self) -> None:
        """Write what the run added to the user's session, once per run."""
        if self.items is None:  # the SDK never used it (a resumed state without reads)
            await self._load()
        steps = self.steps
        key, _ = steps.occurrence(f"session:write:{self.session_id}")
        await steps.reached(key)
        if key in steps.done or steps.closing:
            return
        items, snapshot = self.items or [], self.snapshot
        kept = 0
        while kept < min(len(items), len(snapshot)) and items[kept] == snapshot[kept]:
            kept += 1
        popped, added = len(snapshot) - kept, items[kept:]
        steps.live()
        now = [_plain(i) for i in await self.real.get_items()]
        if not (added and not popped and now[-len(added):] == added):  # not written before a crash
            for _ in range(popped):
                await self.real.pop_item()
            if added:
                await self.real.add_items(copy.deepcopy(added))
        steps.record(key, "session_write", {"added": len(added), "popped": popped})


def _plain(item: Any) -> Any:
    """An input item as the JSON the session stores (dicts; SDK models dumped)."""
    dump = getattr(item, "model_dump", None)
    return dump(mode="json", exclude_unset=True) if callable(dump) else copy.deepcopy(item)


async def commit(kwargs: dict[str, Any]) -> None:
    """After a finished run (``agent_approvals.run_with_decisions``): the drive's session write."""
    session = kwargs.get("session")
    if isinstance(session, DriveSession):
        await session.commit()
