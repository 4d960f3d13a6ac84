"""Side by side with AWS SAM: our template has every deployment element SAM generates.

The SAM template (``AutoPublishAlias`` + ``DeploymentPreference`` Canary10Percent5Minutes, two
alarms, both hooks) is translated offline with aws-sam-translator.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from modern_app_constructs import CanaryFunction
from modern_app_constructs.testing import app_for_tests

CODE = "def handler(event, context):\n    return {}\n"
ALARM = {
    "Namespace": "AWS/Lambda",
    "Statistic": "Sum",
    "Period": 60,
    "EvaluationPeriods": 1,
    "Threshold": 1,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
}
SAM_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {
        "Orders": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "InlineCode": CODE,
                "Handler": "index.handler",
                "Runtime": "python3.13",
                "AutoPublishAlias": "live",
                "DeploymentPreference": {
                    "Type": "Canary10Percent5Minutes",
                    "Alarms": [{"Ref": "BusinessAlarm"}, {"Ref": "LatencyAlarm"}],
                    "Hooks": {"PreTraffic": {"Ref": "Pre"}, "PostTraffic": {"Ref": "Post"}},
                },
            },
        },
        "Pre": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"InlineCode": CODE, "Handler": "index.handler", "Runtime": "python3.13"},
        },
        "Post": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"InlineCode": CODE, "Handler": "index.handler", "Runtime": "python3.13"},
        },
        "BusinessAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {"MetricName": "Errors", **ALARM},
        },
        "LatencyAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {"MetricName": "Duration", **ALARM},
        },
    },
}


class _NoManagedPolicies:
    """The translator only needs managed-policy ARNs for policy templates; none are used."""

    def load(self) -> dict[str, str]:
        return {}


def by_type(template, resource_type):
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


@pytest.fixture(scope="module")
def sam(monkeypatch_module):
    from samtranslator.translator.transform import transform

    monkeypatch_module.setenv("AWS_DEFAULT_REGION", "us-east-1")
    translated = transform(json.loads(json.dumps(SAM_TEMPLATE)), {}, _NoManagedPolicies())
    return json.loads(json.dumps(translated, default=str))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def ours():
    app = app_for_tests()
    stack = cdk.Stack(app, "Service")

    def function(name):
        return lambda_.Function(
            stack,
            name,
            code=lambda_.Code.from_inline(CODE),
            handler="index.handler",
            runtime=lambda_.Runtime.PYTHON_3_14,
        )

    def alarm(name, metric):
        return cloudwatch.Alarm(
            stack,
            name,
            metric=cloudwatch.Metric(namespace="AWS/Lambda", metric_name=metric),
            threshold=1,
            evaluation_periods=1,
        )

    CanaryFunction(
        stack,
        "Orders",
        code=lambda_.Code.from_inline(CODE),
        handler="index.handler",
        deployment="Canary10Percent5Minutes",
        alarms=[alarm("BusinessAlarm", "Errors"), alarm("LatencyAlarm", "Duration")],
        pre_traffic_hook=function("Pre"),
        post_traffic_hook=function("Post"),
    )
    return Template.from_stack(stack).to_json()


def config_name(value):
    if isinstance(value, dict) and "Fn::Sub" in value:
        pattern, variables = value["Fn::Sub"]
        for key, replacement in variables.items():
            pattern = pattern.replace("${" + key + "}", replacement)
        return pattern
    return value


def test_both_have_one_lambda_codedeploy_application(sam, ours):
    for template in (sam, ours):
        (application,) = by_type(template, "AWS::CodeDeploy::Application")
        assert application["Properties"]["ComputePlatform"] == "Lambda"


def test_both_publish_a_version_behind_the_alias(sam, ours):
    for template in (sam, ours):
        versions = [
            name
            for name, resource in template["Resources"].items()
            if resource["Type"] == "AWS::Lambda::Version"
        ]
        assert len(versions) == 1
        (alias,) = by_type(template, "AWS::Lambda::Alias")
        assert alias["Properties"]["Name"] == "live"
        assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [versions[0], "Version"]}


def test_deployment_group_matches(sam, ours):
    (sam_group,) = by_type(sam, "AWS::CodeDeploy::DeploymentGroup")
    (our_group,) = by_type(ours, "AWS::CodeDeploy::DeploymentGroup")
    sam_props, our_props = sam_group["Properties"], our_group["Properties"]
    assert config_name(our_props["DeploymentConfigName"]) == config_name(
        sam_props["DeploymentConfigName"]
    )
    assert our_props["DeploymentStyle"] == sam_props["DeploymentStyle"]
    assert our_props["AutoRollbackConfiguration"]["Enabled"] is True
    assert set(our_props["AutoRollbackConfiguration"]["Events"]) >= set(
        sam_props["AutoRollbackConfiguration"]["Events"]
    )
    assert our_props["AlarmConfiguration"]["Enabled"] == sam_props["AlarmConfiguration"]["Enabled"]
    sam_alarms = len(sam_props["AlarmConfiguration"]["Alarms"])
    our_alarm_names = json.dumps(our_props["AlarmConfiguration"]["Alarms"])
    assert len(our_props["AlarmConfiguration"]["Alarms"]) == sam_alarms + 4
    for sam_alarm in sam_props["AlarmConfiguration"]["Alarms"]:
        assert sam_alarm["Name"]["Ref"] in our_alarm_names


def test_alias_update_policy_has_every_key_sam_sets(sam, ours):
    (sam_alias,) = by_type(sam, "AWS::Lambda::Alias")
    (our_alias,) = by_type(ours, "AWS::Lambda::Alias")
    sam_update = sam_alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    our_update = our_alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert set(sam_update) == {
        "ApplicationName",
        "DeploymentGroupName",
        "BeforeAllowTrafficHook",
        "AfterAllowTrafficHook",
    }
    assert set(our_update) >= set(sam_update)
    assert "Pre" in our_update["BeforeAllowTrafficHook"]["Ref"]
    assert "Post" in our_update["AfterAllowTrafficHook"]["Ref"]
