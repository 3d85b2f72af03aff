"""Run one claimed job: its handler, a heartbeat while it works, and the outcome recorded under the claim.

Shared by every worker (the in-process runner and the Celery task), so both keep the same rules:
- progress reports double as heartbeats; a background thread beats too, during long silent steps;
- a handler's refusal (``is_permanent``) fails the job at once; other failures are retried while attempts
  remain;
- a claim that was taken over (the worker stalled past the heartbeat window) records nothing more: its
  progress reports raise ``JobClaimLost`` to stop the handler, and a late result is rejected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from bastion.jobs.interface import Job, JobClaimLost, JobHandler, JobQueue, is_permanent

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = timedelta(seconds=30)
STALE_AFTER = timedelta(minutes=5)  # a running job whose heartbeat is older has lost its worker
OnProgress = Callable[[Job, float, str], None]


def execute(
    queue: JobQueue,
    job: Job,
    handler: JobHandler,
    *,
    heartbeat_every: timedelta = HEARTBEAT_EVERY,
    on_progress: OnProgress | None = None,
) -> Job | None:
    """Run ``handler`` for the claim ``job`` and record the outcome; returns the job's record after it, or
    None when the claim was lost on the way (another attempt owns the job now)."""

    def progress(fraction: float, message: str = "") -> None:
        queue.heartbeat(job, progress=fraction, message=message)
        if on_progress is not None:
            on_progress(job, fraction, message)

    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(queue, job, stop, heartbeat_every), daemon=True)
    beat.start()
    try:
        result = handler(job, progress)
    except JobClaimLost as e:
        logger.warning("job %s attempt %d stopped: %s", job.id, job.attempts, e)
        return None
    except Exception as e:  # noqa: BLE001 - any handler failure is recorded on the job, not raised
        logger.warning("job %s attempt %d failed: %s", job.id, job.attempts, e)
        error, permanent = f"{type(e).__name__}: {e}", is_permanent(e)
        return _record_lost_or(lambda: queue.fail(job, error, permanent=permanent))
    finally:
        stop.set()
        beat.join()
    return _record_lost_or(lambda: queue.succeed(job, result))


def _record_lost_or(record: Callable[[], Job]) -> Job | None:
    try:
        return record()
    except JobClaimLost as e:
        logger.warning("outcome not recorded: %s", e)
        return None


def _beat(queue: JobQueue, job: Job, stop: threading.Event, every: timedelta) -> None:
    """Keep the heartbeat fresh during long steps, so a live job is never mistaken for a dead one."""
    while not stop.wait(every.total_seconds()):
        try:
            queue.heartbeat(job)
        except JobClaimLost:
            return
        except Exception:  # the database may be briefly unreachable: keep trying while the job runs
            logger.exception("heartbeat of job %s failed", job.id)
