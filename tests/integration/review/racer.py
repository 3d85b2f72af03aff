"""Run as separate processes by test_review_concurrency.py: one process of several racing on one review, as
several API processes or CLI invocations would. Each waits for the start file, then offers one-day extensions
as the lab through the review service. Usage: racer.py DB_URL DATA_DIR CLOCK_ISO REVIEW_ID TOKEN COUNT START"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

from bastion.container import Container
from bastion.core.clock import ManualClock
from bastion.core.config import Settings
from bastion.db import Database
from bastion.review.schemas import ExtensionCreate
from bastion.runtime import Runtime


def main() -> None:
    url, data_dir, when, review_id, token, count, start = sys.argv[1:8]
    settings = Settings(data_dir=Path(data_dir), database_url=url, secret_key="test-secret-key")
    container = Container(
        Runtime(settings=settings, database=Database(url), clock=ManualClock(datetime.fromisoformat(when)))
    )
    lab = container.identity.authenticate_token(token)
    while not Path(start).exists():
        time.sleep(0.005)
    done = 0
    for _ in range(int(count)):
        extension = container.review.extensions.propose(
            lab, review_id, ExtensionCreate(days=1, reason="one more day for the evaluators")
        )
        done += extension.status == "consented"
    print(done)


if __name__ == "__main__":
    main()
