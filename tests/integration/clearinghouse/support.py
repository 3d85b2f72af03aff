"""The cast and the targets of the clearinghouse tests.

``recparse`` is a vulnerable target of our own: a tiny Python package whose ``parse`` reads ``key=value`` records
and turns the values into Python values with ``eval`` (CWE-95: code injection). Version 1.0.1 uses
``ast.literal_eval``. The reproducer makes the parsed value run code that prints a marker computed at run time
(the marker is not in the reproducer's text, so only code execution can print it). ``crashy`` is a small C
program with a heap overflow that AddressSanitizer reports.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bastion.core.principal import Classification, OrgKind, Role
from bastion.runtime import Runtime
from tests.factories import CISA, auth_headers, make_admin, make_org, make_user

VULNERABLE = '''"""recparse: key=value records."""

__version__ = "1.0.0"


def parse(text):
    record = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        key, _, value = item.partition("=")
        record[key.strip()] = eval(value)  # values are Python literals
    return record
'''

FIXED = (
    VULNERABLE.replace('__version__ = "1.0.0"', '__version__ = "1.0.1"')
    .replace('"""recparse: key=value records."""', '"""recparse: key=value records."""\n\nimport ast')
    .replace("eval(value)", "ast.literal_eval(value.strip())")
)

TESTS = """import unittest

import recparse


class ParseTest(unittest.TestCase):
    def test_values(self):
        self.assertEqual(recparse.parse("a=1;b='x';c=[1, 2]"), {"a": 1, "b": "x", "c": [1, 2]})


if __name__ == "__main__":
    unittest.main()
"""

POC = """import sys

sys.path.insert(0, "target")
import recparse

payload = "x=__import__('builtins').print('PWNED-' + str(6 * 7))"
recparse.parse(payload)
"""

# The patch an AI patcher (scripted) or a person proposes: the same fix as 1.0.1, as a unified diff.
PATCH = "\n".join(
    [
        "--- a/recparse/__init__.py",
        "+++ b/recparse/__init__.py",
        "@@ -1,5 +1,7 @@",
        ' """recparse: key=value records."""',
        " ",
        "+import ast",
        "+",
        ' __version__ = "1.0.0"',
        " ",
        " ",
        "@@ -10,5 +12,5 @@",
        "         if not item.strip():",
        "             continue",
        '         key, _, value = item.partition("=")',
        "-        record[key.strip()] = eval(value)  # values are Python literals",
        "+        record[key.strip()] = ast.literal_eval(value.strip())  # values are Python literals",
        "     return record",
        "",
    ]
)

# A patch that applies and stops the reproducer but breaks the package's own tests.
BREAKING_PATCH = "\n".join(
    [
        "--- a/recparse/__init__.py",
        "+++ b/recparse/__init__.py",
        "@@ -10,5 +10,5 @@",
        "         if not item.strip():",
        "             continue",
        '         key, _, value = item.partition("=")',
        "-        record[key.strip()] = eval(value)  # values are Python literals",
        "+        record[key.strip()] = value  # values are Python literals",
        "     return record",
        "",
    ]
)

CRASHY = r"""#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_name(const char *in) {
    char *name = malloc(16);
    strcpy(name, in);
    printf("hello %s\n", name);
    free(name);
}

int main(int argc, char **argv) {
    copy_name(argc > 1 ? argv[1] : "world");
    return 0;
}
"""


def write_recparse(root: Path, *, fixed: bool = False) -> Path:
    package = root / "recparse"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(FIXED if fixed else VULNERABLE)
    (root / "test_recparse.py").write_text(TESTS)
    return root


def tar_of(root: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for item in sorted(root.rglob("*")):
            if item.is_file():
                tar.add(item, arcname=str(item.relative_to(root)))
    return buffer.getvalue()


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def recparse_target(tmp: Path, *, fixed: bool = False) -> dict[str, Any]:
    root = write_recparse(tmp / ("fixed" if fixed else "vulnerable"), fixed=fixed)
    return {
        "kind": "archive",
        "archive": {"name": "recparse.tar.gz", "content": b64(tar_of(root))},
        "test": ["python3", "-m", "unittest", "-q", "test_recparse"],
    }


def recparse_report(tmp: Path, **overrides: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "title": "Code injection in recparse.parse through record values",
        "description": "recparse.parse evaluates each value of a key=value record with eval(), so a record from "
        "an untrusted source runs arbitrary Python code in the parsing process.",
        "purl": "pkg:pypi/recparse",
        "affected": {"introduced": "0", "fixed": "1.0.1"},
        "cwe": "CWE-95",
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "location": {"file": "recparse/__init__.py", "function": "parse"},
        "reproducer": {
            "files": [{"name": "poc.py", "content": b64(POC)}],
            "command": ["python3", "poc.py"],
            "signal": {"kind": "output_marker", "value": "PWNED-42"},
        },
        "target": recparse_target(tmp),
        "fixed_target": recparse_target(tmp, fixed=True),
    }
    report.update(overrides)
    return report


@dataclass
class Cast:
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    orgs: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return auth_headers(self.tokens[who])


def build_cast(runtime: Runtime) -> Cast:
    """An analyst (CISA), a researcher and an AI tool (reporters), two vendors with a contact each, an outsider."""
    cast = Cast()
    user, token = make_admin(runtime)
    cast.users["admin"], cast.tokens["admin"] = user.id, token
    research = make_org(runtime, "Independent Research", OrgKind.RESEARCHER)
    acme = make_org(runtime, "Acme Parsers", OrgKind.VENDOR)
    other = make_org(runtime, "Other Vendor", OrgKind.VENDOR)
    cast.orgs.update(research=research.id, acme=acme.id, other=other.id)
    people = {
        "analyst": (CISA, [Role.CLEARINGHOUSE_ANALYST], Classification.SECRET),
        "reporter": (research.id, [Role.REPORTER], Classification.UNCLASSIFIED),
        "reporter2": (research.id, [Role.REPORTER], Classification.UNCLASSIFIED),
        "ai_tool": (research.id, [Role.REPORTER], Classification.UNCLASSIFIED),
        "acme": (acme.id, [Role.VENDOR_CONTACT], Classification.UNCLASSIFIED),
        "other_vendor": (other.id, [Role.VENDOR_CONTACT], Classification.UNCLASSIFIED),
    }
    for name, (org, roles, clearance) in people.items():
        user, token = make_user(runtime, org, roles, clearance)
        cast.users[name], cast.tokens[name] = user.id, token
    return cast


VULNERABLE_APP = """import hashlib
import pickle
import subprocess


def lookup(host):
    return subprocess.check_output("nslookup " + host, shell=True)


def load(blob):
    return pickle.loads(blob)


def digest(data):
    return hashlib.md5(data).hexdigest()
"""


def run_bandit(root: Path) -> dict[str, object]:
    """bandit (a dev dependency, offline) run on a small vulnerable program we wrote, as SARIF 2.1.0."""
    bandit = shutil.which("bandit", path=str(Path(sys.executable).parent))
    assert bandit, "bandit[sarif] is a dev dependency"
    (root / "app.py").write_text(VULNERABLE_APP)
    out = root / "out.sarif"
    done = subprocess.run([bandit, "-q", "-f", "sarif", "-o", str(out), str(root / "app.py")], check=False)
    assert done.returncode in (0, 1) and out.is_file()
    return json.loads(out.read_text())  # type: ignore[no-any-return]
