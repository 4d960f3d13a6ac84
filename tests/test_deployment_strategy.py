"""DeploymentStrategy: presets by SAM name, custom canary/linear, and the bounds they enforce."""

from __future__ import annotations

import pytest

from modern_app_constructs import DeploymentStrategy
from modern_app_constructs.deployment import MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES


def test_every_sam_preset_resolves_by_name():
    for name in DeploymentStrategy.PRESET_NAMES:
        strategy = DeploymentStrategy.of(name, owner="test")
        assert strategy.name == name
        assert strategy.is_preset


def test_presets_carry_their_steps():
    canary = DeploymentStrategy.of("Canary10Percent30Minutes", owner="t")
    assert (canary.kind, canary.percentage, canary.interval_minutes) == ("canary", 10, 30)
    linear = DeploymentStrategy.of("Linear10PercentEvery1Minute", owner="t")
    assert (linear.kind, linear.percentage, linear.interval_minutes) == ("linear", 10, 1)


def test_custom_strategies_get_sam_style_names():
    assert DeploymentStrategy.canary(25, 7).name == "Canary25Percent7Minutes"
    assert DeploymentStrategy.linear(20, 2.0).interval_minutes == 2
    assert not DeploymentStrategy.canary(25, 7).is_preset


def test_codedeploy_bounds_are_inclusive():
    # CodeDeploy quotas: at most 48 hours between the first and the last traffic shift.
    assert DeploymentStrategy.canary(1, 2880).interval_minutes == 2880
    assert DeploymentStrategy.linear(99, 1).percentage == 99
    assert (MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES) == (1, 48 * 60)


def test_instances_of_the_strategy_pass_through():
    strategy = DeploymentStrategy.linear(25, 3)
    assert DeploymentStrategy.of(strategy, owner="t") is strategy


@pytest.mark.parametrize(
    ("factory", "args", "match"),
    [
        (
            DeploymentStrategy.canary,
            (0, 5),
            r"invalid percentage=0; allowed: an integer from 1 to 99",
        ),
        (DeploymentStrategy.linear, (100, 5), r"invalid percentage=100"),
        (
            DeploymentStrategy.canary,
            (10, 2.5),
            r"invalid interval_minutes=2.5; allowed: a whole number",
        ),
        (DeploymentStrategy.linear, (10, 0), r"invalid interval_minutes=0"),
        (DeploymentStrategy.canary, (10, 2881), r"invalid interval_minutes=2881"),
        (DeploymentStrategy.linear, (10, True), r"invalid interval_minutes=True"),
        (DeploymentStrategy.canary, (10, "5"), r"invalid interval_minutes='5'"),
        (DeploymentStrategy.canary, (10.5, 5), r"invalid percentage=10.5"),
        (DeploymentStrategy.blue_green, (-1,), r"invalid bake_minutes=-1"),
    ],
)
def test_bad_steps(factory, args, match):
    with pytest.raises(ValueError, match=match):
        factory(*args)


@pytest.mark.parametrize("name", ["Fast", "canary10percent5minutes", "", None, 5])
def test_unknown_name(name):
    with pytest.raises(
        ValueError,
        match=rf"CanaryFunction 'x': invalid deployment={name!r}; allowed: one of Canary10",
    ):
        DeploymentStrategy.of(name, owner="CanaryFunction 'x'")
