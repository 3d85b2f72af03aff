"""Pure helpers: reading listening ports, mapping file-transfer exit codes to exceptions."""

from __future__ import annotations

import pytest

from bastion.sandbox import CommandResult, FileTooLarge, SandboxFailed
from bastion.sandbox._files import raise_for_file_result
from bastion.sandbox._netns import listening_ports

TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1
   1: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 2 1
"""
TCP6 = """  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 0
"""


def test_listening_ports_reads_only_listen_sockets() -> None:
    assert listening_ports([TCP, TCP6]) == {8080, 80}
    assert listening_ports([TCP.splitlines()[0]]) == set()


def _result(code: int | None, *, truncated: bool = False, stderr: bytes = b"") -> CommandResult:
    return CommandResult(returncode=code, stdout=b"", stderr=stderr, stdout_truncated=truncated, timed_out=code is None)


@pytest.mark.parametrize(
    ("code", "error"),
    [(66, FileNotFoundError), (67, IsADirectoryError), (68, PermissionError), (70, NotADirectoryError)],
)
def test_helper_exit_codes_become_os_errors_naming_the_path(code: int, error: type[OSError]) -> None:
    with pytest.raises(error) as info:
        raise_for_file_result(_result(code), "dir/file.txt")
    assert "dir/file.txt" in str(info.value)


def test_too_large_reads_say_the_limit() -> None:
    with pytest.raises(FileTooLarge) as info:
        raise_for_file_result(_result(69), "big.bin", limit=1024)
    assert info.value.details == {"path": "big.bin", "limit": 1024}
    with pytest.raises(FileTooLarge):
        raise_for_file_result(_result(0, truncated=True), "grew.bin", limit=1024)


def test_other_failures_are_sandbox_failures_with_the_stderr() -> None:
    with pytest.raises(SandboxFailed, match="disk full"):
        raise_for_file_result(_result(1, stderr=b"cat: write error: disk full"), "f")
    with pytest.raises(TimeoutError):
        raise_for_file_result(_result(None), "f")
    raise_for_file_result(_result(0), "f")
