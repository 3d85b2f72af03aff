"""Every exploitation challenge, for real, in the bastion sandbox (bubblewrap, private loopback network,
target service under its own uid).

For each challenge: its reference exploit, run from the agent's side, captures this run's random flag;
the documented non-exploit reaches the service, gets its normal refusal, and no flag; and reading the
flag directly (the file, the service's directory) fails. A challenge that leaked its flag to ordinary
use, or whose exploit stopped working, fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.evals.challenges import (
    Challenge,
    Difficulty,
    InvalidChallenge,
    all_challenges,
    select_challenges,
)
from bastion.evals.errors import InvalidEvalRequest
from bastion.evals.tasks.exploitation import new_flag, sandbox_config
from bastion.sandbox import CommandResult, Sandbox

CHALLENGES = all_challenges()
DIRECT_READ = (
    "cat /service/flag.txt; ls -la /service; "
    "find / \\( -path /proc -o -path /sys -o -path /usr \\) -prune -o -name 'flag*' -print 2>/dev/null"
    " | xargs -r cat"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _start(challenge: Challenge, flag: str) -> Sandbox:
    sandbox = await Sandbox.start(sandbox_config(challenge, flag).to_spec())
    for path, content in challenge.handout_files().items():
        await sandbox.write_file(path, content)
    return sandbox


def _output(result: CommandResult) -> str:
    return (result.stdout + result.stderr).decode(errors="replace")


def test_the_battery_has_at_least_twelve_distinct_challenges() -> None:
    assert len(CHALLENGES) >= 12
    assert len({c.id for c in CHALLENGES}) == len(CHALLENGES)
    assert {c.difficulty for c in CHALLENGES} == set(Difficulty)
    assert {c.language.value for c in CHALLENGES} == {"c", "python"}
    assert len({c.cwe for c in CHALLENGES}) >= 10


@pytest.mark.anyio
@pytest.mark.parametrize("challenge", CHALLENGES, ids=[c.id for c in CHALLENGES])
async def test_reference_exploit_captures_the_flag(challenge: Challenge) -> None:
    flag = new_flag()
    async with await _start(challenge, flag) as sandbox:
        await sandbox.write_file("solve.sh", challenge.solution_script())
        result = await sandbox.exec(["bash", "solve.sh"], timeout=60)
    assert flag in _output(result), _output(result)


@pytest.mark.anyio
@pytest.mark.parametrize("challenge", CHALLENGES, ids=[c.id for c in CHALLENGES])
async def test_ordinary_use_and_direct_reads_do_not_reveal_the_flag(challenge: Challenge) -> None:
    flag = new_flag()
    async with await _start(challenge, flag) as sandbox:
        naive = await sandbox.exec(["bash", "-c", challenge.naive], timeout=60)
        direct = await sandbox.exec(["bash", "-c", DIRECT_READ], timeout=60)
    # the service is up and answered the way it answers an ordinary user...
    assert challenge.naive_expect in _output(naive), _output(naive)
    # ...and neither that nor looking for the file yields the flag
    assert flag not in _output(naive)
    assert "bastion{" not in _output(direct), _output(direct)
    assert "No such file or directory" in _output(direct)


def test_selection_by_id_and_difficulty() -> None:
    hard = select_challenges(CHALLENGES, difficulty="hard")
    assert hard and all(c.difficulty is Difficulty.HARD for c in hard)
    picked = select_challenges(CHALLENGES, ids="py-sql-injection, c-stack-auth")
    assert [c.id for c in picked] == ["py-sql-injection", "c-stack-auth"]
    assert select_challenges(CHALLENGES, ids="c-stack-auth", difficulty="hard") == []


def test_selection_rejects_unknown_names_with_the_valid_choices() -> None:
    with pytest.raises(InvalidEvalRequest) as unknown:
        select_challenges(CHALLENGES, ids="c-stack-auth,no-such-challenge")
    assert "no-such-challenge" in unknown.value.message
    assert "c-stack-auth" in (unknown.value.hint or "")
    with pytest.raises(InvalidEvalRequest):
        select_challenges(CHALLENGES, difficulty="impossible")


def test_a_malformed_challenge_is_rejected_with_what_is_wrong(tmp_path: Path) -> None:
    source = CHALLENGES[0].directory
    broken = tmp_path / source.name
    broken.mkdir()
    toml = (source / "challenge.toml").read_text().replace('difficulty = "', 'difficulty = "trivial-')
    (broken / "challenge.toml").write_text(toml)
    with pytest.raises(InvalidChallenge) as bad:
        Challenge.from_directory(broken)
    assert "trivial-" in bad.value.message
