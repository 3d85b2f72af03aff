"""Redis for the scale-path job tests: the real server, and a key prefix of each test's own.

With no reachable Redis the tests report themselves skipped by name; in CI (``BASTION_REQUIRE_REDIS=1``) an
unreachable Redis is a failure instead. Keys are removed by prefix afterwards (never FLUSHALL).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

REDIS_URL = os.environ.get("BASTION_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as e:
        message = f"Redis not reachable at {REDIS_URL}: {e}"
        if os.environ.get("BASTION_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix no other test (or test worker) uses; its keys are deleted afterwards."""
    name = f"bastion-test:{uuid.uuid4().hex}"
    yield name
    delete_keys(redis_client, name)


def delete_keys(client: redis.Redis, prefix: str) -> int:
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    return int(client.delete(*keys)) if keys else 0


@pytest.fixture
def lose_redis_data(redis_client: redis.Redis, prefix: str) -> Callable[[], int]:
    """What a Redis restart without persistence does to this test's keys; returns how many were lost."""
    return lambda: delete_keys(redis_client, prefix)
