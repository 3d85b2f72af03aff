"""ASGI entry point for ``uvicorn bastion.api.asgi:app`` (and ``bastion serve`` workers).

Settings come from the environment. ``bastion serve`` migrates the database before workers start.
"""

from __future__ import annotations

from bastion.api.app import create_app
from bastion.runtime import Runtime

app = create_app(Runtime.from_settings())
