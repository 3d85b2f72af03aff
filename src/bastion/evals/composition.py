"""A worker for the evals service (the service itself is built by ``bastion.container``)."""

from __future__ import annotations

from bastion.evals.service import JOB_KIND, EvalService
from bastion.jobs.inprocess import InProcessRunner


def worker_for(service: EvalService) -> InProcessRunner:
    worker = InProcessRunner(service.queue)
    worker.register(JOB_KIND, service.handle)
    return worker
