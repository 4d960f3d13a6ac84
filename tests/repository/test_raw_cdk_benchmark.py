"""The raw aws-cdk-lib version of the orders service really builds, and is as safe."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks.raw_cdk.orders import build
from modern_app_constructs.testing import app_for_tests, assert_compliant


@pytest.fixture(scope="module")
def raw_templates(tmp_path_factory):
    app = app_for_tests(outdir=tmp_path_factory.mktemp("raw"), cfn_lint=True)
    build(app)
    return assert_compliant(app)


def resource_types(template):
    return Counter(resource["Type"] for resource in template["Resources"].values())


def test_raw_version_passes_both_compliance_gates(raw_templates):
    assert set(raw_templates) == {"RawOrdersPlatform", "RawOrdersService"}


def test_raw_version_delivers_the_same_kinds_of_resources(raw_templates, dev_sample):
    ours = resource_types(dev_sample.templates["OrdersService"])
    raw = resource_types(raw_templates["RawOrdersService"])
    for kind in (
        "AWS::Lambda::Alias",
        "AWS::CodeDeploy::DeploymentGroup",
        "AWS::SQS::Queue",
        "AWS::SNS::Subscription",
        "AWS::ECS::Service",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ApiGateway::Method",
        "AWS::ApiGatewayV2::VpcLink",
        "AWS::CloudWatch::Dashboard",
    ):
        assert raw[kind] == ours[kind], kind
    assert raw["AWS::CloudWatch::Alarm"] == ours["AWS::CloudWatch::Alarm"]
