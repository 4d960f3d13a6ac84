"""The library holds itself to its own change review: 0.1.0 -> HEAD on the sample.

The sample's templates at the latest release (0.1.0, both profiles) are kept in
``tests/baseline/0.1.0/<profile>/`` (recorded with ``record_baseline`` from a synthesis of that
commit). Every blocking change the review finds between them and HEAD's synthesis of the same
stacks must be named in the CHANGELOG's ``### Upgrading from 0.1`` section — as a backticked
logical-ID pattern (``<Api><Path><METHOD>Role``: each ``<...>`` stands for one or more letters or
digits) — so that a minor release never replaces a stateful resource or widens a permission
without saying so.
"""

from __future__ import annotations

import re
from pathlib import Path

from modern_app_constructs._review import review_assemblies
from tests.cdk_support import ROOT

BASELINE = ROOT / "tests" / "baseline" / "0.1.0"
CHANGELOG = ROOT / "CHANGELOG.md"
_PATTERN = re.compile(r"`([A-Za-z0-9<>]*<[A-Za-z0-9]+>[A-Za-z0-9<>]*|[A-Z][A-Za-z0-9]{5,})`")


def upgrade_section(text: str) -> str:
    """The CHANGELOG's ``### Upgrading from 0.1`` sections of the unreleased version."""
    unreleased = text.split("\n## [", 2)[1]
    parts = re.split(r"\n### ", unreleased)
    return "\n".join(part for part in parts if part.startswith("Upgrading from 0.1"))


def named_patterns(section: str) -> list[re.Pattern[str]]:
    """The logical-ID patterns the section names, as regular expressions."""
    patterns = []
    for token in _PATTERN.findall(section):
        pieces = re.split(r"<[A-Za-z0-9]+>", token)
        patterns.append(re.compile("[A-Za-z0-9]+".join(re.escape(p) for p in pieces) + "$"))
    return patterns


def test_the_patterns_of_the_upgrade_section_are_read():
    section = upgrade_section(CHANGELOG.read_text())
    patterns = named_patterns(section)
    assert any(p.match("ApiOrdersBulkPOSTRole") for p in patterns)
    assert not any(p.match("SomethingNobodyNamed") for p in patterns)


def test_every_blocking_change_since_the_release_is_named_in_the_changelog(sample):
    baseline = BASELINE / sample.profile
    assert (baseline / "manifest.json").is_file(), f"no baseline at {baseline}"
    review = review_assemblies(baseline, Path(sample.outdir), cost=lambda base, head: None)
    released = {path.name.removesuffix(".template.json") for path in baseline.glob("*.json")}
    blocking = [
        finding
        for finding in review.blocking
        if finding.stack in released  # stacks the release had: new stacks replace nothing
    ]
    patterns = named_patterns(upgrade_section(CHANGELOG.read_text()))
    unnamed = [
        f"{finding.stack}/{finding.logical_id} [{finding.rule}]: {finding.message}"
        for finding in blocking
        if not any(pattern.match(finding.logical_id) for pattern in patterns)
    ]
    assert not unnamed, (
        "blocking changes since 0.1.0 that CHANGELOG's 'Upgrading from 0.1' section does not "
        "name:\n" + "\n".join(unnamed)
    )
