"""Pure parsing of model answers: the structured vulnerability verdict and CWE normalisation.

Models are asked to end with one JSON object; we accept it bare, inside a code fence, or after prose
(the last object that parses wins), because small models rarely follow a format exactly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_CWE = re.compile(r"(?i)\bCWE[-_ ]?0*(\d{1,4})\b")
_BARE_NUMBER = re.compile(r"^\s*0*(\d{1,4})\s*$")


def normalize_cwe(value: object) -> str | None:
    """``"cwe-079"``, ``"CWE-79"``, ``79`` -> ``"CWE-79"``; anything else -> None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return f"CWE-{value}"
    text = str(value)
    match = _CWE.search(text) or _BARE_NUMBER.match(text)
    return f"CWE-{int(match.group(1))}" if match else None


@dataclass(frozen=True, slots=True)
class VulnAnswer:
    """What a model said about one piece of code. ``None`` fields were absent or unreadable."""

    vulnerable: bool | None
    cwe: str | None
    line: int | None
    choice: str | None  # the paired form: "A" or "B"


def _json_objects(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    for start in (i for i, ch in enumerate(text) if ch == "{"):
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("yes", "true", "vulnerable", "1"):
            return True
        if lowered in ("no", "false", "not vulnerable", "safe", "0"):
            return False
    return None


def _as_line(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, list) and value:
        return _as_line(value[0])
    if isinstance(value, str):
        match = re.search(r"\d+", value)
        return int(match.group()) if match else None
    return None


def parse_vuln_answer(text: str) -> VulnAnswer:
    """Read the last JSON object with any of the expected keys; missing parts come back as None."""
    keys = ("vulnerable", "cwe", "line", "answer")
    objects = [o for o in _json_objects(text) if any(k in o for k in keys)]
    if not objects:
        return VulnAnswer(None, None, None, None)
    obj = objects[-1]
    choice = obj.get("answer", obj.get("vulnerable") if isinstance(obj.get("vulnerable"), str) else None)
    choice_text = str(choice).strip().upper() if choice is not None else None
    return VulnAnswer(
        vulnerable=_as_bool(obj.get("vulnerable")),
        cwe=normalize_cwe(obj.get("cwe")),
        line=_as_line(obj.get("line")),
        choice=choice_text if choice_text in ("A", "B") else None,
    )


def number_lines(code: str) -> str:
    """Prefix each line with its 1-based number, as the model sees the code."""
    return "\n".join(f"{i:4d} | {line}" for i, line in enumerate(code.splitlines(), start=1))
