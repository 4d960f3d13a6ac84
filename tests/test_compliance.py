"""Compliance gates: every stack of the sample app, in every profile, passes cdk-nag and cfn-lint.

The ``sample`` fixture synthesizes with cdk-nag's AwsSolutionsChecks attached: an unacknowledged
error fails the synth itself. The deliberate-violation tests prove both gates can fail.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks

from modern_app_constructs._nag import acknowledge
from tests.cdk_support import lint_errors, make_app


def test_cdk_nag_reports_no_unacknowledged_error(sample):
    # Reaching here means synth() passed the AwsSolutions gate; check the report it left too.
    (report,) = sample.outdir.glob("*validation-report.json")
    failures = [
        plugin
        for plugin in json.loads(report.read_text())["pluginReports"]
        if plugin.get("conclusion") == "failure"
    ]
    assert not failures, json.dumps(failures, indent=1)[:4000]


def test_cfn_lint_reports_no_error(sample):
    problems = {name: lint_errors(template) for name, template in sample.templates.items()}
    assert not any(problems.values()), json.dumps(problems, indent=1)


def test_every_stack_is_gated(sample):
    assert set(sample.templates) == {"OrdersPlatform", "OrdersService", "OrdersPipeline"}


def test_cdk_nag_gate_fails_on_a_deliberate_violation(tmp_path):
    app = make_app(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Violating")
    sqs.Queue(stack, "UnencryptedQueue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (plugin,) = report["pluginReports"]
    assert plugin["conclusion"] == "failure"
    assert {v["ruleName"] for v in plugin["violations"]} >= {
        "AwsSolutions-SQS2",
        "AwsSolutions-SQS4",
    }


def test_cdk_nag_acknowledgment_lets_a_reasoned_finding_through(tmp_path):
    app = make_app(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Acknowledged")
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    acknowledge(
        queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue in this test."
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


def test_cfn_lint_gate_fails_on_a_deliberate_violation():
    template = {
        "Resources": {
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"VisibilityTimeout": 99999, "MessageRetentionPeriod": "forever"},
            }
        }
    }
    assert lint_errors(template)
