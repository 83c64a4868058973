"""External tools among the parallel calls of an agent with a fan-out policy
(docs/policies.md "External completion", "Fan-outs").

``mode = "fail_fast"`` is the SDK's own semantics, which every target already applies to
an agent's calls without a policy (``agent_fanout.spec``): with it, an external tool works
as without it — the database admin's ``backup_table`` waits while its sibling
``archive_rows`` runs once, on the three targets, against ``Runner.run`` (the tests of
``test_external_tools.py``, run again under the policy). A fan-out ``deadline`` bounds the
calls agentc runs, not the outside work: ``test_external_fanout_deadline.py``."""

from __future__ import annotations

import pytest

import test_external_tools as T

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

