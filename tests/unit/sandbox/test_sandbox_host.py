"""The sandbox refuses clearly when it cannot isolate: not root, or a helper binary missing."""

from __future__ import annotations

import pytest

from bastion.sandbox import SandboxNeedsRoot, SandboxToolMissing, host_tools


def test_not_root_is_a_clear_operational_error(monkeypatch: pytest.MonkeyPatch) -> None:
    host_tools.cache_clear()
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    try:
        with pytest.raises(SandboxNeedsRoot, match="must be started by root") as raised:
            host_tools()
        assert raised.value.code == "sandbox_needs_root"
    finally:
        host_tools.cache_clear()


def test_missing_bubblewrap_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    host_tools.cache_clear()
    monkeypatch.setattr("bastion.sandbox._host._SYSTEM_PATH", "/nonexistent")
    try:
        with pytest.raises(SandboxToolMissing) as raised:
            host_tools()
        assert raised.value.hint == "install it, e.g. `apt-get install -y bubblewrap`"
    finally:
        host_tools.cache_clear()
