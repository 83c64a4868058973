"""``Runner.run(session=...)`` — conversation memory — on a journaled drive (``--session
REF``; docs/openai-agents.md, "Sessions").

The SDK reads the session's history before the run and writes the run's items into it as
the run goes: the input before the first turn, each turn's items after it, the final turn's
items, the turn that paused for approvals, and the completed calls of a turn whose tool
failed (a rewind pops some back). A durable run is driven many times (every engine step,
every crash recovery, every approval pause replays it), so the drive never gives the SDK
the user's session. It gives it a ``DriveSession``: an in-memory session that starts from a
**journaled snapshot** of the user's session (read once per run, by the first drive that
needs it; every later drive sees what that one saw) and takes the SDK's reads and writes,
so the SDK's own rules (history limit, ``session_input_callback``, what is saved when)
apply unchanged. Each write the SDK makes (``add_items``, ``pop_item``,
``clear_session``) is passed on to the user's session **when the SDK makes it**, as a
keyed journal entry (``session:op:<id>#n``): the first drive that reaches it writes, and
every later drive — a replay, a warm or cold engine step, a stream follower — finds it
journaled and only applies it in memory. A drive that wrote but died before journaling
(a crash, a failed engine step retried) finds the session already holding what the write
made and does not write again (one writer per session at a time is assumed). So a run that
fails mid-way leaves in the session what ``Runner.run`` leaves.

Sessions whose history lives on a server that assigns the items' ids
(``OpenAIConversationsSession``, compaction-aware sessions) cannot be modelled in memory
and are refused (AC200).
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, Awaitable, Callable

from agentc.errors import AgentcError, Code
from agentc.run_refs import is_session, refuse_server_session
from agentc.runtime_shims import openai_agents_replay as replay
from agentc.runtime_shims import session_failures

SESSION_KINDS = ("session_read", "session_write")
"""The journal entry kinds of a session's snapshot and of its one write."""


def load_session(ref: str, context: Any) -> Any:
    """The user's session for one run: the object a REF names, or what its factory returns
    (called with the run context when it takes an argument: a conversation id usually lives
    there, and the context travels with the run to every engine)."""
    from agentc.refs import load_ref

    obj = load_ref(ref)
    if callable(obj) and not is_session(obj):
        params = [
            p
            for p in inspect.signature(obj).parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        obj = obj(context) if params else obj()
    if not is_session(obj):
        raise AgentcError(
            Code.CONFIG,
            f"--session {ref} is {type(obj).__name__}, not a Session",
            construct="--session",
            hint="name a Session (e.g. SQLiteSession), or a function of the "
            "run context returning one",
        )
    refuse_server_session(obj, ref)
    return obj


class DriveSession:
    """The session the SDK uses during one drive (see the module docstring)."""

    def __init__(self, real: Any, steps: replay.Steps) -> None:
        self.real, self.steps = real, steps
        self.session_id = getattr(real, "session_id", "")
        self.session_settings = getattr(real, "session_settings", None)
        self.items: list[Any] | None = None

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
            self.items = copy.deepcopy(list(snapshot))
        return self.items

    async def get_items(self, limit: int | None = None) -> list[Any]:
        from agents.memory.session_settings import resolve_session_limit

        items = await self._load()
        limit = resolve_session_limit(limit, self.session_settings)
        chosen = items if limit is None else (items[-limit:] if limit > 0 else [])
        return copy.deepcopy(chosen)

    async def add_items(self, items: list[Any]) -> None:
        added = [_plain(i) for i in items]
        await self._write(
            "add",
            lambda now: now.extend(copy.deepcopy(added)),
            lambda: self.real.add_items(copy.deepcopy(added)),
            len(added),
            added,
        )

    async def pop_item(self) -> Any:
        items = await self._load()
        last = copy.deepcopy(items[-1]) if items else None
        if items:
            await self._write("pop", lambda now: now.pop(), self.real.pop_item, 1)
        return last

    async def clear_session(self) -> None:
        await self._write("clear", lambda now: now.clear(), self.real.clear_session, 0)

    async def _write(
        self,
        op: str,
        apply: Callable[[list[Any]], Any],
        write: Callable[[], Awaitable[Any]],
        n: int,
        added: list[Any] | None = None,
    ) -> None:
        """One write of the SDK's, in memory and — once per run — on the user's session."""
        items = await self._load()
        before = copy.deepcopy(items)
        apply(items)
        steps = self.steps
        key, _ = steps.occurrence(f"session:op:{self.session_id}")
        await steps.reached(key)
        if steps.closing or _legacy(steps, self.session_id):
            return
        if key in steps.done:
            rest = session_failures.rest_of(steps.done[key], added)
            if rest is not None:  # the journaled write saved part of this one (a failed turn)
                await self._write_rest(before, items, rest)
            return
        steps.live()
        now = [_plain(i) for i in await self.real.get_items()]
        if not _made(op, before, items, now):
            partial = session_failures.saved_part(before, now, added)
            if partial is None:
                await write()
            elif partial:  # a drive that died after saving a failed turn's completed calls
                await self.real.add_items(
                    copy.deepcopy(session_failures.missing(added or [], partial))
                )
        steps.record(key, "session_write", session_failures.write_record(op, n, added))

    async def _write_rest(self, before: list[Any], items: list[Any], rest: Any) -> None:
        """The part of an ``add`` that an earlier drive's journaled write did not save: a
        failed turn saved its completed calls (``Runner.run`` does), the run was resumed
        and this drive saves the whole turn (``session_failures.py``). Written once, under
        its own key; the drive's memory then holds what the user's session holds."""
        saved, missing = rest
        items[:] = before + saved + missing
        steps = self.steps
        key, _ = steps.occurrence(f"session:rest:{self.session_id}")
        await steps.reached(key)
        if key in steps.done or steps.closing:
            return
        steps.live()
        now = [_plain(i) for i in await self.real.get_items()]
        if now != items:
            await self.real.add_items(copy.deepcopy(missing))
        steps.record(
            key, "session_write", session_failures.write_record("add", len(missing), missing)
        )


def _made(op: str, before: list[Any], after: list[Any], now: list[Any]) -> bool:
    """Whether the user's session already shows a write (``before`` → ``after``): made by a
    drive that died before journaling it — a crash, an engine step that failed after its
    writes and is retried. Such a drive may have made later writes too: appended items
    then follow ``after``."""
    return now == after or (op == "add" and len(now) > len(before) and now[: len(after)] == after)


def _legacy(steps: replay.Steps, session_id: str) -> bool:
    """A run journaled before writes were passed on as the SDK makes them wrote its items
    once, at its end (``session:write:<id>#0``): its drives write nothing more."""
    return f"session:write:{session_id}#0" in steps.done


def _plain(item: Any) -> Any:
    """An input item as the JSON the session stores (dicts; SDK models dumped)."""
    dump = getattr(item, "model_dump", None)
    return dump(mode="json", exclude_unset=True) if callable(dump) else copy.deepcopy(item)
