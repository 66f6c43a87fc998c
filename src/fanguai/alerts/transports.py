"""Transports: a partner's webhook (batched, HMAC-signed), SMTP, and an SMS gateway over HTTP.

Each takes one batch and either returns (with the recipients that were refused one by one) or
raises ``DeliveryError``: ``retryable`` for what may pass later (timeouts, refused connections,
408, 425, 429, 5xx, SMTP 4xx), permanent otherwise (other 4xx, SMTP 5xx, a bad address).

Receivers see each batch's key and each recipient's delivery key; a batch resent after a crash
carries the same keys, so a receiver that keeps the keys it has seen counts every recipient once
per stage (the contract in docs/alerts.md).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import urlsplit

RETRYABLE_HTTP = {408, 425, 429}
SIGNATURE_HEADER = "X-Fanguai-Signature"
TIMESTAMP_HEADER = "X-Fanguai-Timestamp"
BATCH_HEADER = "X-Fanguai-Batch"


class DeliveryError(Exception):
    """A batch that did not go through; ``retryable`` says whether to try again later."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Recipient:
    """One recipient of a batch."""

    delivery: str  # the delivery key: "<alert>:<stage seq>:<subscriber>"
    subscriber: str
    address: str | None = None  # e-mail or mobile number (e-mail and SMS only)
    ref: str | None = None  # the partner's own reference (app users)
    label: str | None = None
    optout: str | None = None  # the volunteer's one-click opt-out link (e-mail and SMS)


@dataclass(frozen=True)
class Endpoint:
    """Where a batch goes, with its secret in clear (held only while sending)."""

    key: str
    kind: str
    url: str
    secret: str | None = None
    sender: str | None = None


@dataclass
class Batch:
    """What one request carries: the alert's public content, the stage, the recipients."""

    key: str
    stage: dict[str, Any]
    alert: dict[str, Any]
    text: str
    subject: str
    recipients: list[Recipient]


class Transport(Protocol):
    def send(self, endpoint: Endpoint, batch: Batch) -> dict[str, str]:
        """Deliver; return {delivery key: reason} for recipients refused one by one."""
        ...


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``timestamp + "." + body`` (see docs/alerts.md)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class HttpPoster:
    """Keeps one connection per host open across batches (loopback sinks, partners)."""

    def __init__(self, connect_timeout: float = 3.0, read_timeout: float = 10.0) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, host, port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            conn = self._connection(key)
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                detail = response.read(300)
            except TimeoutError as exc:
                self._drop(key)
                raise DeliveryError(f"timeout: {exc}", retryable=True) from None
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                self._drop(key)
                if attempt == 1 and isinstance(
                    exc, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
                ):
                    continue
                raise DeliveryError(
                    f"connection: {type(exc).__name__}: {exc}", retryable=True
                ) from None
            if response.getheader("connection", "").lower() == "close":
                self._drop(key)
            if 200 <= response.status < 300:
                return
            message = f"HTTP {response.status}: {detail.decode('utf-8', 'replace')[:200]}"
            retryable = response.status in RETRYABLE_HTTP or response.status >= 500
            raise DeliveryError(message, retryable=retryable)

    def _connection(self, key: tuple[str, str, int]) -> http.client.HTTPConnection:
        conn = self._connections.get(key)
        if conn is None:
            scheme, host, port = key
            if scheme == "https":
                conn = http.client.HTTPSConnection(
                    host, port, timeout=self.connect_timeout, context=ssl.create_default_context()
                )
            else:
                conn = http.client.HTTPConnection(host, port, timeout=self.connect_timeout)
            conn.connect()
            if conn.sock is not None:
                conn.sock.settimeout(self.read_timeout)
            self._connections[key] = conn
        return conn

    def _drop(self, key: tuple[str, str, int]) -> None:
        conn = self._connections.pop(key, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for key in list(self._connections):
            self._drop(key)


class WebhookTransport:
    """POST the batch as JSON, signed with the endpoint's HMAC key."""

    def __init__(self, poster: HttpPoster) -> None:
        self.poster = poster

    def send(self, endpoint: Endpoint, batch: Batch) -> dict[str, str]:
        if not endpoint.secret:
            raise DeliveryError("the webhook has no signing secret", retryable=False)
        body = json.dumps(
            {
                "type": "fanguai.alert",
                "version": 1,
                "batch": batch.key,
                "stage": batch.stage,
                "alert": batch.alert,
                "recipients": [
                    {"delivery": r.delivery, "subscriber": r.subscriber, "ref": r.ref}
                    for r in batch.recipients
                ],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        timestamp = str(int(time.time()))
        self.poster.post(
            endpoint.url,
            body,
            {
                "Content-Type": "application/json; charset=utf-8",
                BATCH_HEADER: batch.key,
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
            },
        )
        return {}


class SmsGatewayTransport:
    """POST ``{"messages": [{"id", "to", "text"}]}`` with the gateway's API key."""

    def __init__(self, poster: HttpPoster) -> None:
        self.poster = poster

    def send(self, endpoint: Endpoint, batch: Batch) -> dict[str, str]:
        refused = {r.delivery: "no mobile number" for r in batch.recipients if not r.address}
        messages = [
            {
                "id": r.delivery,
                "to": r.address,
                "text": batch.text + (f" 退订：{r.optout}" if r.optout else ""),
            }
            for r in batch.recipients
            if r.address
        ]
        if messages:
            body = json.dumps(
                {"batch": batch.key, "messages": messages}, ensure_ascii=False
            ).encode("utf-8")
            self.poster.post(
                endpoint.url,
                body,
                {
                    "Content-Type": "application/json; charset=utf-8",
                    "Authorization": f"Bearer {endpoint.secret or ''}",
                    BATCH_HEADER: batch.key,
                },
            )
        return refused


class SmtpTransport:
    """One SMTP session per batch, one message per recipient (Message-ID: the delivery key)."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def send(self, endpoint: Endpoint, batch: Batch) -> dict[str, str]:
        parts = urlsplit(endpoint.url)
        host = parts.hostname or ""
        refused: dict[str, str] = {}
        try:
            client: smtplib.SMTP
            if parts.scheme == "smtps":
                client = smtplib.SMTP_SSL(host, parts.port or 465, timeout=self.timeout)
            else:
                client = smtplib.SMTP(host, parts.port or 25, timeout=self.timeout)
            with client:
                for r in batch.recipients:
                    if not r.address:
                        refused[r.delivery] = "no e-mail address"
                        continue
                    try:
                        client.send_message(self._message(endpoint, batch, r))
                    except smtplib.SMTPRecipientsRefused as exc:
                        refused[r.delivery] = f"refused: {list(exc.recipients.values())[0]!r}"[:200]
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:200],
                retryable=400 <= exc.smtp_code < 500,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"SMTP: {type(exc).__name__}: {exc}"[:200], retryable=True
            ) from None
        return refused

    @staticmethod
    def _message(endpoint: Endpoint, batch: Batch, r: Recipient) -> EmailMessage:
        message = EmailMessage()
        message["From"] = endpoint.sender or "alerts@localhost"
        message["To"] = r.address
        message["Subject"] = batch.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{r.delivery.replace(':', '.')}@fanguai>"
        message["X-Fanguai-Delivery"] = r.delivery
        text = batch.text
        if r.optout:
            # RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click" to it.
            message["List-Unsubscribe"] = f"<{r.optout}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            text += f"\n\n不想再收到预警？一键退订：{r.optout}"
        message.set_content(text)
        return message


def default_transports(
    connect_timeout: float = 3.0, read_timeout: float = 10.0
) -> dict[str, Transport]:
    """The transports by endpoint kind."""
    poster = HttpPoster(connect_timeout, read_timeout)
    return {
        "webhook": WebhookTransport(poster),
        "sms_gateway": SmsGatewayTransport(poster),
        "smtp": SmtpTransport(read_timeout),
    }
