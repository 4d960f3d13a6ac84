"""Alarm factory: every generated alarm is built, named and wired to the platform topic here."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from ._platform import ResolvedPlatform
from ._warnings import warn

__all__ = ["create_alarm", "notify"]


def notify(alarm: cloudwatch.IAlarm, topic: sns.ITopic | None) -> None:
    """Send ``alarm``'s ALARM and OK transitions to ``topic`` (no-op without a topic)."""
    if topic is None or not isinstance(alarm, cloudwatch.Alarm):
        return
    action = cloudwatch_actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)


def create_alarm(
    scope: Construct,
    construct_id: str,
    *,
    platform: ResolvedPlatform,
    metric: cloudwatch.IMetric,
    threshold: float,
    description: str,
    evaluation_periods: int = 1,
    datapoints_to_alarm: int | None = None,
    comparison_operator: cloudwatch.ComparisonOperator = (
        cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
    ),
    treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
) -> cloudwatch.Alarm:
    """Create an alarm with the library's conventions and notify the platform's topic of it.

    Missing data is not breaching by default: a quiet service is not an incident.
    """
    alarm = cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm,
        comparison_operator=comparison_operator,
        treat_missing_data=treat_missing_data,
        alarm_description=f"{description} ({cdk.Names.unique_id(scope)})",
    )
    notify(alarm, platform.alarm_topic)
    if platform.alarm_topic is None:
        warn(
            scope,
            "alarms-without-actions",
            "Its alarms notify nobody: no platform environment was given or found, so there "
            "is no alarm topic. Pass platform= (PlatformEnvironment or from_published), or add "
            "actions to the alarms yourself (construct.alarms).",
        )
    return alarm
