"""An attached service stack declares exactly the contract parameters its template references.

cfn-lint's W2001 (``cdk synth --strict`` turns it into a failure) counts a declared parameter
nothing references, and CloudFormation resolves every SSM-typed parameter a template declares:
one for a value the environment does not publish fails the deployment. The construct scenarios
are checked where they are synthesized (``tests/cdk_support.scenarios``); the sample here.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    PlatformEnvironment,
    Route,
    WorkerConsumer,
)
from tests.cdk_support import SAMPLE_STACKS, make_app, unreferenced_parameters

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")
CERT = "arn:aws:acm:eu-west-1:111122223333:certificate/0f1e2d3c"
ROOT_PATH = "/modern-app-constructs/platform"


def test_every_template_of_the_sample_references_every_parameter(sample):
    assert set(sample.templates) == set(SAMPLE_STACKS[sample.profile])
    for name, template in sample.templates.items():
        assert unreferenced_parameters(template) == [], name


def test_the_check_finds_an_unreferenced_parameter():
    template = {
        "Parameters": {"Used": {}, "InSub": {}, "Unused": {}},
        "Resources": {"R": {"Properties": {"A": {"Ref": "Used"}, "B": {"Fn::Sub": "x-${InSub}"}}}},
    }
    assert unreferenced_parameters(template) == ["Unused"]


def _published_keys_without_public_subnets() -> set[str]:
    """What an environment over a VPC without public subnets publishes."""
    stack = cdk.Stack(make_app(), "Platform")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Imported",
        vpc_id="vpc-0a1b2c3d",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        private_subnet_ids=["subnet-1", "subnet-2"],
        private_subnet_route_table_ids=["rtb-1", "rtb-2"],
    )
    platform = PlatformEnvironment(stack, "Env", team="t", application="a", vpc=vpc, name="shop")
    return set(platform.contract_parameters)


def _service(public: bool) -> dict:
    app = make_app(cfn_lint=True)
    stack = cdk.Stack(app, "Svc")
    PlatformEnvironment.from_published(stack, "Platform", name="shop")
    canary = CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
    worker = DecoupledWorker(stack, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"))
    certificate = acm.Certificate.from_certificate_arn(stack, "Cert", CERT) if public else None
    service = FargateService(stack, "Web", image=IMAGE, public=public, certificate=certificate)
    api = ApiFrontDoor(stack, "Api")
    api.add_route("/fn", Route.function(canary))
    api.add_route("/jobs", Route.queue(worker))
    if not public:
        api.add_route("/web", Route.service(service))
    template: dict = app.synth().get_stack_by_name("Svc").template
    return template


def _read_keys(template: dict) -> set[str]:
    return {
        parameter["Default"].removeprefix(f"{ROOT_PATH}/shop/")
        for name, parameter in template["Parameters"].items()
        if name != "BootstrapVersion"
    }


def test_an_internal_service_reads_only_what_an_environment_without_public_subnets_publishes():
    """No ``public_subnets=False``: the public subnets are read only by a public service."""
    template = _service(public=False)
    assert unreferenced_parameters(template) == []
    published = _published_keys_without_public_subnets()
    assert "public-subnet-ids" not in published
    read = _read_keys(template)
    assert read <= published
    for unused in ("cluster-arn", "availability-zones", "private-route-table-ids"):
        assert unused not in read


def test_a_public_service_reads_the_public_subnets():
    template = _service(public=True)
    assert unreferenced_parameters(template) == []
    read = _read_keys(template)
    assert "public-subnet-ids" in read
    assert "public-route-table-ids" not in read


def test_parameters_stay_until_the_template_is_rendered():
    """A validation before synthesis knows no reference yet: it removes nothing."""
    stack = cdk.Stack(make_app(), "Svc")
    platform = PlatformEnvironment.from_published(stack, "Platform", name="shop")
    cdk.CfnWaitConditionHandle(stack, "Resource")  # a template needs one
    assert platform.vpc.availability_zones  # declares the AZ parameter
    assert stack.node.validate() == []
    assert stack.node.try_find_child("Platform").node.try_find_child("AvailabilityZones")
    template = stack.node.root.synth().get_stack_by_name("Svc").template
    assert "availability-zones" not in _read_keys(template)
    assert stack.node.find_child("Platform").node.try_find_child("AvailabilityZones") is None


def test_a_value_first_referenced_after_synthesis_fails_loudly():
    app = make_app()
    stack = cdk.Stack(app, "Svc")
    platform = PlatformEnvironment.from_published(stack, "Platform", name="shop")
    zones = platform.vpc.availability_zones
    cdk.CfnWaitConditionHandle(stack, "Resource")
    app.synth()
    with pytest.raises(RuntimeError, match="first referenced after synthesis"):
        stack.resolve(zones[0])
