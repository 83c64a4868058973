"""`agentc complete` from the command line on the three targets, as a user runs it, and its
diagnostics (docs/policies.md "External completion"): a step that is not waiting, a wrong
run id, a value that is not JSON → exit 2 with the code, no traceback."""
from __future__ import annotations

import json
from pathlib import Path

from test_policies_external import DONE, INPUT, REF, cli, native, policy


def env_for(tmp_path: Path) -> dict[str, str]:
    return {"AGENTC_POLICY": str(policy(tmp_path)), "AGENTC_DB": str(tmp_path / "runs.db")}


def refused(r, code: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert code in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_local_diagnostics(tmp_path):
    env = env_for(tmp_path)
    r = cli("run", REF, "--input", json.dumps(INPUT), cwd=tmp_path, env=env)
    run_id = json.loads(r.stdout)["run_id"]
    refused(cli("complete", "no-such-run", "migrate", "--value", "{}", cwd=tmp_path, env=env), "AC120")
    refused(cli("complete", run_id, "migrate", "--value", "{not json", cwd=tmp_path, env=env), "AC110")
    refused(cli("complete", run_id, "report", "--value", "{}", cwd=tmp_path, env=env), "AC112")
    r = cli("complete", run_id, "migrate", "--value", json.dumps(DONE), cwd=tmp_path, env=env)
    assert r.returncode == 0 and json.loads(r.stdout) == native(), r.stderr
    refused(cli("complete", run_id, "migrate", "--value", json.dumps(DONE), cwd=tmp_path, env=env), "AC112")


def test_conductor_cli(tmp_path):
    env = env_for(tmp_path)
    assert cli("compile", REF, "-t", "conductor", "--out", "c", cwd=tmp_path, env=env).returncode == 0
    r = cli("simulate", "c", "--input", json.dumps(INPUT), cwd=tmp_path, env=env)
    assert r.returncode == 3, r.stderr
    run_id = json.loads(r.stdout)["run_id"]
    refused(cli("complete", "nope", "migrate", "--value", "{}", "--engine", "conductor", cwd=tmp_path, env=env),
            "AC120")
    refused(cli("complete", run_id, "plan", "--value", "{}", "--engine", "conductor", cwd=tmp_path, env=env), "AC112")
    r = cli("complete", run_id, "migrate", "--value", json.dumps(DONE), "--engine", "conductor", cwd=tmp_path, env=env)
    assert r.returncode == 0 and json.loads(r.stdout) == native(), r.stderr
    refused(cli("complete", run_id, "migrate", "--value", "{}", "--engine", "conductor", cwd=tmp_path, env=env),
            "AC112")


def test_temporal_cli(temporal_address, tmp_path):
    env = env_for(tmp_path)
    r = cli("run", REF, "--input", json.dumps(INPUT), "--engine", "temporal", "--address", temporal_address,
            "--with-worker", cwd=tmp_path, env=env)
    assert r.returncode == 3, r.stderr
    out = json.loads(r.stdout)
    assert out["interrupts"][0]["activity_id"]
    run_id = out["run_id"]
    temporal = ("--engine", "temporal", "--address", temporal_address, "--with-worker")
    refused(cli("complete", "nope", "migrate", "--value", "{}", *temporal, cwd=tmp_path, env=env), "AC120")
    refused(cli("complete", run_id, "plan", "--value", "{}", *temporal, cwd=tmp_path, env=env), "AC112")
    r = cli("complete", run_id, "migrate", "--value", json.dumps(DONE), *temporal, cwd=tmp_path, env=env)
    assert r.returncode == 0 and json.loads(r.stdout) == native(), r.stderr
