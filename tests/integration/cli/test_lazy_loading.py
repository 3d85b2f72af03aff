"""A command loads only what it needs: every ``bastion`` call once imported every slice and its services
(about two seconds) before doing anything. Checked in a fresh interpreter, as a user runs the command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bastion.cli.main import _UNITS

_LOADED = """
import json, sys
from bastion.cli.main import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _loaded(args: list[str], tmp_path: Path) -> tuple[int, set[str]]:
    env = {"PATH": "/usr/bin:/bin", "BASTION_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


SLICES = ("bastion.review", "bastion.clearinghouse", "bastion.identity", "bastion.evals", "bastion.defense")


def test_version_loads_no_slice_no_database_and_no_settings(tmp_path: Path) -> None:
    code, modules = _loaded(["--version"], tmp_path)
    assert code == 0
    assert not {m for m in modules if m.startswith((*SLICES, "bastion.db", "bastion.container", "sqlalchemy"))}


@pytest.mark.parametrize(
    ("args", "needed", "not_needed"),
    [
        (["defend", "scan", "bom.cdx.json"], "bastion.defense.scan", ("bastion.review", "bastion.clearinghouse",
                                                                       "bastion.identity", "bastion.evals")),
        (["review", "--help"], "bastion.cli.review", ("bastion.defense", "bastion.clearinghouse", "bastion.evals")),
        (["query", "--help"], "bastion.cli.advisories", ("bastion.defense", "bastion.review", "bastion.evals")),
    ],
)  # fmt: skip
def test_a_command_loads_its_own_module_and_not_the_others(
    tmp_path: Path, args: list[str], needed: str, not_needed: tuple[str, ...]
) -> None:
    if args[:2] == ["defend", "scan"]:
        (tmp_path / "bom.cdx.json").write_text(
            json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []})
        )
        args = ["defend", "scan", str(tmp_path / "bom.cdx.json")]
        assert _loaded(["stats"], tmp_path)[0] == 0  # a database already made (the first call migrates it)
    code, modules = _loaded(args, tmp_path)
    assert code == 0
    assert needed in modules
    assert not {m for m in modules if m.startswith(not_needed)}


def test_help_lists_every_command_group_loaded_on_demand(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "BASTION_DATA_DIR": str(tmp_path), "HOME": str(tmp_path), "COLUMNS": "200"}
    every_root_command = [name for unit in _UNITS.values() for name in unit]
    for args, expected in ((["--help"], every_root_command), (["defend", "--help"], ["scan", "alerts", "triage"])):
        done = subprocess.run(
            [sys.executable, "-m", "bastion.cli.main", *args], capture_output=True, text=True, env=env, check=False
        )
        assert done.returncode == 0, done.stderr
        rows = [line.split() for line in done.stdout.splitlines() if line.startswith("│ ")]
        listed = {row[1] for row in rows if len(row) > 2}
        assert set(expected) <= listed, (args, sorted(set(expected) - listed))
