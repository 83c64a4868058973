"""Growing list channels in the local target's SQLite journal (targets/local/list_items.py,
issue 11): a superstep writes the items a list gained, not the whole list, so the bytes a
LangGraph loop writes per step stay flat as its ``messages`` grow (before: the whole list
every step, quadratic in the run's length). The stored value stays ``graph.invoke``'s
when a node mutates an earlier message in place or replaces and removes messages by id,
a resumed run (after an exception, a SIGKILL between steps or inside the transaction)
gives the native result, and journals written in the old form (whole values, no
``channel_items`` table) still read and resume."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import agentc
import chain_graphs
import pytest
import scale_agents
from agentc.semantics.codec import dumps, to_jsonable
from agentc.targets.local import journal as journal_mod
from agentc.targets.local import list_items
from agentc.targets.local.journal import Journal
from agentc.targets.local.run_view import RunView

TESTS = Path(__file__).resolve().parent
TURNS, SIZE = 30, 8 * 1024
GRAPHS = ["growing_chat", "mutating_chat", "rewriting_chat"]


def chat_input(turns: int = TURNS, size: int = SIZE) -> dict:
    return {"messages": [{"role": "user", "content": "read the pages", "id": "h0"}], "turns": turns, "size": size}


def native(graph, inp):
    return to_jsonable(graph.invoke(inp))


class _Counting:
    """A journal connection that counts the bytes of the values each write statement binds."""

    def __init__(self, db: sqlite3.Connection, sink: list[int]) -> None:
        self._db, self._sink = db, sink

    def _count(self, sql: str, rows) -> None:
        if sql.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "REPLACE"):
            self._sink[0] += sum(len(x) for row in rows for x in row if isinstance(x, (bytes, str)))

    def execute(self, sql, params=()):
        self._count(sql, [params])
        return self._db.execute(sql, params)

    def executemany(self, sql, seq):
        seq = list(seq)
        self._count(sql, seq)
        return self._db.executemany(sql, seq)

    def __getattr__(self, name):
        return getattr(self._db, name)


@pytest.fixture
def written(monkeypatch):
    """Bytes written to the journal per superstep of the root graph: (counter, per_step, on_event)."""
    counter = [0]
    per_step: list[int] = []
    real = Journal.__init__

    def init(self, *a, **kw):
        real(self, *a, **kw)
        self.db = _Counting(self.db, counter)

    monkeypatch.setattr(journal_mod.Journal, "__init__", init)

    def on_event(kind, info):
        if kind == "barrier" and info["ns"] == "":
            per_step.append(counter[0])
            counter[0] = 0

    return per_step, on_event


def _flat(per_step: list[int], page: int) -> None:
    steps = per_step[1:]  # step 0: the input
    assert max(steps) < 3 * page, per_step
    third = len(steps) // 3
    assert sum(steps[-third:]) < 1.5 * sum(steps[:third]), (sum(steps[:third]), sum(steps[-third:]))


# ====================================================================== linear bytes
def test_journal_bytes_per_step_stay_flat_as_messages_grow(tmp_path, written):
    """30 pages of 8 KB as LangChain messages (add_messages): each step writes about one
    page, the last ten turns no more than the first ten (before: up to the whole 240 KB)."""
    per_step, on_event = written
    inp = chat_input()
    out = agentc.run(chain_graphs.growing_chat, inp, db=str(tmp_path / "run.db"), on_event=on_event)
    assert to_jsonable(out.output) == native(chain_graphs.growing_chat, inp)
    _flat(per_step, SIZE)


def test_journal_bytes_per_step_stay_flat_in_the_benchmark_loop(tmp_path, written):
    """The loop bench_scale.py measures (strings in an operator.add list)."""
    per_step, on_event = written
    inp = {"messages": [], "pages": TURNS, "size": SIZE}
    out = agentc.run(scale_agents.loop_graph, inp, db=str(tmp_path / "run.db"), on_event=on_event)
    assert to_jsonable(out.output) == native(scale_agents.loop_graph, inp)
    _flat(per_step, SIZE)


# ====================================================================== what is stored
@pytest.mark.parametrize("name", GRAPHS)
def test_the_stored_list_is_the_native_state(name, tmp_path):
    """What the journal holds at the end — read back by the executor and by the console —
    is graph.invoke's final state, also when an earlier message was mutated in place
    (mutating_chat) or replaced and removed by id (rewriting_chat)."""
    graph, inp, db = getattr(chain_graphs, name), chat_input(9, 3000), str(tmp_path / "run.db")
    out = agentc.run(graph, inp, db=db)
    want = native(graph, inp)
    assert to_jsonable(out.output) == want
    j = Journal(db)
    try:
        stored = j.load_frame(out.run_id, "")[-1]
    finally:
        j.close()
    assert to_jsonable(stored["messages"]) == want["messages"]
    assert RunView(db).state_at(out.run_id)["values"]["messages"] == want["messages"]


def test_what_counts_as_an_extension(tmp_path):
    """Appended items go to channel_items; an earlier item mutated in place (seen through
    the copy no node can reach), an item removed, or a non-list value are stored whole; a
    journal that knows no copy (a resumed run) reads it from the rows and continues the
    segments. After every save the rows read back as the value."""
    import copy

    j = Journal(tmp_path / "j.db")
    key = ("r", "")

    def save(value, lists=None, remember=True):
        with j.tx():
            (lists or j.lists).save(j.db, *key, [("xs", value)], journal_mod.EMPTY, remember=remember)
        kept = value if value is journal_mod.EMPTY else copy.deepcopy(value)
        assert list_items.read_values(j.db, *key).get("xs", journal_mod.EMPTY) == kept
        return j.db.execute("SELECT t FROM channels WHERE name='xs'").fetchone(), \
            j.db.execute("SELECT COUNT(*) FROM channel_items").fetchone()[0]

    d0, d1, d2, d3 = ({"i": i} for i in range(4))
    assert save([d0]) == ((list_items.LIST + "msgpack",), 0)
    assert save([d0, d1])[1] == 1
    assert save([d0, d1])[1] == 1  # unchanged: nothing written
    d0["i"] = "mutated in place"
    assert save([d0, d1, d2])[1] == 0  # stored whole
    assert save([d0, d1, d2, d3])[1] == 1
    assert save([dict(d) for d in (d0, d1, d2, d3)] + ["x"])[1] == 2  # equal items, new objects
    assert save(copy.deepcopy([d0, d1, d2, d3, "x", "y"]), list_items.ListItems(), remember=False)[1] == 3
    assert save([d1, d2])[1] == 0  # removed: whole
    assert save([d1, d2, "z"], list_items.ListItems())[1] == 1  # a cold journal reads the rows first
    assert save({"not": "a list"}) == (("msgpack",), 0)
    assert save({"still": "no list"}) == (("msgpack",), 0)
    assert save(["a"])[1] == 0 and save(["a", "b"])[1] == 1
    assert save({"no list": "again"}) == (("msgpack",), 0)  # the list's items go too
    assert save(journal_mod.EMPTY) == (None, 0)
    j.close()


# ====================================================================== resumes
class _Stop(Exception):
    pass


@pytest.mark.parametrize("name", GRAPHS)
@pytest.mark.parametrize("at", [3, 6, 7])
def test_a_run_stopped_between_steps_resumes_to_the_native_result(name, at, tmp_path):
    """The resumed run starts from the journal alone (a new Journal that knows no copy)."""
    graph, inp, db = getattr(chain_graphs, name), chat_input(6, 2000), str(tmp_path / "run.db")
    seen = [0]

    def stop(kind, info):
        if kind == "barrier":
            seen[0] += 1
            if seen[0] == at:
                raise _Stop

    with pytest.raises(_Stop):
        agentc.run(graph, inp, db=db, run_id="r", on_event=stop)
    out = agentc.resume("r", db=db, obj=graph)
    assert to_jsonable(out.output) == native(graph, inp)


def _to_old_form(db: str) -> None:
    """Rewrite a journal as agentc wrote it before list_items.py: whole values, no table."""
    con = sqlite3.connect(db)
    try:
        for run_id, ns in con.execute("SELECT run_id, ns FROM frames").fetchall():
            for name, value in list_items.read_values(con, run_id, ns).items():
                con.execute("UPDATE channels SET t=?, v=? WHERE run_id=? AND ns=? AND name=?",
                            (*dumps(value), run_id, ns, name))
        con.execute("DROP TABLE channel_items")
        con.commit()
    finally:
        con.close()


@pytest.mark.parametrize("name", ["growing_chat", "rewriting_chat"])
def test_a_journal_written_before_reads_and_resumes(name, tmp_path):
    graph, inp, db = getattr(chain_graphs, name), chat_input(6, 2000), str(tmp_path / "run.db")
    seen = [0]

    def stop(kind, info):
        seen[0] += 1 if kind == "barrier" else 0
        if seen[0] == 5:
            raise _Stop

    with pytest.raises(_Stop):
        agentc.run(graph, inp, db=db, run_id="r", on_event=stop)
    _to_old_form(db)
    assert RunView(db).state_at("r")["values"]["messages"]  # read-only, no channel_items table
    out = agentc.resume("r", db=db, obj=graph)
    assert to_jsonable(out.output) == native(graph, inp)


KILLER = """
import os, signal, sys
import agentc, chain_graphs
from agentc.targets.local import list_items

name, db, kind, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
seen = [0]

def tick(what):
    if what == kind:
        seen[0] += 1
        if seen[0] == k:
            os.kill(os.getpid(), signal.SIGKILL)

real = list_items.ListItems.save
def save(self, *a, **kw):  # rows written, the transaction not committed yet
    real(self, *a, **kw)
    tick("save")
list_items.ListItems.save = save
inp = {"messages": [{"role": "user", "content": "read the pages", "id": "h0"}], "turns": 6, "size": 2000}
agentc.run(getattr(chain_graphs, name), inp, db=db, run_id="r", on_event=lambda e, i: tick(e))
"""


@pytest.mark.parametrize("name, kill_at", [("growing_chat", "save:6"), ("rewriting_chat", "barrier:6"),
                                           ("rewriting_chat", "save:9")])
def test_a_killed_run_resumes_to_the_native_result(name, kill_at, tmp_path):
    """SIGKILL after a step's commit, or inside its transaction after the list's rows were
    written: the resumed run (in this process) gives graph.invoke's result."""
    db = str(tmp_path / "run.db")
    kind, k = kill_at.split(":")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", KILLER, name, db, kind, k], env=env, cwd=str(TESTS),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    graph = getattr(chain_graphs, name)
    out = agentc.resume("r", db=db, obj=graph)
    assert to_jsonable(out.output) == native(graph, chat_input(6, 2000))
