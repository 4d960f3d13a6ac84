"""PlatformEnvironment: its promises, the bad input it rejects, a snapshot per profile."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template

from modern_app_constructs import InvalidPropError, PlatformEnvironment, Profile
from tests.cdk_support import make_app, normalize


def platform_template(profile: str | None = None, **kwargs) -> tuple[PlatformEnvironment, Template]:
    app = make_app(**({"profile": profile} if profile else {}))
    stack = cdk.Stack(app, "Platform")
    platform = PlatformEnvironment(
        stack, "Env", team="payments", application="checkout", cost_center="cc-42", **kwargs
    )
    return platform, Template.from_stack(stack)


@pytest.fixture(scope="module")
def dev() -> tuple[PlatformEnvironment, Template]:
    return platform_template("dev")


@pytest.fixture(scope="module")
def prod() -> tuple[PlatformEnvironment, Template]:
    return platform_template("prod")


def test_key_has_rotation_and_lets_services_use_it(dev):
    _, template = dev
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
    _, template = dev
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {"KmsMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("Key"), "Arn"]}},
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


@pytest.mark.parametrize(("fixture", "nat_count"), [("dev", 1), ("prod", 2)])
def test_nat_gateways_per_profile(request, fixture, nat_count):
    _, template = request.getfixturevalue(fixture)
    template.resource_count_is("AWS::EC2::NatGateway", nat_count)
    template.resource_count_is("AWS::EC2::Subnet", 4)


def test_vpc_has_flow_logs_to_encrypted_log_group(dev):
    platform, template = dev
    template.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL"})
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"RetentionInDays": 30, "KmsKeyId": {"Fn::GetAtt": [Match.any_value(), "Arn"]}},
    )
    assert platform.log_retention is logs.RetentionDays.ONE_MONTH


def test_cluster_has_container_insights(dev):
    _, template = dev
    template.has_resource_properties(
        "AWS::ECS::Cluster",
        {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
    )


def test_api_gateway_account_role_created_once(dev):
    _, template = dev
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
    platform, template = platform_template(create_api_gateway_account=False)
    template.resource_count_is("AWS::ApiGateway::Account", 0)
    assert platform.api_gateway_account_role is None


def test_ownership_tags_on_resources(prod):
    _, template = prod
    tags = [
        {"Key": "application", "Value": "checkout"},
        {"Key": "cost-center", "Value": "cc-42"},
        {"Key": "profile", "Value": "prod"},
        {"Key": "team", "Value": "payments"},
    ]
    for resource_type in ("AWS::EC2::VPC", "AWS::KMS::Key", "AWS::SNS::Topic", "AWS::ECS::Cluster"):
        template.has_resource_properties(resource_type, {"Tags": Match.array_with(tags)})


def test_prod_retains_and_keeps_logs_longer(prod):
    platform, template = prod
    assert platform.profile is Profile.PROD
    template.has_resource("AWS::KMS::Key", {"DeletionPolicy": "Retain"})
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})


def test_profile_comes_from_context_then_defaults_to_dev():
    assert platform_template("prod")[0].profile.name == "prod"
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
    app = make_app()
    stack = cdk.Stack(app, "S")
    platform = PlatformEnvironment(stack, "Env", team="t", application="a", profile=staging)
    assert platform.profile is staging
    Template.from_stack(stack).has_resource_properties(
        "AWS::EC2::VPC", {"Tags": Match.array_with([{"Key": "profile", "Value": "staging"}])}
    )


def test_lookup_in_tree_and_across_stacks():
    app = make_app()
    platform_stack = cdk.Stack(app, "Platform")
    platform = PlatformEnvironment(platform_stack, "Env", team="t", application="a")
    service_stack = cdk.Stack(app, "Service")
    queue = sqs.Queue(service_stack, "Q", enforce_ssl=True)
    assert PlatformEnvironment.of(queue) is platform
    assert PlatformEnvironment.of(platform.vpc) is platform
    assert PlatformEnvironment.try_of(cdk.Stack(make_app(), "Other")) is None
    with pytest.raises(ValueError, match="no PlatformEnvironment"):
        PlatformEnvironment.of(cdk.Stack(make_app(), "Lonely"))


def test_lookup_prefers_own_stack_and_rejects_ambiguity():
    app = make_app()
    first = PlatformEnvironment(cdk.Stack(app, "A"), "Env", team="t", application="a")
    second_stack = cdk.Stack(app, "B")
    second = PlatformEnvironment(second_stack, "Env", team="t", application="b")
    assert PlatformEnvironment.of(second_stack) is second
    assert PlatformEnvironment.of(first) is first
    with pytest.raises(ValueError, match="several platform environments"):
        PlatformEnvironment.of(cdk.Stack(app, "C"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"team": ""}, r"invalid team=''; allowed: a non-empty string"),
        ({"team": "   "}, r"invalid team='   '"),
        ({"application": ""}, r"invalid application=''"),
        ({"profile": "staging"}, r"invalid profile='staging'; allowed: 'dev', 'prod'"),
        ({"cost_center": "cc#1"}, r"invalid cost_center='cc#1'; allowed: at most 256"),
        ({"cost_center": "x" * 257}, r"invalid cost_center="),
        ({"cost_center": ""}, r"invalid cost_center=''"),
        ({"max_azs": 0}, r"invalid max_azs=0; allowed: an integer from 1 to 6"),
        ({"alarm_email_subscriptions": ("not-an-address",)}, r"alarm_email_subscriptions"),
    ],
)
def test_bad_input(kwargs, match):
    props = {"team": "payments", "application": "checkout", **kwargs}
    with pytest.raises(InvalidPropError, match=match) as error:
        PlatformEnvironment(cdk.Stack(make_app(), "S"), "Env", **props)
    assert isinstance(error.value, ValueError)


def test_unknown_profile_in_context_is_rejected():
    with pytest.raises(ValueError, match=r"invalid profile='qa'"):
        PlatformEnvironment(
            cdk.Stack(make_app(profile="qa"), "S"), "Env", team="t", application="a"
        )


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_snapshot(profile, snapshot_json):
    _, template = platform_template(profile)
    assert normalize(template.to_json()) == snapshot_json
