"""The library holds itself to its own change review: 0.1.0 -> HEAD on the sample.

The sample's templates at the latest release (0.1.0, both profiles) are kept in
``tests/baseline/0.1.0/<profile>/`` (recorded with ``record_baseline`` from a synthesis of that
commit). Every blocking change the review finds between them and HEAD's synthesis of the same
stacks must be named in the CHANGELOG's ``### Upgrading from 0.1`` sections: by a bullet that
holds a backticked logical-ID pattern (``<Api><Path><METHOD>Role``: each ``<...>`` stands for one
or more letters or digits; CDK's 8-character hash suffix may follow) and, when the bullet names
review rules in backticks (``iam-widened``), one of them — so that a minor release never replaces
a stateful resource or widens a permission without saying so.
"""

from __future__ import annotations

import re
from pathlib import Path

from modern_app_constructs._review import RULES, review_assemblies
from tests.cdk_support import ROOT

BASELINE = ROOT / "tests" / "baseline" / "0.1.0"
CHANGELOG = ROOT / "CHANGELOG.md"
_PATTERN = re.compile(r"`([A-Za-z0-9<>]*<[A-Za-z0-9]+>[A-Za-z0-9<>]*|[A-Z][A-Za-z0-9]{5,})`")


def upgrade_section(text: str) -> str:
    """The CHANGELOG's ``### Upgrading from 0.1`` sections of the unreleased version."""
    unreleased = text.split("\n## [", 2)[1]
    parts = re.split(r"\n### ", unreleased)
    return "\n".join(part for part in parts if part.startswith("Upgrading from 0.1"))


def named_changes(section: str) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Per bullet of the section: each logical-ID pattern it names, with the rules it names."""
    named = []
    for bullet in re.split(r"\n(?=- )", section):
        tokens = re.findall(r"`([^`]+)`", bullet)
        rules = frozenset(token for token in tokens if token in RULES)
        for token in _PATTERN.findall(bullet):
            pieces = re.split(r"<[A-Za-z0-9]+>", token)
            body = "[A-Za-z0-9]+".join(re.escape(piece) for piece in pieces)
            named.append((re.compile(f"{body}(?:[0-9A-F]{{8}})?$"), rules))
    return named


def is_named(
    logical_id: str, rule: str, named: list[tuple[re.Pattern[str], frozenset[str]]]
) -> bool:
    """Whether a bullet names ``logical_id`` (and ``rule``, when it names rules)."""
    return any(
        pattern.match(logical_id) and (not rules or rule in rules) for pattern, rules in named
    )


def test_the_patterns_of_the_upgrade_section_are_read():
    named = named_changes(upgrade_section(CHANGELOG.read_text()))
    assert is_named("ApiOrdersBulkPOSTRole3A35FFCE", "iam-widened", named)
    assert not is_named("SomethingNobodyNamed", "iam-widened", named)
    example = "- `<Worker>DeadLetterQueuePolicy` (`iam-principal-added`): SNS may send.\n- `Other`"
    only = named_changes(example)
    assert is_named("BulkIntakeDeadLetterQueuePolicy4C0163B2", "iam-principal-added", only)
    assert not is_named("BulkIntakeDeadLetterQueuePolicy4C0163B2", "iam-wildcard", only)


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
    named = named_changes(upgrade_section(CHANGELOG.read_text()))
    unnamed = [
        f"{finding.stack}/{finding.logical_id} [{finding.rule}]: {finding.message}"
        for finding in blocking
        if not is_named(finding.logical_id, finding.rule, named)
    ]
    assert not unnamed, (
        "blocking changes since 0.1.0 that CHANGELOG's 'Upgrading from 0.1' section does not "
        "name:\n" + "\n".join(unnamed)
    )
