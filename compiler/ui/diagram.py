"""A run's diagram as geometry (boxes and lines), drawn as SVG by the page template.

Why not Mermaid: Mermaid renders in the browser with a large script that would have to be
vendored or fetched; the console serves no third-party script at all. The layout here is
small and deterministic: graph nodes in layers by their distance from START (END last),
edges as straight lines downwards and curves for loops; an agent system as its agents in
a row under ``start`` with each agent's tools and guardrails under it. This module only
computes coordinates and labels — every user-supplied name reaches the page as text
through the template's autoescaping, never as markup.

What it draws is what ``agentc inspect`` draws as Mermaid (``compiler/inspect.py``): the
same nodes, edges, branches, joins and ``Command(goto)`` destinations, or the same agents,
tools, handoffs, agents-as-tools and guardrails.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 150, 36, 24, 56, 20


@dataclass
class Box:
    key: str
    label: str
    x: float = 0
    y: float = 0
    shape: str = "node"  # node | terminal | interrupt | subgraph | tool | guardrail | agent
    state: str = ""  # "" | taken | waiting
    count: int = 0


@dataclass
class Line:
    path: str
    dashed: bool = False
    label: str = ""
    lx: float = 0
    ly: float = 0


@dataclass
class Diagram:
    width: float
    height: float
    boxes: list[Box] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def diagram(ir: dict[str, Any], taken: dict[str, int], waiting: set[str]) -> Diagram:
    """``ir``: the run's workflow IR (JSON); ``taken``: ``RunView.taken``; ``waiting``: the
    nodes (or ``agent/tool``) a pending interrupt or approval waits in."""
    body = ir["body"]
    boxes, edges = _graph(body["graph"]) if body["kind"] == "graph" else _agents(body["system"])
    for b in boxes.values():
        b.count = taken.get(b.key, 0)
        b.state = "waiting" if b.key in waiting else "taken" if b.count else ""
    return _draw(boxes, edges)


def _graph(g: dict[str, Any]) -> tuple[dict[str, Box], list[tuple[str, str, bool, str]]]:
    boxes: dict[str, Box] = {"__start__": Box("__start__", "start", shape="terminal")}
    for n in g["nodes"]:
        shape = (
            "subgraph"
            if n["kind"] == "subgraph"
            else "interrupt"
            if n.get("interrupts")
            else "node"
        )
        boxes[n["name"]] = Box(n["name"], n["name"], shape=shape)
    boxes["__end__"] = Box("__end__", "end", shape="terminal")
    edges: list[tuple[str, str, bool, str]] = [
        (e["source"], e["target"], False, "") for e in g.get("edges", ())
    ]
    for w in g.get("waiting_edges", ()):
        edges += [(s, w["target"], False, "join") for s in w["sources"]]
    for b in g.get("branches", ()):
        if b.get("targets") is None:
            continue  # any node: drawn by the nodes' own goto/branch targets when known
        labels: dict[str, list[str]] = {}
        for k, t in (b.get("path_map") or {}).items():
            labels.setdefault(t, []).append(k)
        for t in b["targets"]:
            edges.append((b["source"], t, True, ",".join(x for x in labels.get(t, []) if x != t)))
    for n in g["nodes"]:
        edges += [(n["name"], d, True, "goto") for d in n.get("destinations", ())]
    edges = [e for e in edges if e[0] in boxes and e[1] in boxes]
    _layers(boxes, edges, "__start__", "__end__")
    return boxes, edges


def _agents(system: dict[str, Any]) -> tuple[dict[str, Box], list[tuple[str, str, bool, str]]]:
    boxes: dict[str, Box] = {"__start__": Box("__start__", "start", shape="terminal")}
    edges: list[tuple[str, str, bool, str]] = [("__start__", system["start"], False, "")]
    for a in system["agents"]:
        boxes[a["name"]] = Box(a["name"], a["name"], shape="agent")
    for a in system["agents"]:
        for t in a.get("tools", ()):
            if t["kind"] == "agent" and t.get("agent") in boxes:
                edges.append((a["name"], t["agent"], True, f"as tool {t['name']}"))
                continue
            key = f"{a['name']}/{t['name']}"
            note = " (approval)" if t.get("needs_approval", "never") != "never" else ""
            boxes[key] = Box(key, t["name"] + note, shape="tool")
            edges.append((a["name"], key, True, ""))
        for h in a.get("handoffs", ()):
            if h.get("target") in boxes:
                edges.append((a["name"], h["target"], False, "handoff"))
        for kind in ("input_guardrails", "output_guardrails"):
            for gr in a.get(kind, ()):
                key = f"{a['name']}/guardrail:{gr['name']}"
                boxes[key] = Box(
                    key, f"{kind.split('_')[0]} guardrail {gr['name']}", shape="guardrail"
                )
                edges.append((a["name"], key, True, ""))
    _layers(
        boxes,
        [e for e in edges if boxes[e[1]].shape == "agent" or e[0] == "__start__"],
        "__start__",
        None,
    )
    for key, b in boxes.items():  # tools and guardrails: the row under their agent
        if b.shape in ("tool", "guardrail"):
            b.y = boxes[key.split("/", 1)[0]].y + 1
    return boxes, edges


def _layers(
    boxes: dict[str, Box], edges: list[tuple[str, str, bool, str]], start: str, end: str | None
) -> None:
    """Layer = shortest distance from ``start`` (stored in ``y`` until ``_draw``); nodes it
    does not reach go after the deepest one, ``end`` last."""
    out: dict[str, list[str]] = {}
    for s, t, *_ in edges:
        out.setdefault(s, []).append(t)
    depth = {start: 0}
    queue = deque([start])
    while queue:
        cur = queue.popleft()
        for t in out.get(cur, ()):
            if t not in depth and t != end:
                depth[t] = depth[cur] + 1
                queue.append(t)
    deepest = max(depth.values())
    for k, b in boxes.items():
        b.y = depth.get(k, deepest + 1)
    if end is not None:
        boxes[end].y = max(b.y for k, b in boxes.items() if k != end) + 1


LANE = 40
"""Room left and right of the boxes for the curves of loops."""


def _draw(boxes: dict[str, Box], edges: list[tuple[str, str, bool, str]]) -> Diagram:
    rows: dict[int, list[Box]] = {}
    for b in boxes.values():  # insertion order: the IR's node order within a layer
        rows.setdefault(int(b.y), []).append(b)
    widest = max(len(r) for r in rows.values())
    inner = widest * BOX_W + (widest - 1) * GAP_X
    width = MARGIN * 2 + inner + LANE * 2
    for layer, row in rows.items():
        span = len(row) * BOX_W + (len(row) - 1) * GAP_X
        left = MARGIN + LANE + (inner - span) / 2
        for i, b in enumerate(row):
            b.x = left + i * (BOX_W + GAP_X)
            b.y = MARGIN + layer * (BOX_H + GAP_Y)
    middle = width / 2
    lines = []
    for s, t, dashed, label in edges:
        a, b = boxes[s], boxes[t]
        if b.y > a.y:  # downwards: bottom centre to top centre
            x1, y1, x2, y2 = a.x + BOX_W / 2, a.y + BOX_H, b.x + BOX_W / 2, b.y
            path = f"M{x1:.0f},{y1:.0f} L{x2:.0f},{y2:.0f}"
            lx, ly = (x1 + x2) / 2 + 4, (y1 + y2) / 2
        else:  # a loop back up (or sideways): round the outside, on the source's side
            right = a.x + BOX_W / 2 >= middle
            x1 = a.x + BOX_W if right else a.x
            x2 = b.x + BOX_W if right else b.x
            y1, y2 = a.y + BOX_H / 2, b.y + BOX_H / 2
            lane = width - MARGIN / 2 if right else MARGIN / 2
            path = f"M{x1:.0f},{y1:.0f} C{lane:.0f},{y1:.0f} {lane:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
            lx, ly = (lane - 40 if right else lane + 4), (y1 + y2) / 2
        lines.append(Line(path, dashed, label, lx, ly))
    height = max(b.y for b in boxes.values()) + BOX_H + MARGIN
    return Diagram(width, height, list(boxes.values()), lines)
