"""Alarm factory: every generated alarm is built, named and routed by its environment here."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from ._platform import IPlatformEnvironment
from ._warnings import warn

__all__ = ["create_alarm"]


def create_alarm(
    scope: Construct,
    construct_id: str,
    *,
    platform: IPlatformEnvironment,
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
    """Create an alarm with the library's conventions, routed by the environment's actions.

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
    actions = platform.alarm_actions
    actions.bind(alarm)
    if not actions.notifies_anyone:
        warn(
            scope,
            "alarms-without-actions",
            "Its alarms notify nobody: no platform environment was given or found (or its "
            "alarm_actions are empty). Pass platform= (PlatformEnvironment or from_published), "
            "or add actions to the alarms yourself (construct.alarms).",
        )
    return alarm
