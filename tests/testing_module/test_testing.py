"""modern_app_constructs.testing: Apps with cdk.json's context, snapshots, the compliance gates.

And the public ``acknowledge`` those gates honour.
"""

from __future__ import annotations

import json
import subprocess
import sys

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from cdk_nag import ServerlessChecks
from syrupy.extensions.json import JSONSnapshotExtension

import modern_app_constructs
from modern_app_constructs import InvalidPropError, acknowledge, testing
from modern_app_constructs.testing import (
    ComplianceError,
    Finding,
    TemplateSnapshotExtension,
    app_for_tests,
    assert_compliant,
    cdk_json_context,
    cfn_lint_errors,
    find_cdk_json,
    normalize,
)
from tests.cdk_support import CDK_JSON, ROOT

HASH = "0123456789abcdef" * 4


@pytest.fixture
def project(tmp_path):
    """A consumer project: cdk.json (with a flag) and cached lookups in cdk.context.json."""
    (tmp_path / "cdk.json").write_text(
        json.dumps(
            {
                "app": "python3 app.py",
                "context": {"@aws-cdk/core:enableStackNameDuplicates": True, "stage": "json"},
            }
        )
    )
    (tmp_path / "cdk.context.json").write_text(
        json.dumps({"stage": "cached", "vpc-provider:account=1:region=r": {"vpcId": "vpc-1"}})
    )
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    return tmp_path


def test_app_for_tests_reads_the_nearest_cdk_json_above_the_path(project):
    app = app_for_tests(project / "tests" / "unit")
    assert app.node.try_get_context("@aws-cdk/core:enableStackNameDuplicates") is True
    # cdk.json over cdk.context.json, as the CLI merges them; cached lookups come along
    assert app.node.try_get_context("stage") == "json"
    assert app.node.try_get_context("vpc-provider:account=1:region=r") == {"vpcId": "vpc-1"}
    assert find_cdk_json(project / "tests" / "unit" / "test_x.py") == project / "cdk.json"
    assert find_cdk_json(project / "cdk.json") == project / "cdk.json"


def test_app_for_tests_overrides_win(project):
    app = app_for_tests(project, stage="override", profile="prod")
    assert app.node.try_get_context("stage") == "override"
    assert app.node.try_get_context("profile") == "prod"


def test_app_for_tests_defaults_to_the_calling_test_files_project():
    app = app_for_tests()
    for key, value in json.loads(CDK_JSON.read_text())["context"].items():
        assert app.node.try_get_context(key) == value, key
    assert cdk_json_context(CDK_JSON) == json.loads(CDK_JSON.read_text())["context"]


def test_app_for_tests_without_a_cdk_json_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no cdk.json in .* or any directory above it"):
        app_for_tests(tmp_path)


def test_app_for_tests_outdir(tmp_path):
    app = app_for_tests(outdir=tmp_path / "out")
    sqs.Queue(cdk.Stack(app, "S"), "Q", enforce_ssl=True)
    app.synth()
    assert (tmp_path / "out" / "S.template.json").is_file()


def test_normalize_scrubs_asset_hashes_and_version_ids_only():
    template = {
        "Resources": {
            "FnCurrentVersion4A5C1D2Bdeadbeef": {"Type": "AWS::Lambda::Version"},
            "Fn": {
                "Properties": {"Code": {"S3Key": f"{HASH}.zip"}, "Handler": "index.handler"},
                "Type": "AWS::Lambda::Function",
            },
            "Short": {"Properties": {"Tag": HASH[:63]}, "Type": "X"},
        }
    }
    assert normalize(template) == {
        "Resources": {
            "Fn": {
                "Properties": {"Code": {"S3Key": "<asset-hash>.zip"}, "Handler": "index.handler"},
                "Type": "AWS::Lambda::Function",
            },
            "FnCurrentVersion<hash>": {"Type": "AWS::Lambda::Version"},
            "Short": {"Properties": {"Tag": HASH[:63]}, "Type": "X"},
        }
    }


def test_template_snapshots_are_normalised_readable_json():
    template = {"Resources": {"B": {"Type": "X", "Properties": {"Key": f"{HASH}.zip"}}}}
    text = TemplateSnapshotExtension().serialize(template)
    assert text == JSONSnapshotExtension().serialize(normalize(template))
    assert json.loads(text) == {
        "Resources": {"B": {"Properties": {"Key": "<asset-hash>.zip"}, "Type": "X"}}
    }
    assert TemplateSnapshotExtension().serialize(Template.from_json(template)) == text
    with pytest.raises(TypeError, match=r"compares CloudFormation templates .* got str"):
        TemplateSnapshotExtension().serialize("not a template")


def queue_app(tmp_path, **kwargs):
    app = app_for_tests(outdir=tmp_path, cfn_lint=True)
    stack = cdk.Stack(app, "Gated")
    return app, sqs.Queue(stack, "Queue", **kwargs)


def test_assert_compliant_returns_the_templates_by_stack_name(tmp_path):
    app, queue = queue_app(tmp_path, enforce_ssl=True)
    acknowledge(queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue here.")
    templates = assert_compliant(app)
    assert list(templates) == ["Gated"]
    assert templates["Gated"] == json.loads((tmp_path / "Gated.template.json").read_text())


def test_assert_compliant_lists_every_unacknowledged_cdk_nag_error(tmp_path):
    app, _ = queue_app(tmp_path, encryption=sqs.QueueEncryption.UNENCRYPTED)
    with pytest.raises(ComplianceError) as error:
        assert_compliant(app)
    assert {(f.plugin, f.rule, f.path) for f in error.value.findings} >= {
        ("AwsSolutions", "AwsSolutions-SQS2", "Gated/Queue/Resource"),
        ("AwsSolutions", "AwsSolutions-SQS4", "Gated/Queue/Resource"),
    }
    assert error.value.report == tmp_path / "validation-report.json"
    message = str(error.value)
    assert "AwsSolutions-SQS4 (AwsSolutions) at Gated/Queue/Resource: The SQS queue" in message
    assert "modern_app_constructs.acknowledge(construct, rule, reason)" in message


def test_assert_compliant_runs_the_packs_it_is_given(tmp_path):
    app, queue = queue_app(tmp_path, enforce_ssl=True)
    acknowledge(queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue here.")
    with pytest.raises(ComplianceError) as error:
        assert_compliant(app, packs=(ServerlessChecks,))
    assert [(f.plugin, f.rule) for f in error.value.findings] == [
        ("Serverless", "Serverless-SQSRedrivePolicy")
    ]


def test_assert_compliant_fails_on_a_cfn_lint_error(tmp_path):
    app, queue = queue_app(tmp_path, enforce_ssl=True)
    acknowledge(queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue here.")
    queue.node.default_child.add_property_override("VisibilityTimeout", 99999)
    logical_id = cdk.Stack.of(queue).resolve(
        cdk.Stack.of(queue).get_logical_id(queue.node.default_child)
    )
    with pytest.raises(ComplianceError) as error:
        assert_compliant(app)
    assert error.value.findings == (
        Finding(
            plugin="cfn-lint",
            rule="E3034",
            path=f"Gated/Queue/Resource ({logical_id}) [Properties/VisibilityTimeout]",
            description="99999 is greater than the maximum of 43200",
        ),
    )


def test_skip_lint_leaves_those_stacks_to_cdk_nag_alone(tmp_path):
    app, queue = queue_app(tmp_path, enforce_ssl=True)
    acknowledge(queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue here.")
    queue.node.default_child.add_property_override("VisibilityTimeout", 99999)
    other = sqs.Queue(cdk.Stack(app, "Other"), "Queue", enforce_ssl=True)
    other.node.default_child.add_property_override("VisibilityTimeout", 99999)
    with pytest.raises(ComplianceError) as error:
        assert_compliant(app, skip_lint=[cdk.Stack.of(queue)])
    # the skipped stack's lint error is not reported; the other stack is linted, and cdk-nag
    # still checks both (the other queue has no acknowledgment)
    assert {(f.plugin, f.rule, f.path.split(" ")[0]) for f in error.value.findings} == {
        ("cfn-lint", "E3034", "Other/Queue/Resource"),
        ("AwsSolutions", "AwsSolutions-SQS3", "Other/Queue/Resource"),
    }


def test_skip_lint_takes_stacks_of_the_app_only(tmp_path):
    app, queue = queue_app(tmp_path, enforce_ssl=True)
    acknowledge(queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue here.")
    stranger = cdk.Stack(cdk.App(), "Stranger")
    with pytest.raises(ValueError, match=r"skip_lint=.*Stranger is not a stack of this app"):
        assert_compliant(app, skip_lint=[stranger])
    with pytest.raises(ValueError, match=r"skip_lint=.*'Gated' is not a cdk.Stack"):
        assert_compliant(app, skip_lint=["Gated"])
    assert set(assert_compliant(app, skip_lint=[app.node.find_child("Gated")])) == {"Gated"}


def test_every_synthesis_of_a_cfn_lint_app_is_linted(tmp_path):
    """cfn_lint=True replaces aws-cdk-lib's built-in validation: a plain synth is linted too."""
    app, queue = queue_app(tmp_path, enforce_ssl=True)
    queue.node.default_child.add_property_override("VisibilityTimeout", 99999)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    (plugin,) = json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"]
    assert (plugin["pluginName"], plugin["violations"][0]["ruleName"]) == ("cfn-lint", "E3034")


QUEUE_TEMPLATE = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}}}


def test_cfn_lint_errors_of_a_template_outside_an_app():
    bad = json.loads(json.dumps(QUEUE_TEMPLATE))
    bad["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = 99999
    assert cfn_lint_errors(QUEUE_TEMPLATE) == []
    expected = [
        "E3034 Resources/Queue/Properties/VisibilityTimeout: "
        "99999 is greater than the maximum of 43200"
    ]
    assert cfn_lint_errors(bad) == expected
    assert cfn_lint_errors(json.dumps(bad), region="eu-west-1") == expected
    # a resource type that does not exist
    assert cfn_lint_errors('{"Resources": {"W": {"Type": "AWS::No::Such"}}}')[0].startswith("E3006")


def test_an_app_synthesized_before_is_still_gated(tmp_path):
    app = app_for_tests(outdir=tmp_path)  # built-in validation, no cfn-lint attached yet
    stack = cdk.Stack(app, "Gated")
    sqs.Queue(stack, "Queue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    Template.from_stack(stack)  # synthesizes, without the gates
    with pytest.raises(ComplianceError, match="AwsSolutions-SQS2"):
        assert_compliant(app)


def test_assert_compliant_runs_once_per_app(tmp_path):
    app, queue = queue_app(tmp_path, enforce_ssl=True)
    acknowledge(queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue here.")
    assert_compliant(app)
    with pytest.raises(ValueError, match="already ran on this app"):
        assert_compliant(app)


def test_acknowledge_is_public_and_lets_a_reasoned_finding_through(tmp_path):
    assert modern_app_constructs.acknowledge is acknowledge
    app, queue = queue_app(tmp_path, enforce_ssl=True)
    acknowledge(queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue here.")
    assert_compliant(app)


def test_acknowledge_granular_findings_only(tmp_path):
    app = app_for_tests(outdir=tmp_path, cfn_lint=True)
    stack = cdk.Stack(app, "Gated")
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    acknowledge(queue, "AwsSolutions-SQS3", "A dead-letter queue.", findings=["Other::finding"])
    with pytest.raises(ComplianceError, match="AwsSolutions-SQS3"):
        assert_compliant(app)


@pytest.mark.parametrize(
    ("rule", "reason", "findings", "prop"),
    [
        ("IAM5", "ok", (), "rule"),
        ("AwsSolutions IAM5", "ok", (), "rule"),
        ("AwsSolutions-IAM5[Resource::*]", "ok", (), "rule"),
        ("", "ok", (), "rule"),
        (None, "ok", (), "rule"),
        ("AwsSolutions-IAM5", "", (), "reason"),
        ("AwsSolutions-IAM5", "   ", (), "reason"),
        ("AwsSolutions-IAM5", None, (), "reason"),
        ("AwsSolutions-IAM5", "ok", "Resource::*", "findings"),
        ("AwsSolutions-IAM5", "ok", ["Resource::*", ""], "findings"),
        ("AwsSolutions-IAM5", "ok", [None], "findings"),
    ],
)
def test_acknowledge_rejects_bad_input(rule, reason, findings, prop):
    queue = sqs.Queue(cdk.Stack(app_for_tests(), "S"), "Q")
    with pytest.raises(InvalidPropError) as error:
        acknowledge(queue, rule, reason, findings=findings)
    assert error.value.prop == prop


def test_acknowledge_error_message():
    queue = sqs.Queue(cdk.Stack(app_for_tests(), "S"), "Q")
    with pytest.raises(
        InvalidPropError,
        match=r"acknowledge\(\): invalid rule='AwsSolutions-IAM5\[Resource::\*\]'; allowed: a "
        r"cdk-nag rule id '<pack>-<rule>', e.g. 'AwsSolutions-IAM5' \(pass a granular finding",
    ):
        acknowledge(queue, "AwsSolutions-IAM5[Resource::*]", "reason")


@pytest.mark.parametrize(
    "rule",
    [
        "AwsSolutions-IAM5",
        "Serverless-LambdaDLQ",
        "NIST.800.53.R5-IAMNoInlinePolicy",
        "HIPAA.Security-LambdaConcurrency",
        "PCI.DSS.321-S3BucketLoggingEnabled",
    ],
)
def test_acknowledge_takes_every_pack_s_rule_ids(rule):
    queue = sqs.Queue(cdk.Stack(app_for_tests(), "S"), "Q")
    acknowledge(queue, rule, "Reviewed: the reason goes here.")


def test_importing_the_package_needs_no_test_dependency():
    code = (
        "import sys, modern_app_constructs; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pytest', 'syrupy', 'cdk_nag', 'cfnlint'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"


def test_the_testing_module_holds_what_a_user_calls():
    """Its own definitions are its public API plus reading the report; the speed machinery
    (background lint, the plugin reporting it after cdk-nag, memoized lints) is elsewhere."""
    defined = {
        name
        for name, value in vars(testing).items()
        if callable(value) and getattr(value, "__module__", None) == testing.__name__
    }
    assert {name for name in defined if not name.startswith("_")} == set(testing.__all__)
    assert {name for name in defined if name.startswith("_")} == {
        "_failures",
        "_report_path",
        "_unreadable",
    }
