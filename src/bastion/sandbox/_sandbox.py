"""One sandbox: a private tmpfs workspace and the means to run commands in it under bubblewrap."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from bastion.sandbox._argv import SERVICE_DIR, WORKDIR, bwrap_args, host_argv
from bastion.sandbox._cgroup import Cgroup, CgroupHost, host_cgroups
from bastion.sandbox._errors import SandboxClosed, SandboxSpecInvalid
from bastion.sandbox._files import READ_SCRIPT, WRITE_SCRIPT, check_path, raise_for_file_result
from bastion.sandbox._host import HostLayout, HostTools, host_layout, host_tools, kernel_address_files
from bastion.sandbox._layout import Tenant, Worker, prepare_tenant, remove_root, remove_sandbox_files, sweep, worker
from bastion.sandbox._netns import PrivateNetwork, new_network
from bastion.sandbox._process import Admission, CommandResult, data_fd, run_captured
from bastion.sandbox._seccomp import seccomp_program
from bastion.sandbox._services import RunningService, start_service
from bastion.sandbox._spec import SandboxSpec, ServiceSpec, validate_env

_SH = "/bin/sh"


class Sandbox:
    """A private ``/workspace``, ``/tmp`` and ``/dev/shm`` (one size-limited tmpfs); the system read-only;
    a minimal ``/etc``; a network namespace of its own holding only ``lo``; a private unprivileged uid,
    cgroup and seccomp filter.

    Start with ``await Sandbox.start(spec)`` (or ``async with await Sandbox.start(spec) as sb``) and
    always ``await sb.close()``: it kills what is left (through the sandbox's cgroups) and removes
    its files. A worker killed before it could close is cleaned up by the next start on the host.
    """

    def __init__(
        self,
        spec: SandboxSpec,
        *,
        owner: Worker,
        root: Path,
        sample: Tenant,
        tools: HostTools,
        layout: HostLayout,
        cgroups: CgroupHost,
        network: PrivateNetwork,
    ) -> None:
        self.spec = spec
        self._owner = owner
        self._root = root
        self._sample = sample
        self._tenants = [sample]
        self._tools = tools
        self._layout = layout
        self._cgroups = cgroups
        self._network = network
        self._services: list[RunningService] = []
        self._closed = False

    @classmethod
    async def start(cls, spec: SandboxSpec | None = None, *, state_dir: Path | None = None) -> Sandbox:
        spec = spec or SandboxSpec()
        tools, layout, cgroups = host_tools(), host_layout(), host_cgroups()
        seccomp_program()  # fail here, naming the package, if libseccomp is missing
        owner = worker(state_dir)
        await sweep(owner.state, cgroups)
        spare = await owner.take_spare_soon(spec.limits, cgroups)
        root = spare.root if spare else owner.new_root()
        uid = spare.tenant.uid if spare else owner.uids.allocate()
        sandbox: Sandbox | None = None
        network: PrivateNetwork | None = spare.network if spare else None
        try:
            if network is None:
                network = await new_network()
            sample = spare.tenant if spare else None
            if sample is None:
                sample = prepare_tenant(
                    owner, root, "sample", uid=uid, home=WORKDIR, limits=spec.limits, cgroups=cgroups
                )
            sandbox = cls(
                spec,
                owner=owner,
                root=root,
                sample=sample,
                tools=tools,
                layout=layout,
                cgroups=cgroups,
                network=network,
            )
            for service in spec.services:
                await sandbox._start_service(service)
        except BaseException:
            if sandbox is not None:
                await sandbox.close()
            else:
                if network is not None:
                    network.close()
                await asyncio.to_thread(remove_root, root)
                owner.uids.release(uid)
            raise
        # The next start (an evaluation's next sample) takes a tenant made meanwhile, while this sandbox's
        # commands run: they mostly wait for their processes, so the spare's work overlaps with them.
        owner.prepare_spare(spec.limits, cgroups)
        return sandbox

    async def _start_service(self, service: ServiceSpec) -> None:
        uid = self._owner.uids.allocate()
        tenant = prepare_tenant(
            self._owner,
            self._root,
            f"service-{service.name}",
            uid=uid,
            home=SERVICE_DIR,
            limits=self.spec.limits,
            cgroups=self._cgroups,
        )
        self._tenants.append(tenant)
        argv, fds, admission = self._launch(tenant, service.command, cwd=SERVICE_DIR, env=None)
        running = await start_service(
            service,
            tenant=tenant,
            argv=argv,
            pass_fds=fds,
            admission=admission,
            network=self._network,
            # on the service's own tmpfs, beside (not in) what it mounts: its output counts against its own
            # disk limit, never against the worker's share that every sandbox of the worker needs
            log=tenant.fs / "service.log",
        )
        self._services.append(running)

    @property
    def uid(self) -> int:
        """The uid every command of this sandbox runs as (inside and on the host)."""
        return self._sample.uid

    @property
    def work_dir(self) -> Path:
        """Host path of ``/workspace``. Its contents are untrusted: prefer :meth:`read_file`."""
        return Path(self._sample.paths.work)

    @property
    def host_root(self) -> Path:
        """Host directory holding everything of this sandbox (removed on close)."""
        return self._root

    @property
    def closed(self) -> bool:
        return self._closed

    def memory_peak_bytes(self) -> int | None:
        """The most memory the sample's processes used at once (None on a host without cgroups)."""
        return self._sample.cgroup.memory_peak() if self._sample.cgroup else None

    def cgroup_paths(self) -> list[str]:
        """Host paths of this sandbox's cgroups, one per tenant and hierarchy."""
        return [str(d) for t in self._tenants if t.cgroup for d in t.cgroup.dirs]

    def _launch(
        self, tenant: Tenant, cmd: Sequence[str], *, cwd: str | None, env: Mapping[str, str] | None
    ) -> tuple[list[str], tuple[int, ...], Admission | None]:
        """The host argv, the descriptors it takes (the seccomp program, bubblewrap's arguments) and, on
        cgroup v2 only, what the worker does before bubblewrap may start (see ``_argv`` and ``_process``).
        On cgroup v1 (and without cgroups) the chain joins its cgroups itself, as :meth:`_launch_standalone`."""
        if tenant.cgroup is None or tenant.cgroup.joins_itself_cheaply:
            argv, fds = self._launch_standalone(tenant, cmd, cwd=cwd, env=env)
            return argv, fds, None
        args, seccomp = self._bwrap_args(tenant, cmd, cwd=cwd, env=env)
        try:
            args_read, args_write = os.pipe()
        except BaseException:
            os.close(seccomp)
            raise
        argv = self._host_argv(tenant, cmd, args_fd=args_read, cgroup_procs=(), joins_network=False)
        admission = Admission(args=args, args_fd=args_write, procs_files=tenant.cgroup.procs_files)
        return argv, (seccomp, args_read), admission

    def _launch_standalone(
        self,
        tenant: Tenant,
        cmd: Sequence[str],
        *,
        cwd: str | None,
        env: Mapping[str, str] | None,
        joins_network: bool = False,
    ) -> tuple[list[str], tuple[int, ...]]:
        """A chain that joins its cgroups itself (``Cgroup.join_files``), with bubblewrap's arguments in a
        memory file that can be reopened: what :meth:`_launch` gives on cgroup v1, and, ``joins_network``
        (``nsenter``: it is not forked inside the sandbox's network), what someone else starts
        (``connection()``)."""
        args, seccomp = self._bwrap_args(tenant, cmd, cwd=cwd, env=env)
        try:
            args_fd = data_fd(args)
        except BaseException:
            os.close(seccomp)
            raise
        argv = self._host_argv(
            tenant,
            cmd,
            args_fd=args_fd,
            cgroup_procs=tenant.cgroup.join_files if tenant.cgroup else (),
            joins_network=joins_network,
        )
        return argv, (seccomp, args_fd)

    def _host_argv(
        self, tenant: Tenant, cmd: Sequence[str], *, args_fd: int, cgroup_procs: Sequence[str], joins_network: bool
    ) -> list[str]:
        return host_argv(
            self._tools,
            uid=tenant.uid,
            limits=self.spec.limits,
            args_fd=args_fd,
            cmd=cmd,
            cgroup_procs=cgroup_procs,
            netns=self._network.proc_path() if joins_network else None,
        )

    def _bwrap_args(
        self, tenant: Tenant, cmd: Sequence[str], *, cwd: str | None, env: Mapping[str, str] | None
    ) -> tuple[bytes, int]:
        """bubblewrap's arguments (NUL-separated) and the memory file holding the seccomp program."""
        if self._closed:
            raise SandboxClosed("this sandbox is closed; start a new one")
        if not cmd or not all(isinstance(a, str) and "\0" not in a for a in cmd):
            raise SandboxSpecInvalid("a command must be a non-empty list of strings without NUL bytes")
        merged = {**self.spec.env, **validate_env(env)}
        seccomp = data_fd(seccomp_program())
        args = bwrap_args(
            self._layout,
            tenant.paths,
            uid=tenant.uid,
            seccomp_fd=seccomp,
            cwd=cwd,
            env=merged,
            kernel_address_files=kernel_address_files(),
        )
        return b"".join(a.encode() + b"\0" for a in args), seccomp

    async def _run(
        self,
        cmd: Sequence[str],
        *,
        input_bytes: bytes | None,
        cwd: str | None,
        env: Mapping[str, str] | None,
        timeout: float,
        max_output: int,
    ) -> CommandResult:
        argv, fds, admission = self._launch(self._sample, cmd, cwd=cwd, env=env)
        return await run_captured(
            argv,
            admission=admission,
            input_bytes=input_bytes,
            timeout=timeout,
            max_output=max_output,
            pass_fds=fds,
            network=self._network,
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
        limits = self.spec.limits
        return await self._run(
            cmd,
            input_bytes=input.encode() if isinstance(input, str) else input,
            cwd=cwd,
            env=env,
            timeout=min(timeout, limits.wall_seconds) if timeout else limits.wall_seconds,
            max_output=max_output_bytes or limits.max_output_bytes,
        )

    async def write_file(self, path: str, contents: str | bytes) -> None:
        """Write a regular file as the sandbox user (relative paths are under ``/workspace``)."""
        data = contents.encode() if isinstance(contents, str) else contents
        limits = self.spec.limits
        cmd = [_SH, "-c", WRITE_SCRIPT, "sh", check_path(path)]
        result = await self._run(
            cmd, input_bytes=data, cwd=None, env=None, timeout=limits.file_seconds, max_output=64 * 1024
        )
        raise_for_file_result(result, path, timeout=limits.file_seconds)

    async def read_file(self, path: str, *, max_bytes: int | None = None) -> bytes:
        """Read a regular file as the sandbox user; raises :class:`FileTooLarge` above ``max_bytes``."""
        limits = self.spec.limits
        limit = max_bytes or limits.max_file_bytes
        cmd = [_SH, "-c", READ_SCRIPT, "sh", check_path(path), str(limit)]
        result = await self._run(
            cmd, input_bytes=None, cwd=None, env=None, timeout=limits.file_seconds, max_output=limit
        )
        raise_for_file_result(result, path, limit=limit, timeout=limits.file_seconds)
        return result.stdout

    async def close(self) -> None:
        """Stop services, kill whatever is left in the sandbox's cgroups, unmount and remove its files."""
        if self._closed:
            return
        self._closed = True
        await asyncio.gather(*(s.stop() for s in self._services), return_exceptions=True)
        self._network.close()
        # Usually every command has ended, and its pid namespace with it: the groups are empty and go at
        # once, with the files, on one thread. A group still holding a process is killed through first.
        busy = await asyncio.to_thread(self._remove_if_idle)
        if busy:
            await asyncio.gather(*(cgroup.remove() for cgroup in busy), return_exceptions=True)
            await asyncio.to_thread(remove_sandbox_files, self._root, self._tenants)
        for tenant in self._tenants:
            self._owner.uids.release(tenant.uid)
        # Usually the spare asked for at start is there; unless another start took it meanwhile.
        self._owner.prepare_spare(self.spec.limits, self._cgroups)

    def _remove_if_idle(self) -> list[Cgroup]:
        """Remove the empty cgroups and, if all were, the files too; returns the groups still in use."""
        busy = [t.cgroup for t in self._tenants if t.cgroup is not None and not t.cgroup.remove_if_empty()]
        if not busy:
            remove_sandbox_files(self._root, self._tenants)
        return busy

    async def __aenter__(self) -> Sandbox:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


async def sweep_leftovers(state_dir: Path | None = None) -> int:
    """Remove what dead workers left on this host (mounts, directories, uid locks, cgroups); returns how
    many dead workers' directories went. Every :meth:`Sandbox.start` does this first."""
    return await sweep(worker(state_dir).state, host_cgroups())
