"""Publication formats: a ``PublishedAdvisory`` as OSV, CSAF 2.0 (advisory and VEX) and CVE JSON 5.

Pure functions, deterministic for the same advisory; they read nothing and know nothing of cases or
embargoes (only published advisories ever reach them).
"""

from bastion.clearinghouse.formats.csaf import csaf_advisory, csaf_filename, csaf_vex, document_url, tracking_id
from bastion.clearinghouse.formats.cve5 import Assigner, CveNotAssigned, cve_record
from bastion.clearinghouse.formats.osv import osv_id, osv_record

__all__ = [
    "Assigner",
    "CveNotAssigned",
    "csaf_advisory",
    "csaf_filename",
    "csaf_vex",
    "cve_record",
    "document_url",
    "osv_id",
    "osv_record",
    "tracking_id",
]
