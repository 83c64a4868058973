"""Shared test harness: run a fixture natively (the oracle) and through agentc, and
normalise both results the same way (message ids are random uuids on both sides)."""
from __future__ import annotations

import asyncio
import importlib
import json
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "langgraph"
CASES: dict[str, dict[str, Any]] = json.loads((FIXTURES / "cases.json").read_text())


def ref(name: str) -> str:
    return f"agentc.fixtures.langgraph.{name}:graph"


def module(name: str) -> Any:
    return importlib.import_module(f"agentc.fixtures.langgraph.{name}")


def context_of(name: str) -> Any:
    case = CASES[name]
    if "context" not in case:
        return None
    g = module(name).graph
    return g.builder.context_schema(**case["context"])


def normalise(value: Any) -> Any:
    """JSON-able form with message ids dropped (uuid4 / run ids differ between runs)."""
    from agentc.semantics.codec import to_jsonable

    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            drop = {"id"} if ("type" in x and "content" in x) else set()
            return {k: strip(v) for k, v in x.items() if k not in drop}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return strip(to_jsonable(value))


def native(name: str) -> Any:
    """graph.invoke with an in-memory checkpointer, answering each pause from cases.json."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    case = CASES[name]
    g = module(name).graph
    app = g.builder.compile(checkpointer=InMemorySaver(), interrupt_before=g.interrupt_before_nodes,
                            interrupt_after=g.interrupt_after_nodes, name=g.name)
    cfg: dict[str, Any] = {"configurable": {"thread_id": uuid.uuid4().hex}}
    kw = {"context": context_of(name)} if "context" in case else {}

    def call(inp: Any) -> Any:
        if case.get("async"):
            return asyncio.run(app.ainvoke(inp, cfg, **kw))
        return app.invoke(inp, cfg, **kw)

    out = call(case["input"])
    for answer in case["resumes"]:
        pending = out.get("__interrupt__") if isinstance(out, dict) else None
        if answer is None:
            out = call(None)
        elif isinstance(answer, dict) and pending and len(pending) > 1:
            by_node = {}
            for task in app.get_state(cfg).tasks:
                for intr in task.interrupts:
                    by_node[task.name] = intr.id
            out = call(Command(resume={by_node[n]: v for n, v in answer.items()}))
        else:
            out = call(Command(resume=answer))
    assert "__interrupt__" not in out, f"{name}: native run still paused"
    return out


def agentc_answer(name: str, outcome: Any, answer: Any) -> Any:
    """Map a node-name-keyed answer (cases.json) to agentc's interrupt ids."""
    from agentc.targets.local.executor import NO_VALUE

    if answer is None:
        return NO_VALUE
    pending = [i for i in outcome.interrupts if i.get("kind") == "interrupt"]
    if isinstance(answer, dict) and len(pending) > 1:
        return {i["id"]: answer[i["node"]] for i in pending}
    return answer


def compiled(name: str, db: str) -> Any:
    import agentc

    case = CASES[name]
    outcome = agentc.run(ref(name), case["input"], db=db, context=case.get("context"))
    for answer in case["resumes"]:
        assert outcome.status == "waiting", f"{name}: expected a pause, got {outcome.status}"
        outcome = agentc.resume(outcome.run_id, agentc_answer(name, outcome, answer), db=db)
    assert outcome.status == "done", f"{name}: run still {outcome.status}: {outcome.interrupts}"
    return outcome.output


def check_golden_folder(folder: Path, files: dict[str, str], update: bool) -> None:
    """Emitted ``*.json`` files against the goldens in ``folder`` (rewritten first when
    ``update``, i.e. ``pytest --update-goldens``): the same names, byte for byte."""
    if update:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.json"):
            old.unlink()
        for rel, text in files.items():
            (folder / rel).write_text(text)
    on_disk = {p.name: p.read_text() for p in folder.glob("*.json")}
    assert on_disk, f"missing goldens in {folder}; run pytest --update-goldens"
    assert sorted(on_disk) == sorted(files), f"emitted files differ from {folder}; run pytest --update-goldens"
    for rel, text in files.items():
        assert text == on_disk[rel], f"{folder.name}/{rel} differs from the golden (review, then --update-goldens)"
