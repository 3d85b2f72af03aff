"""The README's Quickstart, followed as a newcomer would: on a fresh `git clone`, in the order written.

The commands are read from the README itself (its first two ``sh`` blocks), so the test and the page cannot
drift apart. Two changes only, both ones the README offers: `scripts/up` gets `--port` with a free port (the
README says it takes one) and the pip-audit URL follows it; and `scripts/test` gets a pytest argument that
runs one small test file instead of the whole suite, because the whole suite is what CI itself runs on a
fresh clone with that same command (`.ci/run`), and running it here would run this test inside itself.

It installs two virtual environments' worth of packages, so it takes minutes: opt in with
``--run-quickstart`` (``.ci/run`` does).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.advisories.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SMALL_TEST = "tests/unit/advisories/test_timestamps.py"
LIMIT_SECONDS = 1500


def _blocks(readme: str) -> tuple[list[str], list[str]]:
    """The Quickstart's command block and the pip-audit block after it."""
    section = readme[readme.index("## Quickstart") : readme.index("\n## ", readme.index("## Quickstart") + 5)]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 2, "the Quickstart has its two commands, then the pip-audit example"
    lines = [[line for line in block.splitlines() if line.strip()] for block in blocks]
    return lines[0], lines[1]


def _run(command: str, cwd: Path, env: dict[str, str], deadline: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=max(1.0, deadline - time.monotonic()),
        check=False,
    )


def _sign_in_as_each_demo_user(clone: Path, env: dict[str, str], deadline: float, base: str) -> None:
    """What the Quickstart says next: seed the demo, and sign in on the web as each demo user."""
    demo = _run(".venv/bin/bastion demo", clone, {**env, "COLUMNS": "200"}, deadline)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    passwords = dict(re.findall(r"│ ([a-z-]+) +│ ([A-Za-z0-9_-]{16}) +│", demo.stdout))
    assert len(passwords) == 19, demo.stdout[-3000:]
    for label, password in passwords.items():
        with httpx.Client(base_url=base, timeout=60) as browser:
            form = browser.get("/signin").text
            token = form.split('name="login_token" value="')[1].split('"')[0]
            signed = browser.post(
                "/signin",
                data={"email": f"{label}@demo.bastion.example", "password": password, "login_token": token},
            )
            assert signed.status_code == 303, (label, signed.text[-500:])
            assert f'data-user="{label}@demo.bastion.example"' in browser.get("/").text, label


@pytest.mark.quickstart
def test_the_quickstart_works_in_order_on_a_fresh_clone(tmp_path: Path, shared_data: Path) -> None:
    quickstart, example = _blocks((ROOT / "README.md").read_text("utf-8"))
    assert len(quickstart) == 2 and quickstart[0].startswith("scripts/up ") and quickstart[1] == "scripts/test"
    assert quickstart[0].endswith(" &"), "the README says how scripts/up keeps serving while the tests run"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(tmp_path / "bastion")], check=True, timeout=120)
    (tmp_path / "shared").symlink_to(shared_data.parent)  # the README's ../shared
    clone = tmp_path / "bastion"
    env = {k: v for k, v in os.environ.items() if k not in ("BASTION_DATABASE_URL", "BASTION_DATA_DIR")}
    env.pop("VIRTUAL_ENV", None)
    port = free_port()
    deadline = time.monotonic() + LIMIT_SECONDS

    up_command = quickstart[0].removesuffix("&").strip() + f" --port {port}"
    up_log = (tmp_path / "up.log").open("w")
    up = subprocess.Popen(
        ["bash", "-c", up_command], cwd=clone, env=env, stdout=up_log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        tests = _run(f"{quickstart[1]} {SMALL_TEST}", clone, env, deadline)
        assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]
        assert re.search(r"\d+ passed", tests.stdout), tests.stdout[-2000:]

        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline and up.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(1)
        assert up.poll() is None, (tmp_path / "up.log").read_text()[-3000:]
        assert (clone / ".bastion" / "bastion.db").is_file()

        results = [_run(line.replace("127.0.0.1:8000", f"127.0.0.1:{port}"), clone, env, deadline) for line in example]
        assert [r.returncode for r in results[:-1]] == [0] * (len(results) - 1), [r.stderr for r in results]
        audit = results[-1]
        assert audit.returncode == 1, audit.stdout + audit.stderr  # pip-audit: vulnerabilities found
        assert re.search(r"^jinja2\s+2\.4\.1\s+PYSEC-", audit.stdout, flags=re.MULTILINE), audit.stdout
        assert re.search(r"^django\s+3\.2\.0\s+PYSEC-", audit.stdout, flags=re.MULTILINE), audit.stdout
        _sign_in_as_each_demo_user(clone, env, deadline, base)
    finally:
        os.killpg(up.pid, signal.SIGTERM)  # scripts/up and the server it started, nothing else
        up.wait(timeout=60)
        up_log.close()
