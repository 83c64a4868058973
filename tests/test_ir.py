"""IR round-trips, JSON Schema export, determinism, and golden IR files beside each fixture.

Regenerate the goldens with: pytest tests/test_ir.py --update-goldens (then review the diff).
"""
import json
import subprocess
import sys

import pytest

import agentc
import harness
from agentc import ir as IR

GOLDEN = harness.FIXTURES / "golden"


@pytest.mark.parametrize("name", sorted(harness.CASES))
def test_roundtrip(name):
    wf = agentc.load(harness.ref(name))
    text = IR.dump(wf)
    assert IR.load(text) == wf
    assert IR.dump(IR.load(text)) == text


@pytest.mark.parametrize("name", sorted(harness.CASES))
def test_golden_ir(name, update_goldens):
    text = IR.dump(agentc.load(harness.ref(name)))
    path = GOLDEN / f"{name}.ir.json"
    if update_goldens:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden {path}; run pytest --update-goldens"
    assert text == path.read_text(), f"{name}: IR differs from {path} (review, then --update-goldens)"


def test_ir_is_frozen():
    wf = agentc.load(harness.ref("chain"))
    with pytest.raises(Exception):
        wf.name = "other"  # type: ignore[misc]


def test_json_schema_validates_every_golden():
    schema = IR.json_schema()
    assert schema["title"] == "Workflow"
    # every node kind and channel kind is in the closed set the schema names
    text = json.dumps(schema)
    for kind in ("function", "runnable", "tool_node", "subgraph", "last_value", "reducer", "managed"):
        assert f'"{kind}"' in text


def test_ir_schema_cli_matches_api():
    out = subprocess.run([sys.executable, "-m", "agentc.cli", "ir-schema"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == json.loads(json.dumps(IR.json_schema()))


def test_ir_carries_constructs():
    g = agentc.load(harness.ref("branching")).graph
    assert g.waiting_edges and any(b.path_map for b in g.branches)
    g = agentc.load(harness.ref("subgraph")).graph
    kinds = {n.kind for n in g.nodes}
    assert "subgraph" in kinds
    assert any(n.destinations for n in g.nodes)
    g = agentc.load(harness.ref("hitl_review")).graph
    assert any(n.interrupts for n in g.nodes)
    g = agentc.load(harness.ref("retry")).graph
    (policy,) = [p for n in g.nodes for p in n.retry]
    assert policy.max_attempts == 3 and policy.retry_on_names == ("ConnectionError",)
    g = agentc.load(harness.ref("defer")).graph
    assert any(n.defer for n in g.nodes)
    g = agentc.load(harness.ref("breakpoints")).graph
    assert g.interrupt_before and g.interrupt_after
    g = agentc.load(harness.ref("react_agent")).graph
    assert {n.kind for n in g.nodes} == {"function", "tool_node"}
    assert any(c.kind == "reducer" and c.builtin == "add_messages" for c in g.channels)
    g = agentc.load(harness.ref("dynamic_router")).graph
    assert any(b.targets is None for b in g.branches)
    wf = agentc.load(harness.ref("dynamic_router"))
    assert any(w["code"] == "AC201" for w in wf.warnings)
    # every node has a source position: a line in user code, the module alone in a library
    for name in harness.CASES:
        for n in agentc.load(harness.ref(name)).graph.nodes:
            assert n.source is not None, (name, n.name)
            if n.source.file.startswith("fixtures/"):
                assert n.source.line is not None and n.source.line > 0, (name, n.name)
            else:
                assert n.source.line is None and not n.source.file.startswith("/"), (name, n.name, n.source)


@pytest.mark.parametrize("target", ["ir", "local"])
def test_compile_cli_is_byte_identical(tmp_path, target):
    outs = []
    for i in range(2):
        out = tmp_path / f"o{i}"
        subprocess.run([sys.executable, "-m", "agentc.cli", "compile", harness.ref("subgraph"),
                        "--target", target, "--out", str(out)], check=True, capture_output=True)
        outs.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert outs[0] == outs[1] and outs[0]


def test_run_compiled_local_artifact(tmp_path):
    art = agentc.compile(harness.ref("chain"), target="local")
    art.write(tmp_path / "out")
    out = agentc.run(str(tmp_path / "out"), harness.CASES["chain"]["input"], db=str(tmp_path / "r.db"))
    assert harness.normalise(out.output) == harness.normalise(harness.native("chain"))


def test_inspect_summary_and_mermaid():
    proc = subprocess.run([sys.executable, "-m", "agentc.cli", "inspect", harness.ref("branching")],
                          capture_output=True, text=True, check=True)
    out = proc.stdout
    assert "flowchart TD" in out
    for name in ("split", "zeta", "alpha", "zeta_polish", "tally", "merge"):
        assert f'n_{name}["{name}"]' in out  # one Mermaid box per node
        assert f"node {name} [function] at fixtures/langgraph/branching.py:" in out
    assert "join alpha + zeta_polish -> merge" in out
    assert 'n_split -.->|"pick_branches"| n_alpha' in out and 'n_split -.->|"pick_branches"| n_zeta' in out
    sub = subprocess.run([sys.executable, "-m", "agentc.cli", "inspect", "--mermaid-only", harness.ref("subgraph")],
                         capture_output=True, text=True, check=True).stdout
    assert sub.startswith("flowchart TD") and "subgraph n_research" in sub and "n_research__n_gather --> n_research__n_compose" in sub
