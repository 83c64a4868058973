"""One driver per local run (targets/local/lease.py): a second process is refused while the
first drives the run (AC124, naming pid, host and since), a dead driver's lease expires
(its pid is gone, or it stopped renewing), a driver that lost its lease writes nothing
more, and `agentc runs` tells a live run from a crashed or interrupted one.

The two-process tests use real `agentc` processes on a user graph whose node logs its side
effect and can hold (until the test says go) or SIGKILL its own process; waiting is
bounded polling, never a fixed sleep."""
import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import agentc
import harness
import pytest
from agentc.targets.local import lease

BOUND = 60.0

GRAPH = textwrap.dedent('''
    import os
    import pathlib
    import time
    from typing import TypedDict

    from langgraph.graph import START, StateGraph


    class S(TypedDict):
        dir: str
        n: int


    def slow(state: S) -> dict:
        d = pathlib.Path(state["dir"])
        log = d / "effects.log"
        before = log.read_text() if log.exists() else ""
        with open(log, "a") as fh:
            fh.write(f"slow {os.getpid()}\\n")
        if (d / "crash").exists() and not (d / "crashed").exists():
            (d / "crashed").write_text("")
            os.kill(os.getpid(), 9)
        deadline = time.monotonic() + 60
        # hold until the test says go; a second, concurrent execution does not wait
        while (d / "hold").exists() and not before and not (d / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return {"n": state["n"] + 1}


    def after(state: S) -> dict:
        return {"n": state["n"] * 10}


    b = StateGraph(S)
    b.add_node("slow", slow)
    b.add_node("after", after)
    b.add_edge(START, "slow")
    b.add_edge("slow", "after")
    graph = b.compile()
''')


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=120, **kw)


def status_of(db, run_id):
    proc = cli("runs", "--db", str(db), "--json")
    assert proc.returncode == 0, proc.stderr
    return {r["run_id"]: r for r in json.loads(proc.stdout)}[run_id]


def wait_for(predicate, proc=None, what=""):
    """Poll ``predicate`` until true, at most BOUND seconds; ``proc`` must stay alive."""
    deadline = time.monotonic() + BOUND
    while not predicate():
        if proc is not None:
            try:
                proc.wait(timeout=0.02)  # the poll interval, and an early death shows here
            except subprocess.TimeoutExpired:
                pass
            else:
                raise AssertionError(f"process exited ({proc.returncode}) before {what}: {proc.stderr.read()}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"


@pytest.fixture
def user(tmp_path):
    (tmp_path / "g.py").write_text(GRAPH)
    return {"ref": f"{tmp_path / 'g.py'}:graph", "db": tmp_path / "runs.db", "dir": tmp_path,
            "input": json.dumps({"dir": str(tmp_path), "n": 1})}


def effects(user):
    log = user["dir"] / "effects.log"
    return log.read_text().splitlines() if log.exists() else []


def test_a_second_process_is_refused_while_the_first_drives_the_run(user):
    (user["dir"] / "hold").write_text("")
    first = subprocess.Popen([sys.executable, "-m", "agentc.cli", "run", user["ref"], "--input", user["input"],
                              "--db", str(user["db"]), "--run-id", "r1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: effects(user), first, "the first process to enter its node")
        second = cli("resume", "r1", "--db", str(user["db"]))
        assert second.returncode == 2, second.stdout + second.stderr
        assert "error[AC124]" in second.stderr and "Traceback" not in second.stderr
        assert f"pid {first.pid} on host {lease.HOST} since " in second.stderr, second.stderr
        assert "hint:" in second.stderr
        row = status_of(user["db"], "r1")
        assert row["status"] == "running" and row["holder"]["pid"] == first.pid
        (user["dir"] / "go").write_text("")
        out, err = first.communicate(timeout=BOUND)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    assert json.loads(out)["n"] == 20
    assert effects(user) == [f"slow {first.pid}"]  # the node ran once, in the first process
    assert status_of(user["db"], "r1")["status"] == "done"


def test_a_crashed_driver_is_shown_and_its_run_resumes(user):
    (user["dir"] / "crash").write_text("")
    first = cli("run", user["ref"], "--input", user["input"], "--db", str(user["db"]), "--run-id", "r1")
    assert first.returncode == -signal.SIGKILL, first.stderr
    row = status_of(user["db"], "r1")
    assert row["status"] == "crashed" and row["holder"] is None
    resumed = cli("resume", "r1", "--db", str(user["db"]))
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["n"] == 20
    assert status_of(user["db"], "r1")["status"] == "done"
    text = cli("runs", "--db", str(user["db"])).stdout
    assert text.split()[:2] == ["r1", "done"], text


def test_an_interrupted_driver_lets_go(tmp_path):
    (tmp_path / "g.py").write_text(textwrap.dedent('''
        from typing import TypedDict
        from langgraph.graph import START, StateGraph

        class S(TypedDict):
            n: int

        def stop(state):
            raise KeyboardInterrupt

        b = StateGraph(S)
        b.add_node("stop", stop)
        b.add_edge(START, "stop")
        graph = b.compile()
    '''))
    db = tmp_path / "runs.db"
    with pytest.raises(KeyboardInterrupt):
        agentc.run(f"{tmp_path / 'g.py'}:graph", {"n": 1}, db=str(db), run_id="r1")
    assert [(r["run_id"], r["status"], r["holder"]) for r in agentc.runs(str(db))] == [("r1", "interrupted", None)]


def _plant(db, run_id, *, host, renewed, pid=1):
    con = sqlite3.connect(db)
    con.execute("INSERT OR REPLACE INTO leases(run_id, token, pid, host, proc_start, since, renewed)"
                " VALUES(?,?,?,?,?,?,?)", (run_id, "theirs", pid, host, None, renewed, renewed))
    con.commit()
    con.close()


def test_a_holder_on_another_host_is_respected_until_its_lease_expires(tmp_path):
    db = str(tmp_path / "runs.db")
    name = "hitl_review"
    outcome = agentc.run(harness.ref(name), harness.CASES[name]["input"], db=db)
    assert outcome.status == "waiting"
    run_id = outcome.run_id
    _plant(db, run_id, host="elsewhere", renewed=time.time())
    answers = harness.CASES[name]["resumes"]
    with pytest.raises(agentc.AgentcError) as exc:
        agentc.resume(run_id, harness.agentc_answer(name, outcome, answers[0]), db=db)
    assert exc.value.code.value == "AC124" and "on host elsewhere" in str(exc.value)
    assert agentc.runs(db)[0]["status"] == "running"
    _plant(db, run_id, host="elsewhere", renewed=time.time() - lease.TTL - 1)  # it stopped renewing
    assert agentc.runs(db)[0]["status"] == "waiting"
    for answer in answers:
        outcome = agentc.resume(run_id, harness.agentc_answer(name, outcome, answer), db=db)
    assert outcome.status == "done"
    assert harness.normalise(outcome.output) == harness.normalise(harness.native(name))


def test_a_driver_that_lost_its_lease_writes_nothing_more(tmp_path):
    db = str(tmp_path / "runs.db")
    seen = []

    def steal(kind, info):
        if kind == "task" and not seen:
            seen.append(info)
            _plant(db, "r1", host="elsewhere", renewed=time.time())  # taken over by another host

    with pytest.raises(lease.LeaseLost) as exc:
        agentc.run(harness.ref("chain"), harness.CASES["chain"]["input"], db=db, run_id="r1", on_event=steal)
    assert "on host elsewhere" in str(exc.value)
    con = sqlite3.connect(db)
    writes = con.execute("SELECT COUNT(*) FROM writes WHERE run_id='r1'").fetchone()[0]
    status = con.execute("SELECT status FROM runs WHERE run_id='r1'").fetchone()[0]
    con.close()
    assert (writes, status) == (1, "running")  # START's commit only; not marked failed by the loser
