"""Settings, read from the environment (prefix ``BASTION_``) or passed explicitly in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path(".bastion")
MAX_EVIDENCE_BYTES = 25 * 1024 * 1024


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
    jobs_backend: Literal["inprocess", "redis"] = Field(
        default="inprocess",
        description="How background jobs reach workers. inprocess: workers poll the jobs table (one machine). "
        "redis: job ids are delivered through Redis (BASTION_REDIS_URL) to workers on any machine; "
        "job state stays in the database either way.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for the redis jobs backend, e.g. redis://127.0.0.1:6379/0 "
        "(needs the extra: pip install 'bastion[scale]').",
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
        description="Advisory sources imported by `bastion up` when none are given.",
    )

    def resolved_secret_key_file(self) -> Path:
        return self.secret_key_file or self.data_dir / "secret.key"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bastion.db').as_posix()}"
