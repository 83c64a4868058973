"""The ``agentc ui`` web console: a Starlette app over one local journal (docs/ui.md).

Pages are rendered on the server with Jinja2 (autoescaping on for every template), so a
value from a run — state, tool arguments, interrupt payloads — reaches the browser only as
text. The console serves no script at all, and its Content-Security-Policy forbids
scripts, so even a rendering mistake could not run one.

Reading goes through ``agentc.targets.local.run_view`` (read-only). The actions —
answering a pending interrupt or approval, forking a run at a step — call
``agentc.resume`` and ``agentc.audit.fork``, the functions behind ``agentc resume`` and
``agentc fork``: the same validation, the same diagnostics, and the run continues in
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
from urllib.parse import quote

from agentc.errors import AgentcError, Code
from agentc.targets.local.run_view import STATUSES, RunView, waiting_label
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import compare
from .diagram import diagram

STATIC = Path(__file__).with_name("static")
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action "
    "'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def _when(ts: float | None) -> str:
    if not ts:
        return ""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S UTC"
    )


def _pretty(value: Any) -> str:
    """JSON for a <pre> block (the template escapes it)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=repr)


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("agentc.ui", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
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
                    (k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    db: str | Path, *, allow_actions: bool = False, token: str | None = None
) -> Starlette:
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
            return page(
                "error.jinja2",
                400,
                message=f"unknown status {status!r}",
                hint="one of " + ", ".join(STATUSES),
            )
        return page(
            "runs.jinja2",
            runs=view.runs(status),
            status=status,
            statuses=STATUSES,
            pending=len(view.pending()),
        )

    def run_page(request: Request) -> Response:
        run_id = request.path_params["run_id"]
        run = view.run(run_id)
        if run is None:
            return page(
                "error.jinja2", 404, message=f"no run {run_id!r} in {db}", hint="see the runs list"
            )
        step = _int(request.query_params.get("step"))
        return run_view(run_id, run, step, _int(request.query_params.get("fork")))

    def run_view(
        run_id: str,
        run: dict[str, Any],
        step: int | None,
        fork_at: int | None,
        code: int = 200,
        fork_error: str | None = None,
    ) -> Response:
        h = view.history(run_id)
        events = view.timeline(run_id, h)
        waiting = {w for p in run["interrupts"] for w in _waits_in(p)}
        return page(
            "run.jinja2",
            code,
            run=run,
            events=events,
            steps=view.steps(run_id, h),
            step=step,
            state=view.state_at(run_id, step, h),
            picture=diagram(run["ir"], view.taken(run_id, h), waiting),
            error=None,
            lineage=view.lineage(run_id),
            fork_choices=[e for e in events if e.replayable],
            fork_selected=fork_at,
            fork_error=fork_error,
        )

    def compare_page(request: Request) -> Response:
        a_id, b_id = request.path_params["run_id"], request.path_params["other"]
        a, b = view.run(a_id), view.run(b_id)
        ha, hb = view.history(a_id), view.history(b_id)
        if a is None or b is None or ha is None or hb is None:
            missing = a_id if a is None or ha is None else b_id
            return page(
                "error.jinja2", 404, message=f"no run {missing!r} in {db}", hint="see the runs list"
            )
        related = compare.relation(a_id, b_id, view.lineage(a_id), view.lineage(b_id))
        return page(
            "compare.jinja2",
            a=a,
            b=b,
            a_events=view.timeline(a_id, ha),
            b_events=view.timeline(b_id, hb),
            diff=compare.diff(ha, hb, related is not None and related["origin"] == a_id),
            relation=related,
        )

    def approvals_page(request: Request) -> Response:
        return page("approvals.jinja2", pending=view.pending(), error=None, error_run=None)

    async def action(request: Request, handler: Any) -> Response:
        """A POST: refused unless --allow-actions and this process's form token; the
        handler (which may drive a run for a while) runs off the event loop."""
        if not allow_actions:
            return page(
                "error.jinja2",
                403,
                message="this console is read-only",
                hint="start it with `agentc ui --allow-actions` to answer approvals or fork runs",
            )
        form = dict(await request.form())
        if not hmac.compare_digest(str(form.get("csrf", "")), token):
            return page(
                "error.jinja2",
                403,
                message="missing or wrong form token",
                hint="reload the page and submit the form again",
            )
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(handler, request.path_params["run_id"], form)

    async def answer_async(request: Request) -> Response:
        return await action(request, _answer_form)

    async def fork_async(request: Request) -> Response:
        return await action(request, _fork_form)

    def _fork_form(run_id: str, form: dict[str, Any]) -> Response:
        """``agentc fork RUN_ID --at N [--set JSON]``: the same function (``agentc.audit.fork``),
        so the same checks (AC132 no such step, AC133 a value that does not fit it)."""
        from agentc.audit import fork

        run = view.run(run_id)
        if run is None:
            return page(
                "error.jinja2", 404, message=f"no run {run_id!r} in {db}", hint="see the runs list"
            )
        at = _int(str(form.get("at", "")))
        try:
            if at is None:
                raise AgentcError(
                    Code.UNKNOWN_STEP,
                    "choose the event to fork at",
                    construct="at",
                    hint="pick a node, model or tool event",
                )
            value = fork_value(str(form.get("value") or ""))
            made = fork(run_id, db=db, at=at, value=value)
        except AgentcError as exc:
            return run_view(run_id, run, None, at, 400, fork_error=exc.diagnostic.render())
        return RedirectResponse(
            f"/runs/{quote(run_id, safe='')}/compare/{quote(made.replayed.run_id, safe='')}",
            status_code=303,
        )

    def _answer_form(run_id: str, form: dict[str, Any]) -> Response:
        import agentc

        run = view.run(run_id)
        try:
            if run is None:
                raise AgentcError(
                    Code.UNKNOWN_RUN,
                    f"no run {run_id!r} in {db}",
                    construct=run_id,
                    hint="see the runs list",
                )
            value = resume_value(run_id, run["interrupts"], form)
            agentc.resume(run_id, value, db=db)
        except AgentcError as exc:
            return page(
                "approvals.jinja2",
                400,
                pending=view.pending(),
                error=exc.diagnostic.render(),
                error_run=run_id,
            )
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    def css(request: Request) -> Response:
        return Response((STATIC / "app.css").read_text(), media_type="text/css")

    routes = [
        Route("/", runs_page),
        Route("/runs/{run_id}", run_page),
        Route("/approvals", approvals_page),
        Route("/runs/{run_id}/answer", answer_async, methods=["POST"]),
        Route("/runs/{run_id}/fork", fork_async, methods=["POST"]),
        Route("/runs/{run_id}/compare/{other}", compare_page),
        Route("/static/app.css", css),
    ]
    middleware = [
        Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"]),
        Middleware(_Headers),
    ]
    return Starlette(routes=routes, middleware=middleware)


def _int(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.strip().lstrip("-").isdigit() else None


def fork_value(text: str) -> Any:
    """The fork form's JSON (empty: keep the step). Only JSON text: unlike ``--set``, no
    ``@file`` — a page must not make the console read local files."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AgentcError(
            Code.INVALID_JSON,
            f"the value to fork with is not valid JSON: {exc.msg}",
            construct="--set",
            hint='write JSON: {"key": "value"}, [..], "a text in quotes"',
        ) from None


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
                    value["reject"].append(
                        {"id": p["id"], "message": form.get(f"message:{p['id']}") or None}
                    )
        return value
    interrupts = [p for p in pending if p.get("kind") == "interrupt"]
    if not interrupts:
        return NO_VALUE
    answers = {
        p["id"]: _json_field(run_id, form.get(f"value:{p['id']}", ""), p) for p in interrupts
    }
    return answers[interrupts[0]["id"]] if len(interrupts) == 1 else answers


def _json_field(run_id: str, text: str, p: dict[str, Any]) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AgentcError(
            Code.INVALID_JSON,
            f"the answer for the interrupt in {p.get('node')!r} is not valid JSON: {exc.msg}",
            construct=run_id,
            hint='write JSON: true, "a text in quotes", {"key": 1}',
        ) from None
