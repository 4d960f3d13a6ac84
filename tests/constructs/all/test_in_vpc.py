"""Opt-in VPC placement of functions: ``in_vpc=True`` on CanaryFunction and DecoupledWorker.

The function (and CanaryFunction's built-in smoke test) runs in the platform's private subnets
with a security group of its own that allows outbound HTTPS only; its role may manage the
network interfaces Lambda creates. Works with an owned environment (cross-stack references) and
an attached one (subnets and VPC from the published contract's SSM parameters).

Gated: the owned case in ``tests/constructs/all/test_serverless_gate.py`` (a CanaryFunction
with a smoke test and a DecoupledWorker, both ``in_vpc=True``, in the prod profile, behind
AwsSolutions, Serverless and cfn-lint), the attached case here.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_

from modern_app_constructs import (
    CanaryFunction,
    DecoupledWorker,
    InvalidPropError,
    PlatformEnvironment,
    SmokeTest,
    WorkerConsumer,
)
from modern_app_constructs.testing import app_for_tests, assert_compliant
from tests.cdk_support import Scenarios, scenarios

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
ENV = cdk.Environment(region="eu-west-1")
ENI_ACTIONS = [
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
]
HTTPS_ONLY = [
    {
        "CidrIp": "0.0.0.0/0",
        "Description": "HTTPS to AWS APIs (through the NAT gateways)",
        "FromPort": 443,
        "IpProtocol": "tcp",
        "ToPort": 443,
    }
]


def _output(name: str) -> dict[str, Any]:
    return {
        "Fn::GetStackOutput": {"StackName": "Platform", "Region": "eu-west-1", "OutputName": name}
    }


PRIVATE_SUBNETS = [
    _output("PublishOutputRefPlatformVpcprivateSubnet1Subnet5F23DA2DFFABB791"),
    _output("PublishOutputRefPlatformVpcprivateSubnet2Subnet86B3982BF09AAA12"),
]


def _in_vpc(stack: cdk.Stack) -> tuple[CanaryFunction, DecoupledWorker]:
    canary = CanaryFunction(
        stack,
        "Api",
        code=CODE,
        handler="index.handler",
        smoke_test=SmokeTest({"ping": True}),
        in_vpc=True,
    )
    worker = DecoupledWorker(
        stack, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler", in_vpc=True)
    )
    return canary, worker


@pytest.fixture(scope="module")
def built() -> Scenarios:
    """Functions in the VPC (``Service``) and one left out (``OutOfVpc``), synthesized once."""
    return scenarios(
        {
            "Service": _in_vpc,
            "OutOfVpc": lambda stack: CanaryFunction(
                stack, "Api", code=CODE, handler="index.handler"
            ),
        },
        env=ENV,
    )


@pytest.fixture(scope="module")
def owned(built) -> tuple[dict[str, Any], cdk.Stack, CanaryFunction, DecoupledWorker]:
    """(the service template's resources, its stack, the canary, the worker), all in the VPC."""
    canary, worker = built["Service"]
    resources = built.templates["Service"].to_json()["Resources"]
    return resources, built.stacks["Service"], canary, worker


def _id(stack: cdk.Stack, construct: Any) -> str:
    resource = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
    return str(stack.resolve(stack.get_logical_id(resource)))


def _placed(
    resources: dict[str, Any], stack: cdk.Stack, function: lambda_.Function
) -> tuple[dict, dict, dict]:
    """(the function's properties, its security group's, its role policy's statements)."""
    properties = resources[_id(stack, function)]["Properties"]
    (group_id,) = [group["Fn::GetAtt"][0] for group in properties["VpcConfig"]["SecurityGroupIds"]]
    role_id = properties["Role"]["Fn::GetAtt"][0]
    (policy,) = [
        resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy"
        and resource["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    return properties, resources[group_id]["Properties"], policy["PolicyDocument"]["Statement"]


@pytest.mark.parametrize("which", ["function", "smoke_test_function", "consumer"])
def test_functions_run_in_private_subnets_with_an_egress_only_group(owned, which):
    resources, stack, canary, worker = owned
    function = worker.consumer if which == "consumer" else getattr(canary, which)
    properties, group, _ = _placed(resources, stack, function)
    assert properties["VpcConfig"]["SubnetIds"] == PRIVATE_SUBNETS
    assert group["VpcId"] == _output("PublishOutputRefPlatformVpcB7D6B3DD28349560")
    assert group["SecurityGroupEgress"] == HTTPS_ONLY
    assert "SecurityGroupIngress" not in group
    assert group["GroupDescription"] == f"{function.node.path}: outbound HTTPS (AWS APIs) only"


def test_each_function_has_its_own_security_group(owned):
    resources, stack, canary, worker = owned
    groups = {
        _placed(resources, stack, function)[0]["VpcConfig"]["SecurityGroupIds"][0]["Fn::GetAtt"][0]
        for function in (canary.function, canary.smoke_test_function, worker.consumer)
    }
    assert len(groups) == 3


@pytest.mark.parametrize("which", ["function", "smoke_test_function"])
def test_roles_may_manage_the_network_interfaces(owned, which):
    resources, stack, canary, _ = owned
    _, _, statements = _placed(resources, stack, getattr(canary, which))
    (wildcard,) = [s for s in statements if s["Resource"] == "*"]
    assert wildcard == {
        "Action": [*ENI_ACTIONS, "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        "Effect": "Allow",
        "Resource": "*",
    }


def test_functions_wait_for_their_role_policy(owned):
    resources, stack, canary, _ = owned
    function = resources[_id(stack, canary.function)]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    (policy_id,) = [
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::IAM::Policy"
        and resource["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    assert policy_id in function["DependsOn"]


def test_connections_open_more_than_https(owned):
    _, stack, canary, _ = owned
    (group,) = canary.function.connections.security_groups
    assert isinstance(group, ec2.SecurityGroup)


def test_without_in_vpc_functions_stay_out_of_the_vpc(built):
    template = built.templates["OutOfVpc"]
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    assert "VpcConfig" not in function["Properties"]
    template.resource_count_is("AWS::EC2::SecurityGroup", 0)


# --------------------------------------------------------------- attached environment


def test_in_vpc_with_an_attached_environment_uses_the_published_subnets():
    app = app_for_tests(cfn_lint=True)
    stack = cdk.Stack(app, "Checkout", env=ENV)
    platform = PlatformEnvironment.from_published(stack, "Platform", name="shop-prod")
    canary = CanaryFunction(stack, "Api", code=CODE, handler="index.handler", in_vpc=True)
    templates = assert_compliant(app)
    template = templates["Checkout"]
    parameters = {
        str(parameter["Default"]).rsplit("/", 1)[-1]: name
        for name, parameter in template["Parameters"].items()
        if parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    }
    function = template["Resources"][_id(stack, canary.function)]["Properties"]
    subnets = {"Fn::Split": [",", {"Ref": parameters["private-subnet-ids"]}]}
    assert function["VpcConfig"]["SubnetIds"] == [
        {"Fn::Select": [0, subnets]},
        {"Fn::Select": [1, subnets]},
    ]
    (group_id,) = [g["Fn::GetAtt"][0] for g in function["VpcConfig"]["SecurityGroupIds"]]
    group = template["Resources"][group_id]["Properties"]
    assert group["VpcId"] == {"Ref": parameters["vpc-id"]}
    assert group["SecurityGroupEgress"] == HTTPS_ONLY
    assert platform.az_count == 2


# ------------------------------------------------------------------------ bad input


def _standalone() -> cdk.Stack:
    return cdk.Stack(app_for_tests(), "Standalone", env=ENV)


def test_in_vpc_needs_a_platform_environment():
    with pytest.raises(InvalidPropError, match="allowed only with a platform environment") as (
        raised
    ):
        CanaryFunction(_standalone(), "Api", code=CODE, handler="index.handler", in_vpc=True)
    assert raised.value.prop == "in_vpc"
    with pytest.raises(InvalidPropError, match="allowed only with a platform environment") as (
        raised
    ):
        DecoupledWorker(
            _standalone(), "W", consumer=WorkerConsumer.code(CODE, "index.handler", in_vpc=True)
        )
    assert raised.value.prop == "consumer.in_vpc"


@pytest.mark.parametrize("key", ["vpc", "vpc_subnets", "security_groups", "allow_public_subnet"])
def test_vpc_props_belong_to_in_vpc(key):
    with pytest.raises(InvalidPropError, match=f"'{key}'.*in_vpc=True places the function") as (
        raised
    ):
        CanaryFunction(
            _standalone(),
            "Api",
            code=CODE,
            handler="index.handler",
            in_vpc=True,
            function_overrides={key: None},
        )
    assert raised.value.prop == "function_overrides"


def test_worker_in_vpc_only_for_a_function_it_creates():
    # a container runs in private subnets already; a CanaryFunction takes in_vpc itself
    with pytest.raises(TypeError, match="in_vpc"):
        WorkerConsumer.container(ecs.ContainerImage.from_registry("nginx"), in_vpc=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="in_vpc"):
        WorkerConsumer.function(lambda_.Function.from_function_arn, in_vpc=True)  # type: ignore[call-arg]
