"""The AI patcher: a model, through Inspect's model API, reads the report and the target's source (read inside
the sandbox) and answers with a unified diff. The diff is only a *candidate*: it counts when it applies, builds,
stops the reproducer and keeps the target's own tests passing (``validation``); on failure the model is told
why and tries again.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bastion.clearinghouse.runner import PLAIN, TARGET_DIR, _place_target
from bastion.clearinghouse.stored import Target
from bastion.sandbox import Sandbox, SandboxSpec

MAX_SOURCE_BYTES = 60_000
MAX_FILES = 40
_DIFF = re.compile(r"```(?:diff|patch)?\s*\n(.*?)```", re.S)
_SOURCE_SUFFIXES = (".c", ".h", ".cc", ".cpp", ".py", ".rs", ".go", ".js", ".ts", ".java", ".rb", ".php", "Makefile")

SYSTEM = (
    "You fix security vulnerabilities. Answer with one unified diff (as produced by `diff -u` or `git diff`, "
    "paths relative to the target's root with a/ and b/ prefixes) in a ```diff fenced block, and nothing else. "
    "Change as little as possible; keep the program's behaviour for valid input."
)


@dataclass(frozen=True, slots=True)
class PatchRequest:
    title: str
    description: str
    cwe: str | None
    sources: dict[str, str]
    feedback: str | None = None


def prompt(request: PatchRequest) -> str:
    files = "\n\n".join(f"--- {name} ---\n{text}" for name, text in request.sources.items())
    parts = [
        f"Vulnerability: {request.title}",
        f"Weakness: {request.cwe or 'unknown'}",
        f"Report:\n{request.description}",
        f"Source files of the target:\n{files}",
    ]
    if request.feedback:
        parts.append(f"Your previous patch was rejected: {request.feedback}\nTry again.")
    return "\n\n".join(parts)


def extract_diff(answer: str) -> str | None:
    """The diff in the model's answer: a fenced block, or the answer itself when it is a bare diff."""
    fenced = _DIFF.search(answer)
    text = fenced.group(1) if fenced else answer
    if "--- " in text and "+++ " in text and "@@" in text:
        return text if text.endswith("\n") else text + "\n"
    return None


ModelFactory = Callable[[str], Any]


def _inspect_model(name: str) -> Any:
    from inspect_ai.model import get_model

    return get_model(name)


class AiPatcher:
    """Asks a model (any Inspect model name; tests script ``mockllm/model``) for a patch."""

    def __init__(self, models: ModelFactory | None = None) -> None:
        self._models = models or _inspect_model

    def propose(self, model: str, request: PatchRequest) -> tuple[str | None, str]:
        """(the diff or None, the model's raw answer)."""
        from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig

        chosen = self._models(model)
        messages = [ChatMessageSystem(content=SYSTEM), ChatMessageUser(content=prompt(request))]
        output = asyncio.run(chosen.generate(messages, config=GenerateConfig(temperature=0.0, max_tokens=4096)))
        answer = str(output.completion)
        return extract_diff(answer), answer


async def _read_sources(target: Target) -> dict[str, str]:
    sandbox = await Sandbox.start(SandboxSpec(limits=PLAIN))
    try:
        if await _place_target(sandbox, target, []):
            return {}
        listing = await sandbox.exec(["find", ".", "-type", "f", "-size", "-200k"], cwd=TARGET_DIR)
        names = sorted(n[2:] for n in listing.stdout.decode("utf-8", "replace").splitlines() if n.startswith("./"))
        sources: dict[str, str] = {}
        total = 0
        for name in names:
            if not name.endswith(_SOURCE_SUFFIXES) or len(sources) >= MAX_FILES:
                continue
            text = (await sandbox.read_file(f"target/{name}", max_bytes=200_000)).decode("utf-8", "replace")
            if total + len(text) > MAX_SOURCE_BYTES:
                break
            sources[name] = text
            total += len(text)
        return sources
    finally:
        await sandbox.close()


def read_sources(target: Target) -> dict[str, str]:
    """The target's source files, read inside the sandbox (the archive is unpacked there, never on the host)."""
    return asyncio.run(_read_sources(target))
