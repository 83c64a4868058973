"""Offline Conductor validator, Jayway-compatible JsonPath, and the conductor-python
round-trip check (conductor.md §B, §B-V, §C.1, §D).

``tests/conductor_cases/`` holds one hand-written bad definition per rule (the file name
starts with the rule id) and a few clean ones; each bad file must report its rule, and
nothing else unless listed in ALSO_EXPECTED; each clean file must report nothing."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from agentc.targets.conductor.emulator.jsonpath import compile_error, is_definite, read
from agentc.targets.conductor.emulator.validator import (
    PROFILES,
    Violation,
    render,
    sdk_roundtrip_loss,
    validate_documents,
    validate_paths,
)

CASES = Path(__file__).parent / "conductor_cases"
CASE_FILES = sorted(CASES.glob("*.json"))
BAD = [f for f in CASE_FILES if not f.name.startswith("clean")]
CLEAN = [f for f in CASE_FILES if f.name.startswith("clean")]

# Rules that only exist in some profiles are tested with that profile.
SERVER_FOR = {"L5": "3.32"}
# A ':' is outside B4's character set too, so name validation also fires.
ALSO_EXPECTED = {"BV-colon": {"B4"}}


def _rule_of(path: Path) -> str:
    return path.name.split("_")[0]


def _rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


# ----------------------------------------------------------------------------------------
# The case folder
# ----------------------------------------------------------------------------------------


def test_case_folder_covers_every_rule_family():
    """Guard against the parametrised tests silently shrinking."""
    rules = {_rule_of(f) for f in BAD}
    expected = {f"B{i}" for i in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                                  20, 22, 23, 24, 25, 26, 27, 29)}
    expected |= {f"TD{i}" for i in range(1, 12)} | {f"L{i}" for i in range(1, 16)}
    expected |= {"A1", "J1", "J2", "L-loop-B16", "BV-ownerEmail", "BV-colon", "BV-whitespace",
                 "BV-http", "BV-fork-inputs", "BV-subworkflow-name", "BV-js-exec"}
    assert expected <= rules, sorted(expected - rules)
    assert len(CLEAN) >= 2


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_case_reports_its_rule(path: Path):
    rule = _rule_of(path)
    violations = validate_paths([path], server=SERVER_FOR.get(rule, "all"))
    found = _rules(violations)
    assert rule in found, [render(v) for v in violations]
    extra = found - {rule} - ALSO_EXPECTED.get(rule, set())
    assert not extra, [render(v) for v in violations if v.rule in extra]
    for v in violations:
        assert v.path.startswith(str(path)), v
        assert v.source, v


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.stem)
@pytest.mark.parametrize("server", sorted(PROFILES))
def test_clean_case_is_clean_on_every_profile(path: Path, server: str):
    violations = validate_paths([path], server=server)
    assert violations == [], [render(v) for v in violations]


def test_directory_is_validated_recursively_as_one_set(tmp_path: Path):
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    doc = json.loads((CASES / "clean_order_fulfillment.json").read_text())
    # Split the list over several files: cross-file TaskDef / sub-workflow lookups still work.
    for i, item in enumerate(doc):
        (nested if i % 2 else tmp_path / "a").joinpath(f"doc{i}.json").write_text(json.dumps(item))
    (tmp_path / "notes.txt").write_text("not json, not *.json")
    assert validate_paths([tmp_path]) == []
    (nested / "broken.json").write_text('{"name": "x",\n  "tasks": [}')
    (v,) = validate_paths([tmp_path])
    assert v.rule == "J1" and v.path.endswith("broken.json:2:13"), render(v)


# ----------------------------------------------------------------------------------------
# Rule details that the one-file-per-rule cases do not pin down
# ----------------------------------------------------------------------------------------


def _wf(*tasks, **extra):
    return {"name": "w", "version": 1, "schemaVersion": 2, "ownerEmail": "a@example.com",
            "tasks": list(tasks), **extra}


def _inline(ref, **params):
    return {"name": ref, "taskReferenceName": ref, "type": "INLINE",
            "inputParameters": {"evaluatorType": "graaljs", "expression": "1", **params}}


def _check(doc, server="3.32"):
    return validate_documents([("w.json", doc)], server=server)


def test_violation_path_and_render():
    doc = _wf(_inline("a"), {"name": "s", "taskReferenceName": "s", "type": "SWITCH",
                             "evaluatorType": "value-param", "expression": "k",
                             "inputParameters": {"k": "x"},
                             "decisionCases": {"x y": [{"name": "e", "taskReferenceName": "e",
                                                        "type": "EVENT"}]}})
    (v,) = _check(doc)
    assert v == Violation("B14", 'w.json: tasks[1].decisionCases["x y"][0].sink',
                          "sink field is required for taskType: EVENT taskName: e",
                          "core/…/validations/WorkflowTaskTypeConstraint.java")
    assert render(v) == ('w.json: tasks[1].decisionCases["x y"][0].sink: B14 sink field is required '
                         "for taskType: EVENT taskName: e [core/…/validations/WorkflowTaskTypeConstraint.java]")
    assert "\n" not in render(Violation("B1", "f", "two\nlines", "s"))


@pytest.mark.parametrize("value, bad", [
    ("${a.output.x}", False),
    ("${workflow.anything.at.all}", False),
    ("${workflow.secrets.token}", False),
    ("${CPEWF_TASK_ID}", False),
    ("${NETFLIX_ENV}", False),
    ("$${nope.output}", False),            # escaped
    ("x ${a.output} y ${nope.output}", True),
    ("${a.${nope}}", True),                # non-balanced split: only ${nope} is looked at
    ("${nope.${a}}", False),               # …so the outer unknown ref is not
    ("${a.output['x y']}", False),
    ("${x['y']}", True),                   # first component is "x['y']"
    ("${a.output.}", True),                # Jayway rejects a trailing '.'
    ("${}", True),
    ("${b.output}", False),                # refs anywhere count, even inside a loop
])
def test_b9_reference_rules(value, bad):
    loop = {"name": "l", "taskReferenceName": "l", "type": "DO_WHILE", "loopCondition": "false",
            "loopOver": [_inline("b")]}
    doc = _wf(_inline("a"), loop, _inline("use", v={"deep": [value]}))
    assert ("B9" in _rules(_check(doc))) is bad


def test_b9_checks_top_level_tasks_only_and_l1_covers_the_rest():
    branch = _inline("inner", v="${ghost.output}")
    doc = _wf({"name": "s", "taskReferenceName": "s", "type": "SWITCH", "evaluatorType": "value-param",
               "expression": "k", "inputParameters": {"k": "x"}, "decisionCases": {"x": [branch]}},
              outputParameters={"r": "${phantom.output}"})
    vs = _check(doc)
    assert _rules(vs) == {"L1"} and len(vs) == 2, [render(v) for v in vs]


def test_null_ref_makes_b9_lookup_crash():
    doc = _wf({"name": "x", "type": "INLINE", "inputParameters": {"expression": "1"}},
              _inline("a", v="${a.output}"))
    vs = _check(doc)
    assert {"B10", "B9"} <= _rules(vs)
    assert any("HTTP 500" in v.message for v in vs if v.rule == "B9")


def test_loop_body_gets_lint_ids_not_server_ids():
    bad_http = {"name": "h", "taskReferenceName": "h", "type": "HTTP", "inputParameters": {}}
    doc = _wf({"name": "l", "taskReferenceName": "l", "type": "DO_WHILE", "loopCondition": "false",
               "loopOver": [bad_http]}, bad_http | {"taskReferenceName": "h2"})
    vs = _check(doc)
    assert {v.rule for v in vs} == {"L-loop-B22", "B22"}
    assert next(v for v in vs if v.rule == "L-loop-B22").source == "agentc lint"


def test_b8_duplicates_found_in_loop_and_branches():
    doc = _wf(_inline("a"), {"name": "l", "taskReferenceName": "l", "type": "DO_WHILE",
                             "loopCondition": "false", "loopOver": [_inline("a")]})
    (v,) = [v for v in _check(doc) if v.rule == "B8"]
    assert v.path == "w.json: tasks[1].loopOver[0].taskReferenceName"


@pytest.mark.parametrize("server, rules", [
    ("3.32", set()),
    ("3.32-strict", {"B5"}),
    ("3.22", set()),
    ("3.21", {"B5", "BV-http"}),
    ("3.15", {"B5", "BV-http"}),
    ("3.0", {"B5", "BV-http", "B13"}),
    ("all", {"B5", "BV-http", "B13"}),
])
def test_profiles_differ(server, rules):
    doc = _wf({"name": "work", "taskReferenceName": "work"},
              {"name": "h", "taskReferenceName": "h", "type": "HTTP",
               "inputParameters": {"uri": "https://example.com", "method": "GET"}})
    del doc["ownerEmail"]
    assert _rules(_check(doc, server)) == rules


def test_profile_all_is_the_union():
    for name, profile in PROFILES.items():
        for flag, on in vars(profile).items():
            if on is True:
                assert getattr(PROFILES["all"], flag), (name, flag)
    with pytest.raises(ValueError):
        validate_documents([], server="9.9")


def test_js_executed_only_by_3_15_to_3_31():
    switch = {"name": "s", "taskReferenceName": "s", "type": "SWITCH", "evaluatorType": "javascript",
              "expression": "$.o.items.length > 1 ? 'many' : 'one'",
              "inputParameters": {"o": "${workflow.input.o}"}, "decisionCases": {"many": [_inline("m")]}}
    assert _rules(_check(_wf(switch), "3.32")) == set()
    assert _rules(_check(_wf(switch), "3.22")) == {"BV-js-exec"}
    assert _rules(_check(_wf(switch), "3.9")) == set()


@pytest.mark.parametrize("duration, ok", [
    ("10s", True), ("10m20s", True), ("2 hours 30 minutes", True), ("1d", True), ("3 DAYS", True),
    ("1h 5s", True), ("${workflow.input.d}", True), ("500ms", False), ("10", False),
    ("5s 1m", False), ("soon", False),
])
def test_b27_wait_duration_grammar(duration, ok):
    wait = {"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": duration}}
    assert ("B27" not in _rules(_check(_wf(wait)))) is ok


@pytest.mark.parametrize("until, ok", [
    ("2030-01-01 10:00", True), ("2030-01-01 10:00 GMT", True), ("2030-01-01", True),
    ("2030-01-01T10:00:00Z", False), ("tomorrow", False),
])
def test_b27_wait_until_formats(until, ok):
    wait = {"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"until": until}}
    assert ("B27" not in _rules(_check(_wf(wait)))) is ok


def test_b27_both_duration_and_until():
    wait = {"name": "w", "taskReferenceName": "w", "type": "WAIT",
            "inputParameters": {"until": "2030-01-01", "duration": "1s"}}
    assert "B27" in _rules(_check(_wf(wait)))


@pytest.mark.parametrize("status, ok", [
    ("COMPLETED", True), ("FAILED", True), ("TERMINATED", True), ("completed", False), (None, False),
])
def test_b26_literal_termination_status(status, ok):
    term = {"name": "t", "taskReferenceName": "t", "type": "TERMINATE",
            "inputParameters": {} if status is None else {"terminationStatus": status}}
    assert ("B26" not in _rules(_check(_wf(term)))) is ok


def test_b20_explicit_null_fork_tasks_passes_registration_but_lints():
    fork = {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": None}
    join = {"name": "j", "taskReferenceName": "j", "type": "JOIN"}
    assert _rules(_check(_wf(fork, join))) == {"L4"}
    del fork["forkTasks"]  # absent → Java default [] → rejected
    assert _rules(_check(_wf(fork, join))) == {"B20"}


def test_taskdef_timeout_class_rules_need_positive_values():
    ok = {"name": "t", "timeoutSeconds": 0, "responseTimeoutSeconds": 9999, "totalTimeoutSeconds": 0}
    assert _check(ok) == []
    assert _rules(_check(ok | {"responseTimeoutSeconds": None})) == {"TD8"}  # null → 0 for a primitive


def test_shape_errors_do_not_crash():
    weird = {"name": 5, "tasks": [None, "x", {"name": [], "decisionCases": {"a": "b"},
                                              "forkTasks": "no", "inputParameters": 3}]}
    rules = _rules(_check(weird, "all"))
    assert "A1" in rules


# ----------------------------------------------------------------------------------------
# JsonPath: compile table checked against Jayway json-path 2.10.0
# ----------------------------------------------------------------------------------------

VALID_PATHS = [
    "a.b[0].c", "a['x y']", "a..b", "a[*]", "a[?(@.x>1)]", "a.length()", "a[-1]", "a[0:2]",
    "a-b.c-d", "workflow.input.x", "$.a.b", "@.a", "$", "a[1:]", "a[:2]", "a[0,1]", "a[ 0 ]",
    "a['b','c']", "a.*", "a[?(@.t == 'x' && @.n > 2)]", "a[?(@.t in ['x','y'])]",
    "a[?(@.t =~ /x.*/i)]", "x['y']", "a]", "a[0]]",  # Jayway ignores a trailing character
]
INVALID_PATHS = [
    "", "a.", "a..", "a b", "a.b c", " a.b c", "a[0", "a((", "a.length(", "a[?(@.x>1]", "a['x",
    "a[*", "a..b.", "a[(0)]", "a['b'", "a[x]", "a[?]", "a...b", "a[1 :2]", "a[?(@.x bogus 1)]",
    "a[?(@.x == abc)]",
]


@pytest.mark.parametrize("path", VALID_PATHS)
def test_jsonpath_compiles(path):
    assert compile_error(path) is None


@pytest.mark.parametrize("path", INVALID_PATHS)
def test_jsonpath_rejects(path):
    assert isinstance(compile_error(path), str)


DOC = {
    "workflow": {"input": {"n": 1, "list": [1, 2, 3], "s": "text", "nul": None,
                           "m": {"x y": 5, "a-b": 6, "rows": [{"v": 1, "t": "a"}, {"v": 2, "t": "b"}, {"v": 3}]}}},
    "t1": {"output": {"result": {"items": [10, 20, 30], "flag": True}}},
}


@pytest.mark.parametrize("path, expected", [
    ("workflow.input.n", 1),
    ("workflow.input.list[-1]", 3),
    ("workflow.input.list[1]", 2),
    ("workflow.input.m['x y']", 5),
    ("workflow.input.m.a-b", 6),
    ("t1.output.result.items.length()", 3),
    ("workflow.input.m.length()", 3),
    ("t1.output.result", {"items": [10, 20, 30], "flag": True}),
    # missing anything → None on a definite path
    ("workflow.input.missing", None),
    ("workflow.input.missing.deeper", None),
    ("workflow.input.n.x", None),
    ("workflow.input.s[0]", None),
    ("workflow.input.list[7]", None),
    ("workflow.input.list[-9]", None),
    ("workflow.input.nul", None),
    ("workflow.input.list.0", None),
    ("unknown_ref.output", None),
    ("workflow.input.s.length()", None),
    ("a.", None),  # invalid path
    # indefinite → list, [] when nothing matches
    ("workflow.input.list[*]", [1, 2, 3]),
    ("workflow.input.list[0:2]", [1, 2]),
    ("workflow.input.list[-2:]", [2, 3]),
    ("workflow.input.list[0,2]", [1, 3]),
    ("workflow.input.m.rows[*].v", [1, 2, 3]),
    ("workflow.input.m.rows[?(@.v >= 2)].v", [2, 3]),
    ("workflow.input.m.rows[?(@.t)].t", ["a", "b"]),
    ("workflow.input.m.rows[?(@.t == 'z')]", []),
    ("workflow.input.missing[*]", []),
    ("$..v", [1, 2, 3]),
    ("t1..items[0]", [10]),
])
def test_jsonpath_read(path, expected):
    got = read(DOC, path)
    assert got == expected and type(got) is type(expected)


def test_jsonpath_definiteness():
    assert is_definite("a.b[0]") is True
    assert is_definite("a[*]") is False and is_definite("a..b") is False
    assert is_definite("a.") is None


# ----------------------------------------------------------------------------------------
# conductor-python round trip (§D)
# ----------------------------------------------------------------------------------------

PLAIN = {
    "name": "plain", "version": 1, "schemaVersion": 2, "ownerEmail": "a@example.com",
    "enforceSchema": True, "timeoutSeconds": 0,
    "tasks": [
        {"name": "work", "taskReferenceName": "work", "type": "SIMPLE",
         "inputParameters": {"q": "${workflow.input.q}", "nested": {"l": [1, None, "x"]}}},
        {"name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "value-param",
         "expression": "k", "inputParameters": {"k": "${work.output.k}"},
         "decisionCases": {"a": [{"name": "stop", "taskReferenceName": "stop", "type": "TERMINATE",
                                  "inputParameters": {"terminationStatus": "COMPLETED"}}]},
         "defaultCase": []},
        {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "false",
         "loopOver": [{"name": "w2", "taskReferenceName": "w2"}]},
    ],
    "outputParameters": {"r": "${work.output}"},
}


def test_sdk_roundtrip_plain_def_loses_nothing():
    pytest.importorskip("conductor.client")
    assert sdk_roundtrip_loss(copy.deepcopy(PLAIN)) == []


def test_sdk_roundtrip_reports_known_gaps():
    pytest.importorskip("conductor.client")
    doc = copy.deepcopy(PLAIN)
    doc["tasks"][2]["items"] = "${workflow.input.rows}"
    doc["failureWorkflowVersion"] = 2
    doc["tasks"].append({"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinMode": "SYNC"})
    loss = sdk_roundtrip_loss(doc)
    assert any(x.startswith("tasks[2].items: dropped") for x in loss), loss
    assert any(x.startswith("failureWorkflowVersion: dropped") for x in loss), loss
    assert any(x.startswith("tasks[3].joinMode: dropped") for x in loss), loss


def test_sdk_roundtrip_reports_a_flipped_server_default():
    """The SDK writes enforceSchema=false where the server default is true."""
    pytest.importorskip("conductor.client")
    doc = copy.deepcopy(PLAIN)
    del doc["enforceSchema"]
    assert sdk_roundtrip_loss(doc) == ["enforceSchema: added false (server default true)"]


# ----------------------------------------------------------------------------------------
# Robustness: malformed JSON of any shape must give violations, never an exception
# ----------------------------------------------------------------------------------------

_JUNK = [None, 0, -1, 1.5, True, "", "x", "${", "${}", "${a.b}", [], {}, [None], {"a": None},
         ["x"], [[]], "$${x}", "SWITCH", "JOIN", "DO_WHILE"]


def _nodes(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, path + (i,))


def test_mutated_definitions_never_crash():
    import random

    rnd = random.Random(20260901)
    seeds = [json.loads(f.read_text()) for f in CASE_FILES if not f.name.startswith("J1")]
    for _ in range(400):
        doc = copy.deepcopy(rnd.choice(seeds))
        for _ in range(rnd.randint(1, 4)):
            paths = [p for p, _ in _nodes(doc) if p]
            if not paths:
                break
            target = rnd.choice(paths)
            parent = doc
            for step in target[:-1]:
                parent = parent[step]
            parent[target[-1]] = copy.deepcopy(rnd.choice(_JUNK))
        for server in ("all", "3.32"):
            for v in validate_documents([("m.json", doc)], server=server):
                assert isinstance(v, Violation) and v.rule and v.path
