"""Human baselines: a person gets a shell in a sample's bastion sandbox (``connection()``, what Inspect's human agent
prints as the login command), and an expert's time per challenge is recorded from a human-agent run's log."""

from __future__ import annotations

import json
import queue
import re
import shlex
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.util import SandboxUserUnsupportedError

from bastion.cli.main import main
from bastion.evals.challenges import all_challenges
from bastion.evals.records import HumanResult, human_difficulty, human_minutes, human_results
from bastion.evals.sandbox import BastionSandboxEnvironment
from bastion.evals.tasks.exploitation import exploitation, new_flag, sandbox_config

CHALLENGE = next(c for c in all_challenges() if c.id == "c-off-by-one")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_a_person_gets_a_shell_in_the_samples_sandbox() -> None:
    flag = new_flag()
    config = sandbox_config(CHALLENGE, flag)
    environments = await BastionSandboxEnvironment.sample_init("exploitation", config, {})
    env = environments["default"].as_type(BastionSandboxEnvironment)
    try:
        await env.write_file("note.txt", "left by the agent\n")
        connection = await env.connection()
        assert connection.type == "bastion"
        person = (
            f"cat note.txt; id -un; pwd; {CHALLENGE.naive}; cat /service/flag.txt; echo made-by-person > mine.txt; "
            "readlink /proc/self/ns/net\n"
        )
        shell = subprocess.run(
            shlex.split(connection.command), input=person, capture_output=True, text=True, timeout=60, check=False
        )
        # the same files, the same unprivileged user, the same private network with the target service...
        assert "left by the agent" in shell.stdout
        assert "sandbox\n/workspace" in shell.stdout
        assert CHALLENGE.naive_expect in shell.stdout
        network = (await env.exec(["readlink", "/proc/self/ns/net"])).stdout.strip()
        assert network.startswith("net:[") and shell.stdout.strip().endswith(network)  # the agent's, not the host's
        # ...and no more than the agent gets: the flag stays out of reach
        assert flag not in shell.stdout + shell.stderr
        assert (await env.read_file("mine.txt")).strip() == "made-by-person"
        with pytest.raises(SandboxUserUnsupportedError):
            await env.connection(user="root")
    finally:
        await BastionSandboxEnvironment.sample_cleanup("exploitation", config, environments, interrupted=False)
    with pytest.raises(ConnectionError):
        await env.connection()


def person_at_the_keyboard(commands: queue.Queue[str], flags: list[str]) -> None:
    """An expert: waits for the login command the human agent prints, logs in once the agent's ``task`` command
    is installed, starts the clock, exploits the service, submits the flag and confirms. A terminal (``script``)
    stands between them and the sandbox, as it would for a person."""
    login = commands.get(timeout=300)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # a person reads the instructions first; the agent installs meanwhile
        probe = "test -f /opt/human_agent/task.py && grep -q 'Human Agent' ~/.bashrc && echo READY\n"
        ready = subprocess.run(shlex.split(login), input=probe, capture_output=True, text=True, check=False)
        if "READY" in ready.stdout:
            break
        time.sleep(0.5)
    typed = (
        f"task start\ncat > /tmp/solve.sh <<'EOS'\n{CHALLENGE.solution_script()}\nEOS\n"
        "FLAG=$(bash /tmp/solve.sh | grep -o 'bastion{[0-9a-f]*}' | head -1)\n"
        'task submit "$FLAG"\ny\nexit\nexit\n'
    )
    session = subprocess.run(
        ["script", "-qfec", login, "/dev/null"], input=typed, capture_output=True, text=True, timeout=300, check=False
    )
    flags.extend(re.findall(r"bastion\{[0-9a-f]{32}\}", session.stdout))


def test_inspects_human_agent_works_in_the_bastion_sandbox_and_its_time_is_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: queue.Queue[str] = queue.Queue()
    real_connection = BastionSandboxEnvironment.connection

    async def connection(self: BastionSandboxEnvironment, *, user: str | None = None) -> Any:
        found = await real_connection(self, user=user)  # the real one; the person is told what it returns
        commands.put(found.command)
        return found

    monkeypatch.setattr(BastionSandboxEnvironment, "connection", connection)
    flags: list[str] = []
    person = threading.Thread(target=person_at_the_keyboard, args=(commands, flags))
    person.start()
    [log] = inspect_eval(
        exploitation(agent="human", challenges=CHALLENGE.id),
        model="mockllm/model",
        display="plain",
        log_dir=str(tmp_path),
    )
    person.join(timeout=180)
    assert log.status == "success", log.error
    [sample] = log.samples or []
    assert flags and sample.output.completion == flags[0] == sample.target  # the person captured it
    assert next(iter(sample.scores.values())).value == 1.0

    records = tmp_path / "human.json"
    where = log.location.removeprefix("file://")
    assert main(["eval", "human", "record", where, "--expert", "expert-1", "--file", str(records)]) == 0
    assert "c-off-by-one: " in capsys.readouterr().out
    [stored] = human_results(records)
    assert (stored.challenge, stored.expert, stored.solved) == (CHALLENGE.id, "expert-1", True)
    assert 0 < stored.seconds < 300  # the human agent's own clock, from `task start` to the submission
    assert json.loads(records.read_text())["format"] == "bastion.challenge-records/1"
    # recording the same log again adds nothing
    assert main(["eval", "human", "record", where, "--expert", "expert-1", "--file", str(records)]) == 0
    assert len(human_results(records)) == 1


def test_difficulty_comes_from_the_median_time_of_the_experts_who_solved_it() -> None:
    now = datetime.now(UTC)
    results = [
        HumanResult(challenge="x", expert="a", solved=True, seconds=42 * 60, log="1.eval", recorded_at=now),
        HumanResult(challenge="x", expert="b", solved=True, seconds=20 * 60, log="2.eval", recorded_at=now),
        HumanResult(challenge="x", expert="c", solved=False, seconds=90 * 60, log="3.eval", recorded_at=now),
    ]
    assert human_minutes("x", results) == 31.0
    assert human_difficulty(human_minutes("x", results)) == "medium"
    assert human_minutes("y", results) is None and human_difficulty(None) is None
    assert human_difficulty(10) == "easy" and human_difficulty(61) == "hard"


def test_a_model_run_is_not_taken_for_a_human_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [log] = inspect_eval(
        exploitation(challenges=CHALLENGE.id, epochs=1, message_limit=2),
        model="mockllm/model",
        display="none",
        log_dir=str(tmp_path),
    )
    where = log.location.removeprefix("file://")
    assert main(["eval", "human", "record", where, "--expert", "x", "--file", str(tmp_path / "h.json")]) == 2
    assert "is not a human-agent run" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "h.json").exists()


def test_the_repository_holds_no_human_times_yet() -> None:
    # the file starts empty: no human data until an expert has actually worked the challenges
    assert human_results() == []
