"""The ``bastion`` sandbox provider for Inspect AI: one :class:`bastion.sandbox.Sandbox` per sample.

Use it as ``sandbox="bastion"`` or ``sandbox=("bastion", BastionSandboxConfig(...))``. It registers
itself with Inspect when imported; ``bastion.evals._registry`` (our ``inspect_ai`` entry point)
imports it so every Inspect run can find it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
from typing import Any, Literal, overload

from inspect_ai.util import (
    ExecResult,
    OutputLimitExceededError,
    SandboxConnection,
    SandboxEnvironment,
    SandboxEnvironmentConfigType,
    SandboxEnvironmentLimits,
    SandboxUserUnsupportedError,
    sandboxenv,
)
from pydantic import BaseModel
from typing_extensions import override

from bastion.evals.sandbox._config import BastionSandboxConfig
from bastion.sandbox import USER_NAME, FileTooLarge, Sandbox, SandboxSpecInvalid, host_tools


def _config(config: SandboxEnvironmentConfigType | None) -> BastionSandboxConfig:
    if config is None:
        return BastionSandboxConfig()
    if isinstance(config, BastionSandboxConfig):
        return config
    raise SandboxSpecInvalid(
        f"the bastion sandbox takes a BastionSandboxConfig, got {type(config).__name__}",
        hint='use sandbox=("bastion", BastionSandboxConfig(...)) or sandbox="bastion"',
    )


@sandboxenv(name="bastion")
class BastionSandboxEnvironment(SandboxEnvironment):
    """bubblewrap isolation: private work dir, read-only system, no network, limits, a private uid."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__()
        self.sandbox = sandbox
        self._held: list[int] = []  # descriptors a person's shell reopens (see connection)

    @override
    @classmethod
    def config_deserialize(cls, config: dict[str, Any]) -> BaseModel:
        return BastionSandboxConfig(**config)

    @override
    @classmethod
    async def task_init(cls, task_name: str, config: SandboxEnvironmentConfigType | None) -> None:
        host_tools()  # fail at task start, with the package to install, if bubblewrap is missing
        _config(config).to_spec()

    @override
    @classmethod
    async def sample_init(
        cls, task_name: str, config: SandboxEnvironmentConfigType | None, metadata: dict[str, str]
    ) -> dict[str, SandboxEnvironment]:
        cfg = _config(config)
        sandbox = await Sandbox.start(cfg.to_spec())
        try:
            for path, content in cfg.files.items():
                await sandbox.write_file(path, content)
        except BaseException:
            await sandbox.close()
            raise
        return {"default": cls(sandbox)}

    @override
    @classmethod
    async def sample_cleanup(
        cls,
        task_name: str,
        config: SandboxEnvironmentConfigType | None,
        environments: dict[str, SandboxEnvironment],
        interrupted: bool,
    ) -> None:
        for environment in environments.values():
            environment.as_type(BastionSandboxEnvironment).release()
            await environment.as_type(BastionSandboxEnvironment).sandbox.close()

    @override
    async def exec(
        self,
        cmd: list[str],
        input: str | bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        user: str | None = None,
        timeout: int | None = None,
        timeout_retry: bool = True,
        concurrency: bool = True,
    ) -> ExecResult[str]:
        if user is not None and user not in (USER_NAME, str(self.sandbox.uid)):
            raise SandboxUserUnsupportedError(
                f"the bastion sandbox runs every command as its own unprivileged user "
                f"{USER_NAME!r}; it cannot run as {user!r}"
            )
        limit = min(SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE, self.sandbox.spec.limits.max_output_bytes)
        result = await self.sandbox.exec(cmd, input=input, cwd=cwd, env=env, timeout=timeout, max_output_bytes=limit)
        if result.timed_out:
            raise TimeoutError(f"command timed out: {cmd[0]}")
        if result.not_executable:
            raise PermissionError(errno.EACCES, "Permission denied (not executable)", cmd[0])
        stdout = result.stdout.decode(errors="replace")
        if result.truncated:
            raise OutputLimitExceededError(_size(limit), truncated_output=stdout)
        return ExecResult(
            success=result.success,
            returncode=result.returncode if result.returncode is not None else -1,
            stdout=stdout,
            stderr=result.stderr.decode(errors="replace"),
        )

    @override
    async def write_file(self, file: str, contents: str | bytes) -> None:
        await self.sandbox.write_file(file, contents)

    @overload
    async def read_file(self, file: str, text: Literal[True] = True) -> str: ...

    @overload
    async def read_file(self, file: str, text: Literal[False]) -> bytes: ...

    @override
    async def read_file(self, file: str, text: bool = True) -> str | bytes:
        try:
            data = await self.sandbox.read_file(file, max_bytes=SandboxEnvironmentLimits.MAX_READ_FILE_SIZE)
        except FileTooLarge as e:
            raise OutputLimitExceededError(SandboxEnvironmentLimits.MAX_READ_FILE_SIZE_STR, None) from e
        return data.decode("utf-8") if text else data

    @override
    def default_polling_interval(self) -> float:
        return 0.2

    @override
    async def connection(self, *, user: str | None = None) -> SandboxConnection:
        """A shell in this sample's sandbox for a person (Inspect's human agent prints it as the login command):
        the same files, user, limits, filters and private network as the agent's commands. It is run as root on
        this host while the sample runs: it reopens, through ``/proc``, the descriptors this process holds for
        it (bubblewrap's arguments and seccomp filter), which stay open until the sample is cleaned up."""
        if user is not None and user not in (USER_NAME, str(self.sandbox.uid)):
            raise SandboxUserUnsupportedError(f"the bastion sandbox has one user, {USER_NAME!r}; not {user!r}")
        if self.sandbox.closed:
            raise ConnectionError("the sandbox of this sample is closed")
        env = {"TERM": os.environ.get("TERM", "xterm")}
        # the sandbox's own launcher (one command line and the descriptors it reads), as exec() uses it
        argv, fds = self.sandbox._launch_standalone(
            self.sandbox._sample, ["bash", "-i"], cwd=None, env=env, joins_network=True
        )
        self._held.extend(fds)
        reopen = " ".join(f"{fd}</proc/{os.getpid()}/fd/{fd}" for fd in fds)
        script = f'exec {reopen}; exec "$@"'
        return SandboxConnection(type="bastion", command=f"bash -c {shlex.quote(script)} connect {shlex.join(argv)}")

    def release(self) -> None:
        """Close the descriptors handed out by ``connection``."""
        for fd in self._held:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._held.clear()


def _size(limit: int) -> str:
    mib = 1024 * 1024
    return f"{limit // mib} MiB" if limit % mib == 0 else f"{limit} bytes"
