"""Decode OSV API answers the way osv-scanner 2 does: strictly, as proto3 JSON.

osv-scanner 2 talks to the API through osv.dev's Go bindings (``osv.dev/bindings/go/osvdev``), which read
every answer with ``protojson.Unmarshal`` into the ``osv.v1`` messages (``gcp/api/v1/osv_service_v1.proto``):
``BatchVulnerabilityList {repeated VulnerabilityList results}``, ``VulnerabilityList {repeated Vulnerability
vulns; string next_page_token}``. protojson's defaults refuse a field the message does not declare and read
``modified`` as a ``google.protobuf.Timestamp``, which must be RFC 3339 with a four-digit year. protobuf's
Python ``json_format`` implements the same proto3 JSON mapping with the same defaults; the messages are
declared here with the fields a batch answer carries (``id``, ``modified``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory, timestamp_pb2

_F = descriptor_pb2.FieldDescriptorProto


@cache
def _classes() -> dict[str, Any]:
    pool = descriptor_pool.DescriptorPool()
    timestamp = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(timestamp)
    pool.Add(timestamp)
    file = descriptor_pb2.FileDescriptorProto(
        name="osv_v1_batch.proto", package="osv.v1", syntax="proto3", dependency=[timestamp.name]
    )
    vuln = file.message_type.add(name="Vulnerability")
    vuln.field.add(name="id", json_name="id", number=1, type=_F.TYPE_STRING, label=_F.LABEL_OPTIONAL)
    vuln.field.add(
        name="modified",
        json_name="modified",
        number=3,
        type=_F.TYPE_MESSAGE,
        type_name=".google.protobuf.Timestamp",
        label=_F.LABEL_OPTIONAL,
    )
    listing = file.message_type.add(name="VulnerabilityList")
    listing.field.add(
        name="vulns", json_name="vulns", number=1, type=_F.TYPE_MESSAGE, type_name=".osv.v1.Vulnerability",
        label=_F.LABEL_REPEATED,
    )  # fmt: skip
    listing.field.add(
        name="next_page_token", json_name="nextPageToken", number=2, type=_F.TYPE_STRING, label=_F.LABEL_OPTIONAL
    )
    batch = file.message_type.add(name="BatchVulnerabilityList")
    batch.field.add(
        name="results", json_name="results", number=1, type=_F.TYPE_MESSAGE, type_name=".osv.v1.VulnerabilityList",
        label=_F.LABEL_REPEATED,
    )  # fmt: skip
    pool.Add(file)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"osv.v1.{name}"))
        for name in ("VulnerabilityList", "BatchVulnerabilityList")
    }


def decode_batch(text: str) -> Any:
    """A querybatch answer as osv-scanner 2 reads it; raises ``json_format.ParseError`` where it would fail."""
    return json_format.Parse(text, _classes()["BatchVulnerabilityList"]())
