"""Getting an alert to an agency: a signed webhook POST or an e-mail over SMTP, one attempt at a time.

A webhook body is signed with HMAC-SHA256 under the agency's webhook secret, over ``"<timestamp>.<body>"``
(the timestamp is sent in ``X-Bastion-Timestamp``, the signature as ``v1=<hex>`` in ``X-Bastion-Signature``), so a
receiver can check both who sent it and that it is fresh (``verify_signature``; a replayed old body fails the
tolerance). ``X-Bastion-Delivery`` carries the alert's id: a receiver that sees it twice (a retry after a lost
answer) can drop the second.

Each sender makes one attempt and says how it went (``Attempt``); the outbox (``bastion.defense.outbox``) decides
when to try again (``backoff``) and when to give up. Nothing here sleeps or reads the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict

from bastion.core.config import Settings
from bastion.core.ids import DeliveryID

SIGNATURE_HEADER = "X-Bastion-Signature"
TIMESTAMP_HEADER = "X-Bastion-Timestamp"
EVENT_HEADER = "X-Bastion-Event"
DELIVERY_HEADER = "X-Bastion-Delivery"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE = timedelta(minutes=5)
MAX_DETAIL = 300  # characters of a receiver's answer kept with a failed attempt


class DeliverySettings(BaseModel):
    """How alerts leave Bastion: the deployment's ``BASTION_SMTP_*`` and ``BASTION_ALERT_*`` settings."""

    model_config = ConfigDict(frozen=True)

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "bastion-alerts@localhost"
    alert_timeout_seconds: float = 10.0
    alert_max_attempts: int = 6
    alert_retry_base_seconds: int = 60
    alert_retry_cap_seconds: int = 6 * 3600
    alert_webhook_allow_local: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliverySettings:
        return cls.model_validate(settings.model_dump(include=set(cls.model_fields)))


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one delivery attempt went. ``detail``: the receiver's status or the error, for the record."""

    ok: bool
    detail: str


def backoff(failures: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """The wait before the next attempt after ``failures`` failed ones (1, 2, ...): base, 2 base, 4 base, ...
    never more than ``cap``."""
    if failures < 1:
        return timedelta(0)
    wait: timedelta = base * (2 ** min(failures - 1, 30))
    return min(cap, wait)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify_signature(
    secret: str,
    *,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> bool:
    """For receivers: is this body signed with ``secret``, and was it sent within ``tolerance`` of ``now``?"""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        return "a webhook URL starts with https:// (or http:// on a private network)"
    if not parts.hostname:
        return "a webhook URL names a host"
    if parts.username or parts.password:
        return "a webhook URL carries no credentials (the body is signed with the webhook secret instead)"
    if parts.fragment:
        return "a webhook URL has no #fragment"
    return None


def _local(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """This host's own, link-local (cloud metadata), unspecified, multicast or reserved addresses: never a
    webhook receiver an agency may point Bastion at. Private networks (10/8, 172.16/12, 192.168/16, fc00::/7)
    stay allowed: an agency's receiver may well live on one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _local(address.ipv4_mapped)
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    )


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a webhook is sent: the URL with its host replaced by the checked address, the ``Host`` header
    and the TLS server name to verify the receiver's certificate against (the URL's own host)."""

    url: str
    host_header: str
    server_name: str

    @classmethod
    def as_given(cls, url: str) -> Destination:
        """``url`` unchanged: its host resolved by the connection itself (a receiver on this machine)."""
        parts = urlsplit(url)
        return cls(url, parts.netloc.rpartition("@")[2], parts.hostname or "")


def resolve_webhook(url: str) -> Destination | str:
    """The address to send ``url``'s webhook to, checked, or why it may not be reached from here (its host is
    or resolves to a local address).

    The connection goes to the address checked here and nowhere else: a resolver that answers a public address
    now and a local one a moment later (DNS rebinding) cannot turn the check into a request forgery. Nor can a
    resolver that fails now: a host that does not resolve is a failed attempt, never resolved again."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except ValueError as e:
        return f"the webhook URL's port is not valid ({e})"
    except (OSError, UnicodeError) as e:
        return f"the webhook's host {host} does not resolve ({e})"
    addresses = list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))
    for text in sorted(addresses):
        if _local(ipaddress.ip_address(text)):
            return (
                f"the webhook's host {host} is a local address ({text}): Bastion does not send alerts to itself or "
                "to link-local services (set BASTION_ALERT_WEBHOOK_ALLOW_LOCAL for a receiver on this machine)"
            )
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{port}" if port is not None else literal
    given = Destination.as_given(url)
    return Destination(parts._replace(netloc=netloc).geturl(), given.host_header, given.server_name)


class WebhookSender:
    """POSTs signed JSON bodies. Redirects are not followed: a 3xx is a failed attempt, as any non-2xx is. A URL
    whose host is or resolves to a local address (loopback, link-local such as cloud metadata) is refused
    without a connection, unless ``allow_local``."""

    def __init__(
        self, *, timeout: float = 10.0, transport: httpx.BaseTransport | None = None, allow_local: bool = False
    ) -> None:
        self._timeout = timeout
        self._transport = transport
        self._allow_local = allow_local

    def send(self, url: str, secret: str, body: bytes, *, at: datetime, event: str, delivery_id: DeliveryID) -> Attempt:
        destination = Destination.as_given(url) if self._allow_local else resolve_webhook(url)
        if isinstance(destination, str):
            return Attempt(False, destination[:MAX_DETAIL])
        timestamp = int(at.timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Bastion-Alerts/1",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            EVENT_HEADER: event,
            DELIVERY_HEADER: delivery_id,
            "Host": destination.host_header,
        }
        try:
            with httpx.Client(timeout=self._timeout, follow_redirects=False, transport=self._transport) as client:
                response = client.post(
                    destination.url,
                    content=body,
                    headers=headers,
                    extensions={"sni_hostname": destination.server_name},
                )
        except httpx.HTTPError as e:
            return Attempt(False, f"{type(e).__name__}: {e}"[:MAX_DETAIL])
        if 200 <= response.status_code < 300:
            return Attempt(True, f"HTTP {response.status_code}")
        return Attempt(False, f"HTTP {response.status_code}: {response.text[:MAX_DETAIL]}")


@dataclass(frozen=True, slots=True)
class Mail:
    recipients: tuple[str, ...]
    subject: str
    text: str
    message_key: str  # the alert's id: the Message-ID is derived from it, so a resent alert is the same message


class SmtpSender:
    """Sends one plain-text e-mail per attempt through the configured SMTP server (stdlib ``smtplib``)."""

    def __init__(self, settings: DeliverySettings) -> None:
        self._settings = settings

    @property
    def configured(self) -> bool:
        return bool(self._settings.smtp_host)

    def message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.smtp_sender
        message["To"] = ", ".join(mail.recipients)
        message["Subject"] = mail.subject
        domain = self._settings.smtp_sender.rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid(idstring=mail.message_key, domain=domain)
        message["X-Bastion-Alert"] = mail.message_key
        message.set_content(mail.text)
        return message

    def send(self, mail: Mail) -> Attempt:
        settings = self._settings
        if not settings.smtp_host:
            return Attempt(False, "no SMTP server is configured (BASTION_SMTP_HOST)")
        try:
            smtp: smtplib.SMTP
            if settings.smtp_security == "tls":
                smtp = smtplib.SMTP_SSL(
                    settings.smtp_host,
                    settings.smtp_port,
                    timeout=settings.alert_timeout_seconds,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.alert_timeout_seconds)
            with smtp:
                if settings.smtp_security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_username:
                    smtp.login(settings.smtp_username, settings.smtp_password or "")
                refused = smtp.send_message(self.message(mail))
        except (smtplib.SMTPException, OSError) as e:
            return Attempt(False, f"{type(e).__name__}: {e}"[:MAX_DETAIL])
        if refused:  # the others have it: sending again would mail them twice
            return Attempt(True, f"delivered, but refused for {', '.join(sorted(refused))}"[:MAX_DETAIL])
        return Attempt(True, f"accepted by {settings.smtp_host}:{settings.smtp_port}")
