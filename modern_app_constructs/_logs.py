"""Log groups with the platform's retention, key and removal policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_logs as logs
from constructs import Construct

from .profiles import Profile

if TYPE_CHECKING:
    from .platform_environment import PlatformEnvironment

__all__ = ["create_log_group"]


def create_log_group(
    scope: Construct,
    construct_id: str,
    *,
    platform: PlatformEnvironment | None,
    profile: Profile,
    retention: logs.RetentionDays | None = None,
) -> logs.LogGroup:
    """A log group encrypted with the platform key (when there is one), kept per the profile.

    The group depends on the key so that the key policy statement for CloudWatch Logs exists
    before CloudFormation creates the group.
    """
    key = platform.key if platform is not None else None
    log_group = logs.LogGroup(
        scope,
        construct_id,
        retention=retention or profile.log_retention,
        encryption_key=key,
        removal_policy=profile.removal_policy,
    )
    if key is not None:
        log_group.node.add_dependency(key)
    return log_group
