"""The orders app: whole-template snapshots, the gates, and what the team asserts."""

import pytest
from aws_cdk.assertions import Match


@pytest.mark.parametrize("stack", ["Platform", "Service"])
def test_snapshot(templates, stack, template_snapshot):
    assert templates[stack] == template_snapshot


def test_every_stack_passed_the_gates(templates):
    assert set(templates) == {"Platform", "Service"}


def test_create_order_shifts_traffic_with_codedeploy(service):
    service.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"AutoRollbackConfiguration": Match.object_like({"Enabled": True})},
    )


def test_create_order_is_served_by_its_live_alias(service):
    service.has_resource_properties("AWS::Lambda::Alias", {"Name": "live"})


def test_queues_are_encrypted_with_a_dead_letter_queue(service):
    service.has_resource_properties(
        "AWS::SQS::Queue",
        {"KmsMasterKeyId": Match.any_value(), "RedrivePolicy": Match.any_value()},
    )


def test_every_api_method_is_iam_authorized(service):
    for method in service.find_resources("AWS::ApiGateway::Method").values():
        assert method["Properties"]["AuthorizationType"] == "AWS_IAM"


def test_throttles_are_alarmed(service):
    service.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "Throttles"})


def test_one_dashboard(service):
    service.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_the_platform_key_rotates(platform):
    platform.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
