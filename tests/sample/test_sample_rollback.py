"""The sample's create-order deployment rolls back a version that fails every request.

``create_order`` answers 503 when it cannot publish: a handled failure, no Lambda error. Its
deployment group watches the ``POST /orders`` 5XX rate and the handled-failure metric of the
version being deployed; here the alarms' own math, read from the synthesized prod template,
shows such a version in alarm within the canary's first interval.
"""

from __future__ import annotations

import operator
import re
from typing import Any

import pytest

PROD = pytest.mark.parametrize("sample", ["prod"], indirect=True)
COMPARE = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}
#: Requests per minute to POST /orders assumed during the deployment (10: one reaches a 10 %
#: canary every minute).
REQUESTS_PER_MINUTE = 10


def resources(sample: Any) -> dict[str, dict]:
    return sample.templates["OrdersService"]["Resources"]


def create_order_group(sample: Any) -> dict:
    (group,) = [
        resource
        for name, resource in resources(sample).items()
        if resource["Type"] == "AWS::CodeDeploy::DeploymentGroup" and name.startswith("CreateOrder")
    ]
    return group["Properties"]


def watched_alarms(sample: Any) -> dict[str, dict]:
    names = [
        alarm["Name"]["Ref"] for alarm in create_order_group(sample)["AlarmConfiguration"]["Alarms"]
    ]
    return {name: resources(sample)[name]["Properties"] for name in names}


def the_alarm(sample: Any, prefix: str) -> dict:
    (props,) = [props for name, props in watched_alarms(sample).items() if name.startswith(prefix)]
    return props


def canary_step(sample: Any) -> tuple[int, int]:
    """The canary's first share (percent) and its interval (minutes), from the template."""
    name = create_order_group(sample)["DeploymentConfigName"]
    match = re.fullmatch(r"CodeDeployDefault\.LambdaCanary(\d+)Percent(\d+)Minutes", name)
    assert match, name
    return int(match[1]), int(match[2])


def first_alarm_minute(alarm: dict, datapoints: list[float | None]) -> int | None:
    """The minute CloudWatch puts ``alarm`` in ALARM, given one datapoint per minute.

    ``None`` is a minute without data, treated as ``TreatMissingData`` says (breaching counts,
    notBreaching and ignore/missing do not).
    """
    assert alarm["Period"] == 60
    periods = alarm["EvaluationPeriods"]
    needed = alarm.get("DatapointsToAlarm", periods)
    compare = COMPARE[alarm["ComparisonOperator"]]
    missing_breaches = alarm.get("TreatMissingData") == "breaching"
    for minute in range(1, len(datapoints) + 1):
        window = datapoints[max(0, minute - periods) : minute]
        breaching = sum(
            missing_breaches if value is None else compare(value, alarm["Threshold"])
            for value in window
        )
        if breaching >= needed:
            return minute
    return None


@PROD
def test_the_deployment_watches_the_route_5xx_and_the_new_version_handled_failures(sample):
    route = the_alarm(sample, "CreateOrderApiOrdersPOSTServerErrorRate")
    assert (route["Namespace"], route["MetricName"]) == ("AWS/ApiGateway", "5XXError")
    assert route["Dimensions"] == [
        {"Name": "ApiName", "Value": "orders"},
        {"Name": "Method", "Value": "POST"},
        {"Name": "Resource", "Value": "/orders"},
        {"Name": "Stage", "Value": "v1"},
    ]
    failures = the_alarm(sample, "CreateOrderNewVersionHandledFailures")
    assert (failures["Namespace"], failures["MetricName"]) == ("orders", "HandledFailures")
    (version,) = [
        name
        for name, resource in resources(sample).items()
        if resource["Type"] == "AWS::Lambda::Version" and name.startswith("CreateOrderFunction")
    ]
    assert failures["Dimensions"] == [
        {"Name": "FunctionVersion", "Value": {"Fn::GetAtt": [version, "Version"]}},
        {"Name": "service", "Value": "orders"},
    ]
    assert len(watched_alarms(sample)) <= 10


@PROD
def test_a_version_answering_503_to_everything_is_in_alarm_within_the_first_interval(sample):
    percent, interval = canary_step(sample)
    to_new_version = REQUESTS_PER_MINUTE * percent / 100
    assert to_new_version >= 1  # the assumption the minute-by-minute datapoints rest on
    minutes = interval

    failures = the_alarm(sample, "CreateOrderNewVersionHandledFailures")
    assert failures["Statistic"] == "Sum"
    assert failures["Period"] * failures["EvaluationPeriods"] <= interval * 60
    # every request the new version serves is a 503, each counted once
    fired = first_alarm_minute(failures, [to_new_version] * minutes)
    assert fired is not None
    assert fired <= interval

    route = the_alarm(sample, "CreateOrderApiOrdersPOSTServerErrorRate")
    assert route["Statistic"] == "Average"
    assert route["Period"] * route["EvaluationPeriods"] <= interval * 60
    # the route's 5XX rate: the canary's share of requests fail, the old version's succeed
    fired = first_alarm_minute(route, [percent / 100] * minutes)
    assert fired is not None
    assert fired <= interval


@PROD
def test_a_healthy_version_stays_out_of_alarm(sample):
    _, interval = canary_step(sample)
    for prefix in (
        "CreateOrderNewVersionHandledFailures",
        "CreateOrderApiOrdersPOSTServerErrorRate",
    ):
        alarm = the_alarm(sample, prefix)
        assert first_alarm_minute(alarm, [0.0] * interval) is None
        assert first_alarm_minute(alarm, [None] * interval) is None  # no traffic is no failure


@PROD
def test_the_idempotency_table_is_owned_encrypted_recoverable_and_expiring(sample):
    (table,) = [r for r in resources(sample).values() if r["Type"] == "AWS::DynamoDB::Table"]
    props = table["Properties"]
    assert props["SSESpecification"] == {
        "KMSMasterKeyId": {"Ref": "PlatformKeyArnDC7DC142"},
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert (table["DeletionPolicy"], props["DeletionProtectionEnabled"]) == ("Retain", True)


@PROD
def test_only_the_two_recording_functions_may_use_the_table_and_only_as_powertools_does(sample):
    granted = {}
    for name, resource in resources(sample).items():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            if any(action.startswith("dynamodb:") for action in actions):
                granted[name] = (sorted(actions), statement["Resource"])
    assert sorted(name[: name.index("ServiceRole")] for name in granted) == [
        "CreateOrderFunction",
        "FulfilmentConsumer",
    ]
    for actions, resource in granted.values():
        assert actions == [
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
        ]
        assert resource == {"Fn::GetAtt": ["IdempotencyTable22A5A209", "Arn"]}
