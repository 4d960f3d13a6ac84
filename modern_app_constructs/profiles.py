"""Deployment profiles: the small set of defaults that differ between dev and prod."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from constructs import IConstruct

from ._validation import InvalidPropError, check_int_range
from .deployment import DeploymentStrategy
from .nat import Nat

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
        nat_gateways: NAT gateways (or NAT instances) in the platform VPC, at most one per AZ
            (dev: 1, prod: one per AZ).
        log_retention: retention of every log group the constructs create
            (dev: one month, prod: one year).
        removal_policy: what happens to stateful resources (keys, log groups, buckets,
            queues) when the stack is deleted (dev: destroy, prod: retain).
        lambda_deployment: the :class:`DeploymentStrategy` (or SAM preset name) a
            ``CanaryFunction`` uses when none is given (dev: all at once, prod: canary 10 percent
            for 5 minutes).
        desired_count: Fargate tasks per service when none is given (dev: 1, prod: 2).
        deletion_protection: deletion protection on load balancers (dev: off, prod: on).
        key_pending_window_days: days a deleted platform key waits before it is gone, 7..30
            (dev: 7, prod: 30). Default: 30.
        requires_approval: whether a pipeline stage deploying with this profile waits for a
            manual approval (True for prod and, unless it says otherwise, for a custom profile;
            False for dev). Default: True.
        nat: how a created platform VPC reaches the internet, a :class:`Nat` (dev:
            ``Nat.instance()``, a ``t4g.nano`` NAT instance; prod: ``Nat.gateway()``;
            ``Nat.none()`` for services that need no egress from the VPC).
            ``PlatformEnvironment(nat=...)`` overrides it. Default: ``Nat.gateway()``.

    A custom profile is usually derived from a built-in one:
    ``dataclasses.replace(Profile.PROD, name="staging", requires_approval=False)``.
    """

    name: str
    nat_gateways: int
    log_retention: logs.RetentionDays
    removal_policy: cdk.RemovalPolicy
    lambda_deployment: DeploymentStrategy | str
    desired_count: int
    deletion_protection: bool
    key_pending_window_days: int = 30
    requires_approval: bool = True
    nat: Nat = field(default_factory=Nat.gateway)

    DEV: ClassVar[Profile]
    PROD: ClassVar[Profile]

    def __post_init__(self) -> None:
        check_int_range(
            f"Profile '{self.name}'", "key_pending_window_days", self.key_pending_window_days, 7, 30
        )

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
        if name not in _BUILT_IN:
            raise InvalidPropError("Profile", "profile", name, "allowed: one of 'dev', 'prod'")
        return _BUILT_IN[name]

    @staticmethod
    def from_context(scope: IConstruct) -> Profile:
        """The built-in profile selected by the ``profile`` context value (default ``dev``)."""
        return Profile.resolve(scope, None, owner="Profile", prop=PROFILE_CONTEXT_KEY)

    @staticmethod
    def resolve(
        scope: IConstruct, given: str | Profile | None, *, owner: str, prop: str = "profile"
    ) -> Profile:
        """The profile in force: ``given``, else the ``profile`` context value, else dev.

        The one place a profile is decided: environments, standalone constructs and pipeline
        stages all call it. Nothing is inferred from an environment's name.

        Raises:
            InvalidPropError: ``given`` (or the context value) names no built-in profile.
        """
        if isinstance(given, Profile):
            return given
        source = ""
        if given is None:
            given = scope.node.try_get_context(PROFILE_CONTEXT_KEY) or "dev"
            source = f"; the value came from the '{PROFILE_CONTEXT_KEY}' context value"
        if given not in _BUILT_IN:
            raise InvalidPropError(
                owner, prop, given, f"allowed: 'dev', 'prod' or a Profile instance{source}"
            )
        return _BUILT_IN[given]


DEV = Profile(
    name="dev",
    nat_gateways=1,
    log_retention=logs.RetentionDays.ONE_MONTH,
    removal_policy=cdk.RemovalPolicy.DESTROY,
    lambda_deployment=DeploymentStrategy.all_at_once(),
    desired_count=1,
    deletion_protection=False,
    key_pending_window_days=7,
    requires_approval=False,
    nat=Nat.instance(),
)

PROD = Profile(
    name="prod",
    nat_gateways=2,
    log_retention=logs.RetentionDays.ONE_YEAR,
    removal_policy=cdk.RemovalPolicy.RETAIN,
    lambda_deployment=DeploymentStrategy.canary(10, 5),
    desired_count=2,
    deletion_protection=True,
    key_pending_window_days=30,
    requires_approval=True,
    nat=Nat.gateway(),
)

Profile.DEV = DEV
Profile.PROD = PROD
_BUILT_IN = {"dev": DEV, "prod": PROD}
