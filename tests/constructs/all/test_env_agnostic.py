"""Every construct on its defaults in an env-agnostic stack (the `cdk init` default), gated."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import region_info

from modern_app_constructs import (
    FargateService,
)
from modern_app_constructs.testing import assert_compliant
from tests.cdk_support import add_every_construct, add_platform, make_app

IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")


@pytest.fixture(scope="module", params=["standalone", "with-platform"])
def agnostic(request):
    app = make_app(cfn_lint=True)
    if request.param == "with-platform":
        add_platform(app)
    stack = cdk.Stack(app, "Service")  # no env: account and region are deploy-time values
    add_every_construct(stack, "svc")
    return assert_compliant(app)["Service"]


def test_every_construct_synthesizes_on_defaults_under_the_gates(agnostic):
    types = {r["Type"] for r in agnostic["Resources"].values()}
    assert {"AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::ECS::Service"} <= types
    assert {"AWS::ApiGateway::RestApi", "AWS::CloudWatch::Dashboard"} <= types


def test_alb_access_logs_are_on_and_their_principal_is_chosen_at_deploy_time(agnostic):
    (balancer,) = [
        r
        for r in agnostic["Resources"].values()
        if r["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer"
    ]
    attributes = {a["Key"]: a["Value"] for a in balancer["Properties"]["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    (policy_id,) = [
        name for name, r in agnostic["Resources"].items() if r["Type"] == "AWS::S3::BucketPolicy"
    ]
    assert policy_id in balancer["DependsOn"]
    (mapping_id,) = [name for name in agnostic["Mappings"] if name.startswith("SvcElbLogDelivery")]
    mapping = agnostic["Mappings"][mapping_id]
    known = {region.name: region.elbv2_account for region in region_info.RegionInfo.regions}
    assert mapping == {
        name: {"account": account or "service-principal"} for name, account in known.items()
    }
    assert mapping["eu-west-1"] == {"account": "156460612806"}
    assert mapping["eu-central-2"] == {"account": "service-principal"}
    statements = agnostic["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]
    (choice,) = [s for s in statements if "Fn::If" in s]
    condition, by_service, by_account = choice["Fn::If"]
    assert condition in agnostic["Conditions"]
    assert by_service["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert "Fn::FindInMap" in json.dumps(by_account["Principal"]["AWS"])
    for statement in (by_service, by_account):
        assert statement["Action"] == "s3:PutObject"
        assert statement["Effect"] == "Allow"
        assert "/svc/AWSLogs/" in json.dumps(statement["Resource"])


def test_a_concrete_region_keeps_aws_cdk_libs_own_policy():
    app = make_app()
    stack = cdk.Stack(app, "Regional", env=cdk.Environment(region="eu-west-1"))
    FargateService(stack, "Svc", image=IMAGE)
    template = app.synth().get_stack_by_name("Regional").template
    assert "Mappings" not in template
    body = json.dumps(template)
    assert '"Principal": {"AWS": "arn:aws:iam::156460612806:root"}' in body
