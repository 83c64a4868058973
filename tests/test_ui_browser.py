"""``agentc ui`` in a real browser: headless Chromium from the distribution's packages
(``/usr/bin/chromium``; ``.ci/run`` installs it), driven by Playwright for Python — no
browser is downloaded. Each test starts ``agentc ui`` as a subprocess on a free port over
a journal filled by real runs of the fixtures, and clicks through its pages as a person
would.

What is compared: a run answered from the approvals page finishes with what the SDK
itself gives on the same input and answers (``graph.invoke`` + ``Command(resume=...)``;
``Runner.run`` + ``RunState.approve/reject`` via ``openai_agents_oracle``). Hostile values
in the state render as text: no dialog opens and the text is on the page literally.

Screenshots of every page go to ``build/ui-screenshots`` (or ``$AGENTC_UI_SCREENSHOTS``);
docs/ui.md shows copies of them.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import selectors
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import agentc
import openai_agents_oracle as O
import pytest
from agentc.targets.local.journal import Journal

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("AGENTC_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("AGENTC_UI_SCREENSHOTS", ROOT / "build" / "ui-screenshots"))
HITL = "agentc.fixtures.langgraph.hitl_review:graph"
HOSTILE = '<script>alert("topic")</script>"><img src=x onerror=alert(1)>'
HOSTILE_ANSWER = "<img src=x onerror=alert(2)> ok"
TRAVEL = O.load_cases()["travel_booker"]


# ---------------------------------------------------------------- the browser
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser tests need Debian's package "
                    "(`apt-get install -y --no-install-recommends chromium`, as .ci/run does), "
                    "or AGENTC_CHROMIUM=/path/to/chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A page that records every dialog (an ``alert`` from injected markup would be one)."""
    p = browser.new_page(viewport={"width": 1200, "height": 800})
    p.dialogs = []
    p.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))
    yield p
    assert p.dialogs == [], f"a dialog opened: {p.dialogs}"
    p.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))  # the viewport, 1200x800: small enough for docs/


# ---------------------------------------------------------------- the journal and the server
@pytest.fixture(scope="module")
def db(tmp_path_factory: Any) -> str:
    """A journal with runs in every state the pages show."""
    path = str(tmp_path_factory.mktemp("ui") / "runs.db")
    agentc.run("agentc.fixtures.langgraph.chain:graph", {"text": "Hello durable agents"}, db=path, run_id="chain-done")
    agentc.run(HITL, {"topic": HOSTILE}, db=path, run_id="review-waiting")
    _trip(path, "trip-waiting")
    with pytest.raises(agentc.errors.AgentcError):  # no run context: its instructions fail (AC300)
        _off_loop(agentc.run, TRAVEL["ref"], TRAVEL["input"], db=path, run_id="trip-failed")
    return path


class Console:
    def __init__(self, db: str, *extra: str) -> None:
        exe = Path(sys.executable).with_name("agentc")
        self.proc = subprocess.Popen([str(exe), "ui", "--db", db, "--port", "0", *extra], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=60):
            self.stop()
            raise AssertionError("agentc ui printed no address within 60 s")
        line = self.proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, f"unexpected first line: {line!r} (stderr: {self.proc.stderr.read() if not found else ''})"
        self.port = int(found.group(1))
        self.url = found.group(0)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def post(self, path: str, body: dict[str, str], host: str | None = None) -> tuple[int, str]:
        """A raw POST (not a browser form): what a forged or scripted request would send."""
        from urllib.parse import urlencode

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("POST", path, urlencode(body), {"Content-Type": "application/x-www-form-urlencoded",
                                                     "Host": host or f"127.0.0.1:{self.port}"})
        resp = conn.getresponse()
        out = resp.status, resp.read().decode()
        conn.close()
        return out


@pytest.fixture(scope="module")
def console(db: str) -> Iterator[Console]:
    c = Console(db, "--allow-actions")
    yield c
    c.stop()


@pytest.fixture(scope="module")
def readonly(db: str) -> Iterator[Console]:
    c = Console(db)
    yield c
    c.stop()


def _status(db: str, run_id: str) -> dict[str, Any]:
    j = Journal(db)
    try:
        return j.run(run_id)
    finally:
        j.close()


def _off_loop(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` in a thread of its own: Playwright's sync API keeps an event loop
    running in the test's thread, and agent runs (agentc's and the SDK's) use
    ``asyncio.run``."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def _trip(db: str, run_id: str) -> Any:
    return _off_loop(agentc.run, TRAVEL["ref"], TRAVEL["input"], db=db, context=O.make_context(TRAVEL),
                     run_id=run_id)


# ---------------------------------------------------------------- native oracles
def _native_review(topic: str, answers: list[Any]) -> dict[str, Any]:
    from agentc.fixtures.langgraph.hitl_review import builder
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    app = builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    out = app.invoke({"topic": topic}, cfg)
    for a in answers:
        assert "__interrupt__" in out
        out = app.invoke(Command(resume=a), cfg)
    assert "__interrupt__" not in out
    return out


# ---------------------------------------------------------------- tests
def test_runs_page_lists_every_run_and_filters_by_status(console, page):
    page.goto(console.url)
    rows = {r.get_attribute("data-run"): r for r in page.locator("#runs tbody tr").all()}
    assert {"chain-done", "review-waiting", "trip-waiting", "trip-failed"} <= set(rows)
    status = {rid: r.locator(".status").inner_text() for rid, r in rows.items()}
    assert status["chain-done"] == "done" and status["trip-failed"] == "failed"
    assert rows["chain-done"].locator("td.num").inner_text() == "4"  # four nodes ran
    assert "interrupt in review" in rows["review-waiting"].inner_text()
    assert "approval of book_flight" in rows["trip-waiting"].inner_text()
    assert HOSTILE not in page.content()  # (the topic is not on this page at all)
    shot(page, "runs")
    page.get_by_role("link", name="waiting", exact=True).click()
    page.wait_for_url(re.compile(r"status=waiting"))
    shown = [r.locator(".status").inner_text() for r in page.locator("#runs tbody tr").all()]
    assert shown and set(shown) == {"waiting"}
    page.get_by_role("link", name="failed", exact=True).click()
    page.wait_for_url(re.compile(r"status=failed"))
    assert [r.get_attribute("data-run") for r in page.locator("#runs tbody tr").all()] == ["trip-failed"]


def test_run_page_diagram_timeline_state_and_hostile_values_render_as_text(console, page):
    page.goto(console.url + "runs/review-waiting")
    assert page.locator("#status").inner_text() == "waiting"
    box = lambda n: page.locator(f'g.box[data-node="{n}"]')
    assert "taken" in box("write_draft").get_attribute("class")
    assert "waiting" in box("review").get_attribute("class")
    assert box("publish").get_attribute("class").split()[-1] == "node"  # not run
    kinds = [e.get_attribute("data-kind") for e in page.locator("#timeline > li").all()]
    assert kinds == ["input", "node", "pending"]
    # the hostile topic is on the page as text, in the timeline and the state, and ran nowhere
    assert page.get_by_text(HOSTILE, exact=True).first.is_visible()
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    assert page.evaluate("() => document.scripts.length") == 0
    draft = page.locator("#state-values tr", has=page.locator("th", has_text="draft"))
    assert draft.locator("pre").inner_text() == f"We are happy to announce {HOSTILE}."
    shot(page, "run-graph")
    # the state after step 0 (the input only), as LangGraph's own history has it
    page.get_by_role("link", name="step 0").first.click()
    page.wait_for_url(re.compile(r"step=0"))
    keys = [t.inner_text() for t in page.locator("#state-values th").all()]
    assert keys == ["topic"]


def test_answering_an_interrupt_by_clicking_finishes_like_graph_invoke(console, page, db):
    rid = "review-" + uuid.uuid4().hex[:8]
    topic = f"{HOSTILE} {rid}"
    agentc.run(HITL, {"topic": topic}, db=db, run_id=rid)
    page.goto(console.url + "approvals")
    form = page.locator(f'form.answer[data-run="{rid}"]')
    assert "Approve this draft?" in form.inner_text()
    shot(page, "approvals")
    form.locator("textarea").fill("true")
    form.get_by_role("button").click()
    page.wait_for_url(re.compile(f"/runs/{rid}$"))
    assert page.locator("#status").inner_text() == "waiting"  # the second question
    page.goto(console.url + "approvals")
    form = page.locator(f'form.answer[data-run="{rid}"]')
    assert "Any comment for the author?" in form.inner_text()
    form.locator("textarea").fill(json.dumps(HOSTILE_ANSWER))
    form.get_by_role("button").click()
    page.wait_for_url(re.compile(f"/runs/{rid}$"))
    assert page.locator("#status").inner_text() == "done"
    native = _native_review(topic, [True, HOSTILE_ANSWER])
    assert _status(db, rid)["output"] == native
    assert json.loads(page.locator("#output-value").inner_text()) == native
    assert "taken" in page.locator('g.box[data-node="publish"]').get_attribute("class")
    assert page.locator("main img").count() == 0
    shot(page, "run-graph-done")


def test_approving_and_rejecting_tools_by_clicking_finishes_like_runner_run(console, page, db):
    rid = "trip-" + uuid.uuid4().hex[:8]
    _trip(db, rid)
    page.goto(console.url + f"runs/{rid}")
    assert "waiting" in page.locator('g.box[data-node="Travel Booker/book_flight"]').get_attribute("class")
    assert "taken" in page.locator('g.box[data-node="Travel Booker/check_visa"]').get_attribute("class")
    shot(page, "run-agents")
    page.goto(console.url + "approvals")
    form = page.locator(f'form.answer[data-run="{rid}"]')
    pending = _status(db, rid)["interrupts"]
    by_tool = {p["tool"]: p["id"] for p in pending}
    for d in TRAVEL["decisions"]:
        form.locator(f'input[name="decision:{by_tool[d["tool"]]}"][value="{d["action"]}"]').check()
        if d.get("message"):
            form.locator(f'input[name="message:{by_tool[d["tool"]]}"]').fill(d["message"])
    form.get_by_role("button").click()
    page.wait_for_url(re.compile(f"/runs/{rid}$"))
    assert page.locator("#status").inner_text() == "done"
    native = _off_loop(O.run_native, TRAVEL)
    assert _status(db, rid)["output"] == {"final_output": native["final_output"], "last_agent": native["last_agent"]}
    titles = [t.inner_text() for t in page.locator("#timeline strong").all()]
    assert "approved: book_flight" in titles and "rejected: book_hotel" in titles
    shot(page, "run-agents-done")


def test_a_wrong_answer_gets_agentc_resume_s_diagnostic_and_the_run_keeps_waiting(console, page, db):
    rid = "trip-" + uuid.uuid4().hex[:8]
    _trip(db, rid)
    page.goto(console.url + "approvals")
    form = page.locator(f'form.answer[data-run="{rid}"]')
    flight = next(p["id"] for p in _status(db, rid)["interrupts"] if p["tool"] == "book_flight")
    form.locator(f'input[name="decision:{flight}"][value="approve"]').check()  # the hotel left undecided
    form.get_by_role("button").click()
    problem = page.locator("#problem").inner_text()
    cli = subprocess.run([str(Path(sys.executable).with_name("agentc")), "resume", rid, "--db", db,
                          "--value", json.dumps({"approve": [flight], "reject": []})],
                         check=False, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert cli.returncode == 2 and "AC112" in cli.stderr
    assert cli.stderr.strip() in problem  # the very diagnostic `agentc resume` prints
    assert _status(db, rid)["status"] == "waiting"
    page.goto(console.url + "approvals")
    review = page.locator('form.answer[data-run="review-waiting"]')
    review.locator("textarea").fill("yes please")  # not JSON
    review.get_by_role("button").click()
    assert "AC110" in page.locator("#problem").inner_text()
    assert _status(db, "review-waiting")["status"] == "waiting"


def test_read_only_console_refuses_actions_and_forged_posts_are_refused(readonly, console, page, db):
    page.goto(readonly.url + "approvals")
    assert page.locator("form").count() == 0 and page.locator("button").count() == 0
    assert "read-only" in page.locator("header").inner_text()
    assert "Approve this draft?" in page.locator('section[data-run="review-waiting"]').inner_text()
    shot(page, "approvals-readonly")
    status, _ = readonly.post("/runs/review-waiting/answer", {"csrf": "x", "value:any": "true"})
    assert status == 403
    # --allow-actions: a POST without this process's form token, or naming another host, is refused
    page.goto(console.url + "approvals")
    token = page.locator('input[name="csrf"]').first.get_attribute("value")
    assert console.post("/runs/review-waiting/answer", {"value:x": "true"})[0] == 403
    assert console.post("/runs/review-waiting/answer", {"csrf": token + "x"})[0] == 403
    assert console.post("/runs/review-waiting/answer", {"csrf": token}, host="evil.example:80")[0] == 400
    assert _status(db, "review-waiting")["status"] == "waiting"


def test_a_busy_port_is_a_diagnostic_not_a_traceback(db):
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        r = subprocess.run([str(Path(sys.executable).with_name("agentc")), "ui", "--db", db, "--port", str(port)],
                           check=False, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2 and "AC401" in r.stderr and "--port 0" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("name", ["breakpoints", "hitl_parallel"])
def test_breakpoints_and_parallel_interrupts_answered_by_clicking_match_graph_invoke(console, page, db, name):
    """A static breakpoint is continued with no value; two parallel ``interrupt()``s get
    one answer each (sent as ``{interrupt id: value}``, as ``agentc resume`` takes it)."""
    import harness

    rid = f"{name}-{uuid.uuid4().hex[:8]}"
    case = harness.CASES[name]
    agentc.run(harness.ref(name), case["input"], db=db, run_id=rid)
    for answer in case["resumes"]:
        page.goto(console.url + "approvals")
        form = page.locator(f'form.answer[data-run="{rid}"]')
        if isinstance(answer, dict):
            for node, value in answer.items():
                form.locator("fieldset", has_text=f"interrupt in {node}").locator("textarea").fill(json.dumps(value))
        elif answer is not None:
            form.locator("textarea").fill(json.dumps(answer))
        else:
            assert form.locator("textarea").count() == 0 and "breakpoint" in form.inner_text()
        form.get_by_role("button").click()
        page.wait_for_url(re.compile(f"/runs/{rid}$"))
    assert page.locator("#status").inner_text() == "done"
    assert harness.normalise(_status(db, rid)["output"]) == harness.normalise(harness.native(name))


# ---------------------------------------------------------------- forks side by side
HOSTILE_TOKEN = "<script>alert('fork')</script><img src=x onerror=alert(2)>"
ORDER = O.load_cases()["order_status"]
ALTERED_TURN = [{"type": "function_call", "name": "lookup_order", "arguments": "{\"order_id\": \"B-78\"}",
                 "call_id": "call_alt", "id": "fc_alt", "status": "completed"}]


def _agentc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("agentc")), *args], check=False, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def _changed(lines: list[str]) -> list[str]:
    """A diff's changed lines, without the header naming the runs."""
    return [line for line in lines if line[:1] in "+-" and not line.startswith(("---", "+++"))]


def test_compare_page_shows_a_fork_beside_its_original_with_the_trajectory_diff(console, page, db):
    """A graph run and a fork of it whose ``tokenize`` step wrote other tokens (one of them
    markup): the original lists the fork, the fork names its origin, and the compare page
    shows both timelines and the diff ``agentc fork`` printed — the changed step's writes
    and what followed from them — with the markup as text."""
    from agentc.audit import fork

    rid = "chain-" + uuid.uuid4().hex[:8]
    agentc.run("agentc.fixtures.langgraph.chain:graph", {"text": "Hello durable agents"}, db=db, run_id=rid)
    tokenize = next(e.seq for e in agentc.history(rid, db=db).events if e.name == "tokenize")
    made = fork(rid, db=db, at=tokenize, value={"tokens": [HOSTILE_TOKEN, "agents"]}, new_run_id=rid + "-fork")
    assert made.status == "done"
    page.goto(console.url + f"runs/{rid}")
    forks = page.locator("#forks li")
    assert forks.count() == 1 and forks.first.get_attribute("data-run") == rid + "-fork"
    forks.first.get_by_role("link", name="compare").click()
    page.wait_for_url(re.compile(f"/runs/{rid}/compare/{rid}-fork$"))
    assert f"fork of {rid} at event #{tokenize}" in page.locator("#relation").inner_text()
    lines = page.locator(".diff-lines span").all_inner_texts()
    assert _changed(lines) == _changed(made.diff)  # the very diff `agentc fork` reported
    assert "+  write tokens = " + json.dumps([HOSTILE_TOKEN, "agents"], ensure_ascii=False) in lines
    assert '-  write tokens = ["hello", "durable", "agents"]' in lines
    assert [t for t in _changed(lines) if t[1:].startswith("step ")] == []  # the same steps ran
    # both timelines, the original's fork point marked; the markup is text and ran nowhere
    assert page.locator("#timeline-a > li.fork-point").get_attribute("data-seq") == str(tokenize)
    assert [li.get_attribute("data-kind") for li in page.locator("#timeline-b > li").all()] == \
        ["input", "node", "node", "node", "node", "output"]
    assert HOSTILE_TOKEN in page.locator("#timeline-b").inner_text()  # the writes, pretty-printed as text
    assert page.evaluate("() => document.scripts.length") == 0 and page.locator("main img").count() == 0
    shot(page, "compare")
    page.locator("#left").scroll_into_view_if_needed()
    shot(page, "compare-timelines")
    page.get_by_role("link", name=rid + "-fork").first.click()
    page.wait_for_url(re.compile(f"/runs/{rid}-fork$"))
    assert f"Fork of {rid} at event #{tokenize}" in page.locator("#origin").inner_text()


def test_forking_from_the_run_page_is_agentc_fork(console, readonly, page, db):
    """With --allow-actions a run is forked at a step from its page, with a JSON value for
    that step: the fork ends as ``agentc fork`` on the command line ends (same output, same
    diff), and a wrong value gets the diagnostic the command prints."""
    rid = "order-" + uuid.uuid4().hex[:8]
    _off_loop(agentc.run, ORDER["ref"], ORDER["input"], db=db, run_id=rid)
    turn = next(e.seq for e in agentc.history(rid, db=db).events if e.kind == "model")
    # read-only: no fork form, and the POST is refused
    page.goto(readonly.url + f"runs/{rid}")
    assert page.locator("form.fork").count() == 0 and page.locator(".fork-link").count() == 0
    assert readonly.post(f"/runs/{rid}/fork", {"csrf": "x", "at": str(turn)})[0] == 403
    # a value that does not fit a model turn: the diagnostic `agentc fork` prints, and no run
    page.goto(console.url + f"runs/{rid}")
    page.locator(f'#timeline > li[data-seq="{turn}"] a.fork-link').click()
    page.wait_for_url(re.compile(rf"\?fork={turn}#fork$"))
    form = page.locator("form.fork")
    assert form.locator("select").input_value() == str(turn)
    form.locator("textarea").fill('{"tokens": 1}')
    form.get_by_role("button").click()
    cli = _agentc("fork", rid, "--db", db, "--at", str(turn), "--set", '{"tokens": 1}')
    assert cli.returncode == 2 and "AC133" in cli.stderr
    assert cli.stderr.strip() in page.locator("#problem").inner_text()
    page.locator("form.fork textarea").fill("not json")
    page.locator("form.fork").get_by_role("button").click()
    assert "AC110" in page.locator("#problem").inner_text()
    before = {r["run_id"] for r in agentc.runs(db)}
    # the altered model turn: the fork runs live from there, as the command line's does
    page.locator("form.fork select").select_option(str(turn))
    page.locator("form.fork textarea").fill(json.dumps(ALTERED_TURN))
    page.locator("form.fork").get_by_role("button").click()
    page.wait_for_url(re.compile(f"/runs/{rid}/compare/{rid}-fork-[0-9a-f]+$"), timeout=120_000)
    made = page.url.rsplit("/", 1)[1]
    assert {r["run_id"] for r in agentc.runs(db)} - before == {made}
    cli = _agentc("fork", rid, "--db", db, "--at", str(turn), "--set", json.dumps(ALTERED_TURN),
                  "--run-id", made + "-cli")
    assert cli.returncode == 0, cli.stderr
    assert _status(db, made)["output"] == _status(db, made + "-cli")["output"]
    assert _status(db, made)["output"]["final_output"].endswith("B-78: packing, arrives in 5 days.")
    lines = page.locator(".diff-lines span").all_inner_texts()
    assert _changed(lines) == _changed(cli.stdout.splitlines())
    assert '+  call lookup_order({"order_id": "B-78"})' in lines
    shot(page, "compare-agents")
