"""Feeds of what the clearinghouse published: OSV exports in osv.dev's layout and a CSAF trusted provider."""

from bastion.clearinghouse.feeds._source import PublishedSource
from bastion.clearinghouse.feeds.csaf_provider import WELL_KNOWN, CsafProvider, ProviderInfo
from bastion.clearinghouse.feeds.osv_export import OsvExport
from bastion.clearinghouse.feeds.signing import CsafSigner

__all__ = ["WELL_KNOWN", "CsafProvider", "CsafSigner", "OsvExport", "ProviderInfo", "PublishedSource"]
