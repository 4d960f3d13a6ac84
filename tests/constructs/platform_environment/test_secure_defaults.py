"""Secure defaults a reviewer applying independent rule sets expects, asserted on the templates.

- public subnets do not assign public IPv4 at launch (CT.EC2.PR.11,
  VPCSubnetAutoAssignPublicIpDisabled);
- the platform key denies grants that are not for AWS resources (CT.KMS.PR.3), and every use of
  the key the library's own resources make still works (read from the sample's templates);
- Lambda environments are encrypted with the platform key (checkov CKV_AWS_173);
- a worker's subscription dead-letters to the worker's DLQ (Serverless SNSRedrivePolicy).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from modern_app_constructs import (
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    InvalidPropError,
    PlatformEnvironment,
    WorkerConsumer,
)
from modern_app_constructs.testing import app_for_tests
from tests.cdk_support import add_platform

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
ENV = cdk.Environment(region="eu-west-1")
DENY_GRANTS = {
    "Sid": "DenyGrantsNotForAwsResources",
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "kms:CreateGrant",
    "Resource": "*",
    "Condition": {
        "BoolIfExists": {
            "kms:GrantIsForAWSResource": "false",
            "aws:PrincipalIsAWSService": "false",
        }
    },
}


@pytest.fixture(scope="module")
def platform_app() -> tuple[Template, Template, PlatformEnvironment]:
    """A platform stack and a service stack with a CanaryFunction and a DecoupledWorker."""
    app = app_for_tests(profile="prod")
    platform = add_platform(app, ENV)
    service = cdk.Stack(app, "Service", env=ENV)
    CanaryFunction(service, "Api", code=CODE, handler="index.handler")
    DecoupledWorker(service, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"))
    assembly = app.synth()  # once: Template.from_stack would synthesize the app per stack
    return (
        Template.from_json(assembly.get_stack_by_name("Platform").template),
        Template.from_json(assembly.get_stack_by_name("Service").template),
        platform,
    )


# ------------------------------------------------------------------ public subnets


def test_platform_public_subnets_assign_no_public_ip(platform_app):
    platform, _, _ = platform_app
    subnets = platform.find_resources(
        "AWS::EC2::Subnet",
        {
            "Properties": {
                "Tags": Match.array_with([{"Key": "aws-cdk:subnet-type", "Value": "Public"}])
            }
        },
    )
    assert len(subnets) == 2
    for subnet in subnets.values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False
    # the NAT gateways keep their addresses: an Elastic IP each, allocated explicitly
    eips = platform.find_resources("AWS::EC2::EIP")
    gateways = platform.find_resources("AWS::EC2::NatGateway")
    assert len(eips) == len(gateways) == 2
    for gateway in gateways.values():
        (eip,) = [
            logical_id
            for logical_id in eips
            if gateway["Properties"]["AllocationId"] == {"Fn::GetAtt": [logical_id, "AllocationId"]}
        ]
        assert eips[eip]["Properties"]["Domain"] == "vpc"


def test_no_subnet_of_the_platform_assigns_public_ips(platform_app):
    platform, _, _ = platform_app
    for subnet in platform.find_resources("AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False


@pytest.mark.parametrize(("profile", "gateways", "instances"), [("dev", 0, 1), ("prod", 1, 0)])
def test_standalone_fargate_vpc_assigns_no_public_ip_and_takes_the_profiles_nat(
    profile, gateways, instances
):
    stack = cdk.Stack(app_for_tests(profile=profile), "Standalone", env=ENV)
    FargateService(stack, "Svc", image=ecs.ContainerImage.from_registry("nginx"))
    template = Template.from_stack(stack)
    subnets = template.find_resources("AWS::EC2::Subnet")
    assert len(subnets) == 4
    assert {s["Properties"]["MapPublicIpOnLaunch"] for s in subnets.values()} == {False}
    template.resource_count_is("AWS::EC2::NatGateway", gateways)
    template.resource_count_is("AWS::EC2::EIP", gateways)
    nat_instances = template.find_resources("AWS::EC2::Instance")
    assert len(nat_instances) == instances
    for instance in nat_instances.values():
        props = instance["Properties"]
        assert props["InstanceType"] == "t4g.nano"
        assert props["SourceDestCheck"] is False
        assert props["MetadataOptions"]["HttpTokens"] == "required"
        assert props["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True


# ------------------------------------------------------------------ key grants


def _key_policy(template: Template) -> list[dict[str, Any]]:
    (key,) = template.find_resources("AWS::KMS::Key").values()
    return list(key["Properties"]["KeyPolicy"]["Statement"])


def test_platform_key_denies_grants_not_for_aws_resources(platform_app):
    platform, _, _ = platform_app
    statements = _key_policy(platform)
    assert DENY_GRANTS in statements
    assert [s["Sid"] for s in statements if s["Effect"] == "Deny"] == [DENY_GRANTS["Sid"]]


def test_the_grant_restriction_can_be_turned_off():
    stack = cdk.Stack(app_for_tests(), "Platform")
    PlatformEnvironment(stack, "Env", team="t", application="a", restrict_key_grants=False)
    statements = _key_policy(Template.from_stack(stack))
    assert not [s for s in statements if s["Effect"] == "Deny"]


def test_standalone_worker_key_denies_grants_not_for_aws_resources():
    stack = cdk.Stack(app_for_tests(), "Standalone")
    DecoupledWorker(stack, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"))
    assert DENY_GRANTS in _key_policy(Template.from_stack(stack))


def _denies(statement: dict[str, Any], request: dict[str, str]) -> bool:
    """Whether a ``BoolIfExists`` deny statement applies to a CreateGrant request's context."""
    for key, expected in statement["Condition"]["BoolIfExists"].items():
        if key in request and request[key] != expected:
            return False
    return True


#: How each use of the platform key in the templates reaches it, and whether it needs a grant.
KEY_USES = {
    ("AWS::Lambda::Function", "KmsKeyArn"): "grant Lambda creates for the function",
    ("AWS::DynamoDB::Table", "SSESpecification"): "grant DynamoDB creates for the table",
    ("AWS::SQS::Queue", "KmsMasterKeyId"): "no grant: callers' IAM permissions",
    ("AWS::SNS::Topic", "KmsMasterKeyId"): "no grant: key policy (SNS, CloudWatch) and IAM",
    ("AWS::Logs::LogGroup", "KmsKeyId"): "no grant: the key policy's CloudWatch Logs statement",
    ("AWS::IAM::Policy", "PolicyDocument"): "no grant: an IAM permission (never CreateGrant)",
    ("AWS::SSM::Parameter", "Value"): "not a use: the published contract",
    ("AWS::KMS::Key", "KeyPolicy"): "not a use: the key's own policy",
    ("Custom::PlatformDeletionGuard", "Protected"): "not a use: the identity the guard watches",
}


def _references(node: Any, targets: set[str]) -> bool:
    if isinstance(node, dict):
        if node.get("Ref") in targets:
            return True
        get_att = node.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att and get_att[0] in targets:
            return True
        return any(_references(value, targets) for value in node.values())
    if isinstance(node, list):
        return any(_references(value, targets) for value in node)
    return False


def _key_uses(template: dict[str, Any], key_ids: set[str]) -> Iterator[tuple[str, str, str]]:
    for logical_id, resource in template["Resources"].items():
        for prop, value in resource.get("Properties", {}).items():
            if _references(value, key_ids):
                yield logical_id, resource["Type"], prop


def _iam_actions(template: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            value = statement["Action"]
            actions.update([value] if isinstance(value, str) else value)
    return actions


def test_every_use_of_the_platform_key_survives_the_grant_restriction(sample):
    """The sample's templates (both profiles): who uses the key, and how each gets to it."""
    platform = sample.templates["OrdersPlatform"]
    service = sample.templates["OrdersService"]
    key_ids = {i for i, r in platform["Resources"].items() if r["Type"] == "AWS::KMS::Key"}
    (key_id,) = key_ids
    key_parameters = {
        name
        for name, parameter in service.get("Parameters", {}).items()
        if str(parameter.get("Default", "")).endswith("/key-arn")
    }
    assert len(key_parameters) == 1
    uses = [*_key_uses(platform, key_ids), *_key_uses(service, key_parameters)]
    kinds = {(kind, prop) for _, kind, prop in uses}
    assert kinds <= set(KEY_USES), kinds - set(KEY_USES)
    # every function the sample deploys has its environment encrypted with the platform key
    functions = {i for i, r in service["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}
    service_uses = _key_uses(service, key_parameters)
    assert functions == {i for i, kind, _ in service_uses if kind == "AWS::Lambda::Function"}
    assert len(functions) == 4
    # no IAM permission anywhere lets a principal create grants (or use kms:* wildcards)
    actions = _iam_actions(platform) | _iam_actions(service)
    assert not {a for a in actions if a.lower().startswith("kms:") and "grant" in a.lower()}
    assert not {a for a in actions if a.lower() in ("kms:*", "*")}
    # the deny lets Lambda's grant for a function through and stops a direct one
    (deny,) = [
        s
        for s in platform["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
        if s["Effect"] == "Deny"
    ]
    assert deny == DENY_GRANTS
    lambda_grant = {"kms:GrantIsForAWSResource": "true", "aws:PrincipalIsAWSService": "false"}
    service_call = {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "true"}
    direct = {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}
    assert not _denies(deny, lambda_grant)
    assert not _denies(deny, service_call)
    assert _denies(deny, direct)


# ------------------------------------------------------------ environment encryption


def test_function_environments_are_encrypted_with_the_platform_key(platform_app):
    _, service, _ = platform_app
    functions = service.find_resources("AWS::Lambda::Function")
    assert len(functions) == 2
    platform_key = {
        "Fn::GetStackOutput": {
            "StackName": "Platform",
            "Region": "eu-west-1",
            "OutputName": "PublishOutputFnGetAttPlatformKeyE2280810Arn7EA269EC",
        }
    }
    for function in functions.values():
        assert function["Properties"]["KmsKeyArn"] == platform_key
        assert "Metadata" not in function or "CKV_AWS_173" not in str(function["Metadata"])
    # Lambda decrypts through its own grant: the roles get no key permission for it
    for policy in service.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            assert "kms:CreateGrant" not in ([actions] if isinstance(actions, str) else actions)


def test_standalone_worker_consumer_uses_the_workers_own_key():
    stack = cdk.Stack(app_for_tests(), "Standalone")
    created = DecoupledWorker(stack, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"))
    key_id = stack.resolve(stack.get_logical_id(created.key.node.default_child))
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function", {"KmsKeyArn": {"Fn::GetAtt": [key_id, "Arn"]}}
    )


def test_standalone_canary_function_keeps_the_aws_managed_key_and_says_why():
    stack = cdk.Stack(app_for_tests(), "Standalone")
    CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
    (function,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    assert "KmsKeyArn" not in function["Properties"]
    skips = {s["id"]: s["comment"] for s in function["Metadata"]["checkov"]["skip"]}
    assert "AWS-managed key" in skips["CKV_AWS_173"]


def test_environment_encryption_belongs_to_the_construct():
    stack = cdk.Stack(app_for_tests(), "Standalone")
    with pytest.raises(InvalidPropError, match="environment_encryption") as raised:
        CanaryFunction(
            stack,
            "Fn",
            code=CODE,
            handler="index.handler",
            function_overrides={"environment_encryption": None},
        )
    assert raised.value.prop == "function_overrides"


# ------------------------------------------------------------ subscription DLQ


@pytest.fixture(scope="module")
def worker_template() -> tuple[Template, DecoupledWorker, cdk.Stack]:
    stack = cdk.Stack(app_for_tests(), "Standalone")
    created = DecoupledWorker(stack, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"))
    return Template.from_stack(stack), created, stack


def _ref(stack: cdk.Stack, construct: Any) -> str:
    return str(stack.resolve(stack.get_logical_id(construct.node.default_child)))


def test_subscription_dead_letters_to_the_workers_dlq(worker_template):
    template, created, stack = worker_template
    dlq = _ref(stack, created.dead_letter_queue)
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "sqs",
            "Endpoint": {"Fn::GetAtt": [_ref(stack, created.queue), "Arn"]},
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]}},
        },
    )


def test_only_the_topic_may_send_to_the_dlq(worker_template):
    template, created, stack = worker_template
    dlq = _ref(stack, created.dead_letter_queue)
    topic = _ref(stack, created.topic)
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": dlq}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": "sqs:SendMessage",
                            "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": topic}}},
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Resource": {"Fn::GetAtt": [dlq, "Arn"]},
                        }
                    ]
                )
            },
        },
    )


def test_subscription_waits_for_both_queue_policies(worker_template):
    template, created, stack = worker_template
    (subscription,) = template.find_resources("AWS::SNS::Subscription").values()
    policies = {
        _ref(stack, queue.node.find_child("Policy"))
        for queue in (created.queue, created.dead_letter_queue)
    }
    assert policies <= set(subscription["DependsOn"])


def test_the_dlq_alarm_watches_the_subscriptions_dead_letters(worker_template):
    template, created, stack = worker_template
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [
                {
                    "Name": "QueueName",
                    "Value": {"Fn::GetAtt": [_ref(stack, created.dead_letter_queue), "QueueName"]},
                }
            ],
            "Threshold": 1,
        },
    )
