"""The NAT choice: Nat.gateway() / .instance() / .none(), the profile's default, the override."""

from __future__ import annotations

import dataclasses

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    InvalidPropError,
    Nat,
    PlatformEnvironment,
    Profile,
    Route,
    WorkerConsumer,
)
from modern_app_constructs.testing import app_for_tests, assert_compliant

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")


def _template(profile: str | Profile = "dev", *, gated: bool = False, **kwargs) -> Template:
    app = app_for_tests(cfn_lint=gated)
    stack = cdk.Stack(app, "Platform")
    PlatformEnvironment(stack, "Env", team="t", application="a", profile=profile, **kwargs)
    if gated:
        return Template.from_json(assert_compliant(app)["Platform"])
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def prod_with_instances() -> Template:
    return _template("prod", gated=True, nat=Nat.instance("t3.micro"))


def test_profiles_choose_instance_for_dev_and_gateway_for_prod():
    assert Profile.DEV.nat == Nat.instance("t4g.nano")
    assert Profile.PROD.nat == Nat.gateway()
    custom = Profile(
        "custom", 1, Profile.DEV.log_retention, cdk.RemovalPolicy.DESTROY, "x", 1, False
    )
    assert custom.nat == Nat.gateway()


def test_override_keeps_gateways_in_dev():
    template = _template("dev", nat=Nat.gateway())
    template.resource_count_is("AWS::EC2::NatGateway", 1)
    template.resource_count_is("AWS::EC2::Instance", 0)


def test_instances_follow_the_profile_count_and_pass_the_gates(prod_with_instances):
    template = prod_with_instances
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::EIP", 0)
    template.resource_count_is("AWS::EC2::Instance", 2)
    template.has_resource_properties(
        "AWS::EC2::Instance",
        {
            "InstanceType": "t3.micro",
            "SourceDestCheck": False,
            "MetadataOptions": {"HttpTokens": "required"},
            "BlockDeviceMappings": [
                {"DeviceName": "/dev/xvda", "Ebs": Match.object_like({"Encrypted": True})}
            ],
            "NetworkInterfaces": [Match.object_like({"AssociatePublicIpAddress": True})],
        },
    )


def test_instance_image_resolves_at_deploy_time_for_its_architecture():
    template = _template("dev")
    (parameter,) = [
        value
        for value in template.to_json()["Parameters"].values()
        if "ami-amazon-linux-latest" in value.get("Default", "")
    ]
    assert (
        parameter["Default"] == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64"
    )
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"


def test_nat_security_group_admits_the_private_subnets_only(prod_with_instances):
    groups = prod_with_instances.find_resources(
        "AWS::EC2::SecurityGroup",
        {"Properties": {"GroupDescription": "Security Group for NAT instances"}},
    )
    (group,) = groups.values()
    cidrs = sorted(rule["CidrIp"] for rule in group["Properties"]["SecurityGroupIngress"])
    # the private /20s after the two public /24s of the default 10.0.0.0/16
    assert cidrs == ["10.0.16.0/20", "10.0.32.0/20"]


def test_custom_profile_carries_its_nat():
    staging = dataclasses.replace(Profile.PROD, name="staging", nat=Nat.instance())
    template = _template(staging)
    template.resource_count_is("AWS::EC2::Instance", 2)


@pytest.mark.parametrize("bad", ["", "nano", "T4G.NANO", "t4g nano", 3])
def test_instance_type_must_be_an_instance_type_name(bad):
    with pytest.raises(InvalidPropError, match=r"Nat\.instance.*instance_type.*t4g\.nano"):
        Nat.instance(bad)


def test_nat_kind_and_instance_type_must_agree():
    with pytest.raises(InvalidPropError, match=r"Nat.*kind.*Nat\.gateway.*Nat\.none"):
        Nat("nothing")
    with pytest.raises(InvalidPropError, match=r"Nat.*instance_type"):
        Nat("none", "t4g.nano")
    with pytest.raises(InvalidPropError, match=r"Nat.*instance_type"):
        Nat("gateway", "t4g.nano")


def test_nat_prop_rejects_another_type():
    with pytest.raises(InvalidPropError, match="nat"):
        _template("dev", nat="instance")


# ------------------------------------------------------------------ Nat.none()


def _isolated_app(*, gated: bool = False) -> tuple[cdk.App, PlatformEnvironment, cdk.Stack]:
    app = app_for_tests(cfn_lint=gated)
    env = PlatformEnvironment(
        cdk.Stack(app, "Platform"), "Env", team="t", application="a", nat=Nat.none()
    )
    return app, env, cdk.Stack(app, "Service")


def test_none_isolates_the_private_subnets_and_publishes_no_egress():
    app, env, service = _isolated_app(gated=True)
    # what needs no egress from the VPC: functions outside it, a worker, an API to both
    function = CanaryFunction(service, "Fn", code=CODE, handler="index.handler")
    worker = DecoupledWorker(service, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"))
    api = ApiFrontDoor(service, "Api")
    api.add_route("/fn", Route.function(function))
    api.add_route("/jobs", Route.queue(worker))
    templates = assert_compliant(app)  # the gates pass on both stacks
    platform = Template.from_json(templates["Platform"])
    for kind in ("AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::Instance"):
        platform.resource_count_is(kind, 0)
    # only the public subnets route to the internet (through the internet gateway)
    routes = platform.find_resources("AWS::EC2::Route")
    assert len(routes) == 2
    assert all("GatewayId" in r["Properties"] for r in routes.values())
    published = {
        r["Properties"]["Name"].rsplit("/", 1)[1]: r["Properties"]["Value"]
        for r in platform.find_resources("AWS::SSM::Parameter").values()
        if "/attachments/" not in str(r["Properties"]["Name"])
    }
    assert published["egress"] == "false"
    isolated = [lid for lid in platform.find_resources("AWS::EC2::Subnet") if "private" in lid]
    assert len(isolated) == 2
    assert "Fn::Join" in published["private-subnet-ids"]
    assert {ref["Ref"] for ref in published["private-subnet-ids"]["Fn::Join"][1]} == set(isolated)
    assert env.nat == Nat.none()
    assert not env.nat.egress


@pytest.mark.parametrize(
    ("build", "prop"),
    [
        (lambda stack: FargateService(stack, "Svc", image=IMAGE), "platform"),
        (
            lambda stack: DecoupledWorker(
                stack, "Worker", consumer=WorkerConsumer.container(IMAGE)
            ),
            "platform",
        ),
        (
            lambda stack: CanaryFunction(
                stack, "Fn", code=CODE, handler="index.handler", in_vpc=True
            ),
            "in_vpc",
        ),
    ],
    ids=["fargate-service", "container-consumer", "in-vpc-function"],
)
def test_what_needs_egress_is_refused_in_an_environment_without_it(build, prop):
    _, _, service = _isolated_app()
    with pytest.raises(
        InvalidPropError,
        match=rf"invalid {prop}=.*Nat\.none\(\).*Nat\.instance\(\) or Nat\.gateway\(\)",
    ):
        build(service)
