"""The compliance report generator (scripts/compliance_report.py) and the rule sets it runs.

Rendering, positions and the reading of CDK's validation report are tested on small synthetic
inputs; two synths prove the Serverless pack and the Control Tower rules report what the
inventory (docs/compliance-inventory.md) says they do, and that the planned fixes silence them.
"""

from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from modern_app_constructs._nag import acknowledge
from scripts.compliance_guard import run_guard, substitute_parameters
from scripts.compliance_report import (
    DEFAULT_POSITIONS,
    POSITION_KINDS,
    Coverage,
    Finding,
    Position,
    acknowledgments_from_assembly,
    check_coverage,
    findings_from_report,
    load_positions,
    nested_stage_paths,
    position_for,
    render,
)
from tests.cdk_support import make_app


def _finding(rule_set, rule, profile, path, logical_id, **extra):
    stack = path.split("/", 1)[0]
    return Finding(rule_set, rule, "sample", profile, stack, path, logical_id, **extra)


FINDINGS = [
    _finding("Serverless", "Serverless-SNSRedrivePolicy", p, "Svc/Worker/Sub/Resource", "Sub1")
    for p in ("dev", "prod")
] + [
    _finding(
        "NIST.800.53.R5",
        "NIST.800.53.R5-ELBDeletionProtectionEnabled",
        "dev",
        "Svc/Lb/Resource",
        "Lb1",
        title="no deletion protection",
    ),
    _finding(
        "HIPAA.Security",
        "HIPAA.Security-LambdaInsideVPC",
        "prod",
        "Svc/Fn/Resource",
        "Fn1",
    ),
    _finding(
        "cdk-validator-cfnguard",
        "kms_create_grant_aws_service_check",
        "prod",
        "Platform/Key/Resource",
        "Key1",
        control="CT.KMS.PR.3",
    ),
    _finding("checkov", "CKV_AWS_999", "prod", "Svc/Fn/Resource", "Fn1", title="a | pipe"),
]
POSITIONS = {
    "Serverless-SNSRedrivePolicy": Position("open", "subscription DLQ planned"),
    "ELBDeletionProtectionEnabled": Position("fixed", "on in prod"),
    "LambdaInsideVPC": Position("opt-in", "vpc_placement="),
    "HIPAA.Security-LambdaInsideVPC": Position("not-applicable", "full name wins"),
}


def _row(document, rule):
    (line,) = [line for line in document.splitlines() if line.startswith(f"| `{rule}`")]
    return line


def test_each_rule_is_a_row_with_counts_per_profile_resources_and_position():
    document = render(FINDINGS, POSITIONS)
    row = _row(document, "Serverless-SNSRedrivePolicy")
    assert "| 1 | 1 |" in row
    assert "`Svc/Worker/Sub` (Sub1)" in row
    assert "**open, fix planned**: subscription DLQ planned" in row
    assert document.index("## cdk-nag Serverless") < document.index("## NIST 800-53")


def test_a_resource_found_in_one_profile_only_says_so():
    row = _row(render(FINDINGS, POSITIONS), "NIST.800.53.R5-ELBDeletionProtectionEnabled")
    assert "| 1 | 0 |" in row
    assert "`Svc/Lb` (Lb1) dev only" in row
    assert "no deletion protection" in row


def test_the_summary_counts_the_templates_each_rule_set_evaluated():
    coverage = [
        Coverage("Serverless", "sample", "dev", ("Platform", "Service", "Pipeline")),
        Coverage("Serverless", "sample", "prod", ("Platform", "Service")),
        Coverage("checkov", "sample", "dev", ("Service",)),
    ]
    document = render(FINDINGS, POSITIONS, coverage=coverage, header="GATES", intro="HOW")
    assert document.index("GATES") < document.index("## Summary") < document.index("HOW")
    summary = next(
        line for line in document.splitlines() if line.startswith("| cdk-nag Serverless")
    )
    assert summary.startswith("| cdk-nag Serverless | 3 | 1 | 2 | 1 |")
    assert (
        "Templates evaluated in dev: `Pipeline`, `Platform`, `Service` "
        "(checkov (CloudFormation checks) only `Service`)."
    ) in document


def test_a_rule_set_that_evaluated_no_template_fails_the_report():
    targets = [("sample", "dev")]
    check_coverage([Coverage("Serverless", "sample", "dev", ("Service",))], targets)
    with pytest.raises(RuntimeError, match=r"cdk-validator-cfnguard \(sample dev\)"):
        check_coverage(
            [
                Coverage("Serverless", "sample", "dev", ("Service",)),
                Coverage("cdk-validator-cfnguard", "sample", "dev", ()),
            ],
            targets,
        )


def test_findings_inside_a_pipeline_stage_are_recognised_by_the_tree(tmp_path):
    stage = {"constructInfo": {"fqn": "aws-cdk-lib.Stage"}, "path": "Pipe/Pipeline/Dev"}
    tree = {
        "tree": {
            "children": {
                "Pipe": {
                    "path": "Pipe",
                    "constructInfo": {"fqn": "aws-cdk-lib.Stack"},
                    "children": {"Pipeline": {"path": "Pipe/Pipeline", "children": {"Dev": stage}}},
                }
            }
        }
    }
    (tmp_path / "tree.json").write_text(json.dumps(tree))
    assert nested_stage_paths(tmp_path) == ("Pipe/Pipeline/Dev",)


def test_a_rule_without_a_position_is_unreviewed():
    document = render(FINDINGS, POSITIONS)
    assert "**unreviewed**" in _row(document, "kms_create_grant_aws_service_check")
    assert "(CT.KMS.PR.3)" in _row(document, "kms_create_grant_aws_service_check")
    summary = next(line for line in document.splitlines() if line.startswith("| AWS Control"))
    assert summary.endswith("| - | 0 | - | 1 | 1 | 0 | 1 | 0 |")


def test_cells_escape_pipes():
    assert "a \\| pipe" in _row(render(FINDINGS, POSITIONS), "CKV_AWS_999")


def test_nag_packs_share_a_position_unless_a_full_name_overrides_it():
    assert position_for("NIST.800.53.R5", "NIST.800.53.R5-LambdaInsideVPC", POSITIONS).kind == (
        "opt-in"
    )
    assert position_for("HIPAA.Security", "HIPAA.Security-LambdaInsideVPC", POSITIONS).kind == (
        "not-applicable"
    )
    assert position_for("checkov", "LambdaInsideVPC-ish", POSITIONS).kind == "unreviewed"


def test_the_committed_positions_file_is_valid():
    positions = load_positions(DEFAULT_POSITIONS)
    assert {"Serverless-SNSRedrivePolicy", "kms_create_grant_aws_service_check"} <= set(positions)
    assert {position.kind for position in positions.values()} <= set(POSITION_KINDS)


_PROP = '{ kind = "opt-in-prop", construct = "ApiFrontDoor", prop = "web_acl_arn" }'
_PROD = (
    '{ kind = "property", resource_type = "AWS::Logs::LogGroup", path = "RetentionInDays", '
    'at_least = 365, profiles = ["prod"] }'
)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('position = "maybe"\nreason = "x"', "position 'maybe'"),
        ('position = "fixed"', "a reason is required"),
        ('position = "opt-in"\nreason = "x"', "no claim"),
        (f'position = "fixed"\nreason = "x"\nclaims = [{_PROD}]', "use prod-only"),
        (f'position = "prod-only"\nreason = "x"\nclaims = [{_PROP}]', "profiles = \\['prod'\\]"),
        (
            'position = "opt-in"\nreason = "x"\nclaims = [{ kind = "kms-grant-restricted" }]',
            "names its prop",
        ),
        (
            f'position = "not-applicable"\nreason = "the fix is harmless"\nclaims = [{_PROP}]',
            "the rule applies",
        ),
        ('position = "open"\nreason = "x"\nclaims = [{ kind = "guess" }]', "claim kind 'guess'"),
        (
            'position = "open"\nreason = "x"\nclaims = [{ kind = "property", '
            'resource_type = "AWS::S3::Bucket", path = "X" }]',
            "needs one of",
        ),
    ],
)
def test_a_bad_positions_file_is_rejected(tmp_path, entry, message):
    path = tmp_path / "positions.toml"
    path.write_text(f'[rules."Some-Rule"]\n{entry}\n')
    with pytest.raises(ValueError, match=message):
        load_positions(path)


def test_acknowledged_and_skipped_findings_are_listed_with_their_reasons_not_counted():
    quiet = [
        _finding(
            "Serverless",
            "Serverless-LambdaDLQ",
            p,
            "Svc/Fn/Resource",
            "Fn1",
            status="acknowledged",
            reason="invoked synchronously",
        )
        for p in ("dev", "prod")
    ] + [
        _finding(
            "checkov",
            "CKV_AWS_117",
            "prod",
            "Svc/Fn/Resource",
            "Fn1",
            status="skipped",
            reason="opt-in",
        )
    ]
    document = render(FINDINGS + quiet, POSITIONS)
    summary = next(
        line for line in document.splitlines() if line.startswith("| cdk-nag Serverless")
    )
    assert summary == "| cdk-nag Serverless | - | 1 | - | 1 | 1 | 1 | 0 | 1 |"
    section = document[document.index("## Acknowledged or skipped on the resource") :]
    assert _row(section, "Serverless-LambdaDLQ") == (
        "| `Serverless-LambdaDLQ` | 1 | 1 | `Svc/Fn` (Fn1) | invoked synchronously |"
    )
    assert _row(section, "CKV_AWS_117") == (
        "| `CKV_AWS_117` | 0 | 1 | `Svc/Fn` (Fn1) prod only | opt-in |"
    )
    assert _row(document, "Serverless-SNSRedrivePolicy")  # found ones keep their table


def test_fixed_rules_no_longer_found_are_listed_with_how():
    positions = {
        **POSITIONS,
        "CKV_AWS_173": Position("fixed", "the platform key encrypts environments"),
        "VPCSubnetAutoAssignPublicIpDisabled": Position("fixed", "no public IPv4 at launch"),
    }
    document = render(FINDINGS, positions)
    fixed = document[document.index("## Fixed by default") :]
    assert "- `CKV_AWS_173`: the platform key encrypts environments" in fixed
    assert "- `VPCSubnetAutoAssignPublicIpDisabled`: no public IPv4 at launch" in fixed
    # found in dev (a fixed position with a finding): stays in its table, not listed as fixed
    assert "ELBDeletionProtectionEnabled" not in fixed


def test_acknowledgments_are_read_from_the_assembly_metadata(tmp_path):
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "Svc": {
                        "type": "aws:cloudformation:stack",
                        "additionalMetadataFile": "Svc.metadata.json",
                    }
                }
            }
        )
    )
    (tmp_path / "Svc.metadata.json").write_text(
        json.dumps(
            {
                "/Svc/Worker/Dlq/Resource": [{"type": "aws:cdk:logicalId", "data": "Dlq1"}],
                "/Svc/Worker/Dlq": [
                    {
                        "type": "aws:cdk:acknowledged-rules",
                        "data": {
                            "Annotation::Serverless-SQSRedrivePolicy": "the end of  the chain",
                            "Annotation::Unknown-Rule": "not a pack this report runs",
                        },
                    }
                ],
            }
        )
    )
    found = acknowledgments_from_assembly(tmp_path, app="sample", profile="dev")
    assert found == [
        Finding(
            "Serverless",
            "Serverless-SQSRedrivePolicy",
            "sample",
            "dev",
            "Svc",
            "Svc/Worker/Dlq/Resource",
            "Dlq1",
            status="acknowledged",
            reason="the end of the chain",
        )
    ]


def test_findings_are_read_from_cdks_validation_report(tmp_path):
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "Svc": {
                        "type": "aws:cloudformation:stack",
                        "additionalMetadataFile": "Svc.metadata.json",
                    }
                }
            }
        )
    )
    (tmp_path / "Svc.metadata.json").write_text(
        json.dumps({"/Svc/Worker/Sub/Resource": [{"type": "aws:cdk:logicalId", "data": "Sub1"}]})
    )
    report = {
        "pluginReports": [
            {
                "pluginName": "Serverless",
                "violations": [
                    {
                        "ruleName": "Serverless-SNSRedrivePolicy",
                        "description": "No redrive policy - (Control IDs: X).",
                        "violatingConstructs": [{"constructPath": "Svc/Worker/Sub/Resource"}],
                    }
                ],
            },
            {
                "pluginName": "cdk-validator-cfnguard",
                "violations": [
                    {
                        "ruleName": "kms_create_grant_aws_service_check",
                        "description": "[CT.KMS.PR.3]: Require a statement",
                        "violatingConstructs": [
                            {
                                "constructPath": "Platform/Key/Resource",
                                "cloudFormationResource": {"logicalId": "Key1"},
                            },
                            {"constructPath": ""},  # cfn-guard adds an empty entry
                        ],
                    }
                ],
            },
        ]
    }
    found = findings_from_report(report, tmp_path, app="sample", profile="dev")
    assert found == sorted(
        [
            Finding(
                "Serverless",
                "Serverless-SNSRedrivePolicy",
                "sample",
                "dev",
                "Svc",
                "Svc/Worker/Sub/Resource",
                "Sub1",
                title="No redrive policy",
            ),
            Finding(
                "cdk-validator-cfnguard",
                "kms_create_grant_aws_service_check",
                "sample",
                "dev",
                "Platform",
                "Platform/Key/Resource",
                "Key1",
                title="Require a statement",
                control="CT.KMS.PR.3",
            ),
        ]
    )


# ------------------------------------------------- the rule sets on deliberate violations


def _violations(outdir):
    report = json.loads((outdir / "validation-report.json").read_text())
    return {
        (plugin["pluginName"], violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
        if construct.get("constructPath")
    }


def test_serverless_pack_fails_on_a_subscription_without_redrive_policy(tmp_path):
    from cdk_nag import ServerlessChecks

    app = make_app(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Violating")
    topic = sns.Topic(stack, "Topic", enforce_ssl=True)
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    dead_letters = sqs.Queue(stack, "SubscriptionDlq", enforce_ssl=True)
    acknowledge(dead_letters, "Serverless-SQSRedrivePolicy", "A dead-letter queue (test).")
    acknowledge(queue, "Serverless-SQSRedrivePolicy", "Redrive is not under test here.")
    sns.Subscription(
        stack, "Lost", topic=topic, endpoint=queue.queue_arn, protocol=sns.SubscriptionProtocol.SQS
    )
    sns.Subscription(
        stack,
        "Redriven",
        topic=topic,
        endpoint=queue.queue_arn,
        protocol=sns.SubscriptionProtocol.SQS,
        dead_letter_queue=dead_letters,
    )
    cdk.Validations.of(app).add_plugins(ServerlessChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    assert _violations(tmp_path) == {
        ("Serverless", "Serverless-SNSRedrivePolicy", "Violating/Lost/Resource")
    }


def test_control_tower_rules_accept_the_planned_fixes_only(tmp_path):
    from aws_cdk import aws_ec2 as ec2
    from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

    app = make_app(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Keys", env=cdk.Environment(region="eu-west-1"))
    kms.Key(stack, "Open", enable_key_rotation=True)
    guarded = kms.Key(stack, "Guarded", enable_key_rotation=True)
    guarded.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyGrantsNotForAwsResources",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={
                "BoolIfExists": {
                    "kms:GrantIsForAWSResource": "false",
                    "aws:PrincipalIsAWSService": "false",
                }
            },
        )
    )
    for name, assign in (("AutoAssign", True), ("NoAutoAssign", False)):
        ec2.CfnSubnet(
            stack,
            name,
            vpc_id="vpc-12345678",
            cidr_block="10.0.0.0/24",
            map_public_ip_on_launch=assign,
        )
    cdk.Validations.of(app).add_plugins(CfnGuardValidator(max_buffer=16 * 1024 * 1024))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    found = {(rule, path) for plugin, rule, path in _violations(tmp_path)}
    assert ("kms_create_grant_aws_service_check", "Keys/Open/Resource") in found
    assert ("subnet_auto_assign_public_ip_disabled_check", "Keys/AutoAssign") in found
    assert ("kms_create_grant_aws_service_check", "Keys/Guarded/Resource") not in found
    assert ("subnet_auto_assign_public_ip_disabled_check", "Keys/NoAutoAssign") not in found


# ------------------------------------- the Control Tower rules on SSM-typed parameters

_KEY_PATH = "/modern-app-constructs/platform/shop-dev/key-arn"
_SUBNETS_PATH = "/modern-app-constructs/platform/shop-dev/private-subnet-ids"


def _attached_template():
    """Two queues, one encrypted with a key ARN from an SSM-typed parameter, one not."""
    ssm = "AWS::SSM::Parameter::Value<String>"
    return {
        "Parameters": {
            "KeyArn": {"Type": ssm, "Default": _KEY_PATH},
            "Subnets": {"Type": ssm, "Default": _SUBNETS_PATH},
            "BootstrapVersion": {"Type": ssm, "Default": "/cdk-bootstrap/hnb659fds/version"},
        },
        "Resources": {
            "Encrypted": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"KmsMasterKeyId": {"Ref": "KeyArn"}},
            },
            "Plain": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Sg": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "x",
                    "VpcId": {"Fn::Select": [1, {"Fn::Split": [",", {"Ref": "Subnets"}]}]},
                },
            },
        },
    }


def test_ssm_typed_parameters_are_replaced_by_placeholders_of_their_type():
    copied, substituted = substitute_parameters(_attached_template(), profile="dev")
    key = copied["Resources"]["Encrypted"]["Properties"]["KmsMasterKeyId"]
    assert re.fullmatch(r"arn:aws:kms:eu-west-1:\d{12}:key/[0-9a-f-]{36}", key)
    assert copied["Resources"]["Sg"]["Properties"]["VpcId"] == "subnet-0000000000000001b"
    assert set(substituted) == {"KeyArn", "Subnets"}  # BootstrapVersion: no resource reads it
    assert _attached_template()["Resources"]["Encrypted"]["Properties"]["KmsMasterKeyId"] == {
        "Ref": "KeyArn"
    }  # a copy: the template itself is untouched


def test_an_unknown_ssm_typed_parameter_fails_rather_than_staying_unread():
    template = _attached_template()
    template["Parameters"]["KeyArn"]["Default"] = "/somewhere/else/secret-thing"
    with pytest.raises(ValueError, match="no placeholder for the SSM-typed parameters"):
        substitute_parameters(template, profile="dev")


def test_the_guard_rules_evaluate_a_template_with_ssm_typed_parameters(tmp_path):
    path = tmp_path / "Attached.template.json"
    path.write_text(json.dumps(_attached_template()))
    run = run_guard({"Attached": path}, profile="dev")
    assert run.evaluated == ("Attached",)
    queue_findings = {f.logical_id for f in run.findings if f.rule == "sqs_queue_encrypted_check"}
    assert queue_findings == {"Plain"}
    (found,) = [f for f in run.findings if f.rule == "sqs_queue_encrypted_check"]
    assert found.control == "CT.SQS.PR.2"
