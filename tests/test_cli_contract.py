"""The `agentc` command behaves like a well-mannered Unix tool: a reused run id, a closed
pipe, a folder of the wrong kind and an occupied output folder are diagnostics or quiet
exits, never an internal error; compiled files are written like any other file (the umask
decides their mode) and a compile owns its output folder."""
import json
import os
import subprocess
import sys

import harness
import pytest

CHAIN = harness.ref("chain")
CHAIN_INPUT = json.dumps(harness.CASES["chain"]["input"])


def cli(*args, cwd=None, **kw):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, **kw)


def assert_diagnostic(proc, code):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "AC999" not in proc.stderr, proc.stderr
    assert f"error[{code}]" in proc.stderr, proc.stderr
    assert "hint:" in proc.stderr


def test_help_names_both_frontends_and_every_target():
    from agentc.targets import TARGETS

    out = cli("--help").stdout
    assert "LangGraph" in out and "OpenAI Agents SDK" in out, out
    for target in TARGETS:
        assert target in out, (target, out)


def test_reused_run_id_is_a_diagnostic(tmp_path):
    db = str(tmp_path / "r.db")
    first = cli("run", CHAIN, "--input", CHAIN_INPUT, "--db", db, "--run-id", "mine")
    assert first.returncode == 0, first.stderr
    again = cli("run", CHAIN, "--input", CHAIN_INPUT, "--db", db, "--run-id", "mine")
    assert_diagnostic(again, "AC123")
    assert "mine" in again.stderr
    # the first run is untouched
    rows = json.loads(cli("runs", "--json", "--db", db).stdout)
    assert [(r["run_id"], r["status"]) for r in rows] == [("mine", "done")]


def test_closed_pipe_exits_quietly(tmp_path):
    """`agentc runs | head -1`: the reader is gone before agentc writes (the read end is
    closed before the process starts, so this does not depend on timing)."""
    import agentc

    db = str(tmp_path / "r.db")
    for i in range(3):
        agentc.run(CHAIN, harness.CASES["chain"]["input"], db=db, run_id=f"r{i}")
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run([sys.executable, "-m", "agentc.cli", "runs", "--db", db], stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)
    assert proc.stderr == "", proc.stderr
    assert proc.returncode == 141  # 128 + SIGPIPE, what a shell reports for `yes | head -1`'s yes


@pytest.mark.parametrize("target", ["ir", "local"])
def test_validate_refuses_a_folder_that_is_not_a_conductor_artifact(tmp_path, target):
    out = tmp_path / target
    assert cli("compile", CHAIN, "--target", target, "--out", str(out)).returncode == 0
    proc = cli("validate", str(out))
    assert_diagnostic(proc, "AC403")
    assert "not a Conductor artifact" in proc.stderr
    assert proc.stdout == ""


def test_simulate_refuses_a_folder_of_another_target(tmp_path):
    out = tmp_path / "local"
    assert cli("compile", CHAIN, "--target", "local", "--out", str(out)).returncode == 0
    assert_diagnostic(cli("simulate", str(out), "--input", CHAIN_INPUT), "AC403")


def _umask_cli(mask, *args):
    code = f"import os, sys; os.umask({mask:#o}); from agentc.cli import main; main(sys.argv[1:])"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_compiled_files_respect_the_umask(tmp_path, mask):
    out = tmp_path / "o"
    proc = _umask_cli(mask, "compile", CHAIN, "--target", "conductor", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    files = [p for p in out.iterdir() if p.is_file()]
    assert files
    for p in files:
        assert p.stat().st_mode & 0o777 == 0o666 & ~mask, (p.name, oct(p.stat().st_mode))


def test_compile_replaces_the_previous_compile(tmp_path):
    out = tmp_path / "o"
    assert cli("compile", CHAIN, "--target", "conductor", "--out", str(out)).returncode == 0
    (out / "histories").mkdir()  # the user's own things in the folder stay
    (out / "histories" / "h.json").write_text("{}")
    proc = cli("compile", CHAIN, "--target", "local", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert visible == ["chain.ir.json", "histories", "manifest.json"], visible
    assert json.loads((out / "manifest.json").read_text())["target"] == "local"
    assert (out / "histories" / "h.json").exists()
    # and back: nothing of the local compile is left behind
    assert cli("compile", CHAIN, "--target", "ir", "--out", str(out)).returncode == 0
    visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert visible == ["chain.ir.json", "histories"], visible


def test_compile_refuses_a_folder_agentc_did_not_write(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    proc = cli("compile", CHAIN, "--target", "local", "--out", str(out))
    assert_diagnostic(proc, "AC402")
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "my notes"


def test_compile_into_an_empty_or_new_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    for name in ("empty", "new/deeper"):
        proc = cli("compile", CHAIN, "--target", "local", "--out", str(tmp_path / name))
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / name / "manifest.json").exists()
