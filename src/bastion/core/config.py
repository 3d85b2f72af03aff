"""Settings, read from the environment (prefix ``BASTION_``) or passed explicitly in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATA_DIR = Path(".bastion")
MAX_EVIDENCE_BYTES = 25 * 1024 * 1024
BROKER_SCHEMES = ("amqp", "amqps", "pyamqp", "redis", "rediss")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BASTION_", extra="ignore")

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="Where the embedded SQLite database, evaluation logs and evidence files live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: a SQLite file in data_dir. "
        "PostgreSQL: postgresql://user@host:5432/dbname",
    )
    secret_key: str | None = Field(
        default=None,
        description="Key material for encrypting secrets at rest (e.g. model-access credentials). "
        "Default: a random key generated once and kept in secret_key_file.",
    )
    secret_key_file: Path | None = Field(
        default=None,
        description="Where the generated secret key lives when BASTION_SECRET_KEY is unset (created once, mode "
        "0600; refused if others may read it). Default: data_dir/secret.key. Put it outside the data directory "
        "so that one backup never holds both the data and its key.",
    )
    max_json_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=1024**3,
        description="The largest request body any API operation accepts, refused (413) before authentication "
        "and parsing; operations that take evidence accept max_evidence_bytes instead.",
    )
    max_evidence_bytes: int = Field(
        default=MAX_EVIDENCE_BYTES,
        ge=1024,
        le=64 * 1024**3,
        description="The largest evidence file (an upload, or an evaluation run summary) a review accepts.",
    )
    audit_key: str | None = Field(
        default=None,
        description="The secret that keys the audit log's hash chain and signs its checkpoints. Keep it outside "
        "the database (and its backups). Default: BASTION_AUDIT_KEY_FILE.",
    )
    audit_key_file: Path | None = Field(
        default=None,
        description="A file holding the audit key, created (mode 0600) if missing. Default: data_dir/audit.key.",
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="Where `bastion audit checkpoint` appends signed checkpoints and `bastion audit verify` "
        "reads the latest; put it outside the database's reach (another host, a write-once store).",
    )
    jobs_backend: Literal["inprocess", "celery"] = Field(
        default="inprocess",
        description="Who runs background jobs. inprocess: `bastion worker` polls the jobs table (one machine, "
        "no server). celery: Celery workers on any machine, jobs delivered through BASTION_BROKER_URL; "
        "job state stays in the database either way.",
    )
    broker_url: str | None = Field(
        default=None,
        description="The Celery broker for the celery jobs backend: amqp://USER:PASSWORD@HOST:5672// (RabbitMQ) "
        "or redis://HOST:6379/0 (needs the extra: pip install 'bastion[scale]').",
    )
    jobs_queue: str = Field(
        default="bastion",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
        description="The broker queue this deployment's jobs go through (deployments sharing a broker differ).",
    )
    review_tick_seconds: int = Field(
        default=300, ge=0, description="How often workers close expired reviews and queue reminders (0: never)."
    )
    clearinghouse_tick_seconds: int = Field(
        default=300,
        ge=0,
        description="How often workers run the clearinghouse's clock: SLA reminders and escalations, embargo "
        "reminders, publication when an embargo ends (0: never).",
    )
    advisory_refresh_seconds: int = Field(
        default=86_400, ge=0, description="How often workers re-import BASTION_OSV_SOURCES (0: never)."
    )
    public_url: str | None = Field(
        default=None,
        description="The public origin Bastion is served at (e.g. https://clearinghouse.example.gov): the base of "
        "the URLs in CSAF feeds and published documents. Default: the origin of each request.",
    )
    csaf_signing_key_file: Path | None = Field(
        default=None,
        description="The OpenPGP key that signs published CSAF documents, created (mode 0600) if missing. "
        "Default: data_dir/csaf-signing.asc.",
    )
    clearinghouse_package_index: str | None = Field(
        default=None,
        description="Where the clearinghouse fetches reports' targets named by purl (outside the sandbox): a package "
        "index URL (https://pypi.org/simple) or a directory of distributions. Default: none (no network; such "
        "reports need the target uploaded).",
    )
    osv_page_size: int = Field(
        default=1000, ge=1, le=10_000, description="Results per page of /v1/query before next_page_token."
    )
    osv_sources: list[str] = Field(
        default_factory=lambda: [
            "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
            "https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip",
            "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        ],
        description="Advisory sources imported by `bastion up` when none are given, and re-imported by workers "
        "every BASTION_ADVISORY_REFRESH_SECONDS.",
    )

    smtp_host: str | None = Field(
        default=None, description="The SMTP server the defensive tools' alert e-mails go through (unset: no e-mail)."
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="Its port (587 with starttls, 465 with tls).")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none", description="none, starttls, or tls (SMTP over TLS)."
    )
    smtp_username: str | None = Field(default=None, description="Log in to the SMTP server as this user when set.")
    smtp_password: str | None = Field(default=None, description="The SMTP password (with smtp_username).")
    smtp_sender: str = Field(default="bastion-alerts@localhost", description="The From address of alert e-mails.")
    alert_delivery_seconds: int = Field(
        default=60, ge=0, description="How often workers deliver due alerts (webhooks, e-mail) (0: never)."
    )
    alert_max_attempts: int = Field(
        default=6, ge=1, le=50, description="Attempts per alert and channel before its delivery is given up."
    )
    alert_retry_base_seconds: int = Field(
        default=60, ge=1, description="The wait after an alert's first failed delivery; it doubles after each failure."
    )
    alert_retry_cap_seconds: int = Field(default=6 * 3600, ge=1, description="The longest wait between attempts.")
    alert_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="One alert delivery attempt's network timeout."
    )
    alert_webhook_allow_local: bool = Field(
        default=False,
        description="Let webhooks reach this host's own and link-local addresses (loopback, 169.254.0.0/16 such as "
        "cloud metadata, ...); off, such a webhook is refused. For a receiver on the same machine only.",
    )

    def resolved_secret_key_file(self) -> Path:
        return self.secret_key_file or self.data_dir / "secret.key"

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme not in BROKER_SCHEMES:
            raise ValueError(
                f"a broker URL must start with one of {', '.join(s + '://' for s in BROKER_SCHEMES)}, "
                "e.g. amqp://guest:guest@127.0.0.1:5672// or redis://127.0.0.1:6379/0"
            )
        return url

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError as e:
            raise ValueError(f"not a database URL ({e})") from None  # the URL itself may hold a password
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"{backend} is not supported: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bastion.db').as_posix()}"
