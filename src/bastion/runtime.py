"""The composition root: settings, database and clock, built once and handed to shells and services."""

from __future__ import annotations

from dataclasses import dataclass, field

from bastion.core.clock import Clock, SystemClock
from bastion.core.config import Settings
from bastion.core.files import private_dir
from bastion.db import Database


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, clock: Clock | None = None) -> Runtime:
        settings = settings or Settings()
        private_dir(settings.data_dir).chmod(0o700)  # everything Bastion keeps there is the server's alone
        database = Database(settings.resolved_database_url())
        return cls(settings=settings, database=database, clock=clock or SystemClock())

    def migrate(self) -> None:
        self.database.migrate()
