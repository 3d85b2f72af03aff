"""The README documents every setting the code reads and every service knob the tests read."""

from __future__ import annotations

import re
from pathlib import Path

from bastion.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text("utf-8")


def _read_in(folder: str) -> set[str]:
    names: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        names |= set(re.findall(r'["\'](BASTION_[A-Z][A-Z0-9_]*[A-Z0-9])["\']', path.read_text("utf-8")))
    return names


def test_every_setting_is_in_the_configuration_table() -> None:
    settings = {f"BASTION_{name.upper()}" for name in Settings.model_fields}
    table = set(re.findall(r"^\| `(BASTION_[A-Z_]+)` \|", README, flags=re.MULTILINE))
    missing = (settings | _read_in("src")) - table
    assert not missing, f"not in the README's configuration table: {sorted(missing)}"


def test_every_variable_the_tests_read_is_documented() -> None:
    missing = {name for name in _read_in("tests") if not re.search(rf"`{name}(=[^`]*)?`", README)}
    assert not missing, f"the README does not say what these do: {sorted(missing)}"
