"""The library holds itself to its own change review: 0.1.0 -> HEAD on the sample and constructs.

The sample's templates at the latest release (0.1.0, both profiles) are kept in
``tests/baseline/0.1.0/<profile>/`` (recorded with ``record_baseline`` from a synthesis of that
commit). Every blocking change the review finds between them and HEAD's synthesis of the same
stacks must be named in the CHANGELOG's ``### Upgrading from 0.1`` sections: by a bullet that
holds a backticked logical-ID pattern (``<Api><Path><METHOD>Role``: each ``<...>`` stands for one
or more letters or digits; CDK's 8-character hash suffix may follow) and, when the bullet names
review rules in backticks (``iam-widened``), one of them — so that a minor release never replaces
a stateful resource or widens a permission without saying so.

The construct scenarios are held to the same rule: their snapshots at 0.1.0 (normalised templates,
as ``tests/__snapshots__`` stored them) are kept in ``tests/baseline/0.1.0/constructs/<test
module>/`` and reviewed against the snapshot of the same name at HEAD. A scenario whose snapshot no
longer exists is listed in :data:`RETIRED_SCENARIOS` with the reason, never silently dropped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from modern_app_constructs._assembly import AssemblyStack
from modern_app_constructs._review import RULES, Acceptance, review_assemblies, review_stacks
from modern_app_constructs.testing import normalize
from tests.cdk_support import ROOT, recorded_snapshot

BASELINE = ROOT / "tests" / "baseline" / "0.1.0"
CONSTRUCT_BASELINE = BASELINE / "constructs"
CHANGELOG = ROOT / "CHANGELOG.md"
# "<test module>/<snapshot file>" of a baselined scenario whose snapshot is gone -> the reason.
RETIRED_SCENARIOS: dict[str, str] = {}
# Findings that come from how the tests build a scenario, not from the library: no user's stack
# sees them, so the CHANGELOG does not name them.
_RENAMED_TEST_STACK = (
    "the scenario's test stack was renamed from Service to {0} when the Fargate scenarios came to "
    "share one synthesis; the rule between the load balancer's and the service's security groups "
    "is unchanged, but CDK puts the peer's stack name in its logical ID"
)
SCENARIO_ACCEPTED = tuple(
    Acceptance(f"test_fargate_service/test_snapshot_{snapshot}.json", reason, logical_id)
    for snapshot, reason, logical_ids in (
        (
            "blue_green",
            _RENAMED_TEST_STACK.format("BlueGreen"),
            (
                "CatalogLoadBalancerSecurityGrouptoBlueGreenCatalogServiceSecurityGroup68EC4BAB"
                "8080C260EDED",
                "CatalogServiceSecurityGroupfromBlueGreenCatalogLoadBalancerSecurityGroup3682B1A8"
                "808006F9B586",
            ),
        ),
        (
            "public_https",
            _RENAMED_TEST_STACK.format("PublicHttps"),
            (
                "CatalogLoadBalancerSecurityGrouptoPublicHttpsCatalogServiceSecurityGroup22DF7817"
                "80804B6EF877",
                "CatalogServiceSecurityGroupfromPublicHttpsCatalogLoadBalancerSecurityGroup06030EB8"
                "8080753D491E",
            ),
        ),
    )
    for logical_id in logical_ids
)
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


def construct_scenarios() -> list[str]:
    """Every baselined construct scenario, as ``<test module>/<snapshot file>``."""
    return sorted(
        path.relative_to(CONSTRUCT_BASELINE).as_posix()
        for path in CONSTRUCT_BASELINE.glob("*/*.json")
    )


def unnamed_blocking(stack: str, base: dict[str, object], head: dict[str, object]) -> list[str]:
    """The blocking changes from ``base`` to ``head`` no upgrade section names."""
    review = review_stacks(
        {stack: AssemblyStack(stack, stack, None, normalize(base))},
        {stack: AssemblyStack(stack, stack, None, normalize(head))},
        accept=SCENARIO_ACCEPTED,
        cost=lambda before, after: None,
    )
    named = named_changes(upgrade_section(CHANGELOG.read_text()))
    return [
        f"{finding.stack}/{finding.logical_id} [{finding.rule}]: {finding.message}"
        for finding in review.blocking
        if not is_named(finding.logical_id, finding.rule, named)
    ]


def test_the_construct_baseline_is_there_and_retired_scenarios_are_explained():
    scenarios = construct_scenarios()
    assert len(scenarios) >= 10, f"construct baseline missing under {CONSTRUCT_BASELINE}"
    for scenario, reason in RETIRED_SCENARIOS.items():
        assert scenario in scenarios, f"{scenario} is retired but was never baselined"
        assert not recorded_snapshot(scenario).exists(), f"{scenario} is retired but still recorded"
        assert reason.strip(), f"{scenario} is retired without a reason"
    vanished = [
        scenario
        for scenario in scenarios
        if scenario not in RETIRED_SCENARIOS and not recorded_snapshot(scenario).is_file()
    ]
    assert not vanished, (
        "baselined construct scenarios with no snapshot at HEAD; list each in "
        "RETIRED_SCENARIOS with the reason:\n" + "\n".join(vanished)
    )


def test_a_blocking_construct_change_the_changelog_does_not_name_is_caught():
    base = json.loads((CONSTRUCT_BASELINE / construct_scenarios()[0]).read_text())
    head = json.loads(json.dumps(base))
    replaced = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "before"}}
    base["Resources"]["SomethingNobodyNamedQueue"] = replaced
    head["Resources"]["SomethingNobodyNamedQueue"] = {
        **replaced,
        "Properties": {"QueueName": "after"},
    }
    unnamed = unnamed_blocking("Scenario", base, head)
    assert len(unnamed) == 1
    assert unnamed[0].startswith("Scenario/SomethingNobodyNamedQueue [stateful-replaced]")
    assert unnamed_blocking("Scenario", base, base) == []


@pytest.mark.parametrize(
    "scenario", [s for s in construct_scenarios() if s not in RETIRED_SCENARIOS]
)
def test_every_blocking_construct_change_since_the_release_is_named_in_the_changelog(scenario):
    base = json.loads((CONSTRUCT_BASELINE / scenario).read_text())
    head = json.loads(recorded_snapshot(scenario).read_text())
    unnamed = unnamed_blocking(scenario, base, head)
    assert not unnamed, (
        f"blocking changes to {scenario} since 0.1.0 that CHANGELOG's 'Upgrading from 0.1' "
        "sections do not name:\n" + "\n".join(unnamed)
    )


def test_every_accepted_scenario_finding_still_occurs():
    stale = []
    for entry in SCENARIO_ACCEPTED:
        base = json.loads((CONSTRUCT_BASELINE / entry.stack).read_text())
        head = json.loads(recorded_snapshot(entry.stack).read_text())
        review = review_stacks(
            {entry.stack: AssemblyStack(entry.stack, entry.stack, None, normalize(base))},
            {entry.stack: AssemblyStack(entry.stack, entry.stack, None, normalize(head))},
            accept=[entry],
            cost=lambda before, after: None,
        )
        if not any(finding.accepted for finding in review.findings):
            stale.append(f"{entry.stack}/{entry.logical_id}")
    assert not stale, "accepted scenario findings that no longer occur:\n" + "\n".join(stale)
