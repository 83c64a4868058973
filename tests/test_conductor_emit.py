"""Emitted Conductor JSON: golden files beside each fixture (regenerate with
``pytest tests/test_conductor_emit.py --update-goldens`` and review the diff),
byte-identical re-runs, validator-clean, survives conductor-python's models, and no user
name or string reaches an expression or a script."""
import json
import re

import pytest

import harness

import agentc
from agentc.targets.conductor.emulator.validator import sdk_roundtrip_loss, validate_documents

GOLDEN = harness.FIXTURES / "golden" / "conductor"


def artifact(name):
    return agentc.compile(harness.ref(name), target="conductor")


@pytest.mark.parametrize("name", sorted(harness.CASES))
def test_golden_conductor_json(name, update_goldens):
    harness.check_golden_folder(GOLDEN / name, artifact(name).files, update_goldens)


@pytest.mark.parametrize("name", sorted(harness.CASES))
def test_goldens_validate_clean_and_deterministic(name):
    folder = GOLDEN / name
    docs = [(p.name, json.loads(p.read_text())) for p in sorted(folder.glob("*.json")) if p.name != "manifest.json"]
    assert validate_documents(docs, server="all") == []
    assert artifact(name).files == artifact(name).files


@pytest.mark.parametrize("name", sorted(harness.CASES))
def test_sdk_models_keep_every_field(name):
    for rel, text in artifact(name).files.items():
        if rel.endswith(".workflow.json"):
            assert sdk_roundtrip_loss(json.loads(text)) == [], rel


EXPR = re.compile(r"\$\{([^}]*)\}")
SAFE = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


def walk_strings(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk_strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_strings(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def test_no_user_text_in_expressions_or_scripts():
    """Every ${...} path and every script reference is made of our own safe refs, in every
    golden — whatever the node names are (see test_hostile_names for names that try)."""
    for folder in GOLDEN.iterdir():
        for p in folder.glob("*.workflow.json"):
            for path, s in walk_strings(json.loads(p.read_text())):
                for inner in EXPR.findall(s):
                    assert SAFE.match(inner), f"{p}:{path}: {inner!r}"


def test_hostile_names(tmp_path):
    """Node names full of quotes, braces, ${...} and JS must not leak into expressions,
    scripts or refs; the workflow still validates and simulates to LangGraph's result."""
    from typing import Annotated, TypedDict
    import operator

    from langgraph.graph import END, START, StateGraph

    from agentc.targets.conductor.simulate import Simulation

    evil = ['${workflow.input}', "a'); throw 1; ('", 'x"}]}', "b__c__1"]

    class S(TypedDict, total=False):
        log: Annotated[list[str], operator.add]

    def make(tag):
        return lambda s: {"log": [tag + "${workflow.secrets.x}"]}

    b = StateGraph(S)
    for n in evil:
        b.add_node(n, make(n))
    b.add_edge(START, evil[0])
    b.add_conditional_edges(evil[0], lambda s: evil[1] if len(s["log"]) < 2 else evil[2], [evil[1], evil[2]])
    b.add_edge(evil[1], evil[3])
    b.add_edge(evil[2], evil[3])
    b.add_edge(evil[3], END)
    g = b.compile()
    art = agentc.compile(g, target="conductor")
    docs = [(k, json.loads(v)) for k, v in art.files.items() if k != "manifest.json"]
    assert validate_documents(docs, server="all") == []
    for k, doc in docs:
        for path, s in walk_strings(doc):
            for inner in EXPR.findall(s):
                assert SAFE.match(inner), (k, path, inner)
            if path.endswith(("expression", "loopCondition")):
                for n in evil:
                    assert n not in s, (k, path)
        if k.endswith(".workflow.json"):
            assert "__" not in json.dumps([t for p, t in walk_strings(doc) if p.endswith("taskReferenceName")])
    art.write(tmp_path / "out")
    sim = Simulation.of(tmp_path / "out", g)
    out = sim.start({"log": ["seed ${workflow.input}"]})
    assert out.status == "done"
    assert harness.normalise(out.output) == harness.normalise(g.invoke({"log": ["seed ${workflow.input}"]}))
