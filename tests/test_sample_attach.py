"""The sample's service stack needs nothing of the platform stack but its published name."""

from __future__ import annotations

import json

import aws_cdk as cdk

from modern_app_constructs.testing import assert_compliant
from sample_app.app import OrdersServiceStack, platform_name
from tests.cdk_support import make_app


def test_the_service_stack_synthesizes_in_an_app_without_any_platform_stack():
    profile = "dev"  # the profile changes values, not what the stack refers to
    app = make_app(cfn_lint=True, profile=profile)
    OrdersServiceStack(app, "OrdersService", platform_name=platform_name(profile))
    (name,) = [stack.stack_name for stack in app.node.children if isinstance(stack, cdk.Stack)]
    template = assert_compliant(app)[name]
    body = json.dumps(template)
    assert "Fn::GetStackOutput" not in body
    assert "Fn::ImportValue" not in body
    types = {r["Type"] for r in template["Resources"].values()}
    assert not types & {"AWS::EC2::VPC", "AWS::ECS::Cluster", "AWS::KMS::Key"}
    defaults = {p.get("Default") for p in template["Parameters"].values()}
    assert f"/modern-app-constructs/platform/orders-{profile}/key-arn" in defaults


def test_the_sample_platform_publishes_the_name_the_service_attaches_to(sample):
    platform = sample.templates["OrdersPlatform"]
    names = {
        r["Properties"]["Name"]
        for r in platform["Resources"].values()
        if r["Type"] == "AWS::SSM::Parameter"
    }
    service = sample.templates["OrdersService"]
    defaults = {
        p["Default"] for name, p in service["Parameters"].items() if name != "BootstrapVersion"
    }
    assert defaults <= names
    assert f"/modern-app-constructs/platform/orders-{sample.profile}/contract-version" in names
    assert service["Metadata"]["modern-app-constructs"]["contract-version"] == "1.0"
