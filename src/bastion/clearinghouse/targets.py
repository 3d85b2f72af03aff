"""Fetching a target by purl, outside the sandbox (the clearinghouse's network, never the sandbox's).

PyPI packages are fetched with pip (``pip download --no-deps``) from the configured index: a URL
(``https://pypi.org/simple``) or a local directory of distributions. Other package types are not fetched yet:
their reports carry the target as an upload.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bastion.clearinghouse.errors import TargetUnavailable
from bastion.core.errors import InvalidInput

FETCH_SECONDS = 300


def fetch_purl(purl: str, index: str) -> tuple[str, bytes]:
    """The distribution file ``purl`` names (``pkg:pypi/name@version``): its file name and bytes."""
    from bastion.advisories.ecosystems import package_from_purl

    try:
        package = package_from_purl(purl)
    except InvalidInput as e:
        raise TargetUnavailable(f"cannot fetch {purl}: {e.message}") from e
    if package.ecosystem.name != "PyPI" or not package.version:
        raise TargetUnavailable(
            f"cannot fetch {purl}: only PyPI packages with a version are fetched",
            hint="upload the target as an archive instead",
        )
    source = ["--no-index", "--find-links", index] if Path(index).is_dir() else ["--index-url", index]
    with tempfile.TemporaryDirectory(prefix="bastion-fetch-") as tmp:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
            "--dest", tmp, *source, f"{package.name}=={package.version}",
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=FETCH_SECONDS, check=False)  # noqa: S603 - fixed argv
        except subprocess.TimeoutExpired as e:
            raise TargetUnavailable(f"fetching {purl} took longer than {FETCH_SECONDS} s") from e
        files = sorted(Path(tmp).iterdir())
        if done.returncode != 0 or not files:
            raise TargetUnavailable(
                f"cannot fetch {purl} from {index}: {done.stderr.strip()[-500:] or 'no file'}",
                hint="check the package index setting (BASTION_CLEARINGHOUSE_PACKAGE_INDEX) and the version",
            )
        return files[0].name, files[0].read_bytes()
