"""What an inventory is once read, whatever its format: its components, each named by purl where it has one.
The readers (``sbom``, ``lockfiles``) build these; ``inventory`` recognises the format and calls them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Component", "Inventory"]


@dataclass(frozen=True, slots=True)
class Component:
    purl: str | None
    name: str
    version: str | None


@dataclass(frozen=True, slots=True)
class Inventory:
    format: str
    components: tuple[Component, ...]
