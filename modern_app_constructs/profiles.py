"""Deployment profiles: the small set of defaults that differ between dev and prod."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from constructs import IConstruct

from ._validation import InvalidPropError
from .deployment import DeploymentStrategy

__all__ = ["PROFILE_CONTEXT_KEY", "RETENTION_DAYS", "Profile"]

#: The context key (``cdk synth -c profile=prod``) that selects the profile.
PROFILE_CONTEXT_KEY = "profile"
#: CloudWatch Logs' retention periods in days (``RetentionInDays``); 0 stands for never expire.
RETENTION_DAYS: dict[str, int] = {
    "ONE_DAY": 1,
    "THREE_DAYS": 3,
    "FIVE_DAYS": 5,
    "ONE_WEEK": 7,
    "TWO_WEEKS": 14,
    "ONE_MONTH": 30,
    "TWO_MONTHS": 60,
    "THREE_MONTHS": 90,
    "FOUR_MONTHS": 120,
    "FIVE_MONTHS": 150,
    "SIX_MONTHS": 180,
    "ONE_YEAR": 365,
    "THIRTEEN_MONTHS": 400,
    "EIGHTEEN_MONTHS": 545,
    "TWO_YEARS": 731,
    "THREE_YEARS": 1096,
    "FIVE_YEARS": 1827,
    "SIX_YEARS": 2192,
    "SEVEN_YEARS": 2557,
    "EIGHT_YEARS": 2922,
    "NINE_YEARS": 3288,
    "TEN_YEARS": 3653,
    "INFINITE": 0,
}


@dataclass(frozen=True)
class Profile:
    """The defaults every construct reads from the environment it is deployed into.

    A platform team can define its own profile (e.g. ``staging``) and hand it to
    ``PlatformEnvironment(profile=...)``; the two built-in ones are :attr:`DEV` and
    :attr:`PROD`.

    Attributes:
        name: the profile's name, applied as the ``profile`` tag.
        nat_gateways: NAT gateways in the platform VPC (dev: 1, prod: one per AZ).
        log_retention: retention of every log group the constructs create
            (dev: one month, prod: one year).
        removal_policy: what happens to stateful resources (keys, log groups, buckets,
            queues) when the stack is deleted (dev: destroy, prod: retain).
        lambda_deployment: the :class:`DeploymentStrategy` (or SAM preset name) a
            ``CanaryFunction`` uses when none is given (dev: all at once, prod: canary 10 percent
            for 5 minutes).
        desired_count: Fargate tasks per service when none is given (dev: 1, prod: 2).
        deletion_protection: deletion protection on load balancers (dev: off, prod: on).
        requires_approval: whether a pipeline stage deploying with this profile waits for a
            manual approval (True for prod and, unless it says otherwise, for a custom
            profile; False for dev).
    """

    name: str
    nat_gateways: int
    log_retention: logs.RetentionDays
    removal_policy: cdk.RemovalPolicy
    lambda_deployment: DeploymentStrategy | str
    desired_count: int
    deletion_protection: bool
    requires_approval: bool = True

    DEV: ClassVar[Profile]
    PROD: ClassVar[Profile]

    @property
    def log_retention_days(self) -> int:
        """The log retention in days, as CloudWatch Logs counts it (0: never expire)."""
        return RETENTION_DAYS[self.log_retention.name]

    @staticmethod
    def named(name: str) -> Profile:
        """The built-in profile called ``name`` (``dev`` or ``prod``).

        Raises:
            InvalidPropError: for any other name.
        """
        known = {"dev": DEV, "prod": PROD}
        if name not in known:
            raise InvalidPropError("Profile", "profile", name, "allowed: one of 'dev', 'prod'")
        return known[name]

    @staticmethod
    def from_context(scope: IConstruct) -> Profile:
        """The built-in profile selected by the ``profile`` context value (default ``dev``)."""
        value = scope.node.try_get_context(PROFILE_CONTEXT_KEY)
        return Profile.named(value if value is not None else "dev")


DEV = Profile(
    name="dev",
    nat_gateways=1,
    log_retention=logs.RetentionDays.ONE_MONTH,
    removal_policy=cdk.RemovalPolicy.DESTROY,
    lambda_deployment=DeploymentStrategy.all_at_once(),
    desired_count=1,
    deletion_protection=False,
    requires_approval=False,
)

PROD = Profile(
    name="prod",
    nat_gateways=2,
    log_retention=logs.RetentionDays.ONE_YEAR,
    removal_policy=cdk.RemovalPolicy.RETAIN,
    lambda_deployment=DeploymentStrategy.canary(10, 5),
    desired_count=2,
    deletion_protection=True,
)

Profile.DEV = DEV
Profile.PROD = PROD
