"""The clearinghouse's part of ``bastion demo``: a registry with two vendors, an analyst at Treasury, a
researcher and an AI bug-finding tool; realistic reports (some from the tool, one without a reproducer waiting
in triage, one duplicate); a case validated in the sandbox with two vendors and an agreed embargo; a fix
verified in the sandbox; and an earlier case published (its OSV record answers in /v1). Every write goes through
the services, as real use does; the sandbox runs for real."""

from __future__ import annotations

import base64
import io
import tarfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bastion.clearinghouse.cases import MessageCreate, VendorAdd, VendorStatusUpdate
from bastion.clearinghouse.embargo import RevisionDecision
from bastion.clearinghouse.fixes import FixDeclaration
from bastion.clearinghouse.publication import PublishRequest
from bastion.clearinghouse.reporters import ReporterRegistration
from bastion.clearinghouse.reports import Decision, ReportDecision
from bastion.clearinghouse.schemas import ReportSubmission
from bastion.clearinghouse.vendors import VendorCreate
from bastion.core.ids import ReportID
from bastion.core.principal import Classification, OrgKind, Principal, Role

if TYPE_CHECKING:
    from bastion.container import Container

MakeUser = Callable[[str, str, list[Role], Classification], Principal]

_VULNERABLE = '''"""tinyconf: key=value configuration."""


def load(text):
    config = {}
    for line in text.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            config[key.strip()] = eval(value)
    return config
'''
_FIXED = _VULNERABLE.replace(
    '"""tinyconf: key=value configuration."""', '"""tinyconf: key=value configuration."""\n\nimport ast'
).replace("eval(value)", "ast.literal_eval(value.strip())")
_POC = "\n".join(
    [
        "import sys",
        "sys.path.insert(0, 'target')",
        "import tinyconf",
        "tinyconf.load(\"x=__import__('builtins').print('OWNED-' + str(7 * 6))\")",
        "",
    ]
)


def _b64(data: str | bytes) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def _archive(source: str) -> dict[str, str]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = source.encode()
        info = tarfile.TarInfo("tinyconf/__init__.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return {"name": "tinyconf.tar.gz", "content": _b64(buffer.getvalue())}


def _report(title: str, description: str, *, purl: str, fixed: bool = True, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": title,
        "description": description,
        "purl": purl,
        "cwe": "CWE-95",
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "affected": {"introduced": "0", "fixed": "2.0.1"},
        "location": {"file": "tinyconf/__init__.py", "function": "load"},
        "reproducer": {
            "files": [{"name": "poc.py", "content": _b64(_POC)}],
            "command": ["python3", "poc.py"],
            "signal": {"kind": "output_marker", "value": "OWNED-42"},
        },
        "target": {"kind": "archive", "archive": _archive(_VULNERABLE)},
    }
    if fixed:
        body["fixed_target"] = {"kind": "archive", "archive": _archive(_FIXED)}
    body.update(extra)
    return body


def seed_clearinghouse(container: Container, user: MakeUser, ids: dict[str, str]) -> None:
    """Seed the clearinghouse; ``user(label, org_id, roles, clearance)`` makes a demo user with a token."""
    identity, ch = container.identity, container.clearinghouse
    orgs = {
        name: identity.create_organisation_unchecked(name=name, kind=kind).id
        for name, kind in (
            ("Tinyconf Project", OrgKind.VENDOR),
            ("Northwind Linux", OrgKind.VENDOR),
            ("Open Security Research", OrgKind.RESEARCHER),
        )
    }
    analyst = user("treasury-analyst", "org_treasury", [Role.CLEARINGHOUSE_ANALYST], Classification.SECRET)
    researcher = user("researcher", orgs["Open Security Research"], [Role.REPORTER], Classification.UNCLASSIFIED)
    tool = user("bughound-ai", orgs["Open Security Research"], [Role.REPORTER], Classification.UNCLASSIFIED)
    upstream = user("tinyconf-maintainer", orgs["Tinyconf Project"], [Role.VENDOR_CONTACT], Classification.UNCLASSIFIED)
    distro = user("northwind-security", orgs["Northwind Linux"], [Role.VENDOR_CONTACT], Classification.UNCLASSIFIED)
    ch.reporters.register(
        analyst,
        ReporterRegistration(user_id=tool.user_id, kind="ai_tool", tool_name="BugHound", tool_version="3.2"),
    )
    tiny = ch.vendors.register(
        analyst,
        VendorCreate.model_validate(
            {
                "org_id": orgs["Tinyconf Project"],
                "products": [{"purl": "pkg:pypi/tinyconf"}, {"purl": "pkg:pypi/tinyconf-legacy"}],
            }
        ),
    )
    northwind = ch.vendors.register(
        analyst,
        VendorCreate.model_validate({"org_id": orgs["Northwind Linux"], "products": [{"purl": "pkg:deb/northwind/*"}]}),
    )

    def submit(who: Principal, key: str, report: dict[str, Any]) -> ReportID:
        ack = ch.intake.submit(who, ReportSubmission.model_validate({"client_key": key, "report": report}))
        return ack.reports[0].id

    # An earlier flaw, published: the legacy package's OSV record answers in /v1.
    legacy = submit(
        researcher,
        "demo-legacy",
        _report(
            "Code execution in tinyconf-legacy.load through configuration values",
            "tinyconf-legacy evaluates configuration values with eval(); a crafted file runs code.",
            purl="pkg:pypi/tinyconf-legacy",
        ),
    )
    # The AI tool's report (validated before anyone reads it) and a person's report without a reproducer.
    current = submit(
        tool,
        "bughound-0001",
        _report(
            "tinyconf.load evaluates untrusted configuration values",
            "BugHound found that load() passes each value to eval(): any configuration from an untrusted source "
            "executes Python code. Reproducer and target attached.",
            purl="pkg:pypi/tinyconf",
        ),
    )
    ids["triage_report"] = submit(
        researcher,
        "demo-triage",
        _report(
            "Unbounded recursion in tinyconf include handling",
            "A configuration that includes itself makes tinyconf recurse until the interpreter stops.",
            purl="pkg:pypi/tinyconf",
            reproducer=None,
            fixed_target=None,
            cwe="CWE-674",
            cvss_vector=None,
            location={"file": "tinyconf/__init__.py", "function": "include"},
        ),
    )
    ch.worker().run_until_idle()  # the sandbox validates both reproducers
    ids["duplicate_report"] = submit(
        researcher,
        "demo-duplicate",
        _report(
            "Arbitrary code execution when loading tinyconf files",
            "Values in a tinyconf file go straight to Python's eval.",
            purl="pkg:pypi/tinyconf",
            reproducer=None,
            target=None,
            fixed_target=None,
        ),
    )
    accept = ReportDecision(decision=Decision.ACCEPT, reason="validated in the sandbox")
    legacy_case = ch.reports.decide(analyst, legacy, accept).case_id
    case_id = ch.reports.decide(analyst, current, accept).case_id
    assert legacy_case is not None and case_id is not None
    # The current case: two vendors (the registry found the upstream; the analyst adds the distribution).
    ch.cases.add_vendor(analyst, case_id, VendorAdd(vendor_id=northwind.id))
    proposal = ch.cases.get(analyst, case_id).embargo.revisions[0].id
    ch.embargo.agree(upstream, case_id, proposal)
    ch.embargo.agree(distro, case_id, proposal)
    ch.embargo.decide(analyst, case_id, proposal, RevisionDecision(accept=True, note="both vendors agreed"))
    ch.cases.set_vendor_status(
        upstream,
        case_id,
        tiny.id,
        VendorStatusUpdate.model_validate({"status": "affected", "statement": "Fixed in 2.0.1."}),
    )
    ch.cases.post_message(
        distro, case_id, MessageCreate(body="Northwind ships tinyconf 1.9 in stable; we will backport 2.0.1.")
    )
    ch.fixes.declare(
        upstream,
        case_id,
        FixDeclaration.model_validate(
            {"fixed_version": "2.0.1", "target": {"kind": "archive", "archive": _archive(_FIXED)}}
        ),
    )
    # The legacy case: fixed, and published early by agreement.
    ch.fixes.declare(
        upstream,
        legacy_case,
        FixDeclaration.model_validate(
            {"fixed_version": "2.0.1", "target": {"kind": "archive", "archive": _archive(_FIXED)}}
        ),
    )
    ch.worker().run_until_idle()  # the sandbox verifies both fixes
    published = ch.publications.publish(
        analyst, legacy_case, PublishRequest(reason="fix verified and released; the maintainer agreed to publish")
    )
    ids.update(
        current_case=case_id,
        published_case=legacy_case,
        published_advisory=published.advisory_id,
        ai_report=current,
    )
