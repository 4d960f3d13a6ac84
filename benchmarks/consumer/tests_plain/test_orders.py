"""The same assertions in the harness ``cdk init app --language python`` generates.

Each test builds a bare ``App()`` and its stacks and reads a template with
``assertions.Template.from_stack``; no snapshots, no gates.
"""

import aws_cdk as core
import aws_cdk.assertions as assertions
from app import build


def service_template():
    app = core.App()
    _, service = build(app)
    return assertions.Template.from_stack(service)


def test_create_order_shifts_traffic_with_codedeploy():
    template = service_template()
    template.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"AutoRollbackConfiguration": assertions.Match.object_like({"Enabled": True})},
    )


def test_create_order_is_served_by_its_live_alias():
    template = service_template()
    template.has_resource_properties("AWS::Lambda::Alias", {"Name": "live"})


def test_queues_are_encrypted_with_a_dead_letter_queue():
    template = service_template()
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "KmsMasterKeyId": assertions.Match.any_value(),
            "RedrivePolicy": assertions.Match.any_value(),
        },
    )


def test_every_api_method_is_iam_authorized():
    template = service_template()
    for method in template.find_resources("AWS::ApiGateway::Method").values():
        assert method["Properties"]["AuthorizationType"] == "AWS_IAM"


def test_throttles_are_alarmed():
    template = service_template()
    template.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "Throttles"})


def test_one_dashboard():
    template = service_template()
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_the_platform_key_rotates():
    app = core.App()
    platform, _ = build(app)
    template = assertions.Template.from_stack(platform)
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
