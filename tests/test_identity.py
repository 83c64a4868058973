"""One run identity (agentc.ir.fingerprint): the plan id workers check, the local resume
check and the compiled artifacts do not move when source positions move, and goldens hold
no third-party line numbers (a library's patch release must not turn CI red)."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

import agentc
from agentc import ir as IR

import harness

ROOT = harness.ROOT
GOLDEN_ROOTS = [ROOT / "fixtures" / "langgraph" / "golden", ROOT / "fixtures" / "openai_agents" / "golden"]


def _sources(x, found):
    if isinstance(x, dict):
        src = x.get("source")
        if isinstance(src, dict) and "file" in src:
            found.append(src)
        for v in x.values():
            _sources(v, found)
    elif isinstance(x, list):
        for v in x:
            _sources(v, found)
    return found


def test_goldens_hold_no_third_party_line_numbers():
    checked = 0
    for root in GOLDEN_ROOTS:
        for path in sorted(root.rglob("*.json")):
            for src in _sources(json.loads(path.read_text()), []):
                checked += 1
                own = src["file"].startswith(("fixtures/", "tests/"))
                assert own or src["line"] is None, f"{path.relative_to(ROOT)}: {src}"
    assert checked > 100


def test_library_callables_have_no_line_but_user_ones_do():
    g = agentc.load(harness.ref("react_agent")).graph
    lib = [n.source for n in g.nodes if n.source and n.source.file.startswith("langgraph/")]
    assert lib and all(s.line is None for s in lib)
    g = agentc.load(harness.ref("chain")).graph
    assert all(n.source and n.source.line for n in g.nodes)


def _load_shifted(tmp_path: Path, name: str, blank_lines: int):
    """The fixture's module loaded from a copy with blank lines and a comment on top."""
    src = (ROOT / "fixtures" / "langgraph" / f"{name}.py").read_text()
    folder = tmp_path / f"edit{blank_lines}"  # the same module, before and after an edit
    folder.mkdir(exist_ok=True)
    path = folder / f"user_{name}.py"
    path.write_text("# a comment the user added\n" + "\n" * blank_lines + src)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = mod
    spec.loader.exec_module(mod)
    return mod.graph


@pytest.mark.parametrize("name", ["hitl_review", "branching", "map_reduce"])
def test_fingerprint_ignores_source_positions(tmp_path, name):
    a = agentc.load(_load_shifted(tmp_path, name, 0))
    b = agentc.load(_load_shifted(tmp_path, name, 7))
    lines = lambda wf: [n.source.line for n in wf.graph.nodes if n.source]  # noqa: E731
    assert lines(a) != lines(b)  # the positions did move ...
    assert IR.fingerprint(a) == IR.fingerprint(b)  # ... the identity did not
    for target in ("conductor", "temporal"):
        fa = agentc.compile(_load_shifted(tmp_path, name, 0), target=target).files
        fb = agentc.compile(_load_shifted(tmp_path, name, 7), target=target).files
        ma, mb = json.loads(fa["manifest.json"]), json.loads(fb["manifest.json"])
        assert ma["plan"] == mb["plan"] == IR.fingerprint(a), target


def test_fingerprint_sees_a_changed_graph(tmp_path):
    a = agentc.load(harness.ref("chain"))
    b = agentc.load(harness.ref("branching"))
    assert IR.fingerprint(a) != IR.fingerprint(b)
    # one more interrupt() call site is one more pause the plan lowers: a different plan
    data = json.loads(IR.dump(agentc.load(harness.ref("hitl_review"))))
    node = next(n for n in data["body"]["graph"]["nodes"] if n.get("interrupts"))
    node["interrupts"] = node["interrupts"][:1]
    assert IR.fingerprint(IR.load(data)) != IR.fingerprint(agentc.load(harness.ref("hitl_review")))
