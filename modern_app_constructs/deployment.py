"""Deployment strategies: one vocabulary for Lambda (CodeDeploy) and Fargate (ECS) deployments.

Every AWS SAM ``DeploymentPreference`` type is available by its SAM name, and custom canary or
linear strategies are built with :meth:`DeploymentStrategy.canary` /
:meth:`DeploymentStrategy.linear`. A strategy validates itself when it is built, and renders
itself where it is used: :meth:`DeploymentStrategy.lambda_deployment_config` for a CodeDeploy
deployment group, :meth:`DeploymentStrategy.ecs_service_props` for an ECS service. The
constructs only ask it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

import aws_cdk as cdk
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from ._validation import InvalidPropError, check_int_range

__all__ = ["DeploymentStrategy", "StrategyKind"]

StrategyKind = Literal["all_at_once", "canary", "linear", "rolling", "blue_green"]

#: CodeDeploy's bounds for a time-based canary or linear interval, in minutes: at most 48 hours
#: between the first and the last traffic shift of a Lambda deployment (CodeDeploy quotas).
MIN_INTERVAL_MINUTES = 1
MAX_INTERVAL_MINUTES = 2880
#: ECS-native canary/linear deployments: a step bakes at most a day; linear steps of >= 3 %.
ECS_MAX_STEP_MINUTES = 1440
ECS_MIN_LINEAR_PERCENT = 3
#: A blue/green deployment keeps the old fleet at most a day.
MAX_BAKE_MINUTES = 1440

_LAMBDA_KINDS = ("all_at_once", "canary", "linear")
_ECS_NATIVE: dict[str, ecs.DeploymentStrategy] = {
    "rolling": ecs.DeploymentStrategy.ROLLING,
    "blue_green": ecs.DeploymentStrategy.BLUE_GREEN,
    "canary": ecs.DeploymentStrategy.CANARY,
    "linear": ecs.DeploymentStrategy.LINEAR,
}


@dataclass(frozen=True)
class DeploymentStrategy:
    """How traffic moves from the running version to a new one.

    Use a SAM preset name (``"Canary10Percent5Minutes"``, ...), or build one:

    - :meth:`all_at_once` - every request goes to the new version at once;
    - :meth:`canary` - ``percentage`` first, the rest after ``interval_minutes``;
    - :meth:`linear` - ``percentage`` more every ``interval_minutes``;
    - :meth:`rolling` - containers replaced in batches (ECS only);
    - :meth:`blue_green` - a full new fleet, switched after ``bake_minutes`` (ECS only).

    A strategy built directly (``DeploymentStrategy(kind=..., ...)``) is validated the same way
    as one from the factories.

    Attributes:
        kind: the strategy family.
        name: the SAM preset name, or a generated name for a custom strategy.
        percentage: traffic share per step (canary and linear, 1..99), else ``None``.
        interval_minutes: minutes between steps (canary and linear, 1..2880), else ``None``.
        bake_minutes: minutes a blue/green deployment waits before retiring the old fleet
            (0..1440), else ``None``.

    Raises:
        InvalidPropError: a field outside its bounds, or a field the kind does not use.
    """

    kind: StrategyKind
    name: str
    percentage: int | None = None
    interval_minutes: int | None = None
    bake_minutes: int | None = None

    #: The nine SAM ``DeploymentPreference`` types, by name.
    PRESET_NAMES: ClassVar[tuple[str, ...]]

    def __post_init__(self) -> None:
        owner = "DeploymentStrategy"
        kinds = get_args(StrategyKind)
        if self.kind not in kinds:
            raise InvalidPropError(
                owner, "kind", self.kind, f"allowed: one of {', '.join(map(repr, kinds))}"
            )
        if not isinstance(self.name, str) or not self.name:
            raise InvalidPropError(owner, "name", self.name, "allowed: a non-empty string")
        stepped = self.kind in ("canary", "linear")
        if stepped and (self.percentage is None or self.interval_minutes is None):
            raise InvalidPropError(
                owner,
                "percentage" if self.percentage is None else "interval_minutes",
                None,
                f"allowed: required for a {self.kind} strategy (use "
                f"DeploymentStrategy.{self.kind}(percentage, interval_minutes))",
            )
        if stepped:
            check_int_range(owner, "percentage", self.percentage, 1, 99, unit="percent")
            if isinstance(self.interval_minutes, float) and self.interval_minutes.is_integer():
                object.__setattr__(self, "interval_minutes", int(self.interval_minutes))
            if isinstance(self.interval_minutes, bool) or not isinstance(
                self.interval_minutes, int
            ):
                raise InvalidPropError(
                    owner,
                    "interval_minutes",
                    self.interval_minutes,
                    f"allowed: a whole number of minutes from {MIN_INTERVAL_MINUTES} to "
                    f"{MAX_INTERVAL_MINUTES}",
                )
            check_int_range(
                owner,
                "interval_minutes",
                self.interval_minutes,
                MIN_INTERVAL_MINUTES,
                MAX_INTERVAL_MINUTES,
                unit="minutes",
            )
        else:
            for prop, value in (
                ("percentage", self.percentage),
                ("interval_minutes", self.interval_minutes),
            ):
                if value is not None:
                    raise InvalidPropError(
                        owner, prop, value, f"allowed: only for canary and linear, not {self.kind}"
                    )
        if self.kind == "blue_green":
            check_int_range(owner, "bake_minutes", self.bake_minutes, 0, MAX_BAKE_MINUTES)
        elif self.bake_minutes is not None:
            raise InvalidPropError(
                owner, "bake_minutes", self.bake_minutes, "allowed: only for blue_green"
            )

    @property
    def is_preset(self) -> bool:
        """Whether this is one of the nine SAM presets (CodeDeploy predefined configs)."""
        return _PRESETS.get(self.name) == self

    # --------------------------------------------------------------- factories

    @staticmethod
    def all_at_once() -> DeploymentStrategy:
        """Shift all traffic at once (SAM ``AllAtOnce``)."""
        return DeploymentStrategy(kind="all_at_once", name="AllAtOnce")

    @staticmethod
    def canary(percentage: int, interval_minutes: int) -> DeploymentStrategy:
        """Shift ``percentage`` percent first, then the rest after ``interval_minutes``.

        Raises:
            InvalidPropError: percentage outside 1..99, or an interval that is not a whole
                number of minutes within CodeDeploy's 1..2880.
        """
        minutes = _whole_minutes(interval_minutes)
        return DeploymentStrategy(
            kind="canary",
            name=f"Canary{percentage}Percent{minutes}Minutes",
            percentage=percentage,
            interval_minutes=minutes,
        )

    @staticmethod
    def linear(percentage: int, interval_minutes: int) -> DeploymentStrategy:
        """Shift ``percentage`` percent more every ``interval_minutes``.

        Raises:
            InvalidPropError: percentage outside 1..99, or an interval that is not a whole
                number of minutes within CodeDeploy's 1..2880.
        """
        minutes = _whole_minutes(interval_minutes)
        suffix = "Minute" if minutes == 1 else "Minutes"
        return DeploymentStrategy(
            kind="linear",
            name=f"Linear{percentage}PercentEvery{minutes}{suffix}",
            percentage=percentage,
            interval_minutes=minutes,
        )

    @staticmethod
    def rolling() -> DeploymentStrategy:
        """Replace containers in batches behind the load balancer (ECS only)."""
        return DeploymentStrategy(kind="rolling", name="Rolling")

    @staticmethod
    def blue_green(bake_minutes: int = 5) -> DeploymentStrategy:
        """Start a full new fleet, switch all traffic, keep the old fleet ``bake_minutes``.

        ECS only. Raises:
            InvalidPropError: ``bake_minutes`` outside 0..1440.
        """
        return DeploymentStrategy(kind="blue_green", name="BlueGreen", bake_minutes=bake_minutes)

    @staticmethod
    def of(
        value: str | DeploymentStrategy, *, owner: str, prop: str = "deployment"
    ) -> DeploymentStrategy:
        """Accept a SAM preset name or a strategy; reject anything else with a clear error."""
        if isinstance(value, DeploymentStrategy):
            return value
        if isinstance(value, str) and value in _PRESETS:
            return _PRESETS[value]
        names = ", ".join(DeploymentStrategy.PRESET_NAMES)
        raise InvalidPropError(
            owner,
            prop,
            value,
            f"allowed: one of {names}, or DeploymentStrategy.canary()/linear()/all_at_once()",
        )

    # --------------------------------------------------------------- Lambda

    def check_lambda(self, owner: str, prop: str = "deployment") -> DeploymentStrategy:
        """Return ``self`` when CodeDeploy can run it for a Lambda alias.

        Raises:
            InvalidPropError: an ECS-only strategy, or more than 48 hours (CodeDeploy's limit)
                from the first to the last traffic shift.
        """
        if self.kind not in _LAMBDA_KINDS:
            raise InvalidPropError(
                owner,
                prop,
                self.name,
                "allowed for Lambda: a canary, linear or all-at-once strategy",
            )
        if self.kind == "all_at_once":
            return self
        assert self.percentage is not None
        assert self.interval_minutes is not None
        shifts = 1 if self.kind == "canary" else math.ceil(100 / self.percentage) - 1
        total = shifts * self.interval_minutes
        if total > MAX_INTERVAL_MINUTES:
            raise InvalidPropError(
                owner,
                prop,
                self.name,
                f"allowed: at most {MAX_INTERVAL_MINUTES} minutes (48 hours, CodeDeploy's limit) "
                f"from the first to the last traffic shift; this one takes {total}",
            )
        return self

    def lambda_deployment_config(self, scope: Construct) -> codedeploy.ILambdaDeploymentConfig:
        """The CodeDeploy deployment config for a Lambda deployment group in ``scope``.

        A preset is CodeDeploy's predefined config of the same name
        (``CodeDeployDefault.Lambda<name>``); a custom canary or linear strategy becomes a
        ``DeploymentConfig`` resource in ``scope`` (id ``DeploymentConfig``).
        """
        self.check_lambda(f"{type(scope).__name__} '{scope.node.id}'")
        if self.is_preset:
            return _predefined_lambda_config(self)
        assert self.percentage is not None
        assert self.interval_minutes is not None
        interval = cdk.Duration.minutes(self.interval_minutes)
        routing: codedeploy.TrafficRouting = (
            codedeploy.TrafficRouting.time_based_canary(
                interval=interval, percentage=self.percentage
            )
            if self.kind == "canary"
            else codedeploy.TrafficRouting.time_based_linear(
                interval=interval, percentage=self.percentage
            )
        )
        return codedeploy.LambdaDeploymentConfig(scope, "DeploymentConfig", traffic_routing=routing)

    # ------------------------------------------------------------------ ECS

    def check_ecs(self, owner: str, prop: str = "deployment") -> DeploymentStrategy:
        """Return ``self`` when ECS can run it natively for a service behind a load balancer.

        Raises:
            InvalidPropError: all at once (ECS needs a green fleet: use blue/green), linear
                steps below 3 percent, or steps longer than a day.
        """
        if self.kind == "all_at_once":
            raise InvalidPropError(
                owner,
                prop,
                self.name,
                "allowed for ECS: rolling, blue_green, canary or linear (ECS cannot shift all "
                "traffic at once without a green fleet: use DeploymentStrategy.blue_green())",
            )
        if self.kind == "linear" and (self.percentage or 0) < ECS_MIN_LINEAR_PERCENT:
            raise InvalidPropError(
                owner,
                prop,
                self.name,
                f"allowed for ECS linear: {ECS_MIN_LINEAR_PERCENT} to 99 percent per step",
            )
        if self.kind in ("canary", "linear") and (self.interval_minutes or 0) > (
            ECS_MAX_STEP_MINUTES
        ):
            raise InvalidPropError(
                owner,
                prop,
                self.name,
                f"allowed for ECS: steps of at most {ECS_MAX_STEP_MINUTES} minutes",
            )
        return self

    @property
    def shifts_traffic(self) -> bool:
        """Whether ECS moves traffic between two target groups (all but rolling)."""
        return self.kind != "rolling"

    def ecs_service_props(self) -> dict[str, Any]:
        """The ``ecs.FargateService`` keyword arguments that make ECS deploy this way."""
        self.check_ecs("DeploymentStrategy")
        shift = None
        if self.kind in ("canary", "linear"):
            shift = ecs.TrafficShiftConfig(
                step_percent=self.percentage,
                step_bake_time=cdk.Duration.minutes(self.interval_minutes or 1),
            )
        return {
            "deployment_strategy": _ECS_NATIVE[self.kind],
            "bake_time": (
                cdk.Duration.minutes(self.bake_minutes)
                if self.kind == "blue_green" and self.bake_minutes is not None
                else None
            ),
            "canary_configuration": shift if self.kind == "canary" else None,
            "linear_configuration": shift if self.kind == "linear" else None,
        }


def _whole_minutes(interval_minutes: object) -> Any:
    """``5.0`` -> ``5``; anything else is left for validation to judge."""
    if isinstance(interval_minutes, float) and interval_minutes.is_integer():
        return int(interval_minutes)
    return interval_minutes


def _predefined_lambda_config(strategy: DeploymentStrategy) -> codedeploy.ILambdaDeploymentConfig:
    """aws-cdk-lib's constant for a SAM preset, e.g. ``CANARY_10_PERCENT_5_MINUTES``."""
    if strategy.kind == "all_at_once":
        constant = "ALL_AT_ONCE"
    elif strategy.kind == "canary":
        constant = f"CANARY_{strategy.percentage}_PERCENT_{strategy.interval_minutes}_MINUTES"
    else:
        unit = "MINUTE" if strategy.interval_minutes == 1 else "MINUTES"
        constant = f"LINEAR_{strategy.percentage}_PERCENT_EVERY_{strategy.interval_minutes}_{unit}"
    config: codedeploy.ILambdaDeploymentConfig = getattr(
        codedeploy.LambdaDeploymentConfig, constant
    )
    return config


_PRESETS: dict[str, DeploymentStrategy] = {
    strategy.name: strategy
    for strategy in (
        DeploymentStrategy.canary(10, 5),
        DeploymentStrategy.canary(10, 10),
        DeploymentStrategy.canary(10, 15),
        DeploymentStrategy.canary(10, 30),
        DeploymentStrategy.linear(10, 1),
        DeploymentStrategy.linear(10, 2),
        DeploymentStrategy.linear(10, 3),
        DeploymentStrategy.linear(10, 10),
        DeploymentStrategy.all_at_once(),
    )
}
DeploymentStrategy.PRESET_NAMES = tuple(_PRESETS)
