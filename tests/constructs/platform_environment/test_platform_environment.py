"""PlatformEnvironment: its promises, the bad input it rejects, a snapshot per profile."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template

from modern_app_constructs import InvalidPropError, PlatformEnvironment, Profile
from modern_app_constructs.testing import app_for_tests, assert_compliant
from tests.cdk_support import get_att, logical_id


@dataclass(frozen=True)
class Built:
    """A PlatformEnvironment ``Env`` alone in stack ``Platform``, and that stack's template."""

    platform: PlatformEnvironment
    template: Template


def platform_template(profile: str | None = None, *, gated: bool = False, **kwargs) -> Built:
    """Build the platform; ``gated`` synthesizes through the compliance gates."""
    app = app_for_tests(cfn_lint=gated, **({"profile": profile} if profile else {}))
    stack = cdk.Stack(app, "Platform")
    platform = PlatformEnvironment(
        stack, "Env", team="payments", application="checkout", cost_center="cc-42", **kwargs
    )
    if gated:
        return Built(platform, Template.from_json(assert_compliant(app)["Platform"]))
    return Built(platform, Template.from_stack(stack))


@pytest.fixture(scope="module")
def dev() -> Built:
    return platform_template("dev", gated=True)


@pytest.fixture(scope="module")
def prod() -> Built:
    return platform_template("prod", gated=True)


def test_key_has_rotation_and_lets_services_use_it(dev):
    template = dev.template
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    statements = template.find_resources("AWS::KMS::Key")
    (key,) = statements.values()
    sids = {s.get("Sid") for s in key["Properties"]["KeyPolicy"]["Statement"]}
    assert {
        "AllowCloudWatchLogs",
        "AllowSnsDeliveryToEncryptedQueues",
        "AllowCloudWatchAlarmsToEncryptedTopics",
    } <= sids


def test_alarm_topic_is_encrypted_and_https_only(dev):
    template = dev.template
    topic = template.find_resources("AWS::SNS::Topic")[logical_id(dev.platform.alarm_topic)]
    assert topic["Properties"]["KmsMasterKeyId"] == get_att(dev.platform.key)
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {"KmsMasterKeyId": get_att(dev.platform.key)},
    )
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "sns:Publish",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ),
                        Match.object_like(
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Action": "sns:Publish",
                            }
                        ),
                    ]
                )
            }
        },
    )


@pytest.mark.parametrize(("fixture", "gateways", "instances"), [("dev", 0, 1), ("prod", 2, 0)])
def test_nat_per_profile(request, fixture, gateways, instances):
    template = request.getfixturevalue(fixture).template
    template.resource_count_is("AWS::EC2::NatGateway", gateways)
    template.resource_count_is("AWS::EC2::Instance", instances)
    template.resource_count_is("AWS::EC2::Subnet", 4)


def test_vpc_has_flow_logs_to_encrypted_log_group(dev):
    platform, template = dev.platform, dev.template
    template.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL"})
    template.has_resource_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": 30, "KmsKeyId": get_att(platform.key)}
    )
    assert platform.log_retention is logs.RetentionDays.ONE_MONTH


def test_cluster_has_container_insights(dev):
    template = dev.template
    template.has_resource_properties(
        "AWS::ECS::Cluster",
        {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
    )


def test_api_gateway_account_role_created_once(dev):
    template = dev.template
    template.resource_count_is("AWS::ApiGateway::Account", 1)
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like({"Principal": {"Service": "apigateway.amazonaws.com"}})
                ]
            },
            "ManagedPolicyArns": [
                {
                    "Fn::Join": [
                        "",
                        Match.array_with(
                            [":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]
                        ),
                    ]
                }
            ],
        },
    )


def test_api_gateway_account_can_be_left_to_another_stack():
    built = platform_template(create_api_gateway_account=False)
    platform, template = built.platform, built.template
    template.resource_count_is("AWS::ApiGateway::Account", 0)
    assert platform.api_gateway_account_role is None


def test_ownership_tags_on_resources(prod):
    template = prod.template
    tags = [
        {"Key": "application", "Value": "checkout"},
        {"Key": "cost-center", "Value": "cc-42"},
        {"Key": "profile", "Value": "prod"},
        {"Key": "team", "Value": "payments"},
    ]
    for resource_type in ("AWS::EC2::VPC", "AWS::KMS::Key", "AWS::SNS::Topic", "AWS::ECS::Cluster"):
        template.has_resource_properties(resource_type, {"Tags": Match.array_with(tags)})


def test_prod_retains_and_keeps_logs_longer(prod):
    platform, template = prod.platform, prod.template
    assert platform.profile is Profile.PROD
    template.has_resource("AWS::KMS::Key", {"DeletionPolicy": "Retain"})
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})


def test_profile_comes_from_context_then_defaults_to_dev():
    assert platform_template("prod").platform.profile.name == "prod"
    app = cdk.App()  # no context at all
    platform = PlatformEnvironment(cdk.Stack(app, "S"), "Env", team="t", application="a")
    assert platform.profile is Profile.DEV


def test_custom_profile():
    staging = Profile(
        name="staging",
        nat_gateways=1,
        log_retention=Profile.PROD.log_retention,
        removal_policy=cdk.RemovalPolicy.RETAIN,
        lambda_deployment="Linear10PercentEvery1Minute",
        desired_count=2,
        deletion_protection=True,
    )
    app = app_for_tests()
    stack = cdk.Stack(app, "S")
    platform = PlatformEnvironment(stack, "Env", team="t", application="a", profile=staging)
    assert platform.profile is staging
    Template.from_stack(stack).has_resource_properties(
        "AWS::EC2::VPC", {"Tags": Match.array_with([{"Key": "profile", "Value": "staging"}])}
    )


def test_lookup_in_tree_and_across_stacks():
    app = app_for_tests()
    platform_stack = cdk.Stack(app, "Platform")
    platform = PlatformEnvironment(platform_stack, "Env", team="t", application="a")
    service_stack = cdk.Stack(app, "Service")
    queue = sqs.Queue(service_stack, "Q", enforce_ssl=True)
    assert PlatformEnvironment.of(queue) is platform
    assert PlatformEnvironment.of(platform.vpc) is platform
    assert PlatformEnvironment.try_of(cdk.Stack(app_for_tests(), "Other")) is None
    with pytest.raises(ValueError, match="no PlatformEnvironment"):
        PlatformEnvironment.of(cdk.Stack(app_for_tests(), "Lonely"))


def test_lookup_prefers_own_stack_and_rejects_ambiguity():
    app = app_for_tests()
    first = PlatformEnvironment(cdk.Stack(app, "A"), "Env", team="t", application="a")
    second_stack = cdk.Stack(app, "B")
    second = PlatformEnvironment(second_stack, "Env", team="t", application="b")
    assert PlatformEnvironment.of(second_stack) is second
    assert PlatformEnvironment.of(first) is first
    with pytest.raises(ValueError, match="several platform environments"):
        PlatformEnvironment.of(cdk.Stack(app, "C"))


@pytest.mark.parametrize(
    ("kwargs", "prop", "value"),
    [
        ({"team": ""}, "team", ""),
        ({"team": "   "}, "team", "   "),
        ({"application": ""}, "application", ""),
        ({"profile": "staging"}, "profile", "staging"),
        ({"cost_center": "cc#1"}, "cost_center", "cc#1"),
        ({"cost_center": "x" * 257}, "cost_center", "x" * 257),
        ({"cost_center": ""}, "cost_center", ""),
        ({"max_azs": 0}, "max_azs", 0),
        (
            {"alarm_email_subscriptions": ("not-an-address",)},
            "alarm_email_subscriptions",
            "not-an-address",
        ),
    ],
)
def test_bad_input(kwargs, prop, value):
    props = {"team": "payments", "application": "checkout", **kwargs}
    with pytest.raises(InvalidPropError) as error:
        PlatformEnvironment(cdk.Stack(app_for_tests(), "S"), "Env", **props)
    assert isinstance(error.value, ValueError)
    assert (error.value.prop, error.value.value) == (prop, value)


def test_bad_input_message():
    with pytest.raises(
        InvalidPropError,
        match=r"PlatformEnvironment 'Env': invalid cost_center='cc#1'; allowed: at most 256",
    ):
        PlatformEnvironment(
            cdk.Stack(app_for_tests(), "S"), "Env", team="t", application="a", cost_center="cc#1"
        )


def test_unknown_profile_in_context_is_rejected():
    with pytest.raises(InvalidPropError) as error:
        PlatformEnvironment(
            cdk.Stack(app_for_tests(profile="qa"), "S"), "Env", team="t", application="a"
        )
    assert (error.value.prop, error.value.value) == ("profile", "qa")


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_snapshot(request, profile, template_snapshot):
    assert request.getfixturevalue(profile).template == template_snapshot
