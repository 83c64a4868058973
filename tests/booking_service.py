"""A small payments/booking HTTP service for the effect tests (docs/effects.md).

It runs in a thread of the test process on 127.0.0.1 (so it outlives the SIGKILLed run
processes), records every request, and honours ``Idempotency-Key`` the way payment APIs
do: the first request with a key performs the effect and its response is stored; a later
request with the same key gets the stored response and performs nothing (``replayed``).

Endpoints (POST, JSON): ``/flights/reserve``, ``/flights/release``, ``/hotels/reserve``
(409 when ``"hotel": "full"``), ``/hotels/cancel``, ``/charges``, ``/refunds``.
"""
from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator


@dataclass
class Request:
    path: str
    key: str | None
    body: dict[str, Any]
    status: int
    replayed: bool


@dataclass
class BookingService:
    requests: list[Request] = field(default_factory=list)
    stored: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    # ------------------------------------------------------------ the effects
    def handle(self, path: str, key: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if key is not None and key in self.stored:
                old_path, status, response = self.stored[key]
                if old_path != path:  # a key reused for another request: what Stripe answers
                    status, response = 422, {"error": f"idempotency key reused for {old_path}"}
                self.requests.append(Request(path, key, body, status, True))
                return status, response
            status, response = self._effect(path, body)
            if key is not None:
                self.stored[key] = (path, status, response)
            self.requests.append(Request(path, key, body, status, False))
            return status, response

    def _effect(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        prefix = {"/flights/reserve": "FL", "/hotels/reserve": "HT", "/charges": "CH", "/flights/release": "RL",
                  "/hotels/cancel": "HC", "/refunds": "RF"}.get(path)
        if prefix is None:
            return 404, {"error": f"no endpoint {path}"}
        if path == "/hotels/reserve" and body.get("hotel") == "full":
            return 409, {"error": "no room left"}
        self.counter += 1
        return 200, {"id": f"{prefix}-{body.get('trip') or body.get('id')}-{self.counter}", "ok": True}

    # ------------------------------------------------------------ what tests read
    def effects(self) -> list[tuple[str, str | None]]:
        """The new effects performed (path, key), in order: successful, not replayed."""
        with self.lock:
            return [(r.path, r.key) for r in self.requests if not r.replayed and r.status == 200]

    def paths(self) -> list[str]:
        return [p for p, _ in self.effects()]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.stored.clear()
            self.counter = 0


def serve() -> tuple[BookingService, ThreadingHTTPServer, str]:
    """Start a service on a free port of 127.0.0.1; returns it, its server and its URL."""
    service = BookingService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                body = {}
            status, response = service.handle(self.path, self.headers.get("Idempotency-Key"), body)
            data = json.dumps(response).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return service, server, f"http://127.0.0.1:{server.server_address[1]}"


@contextlib.contextmanager
def serving(monkeypatch: Any, folder: Path, pyproject: str | None = None) -> Iterator[BookingService]:
    """A service for one test: its URL in ``$AGENTC_BOOKING_URL`` (read by the fixtures'
    tools and nodes), ``folder`` as the working directory with ``pyproject`` as its
    ./pyproject.toml (the effect policy the compile, the run and its workers read)."""
    service, http, url = serve()
    monkeypatch.setenv("AGENTC_BOOKING_URL", url)
    monkeypatch.chdir(folder)
    if pyproject is not None:
        (Path(folder) / "pyproject.toml").write_text(pyproject)
    try:
        yield service
    finally:
        http.shutdown()
