"""Deployment strategies: one vocabulary for Lambda (CodeDeploy) and Fargate (ECS) deployments.

Every AWS SAM ``DeploymentPreference`` type is available by its SAM name, and custom canary or
linear strategies are built with :meth:`DeploymentStrategy.canary` /
:meth:`DeploymentStrategy.linear`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ._validation import InvalidPropError, check_int_range

__all__ = ["DeploymentStrategy", "StrategyKind"]

StrategyKind = Literal["all_at_once", "canary", "linear", "rolling", "blue_green"]

#: CodeDeploy's bounds for a time-based canary or linear interval, in minutes: at most 48 hours
#: between the first and the last traffic shift of a Lambda deployment (CodeDeploy quotas).
MIN_INTERVAL_MINUTES = 1
MAX_INTERVAL_MINUTES = 2880


@dataclass(frozen=True)
class DeploymentStrategy:
    """How traffic moves from the running version to a new one.

    Use a SAM preset name (``"Canary10Percent5Minutes"``, ...), or build one:

    - :meth:`all_at_once` - every request goes to the new version at once;
    - :meth:`canary` - ``percentage`` first, the rest after ``interval_minutes``;
    - :meth:`linear` - ``percentage`` more every ``interval_minutes``;
    - :meth:`rolling` - containers replaced in batches (ECS only);
    - :meth:`blue_green` - a full new fleet, switched after ``bake_minutes`` (ECS only).

    Attributes:
        kind: the strategy family.
        name: the SAM preset name, or a generated name for a custom strategy.
        percentage: traffic share per step (canary and linear), else ``None``.
        interval_minutes: minutes between steps (canary and linear), else ``None``.
        bake_minutes: minutes a blue/green deployment waits before retiring the old fleet.
    """

    kind: StrategyKind
    name: str
    percentage: int | None = None
    interval_minutes: int | None = None
    bake_minutes: int | None = None

    PRESET_NAMES: ClassVar[tuple[str, ...]] = (
        "Canary10Percent5Minutes",
        "Canary10Percent10Minutes",
        "Canary10Percent15Minutes",
        "Canary10Percent30Minutes",
        "Linear10PercentEvery1Minute",
        "Linear10PercentEvery2Minutes",
        "Linear10PercentEvery3Minutes",
        "Linear10PercentEvery10Minutes",
        "AllAtOnce",
    )

    @property
    def is_preset(self) -> bool:
        """Whether this is one of the nine SAM presets (CodeDeploy predefined configs)."""
        return self.name in self.PRESET_NAMES

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
        interval_minutes = _check_step("DeploymentStrategy.canary", percentage, interval_minutes)
        return DeploymentStrategy(
            kind="canary",
            name=f"Canary{percentage}Percent{interval_minutes}Minutes",
            percentage=percentage,
            interval_minutes=interval_minutes,
        )

    @staticmethod
    def linear(percentage: int, interval_minutes: int) -> DeploymentStrategy:
        """Shift ``percentage`` percent more every ``interval_minutes``.

        Raises:
            InvalidPropError: percentage outside 1..99, or an interval that is not a whole
                number of minutes within CodeDeploy's 1..2880.
        """
        interval_minutes = _check_step("DeploymentStrategy.linear", percentage, interval_minutes)
        suffix = "Minute" if interval_minutes == 1 else "Minutes"
        return DeploymentStrategy(
            kind="linear",
            name=f"Linear{percentage}PercentEvery{interval_minutes}{suffix}",
            percentage=percentage,
            interval_minutes=interval_minutes,
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
        check_int_range("DeploymentStrategy.blue_green", "bake_minutes", bake_minutes, 0, 1440)
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


def _check_step(owner: str, percentage: int, interval_minutes: object) -> int:
    """Validate a canary/linear step; return the interval as an int (``5.0`` -> ``5``)."""
    check_int_range(owner, "percentage", percentage, 1, 99, unit="percent")
    if isinstance(interval_minutes, float) and interval_minutes.is_integer():
        interval_minutes = int(interval_minutes)
    if isinstance(interval_minutes, bool) or not isinstance(interval_minutes, int):
        raise InvalidPropError(
            owner,
            "interval_minutes",
            interval_minutes,
            f"allowed: a whole number of minutes from {MIN_INTERVAL_MINUTES} to "
            f"{MAX_INTERVAL_MINUTES}",
        )
    check_int_range(
        owner,
        "interval_minutes",
        interval_minutes,
        MIN_INTERVAL_MINUTES,
        MAX_INTERVAL_MINUTES,
        unit="minutes",
    )
    return interval_minutes


_PRESETS: dict[str, DeploymentStrategy] = {
    "AllAtOnce": DeploymentStrategy.all_at_once(),
    **{
        f"Canary10Percent{minutes}Minutes": DeploymentStrategy.canary(10, minutes)
        for minutes in (5, 10, 15, 30)
    },
    **{
        DeploymentStrategy.linear(10, minutes).name: DeploymentStrategy.linear(10, minutes)
        for minutes in (1, 2, 3, 10)
    },
}
