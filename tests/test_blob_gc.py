"""``agentc gc`` (runtime_shims/blob_gc.py, run_index.py): the blobs of runs finished more
than N days ago go; a run still in flight keeps every blob it names — also one it shares
with a collected run (content addressing) — and blobs modified recently stay. On a local
folder and on a real S3-compatible server (moto's server mode on 127.0.0.1)."""
from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import chain_graphs
from agentc.runtime_shims import blob_gc, run_index
from agentc.semantics import blobs, channel_chains, claim_check
from agentc.semantics.codec import to_jsonable
from test_graph_chains import chat_input
from test_scale import simulate, temporal_run
from test_temporal_cli import agentc_cli, no_traceback

DAY = blob_gc.DAY


def fresh_process() -> None:
    """Forget what this process cached (a worker that starts cold)."""
    blobs._STORES.clear()
    channel_chains.clear_caches()
    claim_check._MANIFESTS.clear()


def finished_run_and_a_live_one(tmp_path):
    """A simulated run that finished, and a run in flight (an index record with no final
    status, as a paused run's last step writes) naming one of its blobs and one of its own."""
    inp = chat_input(5, 6000)
    sim, out = simulate("chain_graphs:growing_chat", tmp_path / "art", inp)
    assert out.output == to_jsonable(chain_graphs.growing_chat.invoke(inp))
    done = run_index.runs(blobs.store())[sim.workflow_id]
    assert done.status == "done" and done.refs
    shared = sorted(done.refs)[0]
    own = blobs.store().put(b"the live run's own state " * 300)[len(blobs.PREFIX):]
    run_index.record(blobs.store(), "live-run", {shared, own}, None)
    return sim.workflow_id, done.refs, shared, own


def exists(digest: str) -> bool:
    return blobs.store().mtime(digest) is not None


def check_collects_a_finished_run_but_not_what_a_live_run_names(tmp_path):
    run_id, refs, shared, own = finished_run_and_a_live_one(tmp_path)
    orphan = blobs.store().put(b"written by a step that crashed before its record " * 200)[len(blobs.PREFIX):]
    store = blobs.store()
    assert not blob_gc.plan(store, 1).delete  # nothing is a day old yet
    later = time.time() + 3 * DAY
    p = blob_gc.plan(store, 2, now=later)
    assert [r.id for r in p.collectable] == [run_id]
    assert [r.id for r in p.kept] == ["live-run"]
    doomed = {d for d, _, _ in p.delete}
    assert doomed == (refs - {shared}) | {orphan}
    assert p.orphans == {orphan}
    assert blob_gc.apply(store, p, now=later) == (len(doomed), 1)
    assert not any(exists(d) for d in doomed)
    assert exists(shared) and exists(own)
    assert set(run_index.runs(store)) == {"live-run"}
    fresh_process()  # the same run again writes what it needs anew and ends as natively
    inp = chat_input(5, 6000)
    _, out = simulate("chain_graphs:growing_chat", tmp_path / "again", inp)
    assert out.output == to_jsonable(chain_graphs.growing_chat.invoke(inp))


def test_gc_on_a_local_folder(tmp_path, local_store):
    check_collects_a_finished_run_but_not_what_a_live_run_names(tmp_path)


def test_gc_on_a_real_s3_server(tmp_path, s3_store):
    check_collects_a_finished_run_but_not_what_a_live_run_names(tmp_path)
    assert blobs.store().fs.find(s3_store.removeprefix("s3://"))  # the live run's blobs and index remain


def test_reusing_an_old_blob_refreshes_it(local_store):
    """Content addressing: a step that writes a blob another run wrote long ago refreshes
    its time, so gc does not take it between the write and the step's index record."""
    data = b"a page both runs read " * 500
    digest = blobs.store().put(data)[len(blobs.PREFIX):]
    path = blobs.store().path(digest)
    os.utime(path, (time.time() - 10 * DAY,) * 2)
    assert blob_gc.plan(blobs.store(), 5).delete  # old and named by no run
    fresh_process()
    blobs.store().put(data)
    assert time.time() - blobs.store().mtime(digest) < 60
    assert not blob_gc.plan(blobs.store(), 5).delete


def test_a_temporal_run_is_indexed_and_collectable_once_finished(temporal_address, tmp_path, local_store):
    inp = chat_input(4, 6000)
    out, _, _ = asyncio.run(temporal_run("chain_graphs:growing_chat", temporal_address, inp, tmp_path / "code"))
    assert out.output == to_jsonable(chain_graphs.growing_chat.invoke(inp))
    (run,) = run_index.runs(blobs.store()).values()
    assert run.status == "done" and run.refs
    p = blob_gc.plan(blobs.store(), 1, now=time.time() + 2 * DAY)
    assert [r.id for r in p.collectable] == [run.id]
    assert {d for d, _, _ in p.delete} == run.refs


def age(store: str, days: float) -> None:
    """Make every blob and run record of the store look ``days`` old."""
    then = time.time() - days * DAY
    for p in Path(store).rglob("*"):
        if p.is_file() and f"/{run_index.RUNS}/" in str(p):
            body = json.loads(p.read_text())
            p.write_text(json.dumps({**body, "at": then}))
        if p.is_file():
            os.utime(p, (then, then))


def test_cli_dry_run_lists_and_gc_removes(tmp_path, local_store):
    run_id, refs, shared, own = finished_run_and_a_live_one(tmp_path)
    age(local_store, 5)
    run_index.record(blobs.store(), "live-run", {shared, own}, None)  # its latest step: today
    env = {"AGENTC_STORE": local_store}
    before = sorted(str(p) for p in Path(local_store).rglob("*") if p.is_file())
    r = agentc_cli("gc", "--older-than", "3", "--dry-run", cwd=tmp_path, env=env)
    no_traceback(r)
    assert r.returncode == 0, r.stderr
    assert f"run {run_id}: done" in r.stdout and "run live-run: in flight" in r.stdout
    assert f"would remove {len(refs) - 1} blob(s)" in r.stderr
    assert sorted(str(p) for p in Path(local_store).rglob("*") if p.is_file()) == before
    r = agentc_cli("gc", "--older-than", "3", "--json", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    assert done["deleted"] == len(refs) - 1 and done["runs_removed"] == 1
    assert {b["digest"] for b in done["blobs"]} == refs - {shared}
    assert exists(shared) and exists(own) and not any(exists(d) for d in refs - {shared})
    r = agentc_cli("gc", "--older-than", "0.5", cwd=tmp_path, env=env)
    no_traceback(r)
    assert r.returncode == 2 and "--older-than" in r.stderr
