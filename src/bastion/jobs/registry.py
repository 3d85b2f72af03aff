"""What a deployment's workers can run: job kind -> handler, and periodic work (name -> interval + handler).

The jobs slice sits below the other slices and never imports their handlers: a composition module
(``bastion.workers``) fills a registry and hands it to whichever worker runs (the in-process runner or Celery).
A periodic task is a job kind of its own: each run is an ordinary job, keyed by its time slot (see
``bastion.jobs.schedule``), so its state, attempts and result are recorded like any other job's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

from bastion.jobs.interface import JobHandler

_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Periodic:
    name: str  # also the job kind of its runs
    every: timedelta
    handler: JobHandler
    max_attempts: int = 1  # a missed run is retried by the next slot


class JobRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}
        self._periodic: dict[str, Periodic] = {}

    def handle(self, kind: str, handler: JobHandler) -> None:
        """Register the handler of a job kind."""
        if not _NAME.match(kind):
            raise ValueError(f"job kind {kind!r} is not a valid name (lowercase letters, digits, . _ -)")
        if kind in self._handlers:
            raise ValueError(f"job kind {kind!r} is registered twice")
        self._handlers[kind] = handler

    def every(self, name: str, every: timedelta, handler: JobHandler, *, max_attempts: int = 1) -> None:
        """Register periodic work: ``handler`` runs once per ``every`` (once per time slot, however many
        workers or schedulers are running)."""
        if every < timedelta(seconds=1):
            raise ValueError(f"periodic task {name!r} cannot run more often than once a second (every {every})")
        self.handle(name, handler)
        self._periodic[name] = Periodic(name, every, handler, max_attempts)

    @property
    def handlers(self) -> Mapping[str, JobHandler]:
        return MappingProxyType(self._handlers)

    @property
    def periodic(self) -> tuple[Periodic, ...]:
        return tuple(self._periodic.values())
