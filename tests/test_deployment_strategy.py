"""DeploymentStrategy: presets by SAM name, custom canary/linear, and the bounds they enforce."""

from __future__ import annotations

import pytest

from modern_app_constructs import DeploymentStrategy


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
        (DeploymentStrategy.blue_green, (-1,), r"invalid bake_minutes=-1"),
    ],
)
def test_bad_steps(factory, args, match):
    with pytest.raises(ValueError, match=match):
        factory(*args)


def test_unknown_name():
    with pytest.raises(ValueError, match=r"invalid deployment='Fast'; allowed: one of Canary10"):
        DeploymentStrategy.of("Fast", owner="CanaryFunction 'x'")
