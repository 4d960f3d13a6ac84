"""Log groups with the platform's retention, key and removal policy."""

from __future__ import annotations

from aws_cdk import aws_logs as logs
from constructs import Construct

from ._checkov import skip_checkov
from ._platform import IPlatformEnvironment

__all__ = ["create_log_group"]


def create_log_group(
    scope: Construct,
    construct_id: str,
    *,
    platform: IPlatformEnvironment,
    retention: logs.RetentionDays | None = None,
) -> logs.LogGroup:
    """A log group encrypted with the platform key (when there is one), kept per the profile.

    The group depends on the key so that the key policy statement for CloudWatch Logs exists
    before CloudFormation creates the group.
    """
    log_group = logs.LogGroup(
        scope,
        construct_id,
        retention=retention or platform.log_retention,
        encryption_key=platform.key,
        removal_policy=platform.profile.removal_policy,
    )
    if platform.key is not None:
        log_group.node.add_dependency(platform.key)
    else:
        skip_checkov(
            log_group,
            "CKV_AWS_158",
            "Standalone (no platform environment, hence no customer-managed key): CloudWatch "
            "Logs encrypts the group with its own key; a key whose policy admits CloudWatch "
            "Logs is what a PlatformEnvironment provides.",
        )
    return log_group
