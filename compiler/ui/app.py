"""The ``agentc ui`` web console: a Starlette app over one local journal (docs/ui.md).

Pages are rendered on the server with Jinja2 (autoescaping on for every template), so a
value from a run — state, tool arguments, interrupt payloads — reaches the browser only as
text. The console serves no script at all, and its Content-Security-Policy forbids
scripts, so even a rendering mistake could not run one.

Reading goes through ``agentc.targets.local.run_view`` (read-only). The only action —
answering a pending interrupt or approval — calls ``agentc.resume``, the function behind
``agentc resume``: the same validation, the same diagnostics, and the run continues in
this process until it finishes or pauses again. Actions are refused (403) unless the
console was started with ``--allow-actions``; each form carries a per-process token that
the POST must return (a page on another site cannot forge it), and requests must name
this machine as their host (no DNS rebinding).
"""
from __future__ import annotations

import datetime
import hmac
import json
import secrets
from pathlib import Path
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.targets.local.run_view import STATUSES, RunView, waiting_label
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .diagram import diagram

STATIC = Path(__file__).with_name("static")
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def _when(ts: float | None) -> str:
    if not ts:
        return ""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _pretty(value: Any) -> str:
    """JSON for a <pre> block (the template escapes it)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=repr)


def _env() -> Environment:
    env = Environment(loader=PackageLoader("agentc.ui", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = _when
    env.filters["pretty"] = _pretty
    env.globals["waiting_label"] = waiting_label
    return env


class _Headers:
    """ASGI middleware: the security headers on every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(db: str | Path, *, allow_actions: bool = False, token: str | None = None) -> Starlette:
    """The console for journal ``db``. ``token``: the per-process form token (random by
    default; tests pass none and read it from the page like a browser does)."""
    view = RunView(db)
    env = _env()
    token = token or secrets.token_urlsafe(32)
    base = {"allow_actions": allow_actions, "token": token, "db": str(db)}

    def page(name: str, code: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**base, **ctx), status_code=code)

    def runs_page(request: Request) -> Response:
        status = request.query_params.get("status") or None
        if status is not None and status not in STATUSES:
            return page("error.jinja2", 400, message=f"unknown status {status!r}", hint="one of " + ", ".join(STATUSES))
        return page("runs.jinja2", runs=view.runs(status), status=status, statuses=STATUSES,
                    pending=len(view.pending()))

    def run_page(request: Request) -> Response:
        run_id = request.path_params["run_id"]
        run = view.run(run_id)
        if run is None:
            return page("error.jinja2", 404, message=f"no run {run_id!r} in {db}", hint="see the runs list")
        steps = view.steps(run_id)
        raw = request.query_params.get("step")
        step = int(raw) if raw is not None and raw.lstrip("-").isdigit() else None
        waiting = {w for p in run["interrupts"] for w in _waits_in(p)}
        return page("run.jinja2", run=run, events=view.timeline(run_id), steps=steps, step=step,
                    state=view.state_at(run_id, step), picture=diagram(run["ir"], view.taken(run_id), waiting),
                    error=None)

    def approvals_page(request: Request) -> Response:
        return page("approvals.jinja2", pending=view.pending(), error=None, error_run=None)

    async def answer_async(request: Request) -> Response:
        if not allow_actions:
            return page("error.jinja2", 403, message="this console is read-only",
                        hint="start it with `agentc ui --allow-actions` to answer approvals")
        form = dict(await request.form())
        if not hmac.compare_digest(str(form.get("csrf", "")), token):
            return page("error.jinja2", 403, message="missing or wrong form token",
                        hint="reload the page and submit the form again")
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_answer_form, request.path_params["run_id"], form)

    def _answer_form(run_id: str, form: dict[str, Any]) -> Response:
        import agentc

        run = view.run(run_id)
        try:
            if run is None:
                raise AgentcError(Code.UNKNOWN_RUN, f"no run {run_id!r} in {db}", construct=run_id,
                                  hint="see the runs list")
            value = resume_value(run_id, run["interrupts"], form)
            agentc.resume(run_id, value, db=db)
        except AgentcError as exc:
            return page("approvals.jinja2", 400, pending=view.pending(), error=exc.diagnostic.render(),
                        error_run=run_id)
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    def css(request: Request) -> Response:
        return Response((STATIC / "app.css").read_text(), media_type="text/css")

    routes = [
        Route("/", runs_page),
        Route("/runs/{run_id}", run_page),
        Route("/approvals", approvals_page),
        Route("/runs/{run_id}/answer", answer_async, methods=["POST"]),
        Route("/static/app.css", css),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"]),
                  Middleware(_Headers)]
    return Starlette(routes=routes, middleware=middleware)


def _waits_in(p: dict[str, Any]) -> list[str]:
    match p.get("kind"):
        case "interrupt":
            return [p.get("node") or ""] if not p.get("ns") else []
        case "breakpoint":
            return list(p.get("nodes") or []) if not p.get("ns") else []
        case "approval":
            return [f"{p.get('agent')}/{p.get('tool')}"]
    return []


def resume_value(run_id: str, pending: list[dict[str, Any]], form: dict[str, Any]) -> Any:
    """The form's answer as ``agentc resume --value`` takes it: one interrupt → its JSON
    value; several → ``{interrupt id: value}``; tool approvals → ``{"approve": [ids],
    "reject": [{"id", "message"}]}``; only breakpoints → no value. Whether the answer fits
    the pause is ``agentc.resume``'s to decide (the same checks as on the command line)."""
    from agentc.api import NO_VALUE

    approvals = [p for p in pending if p.get("kind") == "approval"]
    if approvals:
        value: dict[str, list[Any]] = {"approve": [], "reject": []}
        for p in approvals:
            match form.get(f"decision:{p['id']}"):
                case "approve":
                    value["approve"].append(p["id"])
                case "reject":
                    value["reject"].append({"id": p["id"], "message": form.get(f"message:{p['id']}") or None})
        return value
    interrupts = [p for p in pending if p.get("kind") == "interrupt"]
    if not interrupts:
        return NO_VALUE
    answers = {p["id"]: _json_field(run_id, form.get(f"value:{p['id']}", ""), p) for p in interrupts}
    return answers[interrupts[0]["id"]] if len(interrupts) == 1 else answers


def _json_field(run_id: str, text: str, p: dict[str, Any]) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AgentcError(Code.INVALID_JSON, f"the answer for the interrupt in {p.get('node')!r} is not valid JSON: "
                                             f"{exc.msg}", construct=run_id,
                          hint='write JSON: true, "a text in quotes", {"key": 1}') from None
