"""Did the reproducer's run show the expected signal? Pure: a run's exit status and output in, a verdict out.

- **crash**: killed by SIGSEGV, SIGABRT, SIGBUS, SIGFPE or SIGILL (exit 128 + signal, as the sandbox reports
  it), or any sanitizer report;
- **sanitizer**: an AddressSanitizer, UndefinedBehaviorSanitizer, MemorySanitizer, ThreadSanitizer or
  LeakSanitizer report, optionally of one bug type (``heap-buffer-overflow``);
- **output_marker**: the marker text in stdout or stderr;
- **exit_code**: that exit code.

The crash state is the top three frames of the sanitizer's stack that belong to the program (not to the
sanitizer's runtime or libc), innermost first, as ClusterFuzz buckets crashes.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass

from bastion.clearinghouse.schemas import ExpectedSignal, SignalKind

CRASH_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL})
_SANITIZER = re.compile(
    r"(?:ERROR|WARNING): (AddressSanitizer|MemorySanitizer|ThreadSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)"
    r"(?::\s*([\w-]+))?|(runtime error):"
)
_FRAME = re.compile(r"^\s*#(\d+)\s+0x[0-9a-f]+\s+in\s+(\S+)(?:\s+(\S+))?", re.M)
_RUNTIME_FRAME = re.compile(
    r"^(?:__interceptor_|__asan|__sanitizer|__ubsan|__msan|__tsan|__lsan|__libc_|_start$|__GI_|raise$|abort$|"
    r"__pthread_kill|_?_?libc_start|operator new|operator delete|malloc$|free$|calloc$|realloc$|"
    r"___interceptor_)"
)
STATE_FRAMES = 3


@dataclass(frozen=True, slots=True)
class Run:
    """What one command did (the sandbox's ``CommandResult``, as the deciders need it)."""

    returncode: int | None  # None when the wall timeout killed it
    stdout: str
    stderr: str
    timed_out: bool = False


@dataclass(frozen=True, slots=True)
class Observation:
    seen: bool
    what: str  # what was observed, in words, for the evidence
    sanitizer: str | None = None  # e.g. "AddressSanitizer: heap-buffer-overflow"
    crash_state: tuple[str, ...] = ()


def _killed_by(returncode: int | None) -> signal.Signals | None:
    if returncode is None:
        return None
    number = returncode - 128 if returncode > 128 else -returncode if returncode < 0 else 0
    try:
        return signal.Signals(number) if number else None
    except ValueError:
        return None


def sanitizer_report(output: str) -> str | None:
    found = _SANITIZER.search(output)
    if found is None:
        return None
    if found.group(3):
        return "UndefinedBehaviorSanitizer: runtime-error"
    return f"{found.group(1)}: {found.group(2)}" if found.group(2) else found.group(1)


def crash_state(output: str) -> tuple[str, ...]:
    """The top frames of the first stack in ``output`` that are the program's own, innermost first."""
    frames: list[str] = []
    for match in _FRAME.finditer(output):
        if match.group(1) == "0" and frames:
            break  # the next stack (e.g. "allocated by thread T0 here") starts
        function = match.group(2)
        if _RUNTIME_FRAME.match(function) or "libsanitizer" in (match.group(3) or ""):
            continue
        frames.append(function)
        if len(frames) == STATE_FRAMES:
            break
    return tuple(frames)


def observe(expected: ExpectedSignal, run: Run) -> Observation:  # noqa: PLR0911 - one return per signal kind
    """Whether ``run`` shows ``expected``, with what was seen in words."""
    output = f"{run.stdout}\n{run.stderr}"
    report = sanitizer_report(output)
    state = crash_state(output) if report or _killed_by(run.returncode) else ()
    if run.timed_out:
        return Observation(False, "the command ran out of time", report, state)
    kind = expected.kind
    if kind is SignalKind.CRASH:
        killer = _killed_by(run.returncode)
        if killer in CRASH_SIGNALS:
            return Observation(True, f"killed by {killer.name}", report, state)
        if report:
            return Observation(True, f"sanitizer report ({report})", report, state)
        return Observation(False, f"no crash (exit code {run.returncode})", report, state)
    if kind is SignalKind.SANITIZER:
        if report is None:
            return Observation(False, f"no sanitizer report (exit code {run.returncode})", None, state)
        wanted = (expected.value or "").strip().lower()
        if wanted and wanted not in report.lower():
            return Observation(False, f"a different sanitizer report ({report})", report, state)
        return Observation(True, f"sanitizer report ({report})", report, state)
    if kind is SignalKind.OUTPUT_MARKER:
        marker = expected.value or ""
        if marker in output:
            return Observation(True, f"marker {marker!r} in the output", report, state)
        return Observation(False, f"marker {marker!r} not in the output (exit code {run.returncode})", report, state)
    code = int(expected.value or "0")
    if run.returncode == code:
        return Observation(True, f"exit code {code}", report, state)
    return Observation(False, f"exit code {run.returncode}, not {code}", report, state)
