"""Which exploit mitigations an x86-64 ELF executable carries, read from its headers (pure: bytes in).

The checks are the ones ``checksec`` makes: PIE (``ET_DYN`` with an interpreter), NX (a
``PT_GNU_STACK`` without execute permission), full RELRO (``PT_GNU_RELRO`` plus immediate binding),
stack canaries (``__stack_chk_fail`` among the dynamic symbols).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_ET_DYN = 3
_PT_LOAD, _PT_DYNAMIC, _PT_INTERP = 1, 2, 3
_PT_GNU_STACK, _PT_GNU_RELRO = 0x6474E551, 0x6474E552
_PF_X = 1
_DT_NULL, _DT_STRTAB, _DT_STRSZ, _DT_BIND_NOW, _DT_FLAGS, _DT_FLAGS_1 = 0, 5, 10, 24, 30, 0x6FFFFFFB
_DF_BIND_NOW, _DF_1_NOW = 0x8, 0x1


class NotAnElf(ValueError):  # noqa: N818 - a plain value error with a name
    """The bytes are not a 64-bit little-endian ELF file."""


@dataclass(frozen=True, slots=True)
class Mitigations:
    pie: bool
    nx: bool
    full_relro: bool
    canary: bool

    @property
    def all_on(self) -> bool:
        return self.pie and self.nx and self.full_relro and self.canary


@dataclass(frozen=True, slots=True)
class _Segment:
    kind: int
    flags: int
    offset: int
    vaddr: int
    filesz: int


def is_elf(data: bytes) -> bool:
    return data[:4] == b"\x7fELF"


def mitigations(data: bytes) -> Mitigations:
    """The mitigations of the executable ``data``; raises :class:`NotAnElf` for anything else."""
    if not is_elf(data) or len(data) < 64 or data[4] != 2 or data[5] != 1:
        raise NotAnElf("not a 64-bit little-endian ELF file")
    e_type = struct.unpack_from("<H", data, 16)[0]
    phoff, phentsize, phnum = struct.unpack_from("<Q", data, 32)[0], *struct.unpack_from("<HH", data, 54)
    segments = []
    for i in range(phnum):
        kind, flags, offset, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        segments.append(_Segment(kind, flags, offset, vaddr, filesz))
    kinds = {s.kind for s in segments}
    stack = next((s for s in segments if s.kind == _PT_GNU_STACK), None)
    dynamic = _dynamic(data, segments)
    bind_now = (
        _DT_BIND_NOW in dynamic
        or bool(dynamic.get(_DT_FLAGS, 0) & _DF_BIND_NOW)
        or bool(dynamic.get(_DT_FLAGS_1, 0) & _DF_1_NOW)
    )
    return Mitigations(
        pie=e_type == _ET_DYN and _PT_INTERP in kinds,
        nx=stack is not None and not stack.flags & _PF_X,
        full_relro=_PT_GNU_RELRO in kinds and bind_now,
        canary=b"__stack_chk_fail" in _dynamic_strings(data, segments, dynamic),
    )


def _dynamic(data: bytes, segments: list[_Segment]) -> dict[int, int]:
    segment = next((s for s in segments if s.kind == _PT_DYNAMIC), None)
    entries: dict[int, int] = {}
    if segment is None:
        return entries
    for at in range(segment.offset, segment.offset + segment.filesz, 16):
        tag, value = struct.unpack_from("<qQ", data, at)
        if tag == _DT_NULL:
            break
        entries.setdefault(tag, value)
    return entries


def _dynamic_strings(data: bytes, segments: list[_Segment], dynamic: dict[int, int]) -> bytes:
    if _DT_STRTAB not in dynamic:
        return b""
    address, size = dynamic[_DT_STRTAB], dynamic.get(_DT_STRSZ, 0)
    for s in segments:
        if s.kind == _PT_LOAD and s.vaddr <= address < s.vaddr + s.filesz:
            start = s.offset + address - s.vaddr
            return data[start : start + size]
    return b""
