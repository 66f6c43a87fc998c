"""A loopback receiver for webhook and SMS-gateway batches: what a partner is expected to do.

It checks the HMAC signature (webhooks), keeps every delivery key it has seen and counts each
recipient once per stage, however often a batch is resent; it also counts the raw requests, so
a test can see the resends. Used by ``fanguai alerts bench``, the tests and the demo
(``fanguai alerts sink``).
"""

from __future__ import annotations

import hmac
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fanguai.alerts.transports import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign


@dataclass
class SinkState:
    """What the sink received."""

    secret: str | None = None
    seen: set[str] = field(default_factory=set)  # delivery keys, each counted once
    raw: Counter[str] = field(default_factory=Counter)  # delivery key -> times received
    batches: Counter[str] = field(default_factory=Counter)  # batch key -> times received
    bodies: list[dict] = field(default_factory=list)
    bad_signatures: int = 0
    keep_bodies: bool = True
    # Status to answer for a request (e.g. lambda body: 503 to simulate a partner down).
    fail: Callable[[dict], int | None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self, body: dict) -> list[str]:
        if "recipients" in body:
            return [r["delivery"] for r in body["recipients"]]
        return [m["id"] for m in body.get("messages", [])]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        state = self.server.state
        if state.secret is not None and self.path.startswith("/webhook"):
            signature = self.headers.get(SIGNATURE_HEADER, "")
            timestamp = self.headers.get(TIMESTAMP_HEADER, "")
            if not hmac.compare_digest(signature, sign(state.secret, timestamp, raw)):
                with state.lock:
                    state.bad_signatures += 1
                self._answer(401)
                return
        try:
            body = json.loads(raw)
        except ValueError:
            self._answer(400)
            return
        status = state.fail(body) if state.fail else None
        if status:
            self._answer(status)
            return
        with state.lock:
            state.batches[body.get("batch", "")] += 1
            for key in state.keys(body):
                state.raw[key] += 1
                state.seen.add(key)
            if state.keep_bodies:
                state.bodies.append(body)
        self._answer(200)

    def _answer(self, status: int) -> None:
        payload = b'{"ok":true}' if status == 200 else b'{"ok":false}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: SinkState


class LoopbackSink:
    """A sink on 127.0.0.1 in a background thread: ``with LoopbackSink(secret) as sink: ...``."""

    def __init__(self, secret: str | None = None, port: int = 0, keep_bodies: bool = True) -> None:
        self.server = _Server(("127.0.0.1", port), _Handler)
        self.server.state = SinkState(secret=secret, keep_bodies=keep_bodies)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def state(self) -> SinkState:
        return self.server.state

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LoopbackSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
