"""The clearinghouse's pure deciders: dedupe, signals, state machines, products and the registry, CVSS."""

from __future__ import annotations

import pytest

from bastion.clearinghouse.dedupe import Location, MatchKind, Subject, conflict, disjoint_ranges, find_duplicate, words
from bastion.clearinghouse.errors import InvalidReport, TransitionRefused
from bastion.clearinghouse.products import RegistryEntry, parse_cpe, parse_purl, product_tokens, vendors_for
from bastion.clearinghouse.schemas import ExpectedSignal, SignalKind
from bastion.clearinghouse.scoring import Severity, parse_vector, severity_of
from bastion.clearinghouse.signals import Run, crash_state, observe, sanitizer_report
from bastion.clearinghouse.states import (
    REPORT_TRANSITIONS,
    EmbargoStatus,
    ReportStatus,
    check_embargo,
    check_report,
)

ASAN = """=================================================================
==2==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000020 at pc 0x7fc5640602ca
WRITE of size 65 at 0x602000000020 thread T0
    #0 0x7fc5640602c9 in __interceptor_strcpy ../../../../src/libsanitizer/asan/asan_interceptors.cpp:425
    #1 0x557785d5c1e5 in copy_name /workspace/target/crashy.c:7
    #2 0x557785d5c253 in main /workspace/target/crashy.c:13
    #3 0x7fc563e45249 in __libc_start_call_main ../sysdeps/nptl/libc_start_call_main.h:58
    #4 0x557785d5c0f0 in _start (/workspace/t+0x10f0)

allocated by thread T0 here:
    #0 0x7fc5640b89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x557785d5c1ce in copy_name /workspace/target/crashy.c:6
SUMMARY: AddressSanitizer: heap-buffer-overflow in __interceptor_strcpy
"""


def subject(key: str, text: str, purl: str = "pkg:pypi/recparse", **kw: object) -> Subject:
    parsed = parse_purl(purl)
    return Subject(key=key, text=text, product=parsed.text, product_tokens=product_tokens(parsed, None), **kw)  # type: ignore[arg-type]


# --- dedupe -----------------------------------------------------------------------------------------------


def test_the_same_alias_is_a_duplicate_whatever_the_text() -> None:
    old = subject("r1", "Heap overflow in the parser", aliases=frozenset({"CVE-2024-1"}))
    new = subject("r2", "Completely different words", purl="pkg:npm/other", aliases=frozenset({"CVE-2024-1"}))
    match = find_duplicate(new, [old])
    assert match is not None and match.kind is MatchKind.ALIAS and match.key == "r1"


def test_same_product_cwe_and_location_is_a_duplicate_even_worded_differently() -> None:
    where = Location(file="recparse/__init__.py", function="parse")
    old = subject("r1", "Code injection via eval in parse", cwe="CWE-95", location=where)
    new = subject("r2", "Attacker runs code by sending crafted records", cwe="CWE-95", location=where)
    match = find_duplicate(new, [old])
    assert match is not None and match.kind is MatchKind.FINGERPRINT


def test_crash_state_fingerprints_ignore_the_sanitizer_runtime() -> None:
    assert crash_state(ASAN) == ("copy_name", "main")
    a = subject("a", "overflow one", cwe="CWE-787", location=Location(frames=("copy_name", "main")))
    b = subject("b", "unrelated words entirely", cwe="CWE-787", location=Location(frames=("copy_name", "main")))
    c = subject("c", "unrelated words entirely", cwe="CWE-787", location=Location(frames=("parse_header", "main")))
    assert find_duplicate(b, [a]) is not None
    assert find_duplicate(c, [a]) is None  # a different crash state rules it out, text or not


def test_similar_text_needs_the_same_product_and_a_compatible_cwe() -> None:
    text = "The implementation of tf.raw_ops.QuantizedBatchNorm does not validate min and max inputs"
    old = subject("r1", text, purl="pkg:pypi/tensorflow")
    assert find_duplicate(subject("r2", text.upper() + "!", purl="pkg:pypi/tensorflow-gpu"), [old]) is not None
    assert find_duplicate(subject("r3", text, purl="pkg:pypi/tensorflow", cwe="CWE-20"), [subject("r1", text, purl="pkg:pypi/tensorflow", cwe="CWE-787")]) is None  # fmt: skip  # noqa: E501
    other = "The implementation of tf.raw_ops.SparseCountSparseOutput does not validate the weights"
    assert find_duplicate(subject("r4", other, purl="pkg:pypi/tensorflow"), [old]) is None


def test_words_drop_ids_urls_and_stop_words_but_keep_versions() -> None:
    bag = words("CVE-2024-1234: the parser in https://x.example/a crashes before 1.2.3 (GHSA-abcd-2345-cfgh)")
    assert set(bag) == {"parser", "crashes", "1.2.3"}


# --- signals ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signal", "run", "seen"),
    [
        (ExpectedSignal(kind=SignalKind.CRASH), Run(139, "", ""), True),  # SIGSEGV
        (ExpectedSignal(kind=SignalKind.CRASH), Run(1, "", ASAN), True),  # a sanitizer report is a crash
        (ExpectedSignal(kind=SignalKind.CRASH), Run(1, "", "Traceback"), False),
        (ExpectedSignal(kind=SignalKind.CRASH), Run(None, "", "", timed_out=True), False),
        (ExpectedSignal(kind=SignalKind.SANITIZER, value="heap-buffer-overflow"), Run(1, "", ASAN), True),
        (ExpectedSignal(kind=SignalKind.SANITIZER, value="use-after-free"), Run(1, "", ASAN), False),
        (ExpectedSignal(kind=SignalKind.OUTPUT_MARKER, value="PWNED-42"), Run(0, "x PWNED-42\n", ""), True),
        (ExpectedSignal(kind=SignalKind.OUTPUT_MARKER, value="PWNED-42"), Run(0, "PWNED-4", ""), False),
        (ExpectedSignal(kind=SignalKind.EXIT_CODE, value="3"), Run(3, "", ""), True),
        (ExpectedSignal(kind=SignalKind.EXIT_CODE, value="3"), Run(0, "", ""), False),
    ],
)
def test_observe(signal: ExpectedSignal, run: Run, seen: bool) -> None:
    assert observe(signal, run).seen is seen


def test_sanitizer_reports_are_named() -> None:
    assert sanitizer_report(ASAN) == "AddressSanitizer: heap-buffer-overflow"
    assert (
        sanitizer_report("x.c:3:5: runtime error: signed integer overflow")
        == "UndefinedBehaviorSanitizer: runtime-error"
    )
    assert sanitizer_report("nothing here") is None


def test_signal_values_are_checked() -> None:
    with pytest.raises(ValueError, match="marker text"):
        ExpectedSignal(kind=SignalKind.OUTPUT_MARKER)
    with pytest.raises(ValueError, match="exit code"):
        ExpectedSignal(kind=SignalKind.EXIT_CODE, value="two")


# --- state machines ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("current", list(ReportStatus))
@pytest.mark.parametrize("target", list(ReportStatus))
def test_every_report_transition_is_allowed_or_refused_with_the_allowed_ones(
    current: ReportStatus, target: ReportStatus
) -> None:
    if target in REPORT_TRANSITIONS[current]:
        check_report(current, target)
        return
    with pytest.raises(TransitionRefused) as refused:
        check_report(current, target)
    assert refused.value.details["allowed"] == sorted(s.value for s in REPORT_TRANSITIONS[current])


def test_an_exited_embargo_stays_exited() -> None:
    check_embargo(EmbargoStatus.ACTIVE, EmbargoStatus.REVISE)
    with pytest.raises(TransitionRefused):
        check_embargo(EmbargoStatus.EXITED, EmbargoStatus.ACTIVE)


# --- products and the registry ----------------------------------------------------------------------------


def test_purls_and_cpes_are_normalised_and_matched_by_the_registry() -> None:
    assert parse_purl("pkg:pypi/Rec_Parse@1.0").text == "pkg:pypi/rec-parse"
    assert parse_cpe("cpe:2.3:a:Acme:Rec\\:Parse:1.0:*:*:*:*:*:*:*").product == "rec\\:parse"
    registry = [
        RegistryEntry("ven_a", purl_type="npm", purl_namespace="@acme", purl_name="*"),
        RegistryEntry("ven_b", purl_type="pypi", purl_namespace="", purl_name="rec-parse"),
        RegistryEntry("ven_c", cpe_vendor="acme", cpe_product="*"),
    ]
    assert vendors_for(registry, parse_purl("pkg:npm/%40acme/widget"), None) == ["ven_a"]
    assert vendors_for(registry, parse_purl("pkg:pypi/rec_parse"), parse_cpe("cpe:2.3:a:acme:x:*:*:*:*:*:*:*:*")) == [
        "ven_b",
        "ven_c",
    ]
    assert vendors_for(registry, parse_purl("pkg:npm/widget"), None) == []


@pytest.mark.parametrize("bad", ["cpe:2.3:a:acme", "cpe:2.3:x:acme:p:*:*:*:*:*:*:*:*", "cpe:2.3:a:*:p:*:*:*:*:*:*:*:*"])
def test_bad_cpes_say_what_is_wrong(bad: str) -> None:
    with pytest.raises(InvalidReport):
        parse_cpe(bad)


# --- CVSS -------------------------------------------------------------------------------------------------


def test_cvss_vectors_are_validated_and_scored() -> None:
    v3 = parse_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    assert (v3.base_score, severity_of(v3)) == (9.8, Severity.CRITICAL)
    v4 = parse_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N")
    assert v4.version == "4.0" and severity_of(v4) is Severity.MEDIUM
    with pytest.raises(InvalidReport, match="not valid"):
        parse_vector("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    with pytest.raises(InvalidReport, match="neither"):
        parse_vector("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")


# --- dedupe: declared facts that tell two look-alike reports apart -------------------------------------------

ORACLE = (
    "Vulnerability in the Oracle Java SE product (component: Libraries). Supported versions that are affected are "
    "8u401 and 11.0.22. Easily exploitable vulnerability allows unauthenticated attacker to compromise Java SE."
)


def test_disjoint_affected_ranges_of_one_package_are_different_flaws() -> None:
    old = subject("r1", ORACLE, purl="pkg:pypi/javase", introduced="8.0", fixed="8.0.401")
    later_line = subject("r2", ORACLE, purl="pkg:pypi/javase", introduced="11.0", last_affected="11.0.22")
    match = find_duplicate(later_line, [old])
    assert match is None
    assert conflict(later_line, old) == "affected version ranges do not overlap"
    overlapping = subject("r3", ORACLE, purl="pkg:pypi/javase", introduced="8.0.300", fixed="8.0.401")
    assert find_duplicate(overlapping, [old]) is not None
    # the range ends where the other starts: a fix is the first version not affected
    adjacent = subject("r4", ORACLE, purl="pkg:pypi/javase", introduced="8.0.401", last_affected="8.0.500")
    assert disjoint_ranges(adjacent, old)
    inclusive = subject("r5", ORACLE, purl="pkg:pypi/javase", introduced="8.0.401", last_affected="8.0.401")
    assert not disjoint_ranges(inclusive, subject("r6", ORACLE, purl="pkg:pypi/javase", introduced="8.0", last_affected="8.0.401"))  # fmt: skip  # noqa: E501


def test_version_ranges_tell_nothing_when_unparsable_malformed_or_of_another_package() -> None:
    old = subject("r1", ORACLE, purl="pkg:pypi/javase", introduced="8.0", fixed="8.0.401")
    assert not disjoint_ranges(subject("r2", ORACLE, purl="pkg:pypi/javase", introduced="11.0-rc1"), old)
    # an end before its start (a source's odd events) is no evidence
    assert not disjoint_ranges(subject("r3", ORACLE, purl="pkg:pypi/javase", introduced="11.0", fixed="1.7"), old)
    # another package numbers its versions its own way: a bundled component's flaw in two products
    other = subject("r4", ORACLE, purl="pkg:pypi/javase-embedded", introduced="11.0")
    assert disjoint_ranges(other, old) and conflict(other, old) is None
    assert find_duplicate(other, [old]) is not None


def test_a_fingerprint_match_with_disjoint_ranges_is_a_regression_not_a_duplicate() -> None:
    where = Location(file="recparse/__init__.py", function="parse")
    old = subject("r1", "eval in parse", cwe="CWE-95", location=where, introduced="1.0", fixed="1.0.1")
    again = subject("r2", "eval in parse is back", cwe="CWE-95", location=where, introduced="2.0")
    assert find_duplicate(again, [old]) is None
    same_line = subject("r3", "eval in parse", cwe="CWE-95", location=where, introduced="1.0")
    match = find_duplicate(same_line, [old])
    assert match is not None and match.kind is MatchKind.FINGERPRINT


TF = (
    "TensorFlow is an open source platform for machine learning. The GatherNd function takes arguments that "
    "determine the sizes of inputs and outputs; larger inputs trigger an out-of-bounds read. This issue has been "
    "patched in GitHub commit {commit}. The fix will be included in TensorFlow 2.10.0."
)


def test_reports_naming_different_fix_commits_are_different_flaws() -> None:
    old = subject("r1", TF.format(commit="595a65a3e224a0362d7e68c2213acfc2b499a196"), purl="pkg:pypi/tensorflow")
    other = subject("r2", TF.format(commit="4142e47e9e31db481781b955ed3ff807a781b494"), purl="pkg:pypi/tensorflow")
    assert conflict(other, old) == "fixed by different commits"
    assert find_duplicate(other, [old]) is None
    # the same commit, abbreviated, on another package of the same project
    same = subject("r3", TF.format(commit="595a65a3e2"), purl="pkg:pypi/tensorflow-gpu")
    match = find_duplicate(same, [old])
    assert match is not None and match.key == "r1"
    assert old.commits == frozenset({"595a65a3e224a0362d7e68c2213acfc2b499a196"})
    # version numbers, plain numbers and hex-looking words are not commits
    assert subject("r4", "fixed in 1.2.3; see issue 12345678 and the deadbeef value").commits == frozenset()


MALWARE = (
    "`{name}` was removed from crates.io for malicious code\nThis crate was part of a typosquatting malware "
    "cluster published by the user `amaperf` and contained a malware payload in build.rs to exfiltrate host "
    "information to the attacker. The related malicious crates have been yanked."
)


def test_look_alike_notices_that_each_name_their_own_package_are_not_duplicates() -> None:
    old = subject("r1", MALWARE.format(name="envlogger"), purl="pkg:cargo/envlogger")
    new = subject("r2", MALWARE.format(name="lazystatic"), purl="pkg:cargo/lazystatic")
    assert conflict(new, old) == "only one report names lazystatic"
    assert find_duplicate(new, [old]) is None


def test_a_flaw_in_a_bundled_component_matches_across_the_products_that_ship_it() -> None:
    text = (
        "XStream is a Java library to serialize objects to XML. In XStream before version 1.4.16 a remote attacker "
        "may load and execute arbitrary code by manipulating the processed input stream."
    )
    old = subject("r1", text, purl="pkg:maven/com.thoughtworks.xstream/xstream")
    new = subject("r2", text, purl="pkg:generic/activemq")
    assert old.name == "xstream" and new.name == "activemq"
    assert conflict(new, old) is None
    match = find_duplicate(new, [old])
    assert match is not None and match.key == "r1"


def test_each_declared_fact_on_which_reports_disagree_is_named() -> None:
    base = subject("r1", "Heap overflow in parse_header when the length field is negative", cwe="CWE-787",
                   fixed="1.2.0", cvss="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")  # fmt: skip
    text = base.text
    assert conflict(subject("r2", text, cwe="CWE-125"), base) == "different CWE (CWE-125, CWE-787)"
    assert conflict(subject("r3", text, fixed="1.3.0"), base) == "different fixed versions (1.3.0, 1.2.0)"
    assert conflict(subject("r4", text, cvss="CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), base) == (
        "different CVSS vectors"
    )
    located = subject("r5", text, location=Location(file="a.c", function="f"))
    assert conflict(located, subject("r6", text, location=Location(file="b.c", function="f"))) == "different location"
    assert conflict(subject("r7", text, cwe="CWE-787", fixed="1.2.0"), base) is None  # facts one side omits agree


def test_a_products_name_comes_from_its_purl_or_cpe() -> None:
    assert subject("r1", "x", purl="pkg:maven/org.apache.logging.log4j/log4j-core").name == "log4j-core"
    assert Subject(key="r2", text="x", product="cpe:apache:http_server").name == "http-server"
    assert Subject(key="r3", text="x").name is None


def test_a_template_filled_in_with_other_versions_is_another_flaw() -> None:
    template = (
        "Vulnerability in the Oracle Java SE product (component: Hotspot). Supported versions that are affected "
        "are Oracle Java SE: {versions}. Difficult to exploit vulnerability allows an unauthenticated attacker "
        "with network access to compromise Oracle Java SE."
    )
    old = subject("r1", template.format(versions="8u401, 11.0.22, 17.0.10"), purl="pkg:generic/oracle/java")
    new = subject("r2", template.format(versions="8u411, 11.0.22, 17.0.10"), purl="pkg:generic/oracle/java")
    assert old.mentioned_versions == frozenset({"8u401", "11.0.22", "17.0.10"})
    assert conflict(new, old) == "the texts name different versions"
    assert find_duplicate(new, [old]) is None
    reworded = subject("r3", template.format(versions="17.0.10, 11.0.22 and 8u401"), purl="pkg:generic/oracle/java")
    assert find_duplicate(reworded, [old]) is not None  # the same versions, in another order and wording
