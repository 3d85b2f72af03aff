"""Every exploitation challenge of both tiers, for real, in the bastion sandbox (bubblewrap, private
loopback network, each target service under its own uid).

For each challenge: its reference exploit, run from the agent's side, captures this run's random flag;
the documented non-exploit reaches the services, gets their normal refusal, and no flag; and reading the
flag directly (the file, the service's directory) fails. A challenge that leaked its flag to ordinary
use, or whose exploit stopped working, fails here. The catalog's format is checked here too.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from bastion.evals.challenges import (
    Challenge,
    Difficulty,
    InvalidChallenge,
    Tier,
    all_challenges,
    select_challenges,
)
from bastion.evals.challenges._catalog import _relays_through_socat
from bastion.evals.errors import InvalidEvalRequest
from bastion.evals.tasks.exploitation import new_flag
from bastion.sandbox import NetworkMode, Sandbox, SandboxSpec, ServiceSpec
from tests.integration.evals.challenge_runs import output, start

CHALLENGES = all_challenges()
DIRECT_READ = (
    "cat /service/flag.txt; ls -la /service; "
    "find / \\( -path /proc -o -path /sys -o -path /usr \\) -prune -o -name 'flag*' -print 2>/dev/null"
    " | xargs -r cat"
)


pytestmark = pytest.mark.usefixtures("sven_data")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_each_tier_has_at_least_twelve_distinct_challenges() -> None:
    assert len({c.id for c in CHALLENGES}) == len(CHALLENGES)
    for tier in Tier:
        assert len([c for c in CHALLENGES if c.tier is tier]) >= 12, tier
    assert {c.difficulty for c in CHALLENGES} == set(Difficulty)
    assert {c.language.value for c in CHALLENGES} == {"c", "python"}
    assert len({c.cwe for c in CHALLENGES}) >= 20


@pytest.mark.anyio
@pytest.mark.parametrize("challenge", CHALLENGES, ids=[c.id for c in CHALLENGES])
async def test_reference_exploit_captures_the_flag(challenge: Challenge) -> None:
    flag = new_flag()
    async with await start(challenge, flag) as sandbox:
        await sandbox.write_file("solve.sh", challenge.solution_script())
        result = await sandbox.exec(["bash", "solve.sh"], timeout=120)
    assert flag in output(result), output(result)


@pytest.mark.anyio
@pytest.mark.parametrize("challenge", CHALLENGES, ids=[c.id for c in CHALLENGES])
async def test_ordinary_use_and_direct_reads_do_not_reveal_the_flag(challenge: Challenge) -> None:
    flag = new_flag()
    async with await start(challenge, flag) as sandbox:
        naive = await sandbox.exec(["bash", "-c", challenge.naive], timeout=60)
        direct = await sandbox.exec(["bash", "-c", DIRECT_READ], timeout=60)
    # the services are up and answered the way they answer an ordinary user...
    assert challenge.naive_expect in output(naive), output(naive)
    # ...and neither that nor looking for the file yields the flag
    assert flag not in output(naive)
    assert "bastion{" not in output(direct), output(direct)
    assert "No such file or directory" in output(direct)


def test_selection_by_id_tier_and_difficulty() -> None:
    hard = select_challenges(CHALLENGES, difficulty="hard")
    assert hard and all(c.difficulty is Difficulty.HARD for c in hard)
    picked = select_challenges(CHALLENGES, ids="py-sql-injection, c-stack-auth")
    assert [c.id for c in picked] == ["py-sql-injection", "c-stack-auth"]
    assert select_challenges(CHALLENGES, ids="c-stack-auth", difficulty="hard") == []
    advanced = select_challenges(CHALLENGES, tier="advanced")
    assert advanced and all(c.tier is Tier.ADVANCED for c in advanced)
    assert select_challenges(CHALLENGES, ids="c-stack-auth", tier="advanced") == []
    assert len(select_challenges(CHALLENGES)) == len(CHALLENGES)


def test_selection_rejects_unknown_names_with_the_valid_choices() -> None:
    with pytest.raises(InvalidEvalRequest) as unknown:
        select_challenges(CHALLENGES, ids="c-stack-auth,no-such-challenge")
    assert "no-such-challenge" in unknown.value.message
    assert "c-stack-auth" in (unknown.value.hint or "")
    with pytest.raises(InvalidEvalRequest):
        select_challenges(CHALLENGES, difficulty="impossible")
    with pytest.raises(InvalidEvalRequest) as tier:
        select_challenges(CHALLENGES, tier="olympic")
    assert "advanced" in (tier.value.hint or "")


def _broken(tmp_path: Path, challenge_id: str, old: str, new: str) -> Path:
    source = next(c for c in CHALLENGES if c.id == challenge_id).directory
    broken = tmp_path / source.name
    shutil.copytree(source, broken)
    toml = (source / "challenge.toml").read_text()
    assert old in toml
    (broken / "challenge.toml").write_text(toml.replace(old, new, 1))
    return broken


@pytest.mark.parametrize(
    ("challenge_id", "old", "new", "complaint"),
    [
        ("c-stack-auth", 'language = "c"', 'language = "cobol"', "cobol"),
        ("c-stack-auth", "spray = true", "", "spray"),
        ("c-stack-auth", "[baselines]", "[baseline]", "[baselines]"),
        ("native-notes", 'tier = "advanced"', 'tier = "galaxy"', "galaxy"),
        ("native-notes", 'binaries = ["notes"]', 'binaries = ["nodes"]', "nodes"),
        ("native-notes", 'sources = ["notes.c"]', 'sources = ["notes.cpp"]', "C files"),
        ("web-chain", "holds_flag = true", "holds_flag = false", "exactly one service"),
        ("web-chain", 'name = "ops"', 'name = "portal"', "unique"),
        ("web-chain", 'secrets = ["ops_token"]', 'secrets = ["ops token"]', "secret name"),
        ("net-pivot", "port = 6390", "port = 80", "1024-65535"),
        ("sven-git-relay", 'split = "train"', 'split = "test"', "split"),
        ("native-inventory", "EXEC:/service/inventory,nofork", "EXEC:/service/inventory", "nofork"),
        ("c-ret2win", "EXEC:/service/greeter,nofork", "SYSTEM:'/service/greeter',pty", "nofork"),
        ("py-sql-injection", ",nofork", "", "socat relay"),
    ],
)
def test_a_malformed_challenge_is_rejected_with_what_is_wrong(
    tmp_path: Path, challenge_id: str, old: str, new: str, complaint: str
) -> None:
    with pytest.raises(InvalidChallenge) as bad:
        Challenge.from_directory(_broken(tmp_path, challenge_id, old, new))
    assert complaint in bad.value.message + (bad.value.hint or "")


def test_borrowed_code_must_name_a_real_sven_function(tmp_path: Path) -> None:
    commit = "commit/1f9a8510e1d2f20ed7334eeeddb92c4dd8e7c649"
    broken = Challenge.from_directory(_broken(tmp_path, "sven-git-relay", commit, "commit/0000"))
    with pytest.raises(InvalidChallenge) as bad:
        broken.read("pkt.c")
    assert "0 rows for ng_pkt" in bad.value.message


LAST_WORDS = """read line
head -c 262144 /dev/zero
echo last-words
kill -SEGV $$
"""
CLIENT = """
import socket
kept = 0
for _ in range(100):
    s = socket.create_connection(("127.0.0.1", 9050), timeout=10)
    s.sendall(b"go\\n")
    got = b""
    while chunk := s.recv(65536):
        got += chunk
    kept += got.endswith(b"last-words\\n")
print(kept)
"""


@pytest.mark.anyio
async def test_what_a_service_writes_before_it_crashes_reaches_the_client() -> None:
    """The relay form the catalog requires (socat EXEC with nofork) hands the connection to the program
    itself. socat's forking relay lost the last output of a crashing program on most of these
    connections (59 of 100 in the sandbox), so a working exploit failed for no fault of its own."""
    command = "socat TCP-LISTEN:9050,bind=127.0.0.1,reuseaddr,fork EXEC:'sh /service/last.sh',nofork"
    assert not _relays_through_socat(command)
    service = ServiceSpec(
        name="target", command=tuple(shlex.split(command)), port=9050, files={"last.sh": LAST_WORDS.encode()}
    )
    async with await Sandbox.start(SandboxSpec(network=NetworkMode.LOOPBACK, services=(service,))) as sandbox:
        result = await sandbox.exec(["python3", "-c", CLIENT], timeout=120)
    assert output(result).strip() == "100", output(result)
