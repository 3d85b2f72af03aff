"""Alert delivery against real local receivers: an HTTP webhook receiver (``http.server`` in a thread) that checks
the HMAC signature as an agency's receiver would, and a real SMTP server (aiosmtpd).

The receivers here are fixtures the alert tests share (``webhook``, ``smtp``)."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bastion.defense.delivery import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliverySettings,
    Mail,
    SmtpSender,
    WebhookSender,
    verify_signature,
)

SECRET = "whsec-test-0123456789"


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    signature_ok: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """An agency's webhook endpoint: verifies each body's signature with ``secret`` at ``now`` and answers with
    the next status of ``script`` (then 200)."""

    url: str
    secret: str
    now: datetime
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    @property
    def verified(self) -> list[Received]:
        return [r for r in self.received if r.signature_ok]


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(url="", secret=SECRET, now=datetime.now(UTC))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ok = verify_signature(
                receiver.secret,
                body=body,
                timestamp=self.headers.get(TIMESTAMP_HEADER),
                signature=self.headers.get(SIGNATURE_HEADER),
                now=receiver.now,
            )
            receiver.received.append(Received(body, dict(self.headers.items()), ok))
            status = receiver.script.pop(0) if receiver.script else (200 if ok else 401)
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"try later")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/bastion"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class MailSink:
    host: str
    port: int
    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    def settings(self, **extra: Any) -> DeliverySettings:
        return DeliverySettings(smtp_host=self.host, smtp_port=self.port, smtp_sender="alerts@bastion.test", **extra)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[MailSink]:
    sink = MailSink(host="127.0.0.1", port=_free_port())

    class Handler:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            content = envelope.original_content or b""
            sink.messages.append((list(envelope.rcpt_tos), message_from_bytes(content)))
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def test_a_signed_webhook_verifies_at_the_receiver_and_a_tampered_or_stale_one_does_not(
    webhook: WebhookReceiver,
) -> None:
    sent_at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    webhook.now = sent_at + timedelta(seconds=30)
    body = json.dumps({"type": "defense.exposure.new", "id": "alr_1"}).encode()
    attempt = WebhookSender(allow_local=True).send(
        webhook.url, SECRET, body, at=sent_at, event="exposure.new", delivery_id="a1"
    )
    assert attempt.ok and attempt.detail == "HTTP 200"
    (received,) = webhook.received
    assert received.signature_ok and received.json()["id"] == "alr_1"
    assert received.headers[DELIVERY_HEADER] == "a1"
    # the same body under another secret, or sent long ago (a replay), is refused by the receiver
    wrong = WebhookSender(allow_local=True).send(webhook.url, "another", body, at=sent_at, event="e", delivery_id="a2")
    webhook.now = sent_at + timedelta(hours=1)
    stale = WebhookSender(allow_local=True).send(webhook.url, SECRET, body, at=sent_at, event="e", delivery_id="a3")
    assert not wrong.ok and wrong.detail.startswith("HTTP 401")
    assert not stale.ok and stale.detail.startswith("HTTP 401")
    assert [r.signature_ok for r in webhook.received] == [True, False, False]


def test_a_receiver_error_or_an_unreachable_host_is_a_failed_attempt(webhook: WebhookReceiver) -> None:
    webhook.script = [503]
    at = webhook.now
    failed = WebhookSender(allow_local=True).send(webhook.url, SECRET, b"{}", at=at, event="e", delivery_id="d")
    assert not failed.ok and failed.detail == "HTTP 503: try later"
    port = _free_port()  # nothing listens there
    down = WebhookSender(timeout=2, allow_local=True).send(
        f"http://127.0.0.1:{port}/", SECRET, b"{}", at=at, event="e", delivery_id="d"
    )
    assert not down.ok and "ConnectError" in down.detail


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "[::1]", "169.254.169.254", "0.0.0.0", "[::ffff:127.0.0.1]"]
)
def test_a_webhook_to_this_host_or_a_link_local_service_is_refused_without_a_connection(
    webhook: WebhookReceiver, host: str
) -> None:
    """By default an agency cannot point alerts at Bastion's own host or at cloud metadata (a request forgery):
    the attempt fails, saying why, and nothing is sent."""
    url = webhook.url.replace("127.0.0.1", host) if host != "169.254.169.254" else "http://169.254.169.254/latest/"
    attempt = WebhookSender(timeout=2).send(url, SECRET, b"{}", at=webhook.now, event="e", delivery_id="d")
    assert (
        not attempt.ok and "local address" in attempt.detail and "BASTION_ALERT_WEBHOOK_ALLOW_LOCAL" in attempt.detail
    )
    assert webhook.received == []


def test_an_alert_email_reaches_a_real_smtp_server(smtp: MailSink) -> None:
    sender = SmtpSender(smtp.settings())
    mail = Mail(
        recipients=("soc@treasury.example", "oncall@treasury.example"),
        subject="[Bastion] GHSA-1 affects payments",
        text="jinja2 2.10 in payments is affected by GHSA-1.",
        message_key="alr_42",
    )
    attempt = sender.send(mail)
    assert attempt.ok, attempt.detail
    ((rcpt, message),) = smtp.messages
    assert sorted(rcpt) == ["oncall@treasury.example", "soc@treasury.example"]
    assert message["Subject"] == "[Bastion] GHSA-1 affects payments"
    assert message["From"] == "alerts@bastion.test" and message["X-Bastion-Alert"] == "alr_42"
    assert "jinja2 2.10 in payments" in message.get_payload()


def test_no_smtp_server_is_a_failed_attempt_not_a_crash() -> None:
    mail = Mail(recipients=("a@b.example",), subject="s", text="t", message_key="k")
    unset = SmtpSender(DeliverySettings(smtp_host=None)).send(mail)
    assert not unset.ok and "BASTION_SMTP_HOST" in unset.detail
    down = SmtpSender(DeliverySettings(smtp_host="127.0.0.1", smtp_port=_free_port(), alert_timeout_seconds=2)).send(
        mail
    )
    assert not down.ok and "ConnectionRefusedError" in down.detail


def _outward_address() -> str:
    """This machine's own address on its network (not loopback): where a receiver that passes the local-address
    check can listen in a test."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("203.0.113.9", 9))  # no packet is sent: this only picks the route's source address
        return str(s.getsockname()[0])


class Resolver:
    """Answers for hosts under ``.test`` from a script, one answer per lookup (the last one repeats), and hands
    every other name to the real resolver: DNS rebinding needs an authority the test controls, which this
    machine does not have."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        if not (isinstance(host, str) and host.endswith(".test")):
            return self._real(host, port, *args, **kwargs)
        self.lookups.append(host)
        script = self.answers[host]
        address = script.pop(0) if len(script) > 1 else script[0]
        return self._real(address, port, *args, **kwargs)


def test_a_host_that_resolves_elsewhere_after_the_check_is_not_followed_there(
    webhook: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the webhook's host answers an outside address when checked, then 127.0.0.1. The attempt
    goes to the checked address (nothing listens there) and the local receiver hears nothing."""
    port = webhook.url.split(":")[2].split("/")[0]
    resolver = Resolver(monkeypatch, {"hooks.rebind.test": [_outward_address(), "127.0.0.1"]})
    url = f"http://hooks.rebind.test:{port}/hooks/bastion"
    attempt = WebhookSender(timeout=2).send(url, SECRET, b"{}", at=webhook.now, event="e", delivery_id="d")
    assert not attempt.ok and "ConnectError" in attempt.detail, attempt.detail
    assert webhook.received == []
    assert resolver.lookups == ["hooks.rebind.test"]  # resolved once, for the check, and never again


def test_a_host_that_fails_to_resolve_is_not_resolved_again(
    webhook: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = webhook.url.split(":")[2].split("/")[0]
    resolver = Resolver(monkeypatch, {"hooks.flaky.test": ["no-such-host.invalid", "127.0.0.1"]})
    attempt = WebhookSender(timeout=2).send(
        f"http://hooks.flaky.test:{port}/", SECRET, b"{}", at=webhook.now, event="e", delivery_id="d"
    )
    assert not attempt.ok and "does not resolve" in attempt.detail
    assert webhook.received == [] and resolver.lookups == ["hooks.flaky.test"]


def _tls_receiver(tmp_path: Path, address: str, name: str) -> tuple[ThreadingHTTPServer, Path, list[dict[str, str]]]:
    """An HTTPS receiver on ``address`` whose certificate names ``name``, issued by a CA made here; returns the
    server, the CA's certificate file and the headers of what it receives."""
    now = datetime.now(UTC)

    def issue(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, signer: ec.EllipticCurvePrivateKey) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(hours=1))
        )
        if subject == issuer:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        else:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = issue("Test agency CA", ca_key, "Test agency CA", ca_key)
    leaf = issue(name, leaf_key, "Test agency CA", ca_key)
    ca_file, chain_file, key_file = tmp_path / "ca.pem", tmp_path / "leaf.pem", tmp_path / "leaf.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append(dict(self.headers.items()))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            pass

    server = ThreadingHTTPServer((address, 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, ca_file, seen


@pytest.mark.parametrize(("certified", "delivered"), [("hooks.agency.test", True), ("other.agency.test", False)])
def test_an_https_webhook_goes_to_the_checked_address_and_verifies_the_hosts_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certified: str, delivered: bool
) -> None:
    """The connection is pinned to the checked address, yet TLS still checks the certificate against the URL's
    host name: a receiver certified for hooks.agency.test gets the alert, one certified for another name does
    not."""
    address = _outward_address()
    server, ca_file, seen = _tls_receiver(tmp_path, address, certified)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the agency's CA, as a deployment would trust it
    Resolver(monkeypatch, {"hooks.agency.test": [address]})
    port = server.server_address[1]
    try:
        attempt = WebhookSender(timeout=5).send(
            f"https://hooks.agency.test:{port}/in", SECRET, b"{}", at=datetime.now(UTC), event="e", delivery_id="d"
        )
    finally:
        server.shutdown()
        server.server_close()
    if delivered:
        assert attempt.ok, attempt.detail
        assert [h["Host"] for h in seen] == [f"hooks.agency.test:{port}"]
    else:
        assert not attempt.ok and "CERTIFICATE_VERIFY_FAILED" in attempt.detail, attempt.detail
        assert seen == []
