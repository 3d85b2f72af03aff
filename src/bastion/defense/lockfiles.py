"""Lockfiles read directly: each parser takes the file's text and returns its pinned packages as purls.

A lockfile that cannot be read raises ``InvalidInventory`` naming the line or entry; nothing is returned
half-read. Versions are exactly as the lockfile pins them, except Go's ``v`` prefix (OSV's Go versions
have none).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

from packageurl import PackageURL
from packaging.requirements import InvalidRequirement, Requirement

from bastion.defense.components import Component, Inventory
from bastion.defense.errors import InvalidInventory


def _component(purl_type: str, name: str, version: str, namespace: str | None = None) -> Component:
    purl = PackageURL(type=purl_type, namespace=namespace or None, name=name, version=version).to_string()
    shown = f"{namespace}/{name}" if namespace else name
    return Component(purl=purl, name=shown, version=version)


def _bad(kind: str, where: str, why: str, hint: str) -> InvalidInventory:
    return InvalidInventory(f"{kind}: {where}: {why}", hint=hint, details={"format": kind, "where": where})


# --- Python ---------------------------------------------------------------------------------------------


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield start, (pending + line).strip()
        pending = ""
    if pending.strip():
        yield start, pending.strip()


def requirements_txt(text: str) -> Inventory:
    found: list[Component] = []
    hint = "pin every requirement with == (pip freeze, pip-compile or uv pip compile write such a file)"
    for number, line in _logical_lines(text):
        if not line or line.startswith("-"):
            continue  # options: -r, -c, --index-url, --hash on its own line
        try:
            requirement = Requirement(line.split(" --hash", 1)[0].strip())
        except InvalidRequirement as e:
            raise _bad("requirements.txt", f"line {number}", f"{line!r} is not a requirement ({e})", hint) from e
        pins = [s.version for s in requirement.specifier if s.operator in ("==", "===") and "*" not in s.version]
        if len(pins) != 1 or len(requirement.specifier) != 1:
            raise _bad("requirements.txt", f"line {number}", f"{requirement.name} is not pinned to one version", hint)
        found.append(_component("pypi", requirement.name, pins[0]))
    return Inventory("requirements.txt", tuple(found))


def _toml(kind: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _bad(kind, "file", f"not valid TOML ({e})", f"regenerate the {kind}") from e


def _toml_packages(kind: str, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    packages = _toml(kind, text).get("package", [])
    if not isinstance(packages, list):
        raise _bad(kind, "package", "is not a list of [[package]] tables", f"regenerate the {kind}")
    for index, package in enumerate(packages):
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            raise _bad(kind, f"package {index + 1}", "has no name", f"regenerate the {kind}")
        yield index, package


def poetry_lock(text: str) -> Inventory:
    found = []
    for index, package in _toml_packages("poetry.lock", text):
        if not isinstance(package.get("version"), str):
            raise _bad("poetry.lock", f"package {index + 1}", "has no version", "regenerate it with poetry lock")
        found.append(_component("pypi", package["name"], package["version"]))
    return Inventory("poetry.lock", tuple(found))


def uv_lock(text: str) -> Inventory:
    found = []
    for _, package in _toml_packages("uv.lock", text):
        source = package.get("source") or {}
        if not isinstance(package.get("version"), str) or {"editable", "virtual"} & set(source):
            continue  # the project itself (and its workspace members), not a dependency
        found.append(_component("pypi", package["name"], package["version"]))
    return Inventory("uv.lock", tuple(found))


def pipfile_lock(text: str) -> Inventory:
    document = _json("Pipfile.lock", text)
    found = []
    for section in ("default", "develop"):
        for name, entry in (document.get(section) or {}).items():
            version = str((entry or {}).get("version", "")) if isinstance(entry, dict) else ""
            if not version.startswith("=="):
                continue  # a VCS or path dependency: no registry version to match
            found.append(_component("pypi", name, version[2:]))
    return Inventory("Pipfile.lock", tuple(found))


# --- JavaScript, PHP, Rust, Ruby, Go -------------------------------------------------------------------------


def _json(kind: str, text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError as e:
        raise _bad(kind, "file", f"not valid JSON ({e})", f"regenerate the {kind}") from e
    if not isinstance(document, dict):
        raise _bad(kind, "file", "is not a JSON object", f"regenerate the {kind}")
    return document


def _npm(name: str, version: str) -> Component:
    scope, _, bare = name.rpartition("/")
    return _component("npm", bare, version, scope or None)


def package_lock_json(text: str) -> Inventory:
    document = _json("package-lock.json", text)
    found: dict[tuple[str, str], Component] = {}
    packages = document.get("packages")
    if isinstance(packages, dict):  # lockfileVersion 2 and 3
        for path, entry in packages.items():
            if not path or not isinstance(entry, dict) or entry.get("link") or "version" not in entry:
                continue
            name = entry.get("name") or path.rsplit("node_modules/", 1)[-1]
            found[(name, str(entry["version"]))] = _npm(name, str(entry["version"]))
    else:  # lockfileVersion 1: nested dependencies

        def walk(dependencies: dict[str, Any]) -> None:
            for name, entry in dependencies.items():
                if isinstance(entry, dict) and "version" in entry:
                    version = str(entry["version"])
                    if not version.startswith(("file:", "git", "http")):
                        found[(name, version)] = _npm(name, version)
                    walk(entry.get("dependencies") or {})

        walk(document.get("dependencies") or {})
    return Inventory("package-lock.json", tuple(found.values()))


def composer_lock(text: str) -> Inventory:
    document = _json("composer.lock", text)
    found = []
    for section in ("packages", "packages-dev"):
        for index, entry in enumerate(document.get(section) or []):
            if not isinstance(entry, dict) or "/" not in str(entry.get("name", "")) or "version" not in entry:
                raise _bad(
                    "composer.lock", f"{section}[{index}]", "has no vendor/name or version", "run composer update"
                )
            vendor, _, name = str(entry["name"]).partition("/")
            found.append(_component("composer", name, str(entry["version"]), vendor))
    return Inventory("composer.lock", tuple(found))


def cargo_lock(text: str) -> Inventory:
    found = []
    for _, package in _toml_packages("Cargo.lock", text):
        if not str(package.get("source", "")).startswith("registry+") or "version" not in package:
            continue  # the workspace's own crates, and path or git dependencies
        found.append(_component("cargo", package["name"], str(package["version"])))
    return Inventory("Cargo.lock", tuple(found))


_GEM_SPEC = re.compile(r"^    (?P<name>[^\s(]+) \((?P<version>[^)]+)\)$")


def gemfile_lock(text: str) -> Inventory:
    found: dict[tuple[str, str], Component] = {}
    section = ""
    for line in text.splitlines():
        if line and not line.startswith(" "):
            section = line.strip()
            continue
        match = _GEM_SPEC.match(line)
        if section == "GEM" and match:
            version = match["version"].split("-", 1)[0] if "-" in match["version"] else match["version"]
            found[(match["name"], version)] = _component("gem", match["name"], version)
    if "GEM" not in text.splitlines():
        raise _bad("Gemfile.lock", "file", "has no GEM section", "run bundle lock")
    return Inventory("Gemfile.lock", tuple(found.values()))


def _go(path: str, version: str) -> Component:
    namespace, _, name = path.rpartition("/")
    return _component("golang", name, version.removeprefix("v").split("+incompatible")[0], namespace or None)


_GO_REQUIRE = re.compile(r"^(?:require\s+)?(?P<path>[^\s()]+)\s+(?P<version>v[^\s]+)(?:\s*//.*)?$")


def go_mod(text: str) -> Inventory:
    found: dict[str, Component] = {}
    block = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("require ("):
            block = True
            continue
        if block and line == ")":
            block = False
            continue
        if block or line.startswith("require "):
            if not line or line.startswith("//"):
                continue
            match = _GO_REQUIRE.match(line)
            if match is None:
                raise _bad("go.mod", f"line {number}", f"{line!r} is not a requirement", "run go mod tidy")
            found[match["path"]] = _go(match["path"], match["version"])
    if "module " not in text:
        raise _bad("go.mod", "file", "has no module line", "run go mod init and go mod tidy")
    return Inventory("go.mod", tuple(found.values()))


def go_sum(text: str) -> Inventory:
    found: dict[tuple[str, str], Component] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        if len(parts) != 3 or not parts[2].startswith("h1:"):
            raise _bad("go.sum", f"line {number}", f"{raw!r} is not a go.sum line", "run go mod tidy")
        path, version, _ = parts
        if not version.endswith("/go.mod"):
            found[(path, version)] = _go(path, version)
    return Inventory("go.sum", tuple(found.values()))


LOCKFILES: dict[str, Callable[[str], Inventory]] = {
    "poetry.lock": poetry_lock,
    "uv.lock": uv_lock,
    "Pipfile.lock": pipfile_lock,
    "package-lock.json": package_lock_json,
    "Cargo.lock": cargo_lock,
    "go.mod": go_mod,
    "go.sum": go_sum,
    "composer.lock": composer_lock,
    "Gemfile.lock": gemfile_lock,
    "requirements.txt": requirements_txt,
}
