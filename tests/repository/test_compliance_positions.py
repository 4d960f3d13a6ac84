"""Every compliance position is checked against the templates it describes.

``docs/compliance-positions.toml`` gives each position the facts its reason rests on, as claims
(``scripts/compliance_claims.py``); here each claim is evaluated against the sample synthesized
in both profiles, one test per claim kind, and each kind is shown to fail on a false fact
(the wrong positions the report once printed among them). The committed report
(``docs/compliance.md``) must agree with the positions file and show no rule reported while
its position says fixed.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from scripts.checkov_gate import templates_in
from scripts.compliance_claims import CLAIM_KINDS, evaluate
from scripts.compliance_report import DEFAULT_OUTPUT, load_positions, position_for

POSITIONS = load_positions()


@pytest.fixture(scope="module")
def templates(samples) -> dict[str, dict[str, Any]]:
    """profile -> top-level template name -> template: what the report evaluates."""
    return {
        profile: {
            name: json.loads(path.read_text())
            for name, path in templates_in([sample.outdir]).items()
        }
        for profile, sample in samples.items()
    }


@pytest.mark.parametrize("kind", CLAIM_KINDS)
def test_every_claim_of_a_kind_holds_in_the_templates(kind, templates):
    claims = [
        (rule, claim)
        for rule, position in POSITIONS.items()
        for claim in position.claims
        if claim["kind"] == kind
    ]
    assert claims, f"no position makes a {kind} claim"
    contradicted = {
        f"{rule}: {claim}": problems
        for rule, claim in claims
        if (problems := evaluate(claim, templates))
    }
    assert contradicted == {}


# Each kind fails when its fact is false: the positions the report once printed, and more.
FALSE_CLAIMS = {
    # IAMNoInlinePolicy said "no AWS-managed policy is used" while three are attached
    "no managed policy": {"kind": "managed-policies", "names": []},
    # LambdaConcurrency cited a max_concurrency bound the event source mappings do not have
    "bounded concurrency": {
        "kind": "property",
        "resource_type": "AWS::Lambda::EventSourceMapping",
        "path": "ScalingConfig.MaximumConcurrency",
        "present": True,
    },
    # APIGWSSLEnabled was labelled "opt-in prop" with no such prop
    "opt-in prop that does not exist": {
        "kind": "opt-in-prop",
        "construct": "ApiFrontDoor",
        "prop": "client_certificate",
    },
    # deletion protection was "fixed" though dev still fails it
    "deletion protection in both profiles": {
        "kind": "property",
        "resource_type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "path": "LoadBalancerAttributes.Key=deletion_protection.enabled",
        "equals": "true",
    },
    # log retention was "fixed" though dev keeps one month
    "one-year retention in both profiles": {
        "kind": "property",
        "resource_type": "AWS::Logs::LogGroup",
        "path": "RetentionInDays",
        "at_least": 365,
    },
    "a claim about no resource at all": {
        "kind": "property",
        "resource_type": "AWS::RDS::DBInstance",
        "path": "StorageEncrypted",
        "equals": True,
    },
}


@pytest.mark.parametrize("name", FALSE_CLAIMS)
def test_a_false_claim_is_contradicted_by_the_templates(name, templates):
    assert evaluate(FALSE_CLAIMS[name], templates)


def _template(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"dev": {"T": {"Resources": resources}}, "prod": {"T": {"Resources": resources}}}


def test_a_policy_shared_between_roles_contradicts_policy_per_role():
    shared = {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "A"}, {"Ref": "B"}]}}
    own = {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "A"}]}}
    assert evaluate({"kind": "policy-per-role"}, _template({"Own": own})) == []
    assert evaluate({"kind": "policy-per-role"}, _template({"Own": own, "Shared": shared}))


def test_a_key_without_the_grant_restriction_contradicts_kms_grant_restricted():
    deny = {
        "Effect": "Deny",
        "Action": "kms:CreateGrant",
        "Condition": {
            "BoolIfExists": {
                "kms:GrantIsForAWSResource": "false",
                "aws:PrincipalIsAWSService": "false",
            }
        },
    }
    guarded = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [deny]}}}
    open_key = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": []}}}
    claim = {"kind": "kms-grant-restricted"}
    assert evaluate(claim, _template({"Guarded": guarded})) == []
    assert evaluate(claim, _template({"Guarded": guarded, "Open": open_key}))


# ------------------------------------------------------------- the committed report

_ROW = re.compile(r"^\| `(?P<rule>[^`]+)`.*\| (?P<position>\*\*[^|]*) \|$")


def _report_rows() -> list[tuple[str, str, str]]:
    """(rule set heading, rule, position cell) of every finding row of docs/compliance.md."""
    rows = []
    heading = ""
    for line in DEFAULT_OUTPUT.read_text().splitlines():
        if line.startswith("## "):
            heading = line[3:]
        match = _ROW.match(line)
        if match and heading not in ("Summary", "Acknowledged or skipped on the resource"):
            rows.append((heading, match["rule"], match["position"]))
    return rows


def test_the_committed_report_has_the_current_positions_and_no_finding_on_a_fixed_rule():
    from scripts.compliance_report import RULE_SETS

    by_title = {rule_set.title: rule_set.key for rule_set in RULE_SETS}
    rows = _report_rows()
    assert rows, "docs/compliance.md has no finding rows"
    for heading, rule, cell in rows:
        position = position_for(by_title[heading], rule, POSITIONS)
        assert cell == position.render().replace("|", "\\|"), f"{rule}: regenerate the report"
        assert position.kind not in ("fixed", "unreviewed"), f"{rule} is reported: {cell}"


def test_the_committed_report_says_what_each_rule_set_evaluated():
    summary = DEFAULT_OUTPUT.read_text().split("## Summary", 1)[1].split("\n\n", 2)[1]
    for line in summary.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        dev_templates, prod_templates = int(cells[1]), int(cells[3])
        assert dev_templates >= 3, line  # platform, service, pipeline
        assert prod_templates >= 2, line  # platform, service
