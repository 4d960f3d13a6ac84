"""ServiceDashboard: a row per registered construct and one widget listing every alarm."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from modern_app_constructs import (
    CanaryFunction,
    DecoupledWorker,
    InvalidPropError,
    ServiceDashboard,
    WorkerConsumer,
)
from modern_app_constructs.testing import cdk_json_context
from tests.cdk_support import CDK_JSON, service_app

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")


def alarm_ids_in_dashboard(template: dict) -> set[str]:
    """Logical ids of the alarms the dashboard body references (by their ARNs)."""
    (dashboard,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    alarms = {
        name for name, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    return {name for name in alarms if f'"Fn::GetAtt": ["{name}", "Arn"]' in body}


def test_every_alarm_of_the_sample_is_on_its_dashboard(sample):
    template = sample.templates["OrdersService"]
    alarms = {
        name for name, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert len(alarms) >= 14
    assert alarm_ids_in_dashboard(template) == alarms


def test_sample_dashboard_has_a_row_per_construct(sample):
    template = sample.templates["OrdersService"]
    (dashboard,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in (
        "API orders",
        "Function CreateOrder",
        "Worker BulkIntake",
        "Worker Fulfilment",
        "Service Catalog",
    ):
        assert title in body
    for metric in (
        "5XXError",
        "Latency",
        "ApproximateAgeOfOldestMessage",
        "CPUUtilization",
        "HealthyHostCount",
        "ExecutedVersion",
    ):
        assert metric in body
    assert dashboard["Properties"]["DashboardName"] == f"orders-{sample.profile}"


@pytest.fixture
def stack() -> cdk.Stack:
    return service_app().stack


@pytest.fixture
def bare() -> cdk.Stack:
    """A stack without a platform: names and components are checked before it is read."""
    return service_app(platform=False).stack


def test_alarms_added_after_registration_are_listed(stack):
    dashboard = ServiceDashboard(stack, "Dashboard", service_name="svc")
    worker = DecoupledWorker(stack, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"))
    dashboard.add(worker)
    late = cloudwatch.Alarm(
        stack, "Late", metric=worker.metric_queue_depth(), threshold=100, evaluation_periods=1
    )
    dashboard.add_alarms(late, late)
    canary = CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
    dashboard.add(canary)
    template = Template.from_stack(stack).to_json()
    assert len(dashboard.alarms) == 3 + 1 + 4
    assert alarm_ids_in_dashboard(template) == {
        name for name, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"
    }


def test_plain_functions_are_accepted(stack):
    function = lambda_.Function(
        stack, "Plain", code=CODE, handler="index.handler", runtime=lambda_.Runtime.PYTHON_3_14
    )
    ServiceDashboard(stack, "Dashboard", service_name="svc").add(function)
    body = json.dumps(Template.from_stack(stack).to_json())
    assert "Function Plain" in body


def test_unknown_component_is_rejected(bare):
    with pytest.raises(
        TypeError, match=r"invalid components='nope'; expected IMonitorable or aws_lambda.IFunction"
    ) as raised:
        ServiceDashboard(bare, "Dashboard", service_name="svc").add("nope")
    assert isinstance(raised.value, InvalidPropError)
    assert raised.value.prop == "components"


@pytest.mark.parametrize(
    ("kwargs", "prop", "value"),
    [
        ({"service_name": ""}, "service_name", ""),
        ({"service_name": "orders service"}, "service_name", "orders service"),
        ({"service_name": "ok", "dashboard_name": "a/b"}, "dashboard_name", "a/b"),
    ],
)
def test_bad_names(bare, kwargs, prop, value):
    with pytest.raises(InvalidPropError) as error:
        ServiceDashboard(bare, "Dashboard", **kwargs)
    assert (error.value.prop, error.value.value) == (prop, value)


def test_bad_name_message(bare):
    with pytest.raises(
        InvalidPropError,
        match=r"ServiceDashboard 'Dashboard': invalid service_name='orders service'; "
        r"allowed: 1 to 255",
    ):
        ServiceDashboard(bare, "Dashboard", service_name="orders service")


# ------------------------------------------------------------------------ stable logical ids


ORDERS = {
    "base": ("worker", "canary", "own"),
    "reordered": ("canary", "own", "worker"),
    "added": ("worker", "canary", "plain", "own"),
    "removed": ("canary", "own"),
}


@pytest.fixture(scope="module")
def variants() -> dict[str, dict[str, Any]]:
    """The Service stack's resources per registration order (every component exists in every
    one). One app each (logical ids of some CDK resources carry the stack's path), standalone
    and without aws-cdk-lib's template validation: only the ids are compared."""
    templates = {}
    for variant, order in ORDERS.items():
        app = cdk.App(context=cdk_json_context(CDK_JSON), builtin_cloud_formation_validation=False)
        stack = cdk.Stack(app, "Service")
        dashboard = ServiceDashboard(stack, "Dashboard", service_name="svc")
        worker = DecoupledWorker(
            stack, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler")
        )
        canary = CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
        plain = lambda_.Function(
            stack, "Plain", code=CODE, handler="index.handler", runtime=lambda_.Runtime.PYTHON_3_14
        )
        own = cloudwatch.Alarm(
            stack,
            "Backlog",
            metric=worker.metric_queue_depth(),
            threshold=100,
            evaluation_periods=1,
        )
        components = {"worker": worker, "canary": canary, "plain": plain}
        for name in order:
            if name == "own":
                dashboard.add_alarms(own)
            else:
                dashboard.add(components[name])
        templates[variant] = Template.from_stack(stack).to_json()["Resources"]
    return templates


def test_logical_ids_stay_when_components_are_added_removed_or_reordered(variants):
    """The dashboard is one resource named by its construct id and ``add`` creates none: adding,
    removing or reordering a component or an alarm changes its body, never a logical id."""

    def ids(resources: dict[str, Any]) -> dict[str, str]:
        return {logical_id: resource["Type"] for logical_id, resource in resources.items()}

    def body(resources: dict[str, Any]) -> str:
        (dashboard,) = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
        return json.dumps(dashboard["Properties"]["DashboardBody"])

    base = variants["base"]
    (dashboard_id,) = [k for k, kind in ids(base).items() if kind == "AWS::CloudWatch::Dashboard"]
    assert dashboard_id.startswith("Dashboard")
    assert len([kind for kind in ids(base).values() if kind == "AWS::CloudWatch::Alarm"]) == 8
    for variant, resources in variants.items():
        if variant != "base":
            assert body(resources) != body(base), variant  # a different dashboard
            assert ids(resources) == ids(base), variant
