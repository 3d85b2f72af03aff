"""One sandbox: a private work directory and the means to run commands in it under bubblewrap."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from bastion.sandbox._argv import SERVICE_DIR, WORKDIR, Mounts, bwrap_argv
from bastion.sandbox._errors import SandboxClosed, SandboxSpecInvalid
from bastion.sandbox._files import READ_SCRIPT, WRITE_SCRIPT, check_path, raise_for_file_result
from bastion.sandbox._host import HostLayout, HostTools, host_layout, host_tools
from bastion.sandbox._layout import allocate_uid, kill_uid, make_root, prepare, release_uid
from bastion.sandbox._netns import PrivateNetwork
from bastion.sandbox._process import CommandResult, run_captured
from bastion.sandbox._services import RunningService, start_service
from bastion.sandbox._spec import NetworkMode, SandboxSpec, ServiceSpec, validate_env

_SH = "/bin/sh"


class Sandbox:
    """A private work directory (``/workspace`` inside, a temp dir on the host) plus a private ``/tmp``;
    the system read-only; no host network; a private unprivileged uid; limits on every command.

    Start with ``await Sandbox.start(spec)`` (or ``async with await Sandbox.start(spec) as sb``) and
    always ``await sb.close()``: it kills what is left and removes the work directory.
    """

    def __init__(
        self,
        spec: SandboxSpec,
        *,
        root: Path,
        uid: int,
        mounts: Mounts,
        tools: HostTools,
        layout: HostLayout,
        network: PrivateNetwork | None,
    ) -> None:
        self.spec = spec
        self.uid = uid
        self._root = root
        self._mounts = mounts
        self._tools = tools
        self._layout = layout
        self._network = network
        self._services: list[RunningService] = []
        self._closed = False

    @classmethod
    async def start(cls, spec: SandboxSpec | None = None, *, parent_dir: Path | None = None) -> Sandbox:
        spec = spec or SandboxSpec()
        tools, layout = host_tools(), host_layout()
        root = make_root(parent_dir)
        uid = allocate_uid()
        sandbox: Sandbox | None = None
        try:
            mounts = prepare(root, "sample", uid, WORKDIR)
            network = None
            if spec.network is NetworkMode.LOOPBACK:
                network = await PrivateNetwork.create(tools, layout)
            sandbox = cls(spec, root=root, uid=uid, mounts=mounts, tools=tools, layout=layout, network=network)
            for service in spec.services:
                await sandbox._start_service(service)
        except BaseException:
            if sandbox is not None:
                await sandbox.close()
            else:
                release_uid(uid)
                shutil.rmtree(root, ignore_errors=True)
            raise
        return sandbox

    async def _start_service(self, service: ServiceSpec) -> None:
        assert self._network is not None  # SandboxSpec guarantees loopback when there are services
        uid = allocate_uid()
        mounts = prepare(self._root, f"service-{service.name}", uid, SERVICE_DIR)
        running = await start_service(
            service,
            tools=self._tools,
            layout=self._layout,
            mounts=mounts,
            uid=uid,
            limits=self.spec.limits,
            netns_fd=self._network.fd,
            log=self._root / f"service-{service.name}.log",
        )
        self._services.append(running)

    @property
    def work_dir(self) -> Path:
        """Host path of ``/workspace``. Its contents are untrusted: prefer :meth:`read_file`."""
        return Path(self._mounts.work)

    @property
    def closed(self) -> bool:
        return self._closed

    def argv(self, cmd: Sequence[str], *, cwd: str | None = None, env: Mapping[str, str] | None = None) -> list[str]:
        """The host command line that runs ``cmd`` in this sandbox (for callers that spawn it themselves)."""
        if self._closed:
            raise SandboxClosed("this sandbox is closed; start a new one")
        if not cmd or not all(isinstance(a, str) and "\0" not in a for a in cmd):
            raise SandboxSpecInvalid("a command must be a non-empty list of strings without NUL bytes")
        merged = {**self.spec.env, **validate_env(env)}
        return bwrap_argv(
            self._tools,
            self._layout,
            self._mounts,
            uid=self.uid,
            limits=self.spec.limits,
            cmd=cmd,
            cwd=cwd,
            env=merged,
            netns_fd=self._network.fd if self._network else None,
        )

    async def exec(
        self,
        cmd: Sequence[str],
        *,
        input: str | bytes | None = None,  # noqa: A002 - the name Inspect and subprocess use
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_output_bytes: int | None = None,
    ) -> CommandResult:
        """Run ``cmd`` (resolved on the sandbox's PATH) and wait for it, within the limits.

        ``timeout`` (seconds) narrows the wall-time limit for this command; when it expires the whole
        process tree is killed and the result says ``timed_out``.
        """
        if timeout is not None and not timeout > 0:
            raise SandboxSpecInvalid(f"timeout must be positive, got {timeout!r}")
        argv = self.argv(cmd, cwd=cwd, env=env)
        limits = self.spec.limits
        return await run_captured(
            argv,
            input_bytes=input.encode() if isinstance(input, str) else input,
            timeout=min(timeout, limits.wall_seconds) if timeout else limits.wall_seconds,
            max_output=max_output_bytes or limits.max_output_bytes,
            pass_fds=(self._network.fd,) if self._network else (),
        )

    async def write_file(self, path: str, contents: str | bytes) -> None:
        """Write a file as the sandbox user (relative paths are under ``/workspace``)."""
        data = contents.encode() if isinstance(contents, str) else contents
        result = await self.exec([_SH, "-c", WRITE_SCRIPT, "sh", check_path(path)], input=data)
        raise_for_file_result(result, path)

    async def read_file(self, path: str, *, max_bytes: int | None = None) -> bytes:
        """Read a file as the sandbox user; raises :class:`FileTooLarge` above ``max_bytes``."""
        limit = max_bytes or self.spec.limits.max_file_bytes
        cmd = [_SH, "-c", READ_SCRIPT, "sh", check_path(path), str(limit)]
        result = await self.exec(cmd, max_output_bytes=limit)
        raise_for_file_result(result, path, limit=limit)
        return result.stdout

    async def close(self) -> None:
        """Stop services, kill anything left running as the sandbox's uids, remove the directory."""
        if self._closed:
            return
        self._closed = True
        await asyncio.gather(*(s.stop() for s in self._services), return_exceptions=True)
        if self._network is not None:
            self._network.close()
        for uid in (self.uid, *(s.uid for s in self._services)):
            kill_uid(uid)
            release_uid(uid)
        await asyncio.to_thread(shutil.rmtree, self._root, ignore_errors=True)

    async def __aenter__(self) -> Sandbox:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
