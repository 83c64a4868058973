"""External tools among the parallel calls of an agent with a fan-out policy
(docs/policies.md "External completion", "Fan-outs"; compiler/policies.py
``_refuse_external``).

``mode = "fail_fast"`` is the SDK's own semantics, which every target already applies to
an agent's calls without a policy (``agent_fanout.spec``): with it, an external tool works
as without it — the database admin's ``backup_table`` waits while its sibling
``archive_rows`` runs once, on the three targets, against ``Runner.run`` (the tests of
``test_external_tools.py``, run again under the policy). A fan-out ``deadline`` is refused
(AC200 at the policy's line) for every target: Temporal would bound the outside work by it,
the local drive and Conductor's worker-side watcher cannot (no process runs the call)."""

from __future__ import annotations

import pytest

import test_external_tools as T
from test_policies_external import cli

FAIL_FAST = '\n[policies.fanouts."DB Admin"]\nmode = "fail_fast"\n'


@pytest.fixture
def fail_fast(monkeypatch):
    """test_external_tools' policy file, with the agent's fan-out policy added."""

    def policy(tmp_path):
        p = tmp_path / "p.toml"
        p.write_text("[policies.tools.backup_table]\nexternal = true\ntimeout = 86400\n" + FAIL_FAST)
        return p

    monkeypatch.setattr(T, "policy", policy)


def test_local_external_tool_under_fail_fast(fail_fast, tmp_path, monkeypatch):
    T.test_local_external_tool(tmp_path, monkeypatch)


def test_conductor_external_tool_under_fail_fast(fail_fast, tmp_path, monkeypatch):
    T.test_conductor_external_tool(tmp_path, monkeypatch)


def test_temporal_external_tool_under_fail_fast(fail_fast, temporal_address, tmp_path, monkeypatch):
    T.test_temporal_external_tool(temporal_address, tmp_path, monkeypatch)


@pytest.mark.parametrize("target", ["temporal", "conductor", "local"])
def test_a_fanout_deadline_with_an_external_tool_is_refused(target, tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(
        "[policies.tools.backup_table]\nexternal = true\ntimeout = 600\n"
        + FAIL_FAST
        + "deadline = 30\n"
    )
    r = cli("--policy", str(p), "compile", T.REF, "--target", target, "--out", "c", cwd=tmp_path, env={})
    assert r.returncode == 2 and "AC200" in r.stderr and "p.toml:2" in r.stderr, (r.stdout, r.stderr)
    assert "fan-out deadline" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "c").exists()
