"""Building a challenge's files: borrowed real code put in place, native targets compiled on the host.

Native targets are compiled once per process with every mitigation on and stripped. The agent gets
exactly the bytes the service runs, so offsets read from the handout hold against the target; ASLR
(the kernel's, on inside the sandbox) still moves every base at each run. Borrowed functions come
from the SVEN dataset (``bastion.evals.datasets``: a local copy or the pinned upstream file), so no
third-party code is committed here; each insertion carries a ``Source:`` line naming the fix.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from bastion.core.errors import OperationalError
from bastion.evals.challenges._parts import Artifact, BorrowedFunction, InvalidChallenge
from bastion.evals.datasets import SVEN, DataSource
from bastion.evals.errors import EvalError

HARDENED_CFLAGS = (
    "-O0",
    "-fno-omit-frame-pointer",
    "-fstack-protector-all",  # canary in every function
    "-fPIE",
    "-pie",  # position independent: ASLR moves the binary too
    "-Wl,-z,relro,-z,now",  # full RELRO: the GOT is read-only after start
    "-Wl,-z,noexecstack",  # NX stack
    "-s",  # stripped: no symbols to read
    "-w",
)
_BUILD_SECONDS = 120


class ChallengeBuildFailed(EvalError, OperationalError):  # noqa: N818 - names a kind, like the core errors
    """A challenge's native target could not be compiled on this machine."""

    default_code = "eval_challenge_build_failed"


def with_borrowed_code(path: Path, borrowed: tuple[BorrowedFunction, ...]) -> str:
    """The text of ``path`` with each line holding a borrowed function's marker replaced by a
    ``Source:`` line (in the marker line's own comment syntax) and the function's vulnerable version.
    The source line names the project and file, not the fixing commit, which would point at the bug."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidChallenge(f"cannot read challenge file {path}: {e}", details={"path": str(path)}) from e
    if not any(b.marker in text for b in borrowed):
        return text
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        found = next((b for b in borrowed if b.marker in line), None)
        if found is None:
            out.append(line)
            continue
        prefix = line[: line.index(found.marker)]
        row = _sven_row(found)
        out.append(f"{prefix}Source: https://{found.repository}, {row['file_name']} (via SVEN: eth-sri/sven, MIT)\n")
        out.append(str(row["func_src_before"]).rstrip("\n") + "\n")
    return "".join(out)


@cache
def _sven_rows(split: str, cwe: str) -> tuple[dict[str, object], ...]:
    try:
        spec = SVEN[(split, cwe)]
    except KeyError:
        raise InvalidChallenge(f"no SVEN file {split}/cwe-{cwe}", hint="see bastion.evals.datasets.SVEN") from None
    return tuple(DataSource.from_environment().jsonl(spec))


def _sven_row(b: BorrowedFunction) -> dict[str, object]:
    rows = [
        r for r in _sven_rows(b.split, b.cwe) if r.get("commit_link") == b.commit and r.get("func_name") == b.function
    ]
    if len(rows) != 1:
        raise InvalidChallenge(
            f"SVEN {b.split}/cwe-{b.cwe} has {len(rows)} rows for {b.function} at {b.commit}, expected 1",
            hint="check the [[borrowed]] commit and function against the dataset",
        )
    return rows[0]


def build_binary(artifact: Artifact, read: Callable[[str], str]) -> bytes:
    """The stripped, hardened binary ``artifact`` of a challenge whose text files ``read`` gives (compiled once
    per process)."""
    sources = tuple((name, read(name)) for name in artifact.sources)
    return _compile(artifact.name, sources)


@cache
def _compile(output: str, sources: tuple[tuple[str, str], ...]) -> bytes:
    gcc = shutil.which("gcc")
    if gcc is None:
        raise ChallengeBuildFailed(
            "gcc is not installed; native challenges are compiled on this machine",
            hint="install gcc and libc6-dev (apt-get install gcc libc6-dev)",
        )
    with tempfile.TemporaryDirectory(prefix="bastion-challenge-") as tmp:
        for name, text in sources:
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        result = subprocess.run(  # noqa: S603 - fixed argv, our own sources
            [gcc, *HARDENED_CFLAGS, "-o", output, *(name for name, _ in sources if name.endswith(".c"))],
            cwd=tmp,
            capture_output=True,
            timeout=_BUILD_SECONDS,
            check=False,
        )
        if result.returncode != 0:
            raise ChallengeBuildFailed(
                f"compiling {output} failed",
                details={"stderr": result.stderr.decode(errors="replace")[-2000:]},
            )
        return (Path(tmp) / output).read_bytes()
