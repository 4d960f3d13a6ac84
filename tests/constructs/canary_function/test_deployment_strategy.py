"""DeploymentStrategy: presets by SAM name, custom canary/linear, and the bounds they enforce."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from aws_cdk import aws_ecs as ecs

import modern_app_constructs
from modern_app_constructs import DeploymentStrategy, InvalidPropError
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
    ("factory", "args", "prop", "value"),
    [
        (DeploymentStrategy.canary, (0, 5), "percentage", 0),
        (DeploymentStrategy.linear, (100, 5), "percentage", 100),
        (DeploymentStrategy.canary, (10, 2.5), "interval_minutes", 2.5),
        (DeploymentStrategy.linear, (10, 0), "interval_minutes", 0),
        (DeploymentStrategy.canary, (10, 2881), "interval_minutes", 2881),
        (DeploymentStrategy.linear, (10, True), "interval_minutes", True),
        (DeploymentStrategy.canary, (10, "5"), "interval_minutes", "5"),
        (DeploymentStrategy.canary, (10.5, 5), "percentage", 10.5),
        (DeploymentStrategy.blue_green, (-1,), "bake_minutes", -1),
    ],
)
def test_bad_steps(factory, args, prop, value):
    with pytest.raises(InvalidPropError) as error:
        factory(*args)
    assert (error.value.prop, error.value.value) == (prop, value)


def test_bad_step_message():
    with pytest.raises(
        InvalidPropError, match=r"invalid interval_minutes=2.5; allowed: a whole number"
    ):
        DeploymentStrategy.canary(10, 2.5)


@pytest.mark.parametrize("name", ["Fast", "canary10percent5minutes", "", None, 5])
def test_unknown_name(name):
    with pytest.raises(
        ValueError,
        match=rf"CanaryFunction 'x': invalid deployment={name!r}; allowed: one of Canary10",
    ):
        DeploymentStrategy.of(name, owner="CanaryFunction 'x'")


@pytest.mark.parametrize(
    ("fields", "prop", "value"),
    [
        ({"kind": "canary", "percentage": 150, "interval_minutes": 5}, "percentage", 150),
        ({"kind": "linear", "percentage": 10, "interval_minutes": 0}, "interval_minutes", 0),
        ({"kind": "canary"}, "percentage", None),
        ({"kind": "linear", "percentage": 10}, "interval_minutes", None),
        ({"kind": "canary", "percentage": 10, "interval_minutes": 2.5}, "interval_minutes", 2.5),
        ({"kind": "rolling", "percentage": 10}, "percentage", 10),
        ({"kind": "all_at_once", "interval_minutes": 5}, "interval_minutes", 5),
        ({"kind": "blue_green", "bake_minutes": 1441}, "bake_minutes", 1441),
        (
            {"kind": "canary", "percentage": 10, "interval_minutes": 5, "bake_minutes": 3},
            "bake_minutes",
            3,
        ),
        ({"kind": "sideways"}, "kind", "sideways"),
    ],
)
def test_a_hand_built_strategy_validates_itself(fields, prop, value):
    with pytest.raises(InvalidPropError) as raised:
        DeploymentStrategy(name="Handmade", **fields)
    assert (raised.value.owner, raised.value.prop, raised.value.value) == (
        "DeploymentStrategy",
        prop,
        value,
    )


def test_a_hand_built_strategy_with_whole_float_minutes_is_normalised():
    strategy = DeploymentStrategy(
        kind="linear", name="Handmade", percentage=10, interval_minutes=4.0
    )
    assert strategy.interval_minutes == 4
    assert isinstance(strategy.interval_minutes, int)


def test_a_hand_built_strategy_reusing_a_preset_name_is_not_the_preset():
    handmade = DeploymentStrategy(
        kind="canary", name="Canary10Percent5Minutes", percentage=50, interval_minutes=2
    )
    assert not handmade.is_preset
    assert DeploymentStrategy.of("Canary10Percent5Minutes", owner="t").is_preset


def _code_strings(source: str) -> set[str]:
    """String constants of a module's code, docstrings left out."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }


def test_preset_names_are_listed_once_in_the_library():
    # One vocabulary: no module but deployment.py spells a SAM preset name in its code.
    package = Path(modern_app_constructs.__file__).parent
    presets = set(DeploymentStrategy.PRESET_NAMES)
    spelled = {
        path.relative_to(package).as_posix(): sorted(_code_strings(path.read_text()) & presets)
        for path in package.rglob("*.py")
        if path.name != "deployment.py"
    }
    assert not {name: found for name, found in spelled.items() if found}


@pytest.mark.parametrize(
    ("strategy", "prop_value"),
    [
        (DeploymentStrategy.blue_green(), "BlueGreen"),
        (DeploymentStrategy.rolling(), "Rolling"),
        (DeploymentStrategy.linear(10, 400), "Linear10PercentEvery400Minutes"),
    ],
)
def test_strategies_lambda_cannot_run_are_rejected_for_lambda(strategy, prop_value):
    with pytest.raises(InvalidPropError) as raised:
        strategy.check_lambda("CanaryFunction 'x'")
    assert (raised.value.prop, raised.value.value) == ("deployment", prop_value)


@pytest.mark.parametrize(
    ("strategy", "prop_value"),
    [
        (DeploymentStrategy.all_at_once(), "AllAtOnce"),
        (DeploymentStrategy.linear(2, 5), "Linear2PercentEvery5Minutes"),
        (DeploymentStrategy.canary(10, 1441), "Canary10Percent1441Minutes"),
    ],
)
def test_strategies_ecs_cannot_run_are_rejected_for_ecs(strategy, prop_value):
    with pytest.raises(InvalidPropError) as raised:
        strategy.check_ecs("FargateService 'x'")
    assert (raised.value.prop, raised.value.value) == ("deployment", prop_value)


def test_ecs_rendering():
    canary = DeploymentStrategy.canary(20, 3).ecs_service_props()
    assert canary["deployment_strategy"] == ecs.DeploymentStrategy.CANARY
    assert canary["canary_configuration"].step_percent == 20
    assert canary["canary_configuration"].step_bake_time.to_minutes() == 3
    assert canary["linear_configuration"] is None
    blue_green = DeploymentStrategy.blue_green(7).ecs_service_props()
    assert blue_green["deployment_strategy"] == ecs.DeploymentStrategy.BLUE_GREEN
    assert blue_green["bake_time"].to_minutes() == 7
    rolling = DeploymentStrategy.rolling().ecs_service_props()
    assert rolling["deployment_strategy"] == ecs.DeploymentStrategy.ROLLING
    assert (rolling["bake_time"], rolling["canary_configuration"]) == (None, None)
