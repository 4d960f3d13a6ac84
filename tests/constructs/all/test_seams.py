"""The library's seams: the platform protocol, the monitoring protocol, typed route targets,
validation before construction, and an import graph without cycles."""

from __future__ import annotations

import ast
import inspect
import json
from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from constructs import Construct, IConstruct

import modern_app_constructs
from modern_app_constructs import (
    AlarmActions,
    ApiFrontDoor,
    Authorization,
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    IMonitorable,
    InvalidPropError,
    IPlatformEnvironment,
    MetricGraph,
    PlatformEnvironment,
    Profile,
    Route,
    ServiceDashboard,
    ServiceScaling,
    WorkerConsumer,
)
from modern_app_constructs._platform import StandaloneEnvironment, resolve_platform
from modern_app_constructs._validation import implements
from tests.cdk_support import add_platform, make_app

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")
ENV = cdk.Environment(region="eu-west-1")
PACKAGE = Path(modern_app_constructs.__file__).parent


# ------------------------------------------------------------------ platform protocol


class OwnEnvironment:
    """A platform environment this library did not create: plain attributes, no construct."""

    def __init__(self, scope: Construct) -> None:
        self.key = kms.Key(scope, "OwnKey", enable_key_rotation=True)
        self.alarm_topic = sns.Topic(scope, "OwnAlarms", master_key=self.key, enforce_ssl=True)
        self.vpc = ec2.Vpc(scope, "OwnVpc", max_azs=2, nat_gateways=1)
        self.cluster = ecs.Cluster(scope, "OwnCluster", vpc=self.vpc)
        self.profile = Profile.PROD
        self.log_retention = logs.RetentionDays.THREE_MONTHS
        self.tags: Mapping[str, str] = {"team": "own"}
        self.alarm_actions = AlarmActions.to_topic(self.alarm_topic)

    def apply_tags(self, scope: IConstruct) -> None:
        for name, value in self.tags.items():
            cdk.Tags.of(scope).add(name, value)


@pytest.fixture(scope="module")
def own():
    app = make_app()
    stack = cdk.Stack(app, "Own", env=ENV)
    environment = OwnEnvironment(stack)
    assert isinstance(environment, IPlatformEnvironment)
    canary = CanaryFunction(stack, "Fn", code=CODE, handler="index.handler", platform=environment)
    worker = DecoupledWorker(
        stack, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"), platform=environment
    )
    service = FargateService(stack, "Svc", image=IMAGE, platform=environment)
    api = ApiFrontDoor(stack, "Api", platform=environment)
    api.add_route("/fn", Route.function(canary))
    dashboard = ServiceDashboard(stack, "Dash", service_name="own", platform=environment)
    dashboard.add(canary, worker, service, api)
    return stack, environment, Template.from_stack(stack), canary, worker, service


def ref(stack: cdk.Stack, construct: IConstruct) -> dict:
    default = construct.node.default_child
    assert isinstance(default, cdk.CfnElement)
    return {"Ref": stack.resolve(stack.get_logical_id(default))}


def test_a_users_own_environment_serves_every_construct(own):
    stack, environment, template, canary, worker, service = own
    topic = ref(stack, environment.alarm_topic)
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 4 + 3 + 3 + 2
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [topic], alarm
    key_arn = stack.resolve(environment.key.key_arn)
    for group in template.find_resources("AWS::Logs::LogGroup").values():
        assert group["Properties"]["KmsKeyId"] == key_arn
        assert group["Properties"]["RetentionInDays"] == 90
    # nothing of an environment is created by the constructs themselves
    template.resource_count_is("AWS::KMS::Key", 1)
    template.resource_count_is("AWS::EC2::VPC", 1)
    template.resource_count_is("AWS::ECS::Cluster", 1)
    assert canary.deployment.name == "Canary10Percent5Minutes"  # the environment's prod profile
    assert worker.key is environment.key
    assert service.vpc is environment.vpc


def test_a_users_own_environment_tags_the_constructs(own):
    _, _, template, _, _, _ = own
    functions = {
        name: function
        for name, function in template.find_resources("AWS::Lambda::Function").items()
        if name.startswith(("Fn", "Worker"))  # the library's, not the VPC's custom resource
    }
    assert len(functions) == 2
    for function in functions.values():
        assert {"Key": "team", "Value": "own"} in function["Properties"]["Tags"]


def test_explicit_platform_wins_over_the_one_in_the_app():
    app = make_app()
    found = PlatformEnvironment(cdk.Stack(app, "P"), "Platform", team="t", application="a")
    stack = cdk.Stack(app, "S")
    environment = OwnEnvironment(stack)
    worker = DecoupledWorker(
        stack, "W", consumer=WorkerConsumer.code(CODE, "index.handler"), platform=environment
    )
    lookup = DecoupledWorker(stack, "L", consumer=WorkerConsumer.code(CODE, "index.handler"))
    assert worker.key is environment.key
    assert lookup.key is found.key


def test_alarm_actions_are_decided_once_on_the_environment():
    """A platform team routes every generated alarm elsewhere without touching a construct."""
    app = make_app()
    stack = cdk.Stack(app, "Routed", env=ENV)
    incidents = sns.Topic(stack, "Incidents", enforce_ssl=True)
    ops_item = cloudwatch_actions.SsmAction(
        cloudwatch_actions.OpsItemSeverity.HIGH, cloudwatch_actions.OpsItemCategory.AVAILABILITY
    )
    platform = PlatformEnvironment(
        stack,
        "Platform",
        team="t",
        application="a",
        alarm_actions=AlarmActions(
            on_alarm=[ops_item, cloudwatch_actions.SnsAction(incidents)], on_ok=[]
        ),
    )
    CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
    DecoupledWorker(stack, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"))
    api = ApiFrontDoor(stack, "Api")
    api.add_route("/jobs", Route.function(CanaryFunction(stack, "Jobs", code=CODE, handler="i.h")))
    alarms = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    incidents_ref = ref(stack, incidents)
    assert len(alarms) >= 8
    for alarm in alarms.values():
        ops, topic = alarm["Properties"]["AlarmActions"]
        assert ":ssm:" in json.dumps(ops), ops
        assert ":opsitem:2#CATEGORY=Availability" in json.dumps(ops), ops
        assert topic == incidents_ref, alarm
        assert "OKActions" not in alarm["Properties"]
    # the platform's own topic is still there, but nothing is routed to it
    assert platform.alarm_actions.on_ok == []


def test_the_default_alarm_actions_notify_the_topic_of_alarm_and_ok():
    stack = cdk.Stack(make_app(), "Default", env=ENV)
    platform = PlatformEnvironment(stack, "Platform", team="t", application="a")
    assert platform.alarm_actions.notifies_anyone
    DecoupledWorker(stack, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"))
    topic = ref(stack, platform.alarm_topic)
    for alarm in Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [topic]
        assert alarm["Properties"]["OKActions"] == [topic]


def test_alarm_actions_of_the_wrong_type_are_a_clear_error():
    with pytest.raises(InvalidPropError, match="on_alarm"):
        AlarmActions(on_alarm=["arn:aws:sns:eu-west-1:111111111111:incidents"])  # type: ignore[list-item]


def test_a_standalone_construct_gets_a_null_environment_not_none():
    """No platform anywhere: the constructs still receive an IPlatformEnvironment."""
    stack = cdk.Stack(make_app(profile="prod"), "Alone", env=ENV)
    standalone = resolve_platform(stack)
    assert isinstance(standalone, StandaloneEnvironment)
    # (isinstance with the protocol would evaluate the lazy vpc property: implements() does not)
    assert implements(standalone, IPlatformEnvironment)
    assert standalone.profile is Profile.PROD  # from the context, decided by Profile.resolve
    assert (standalone.key, standalone.alarm_topic, dict(standalone.tags)) == (None, None, {})
    assert not standalone.alarm_actions.notifies_anyone
    # a network is created only when a construct asks for one, beneath that construct
    service = FargateService(stack, "Svc", image=IMAGE)
    vpcs = Template.from_stack(stack).find_resources("AWS::EC2::VPC")
    assert [service.vpc.node.path] == ["Alone/Svc/Vpc"]
    assert len(vpcs) == 1


def test_platform_parameters_are_typed_with_the_protocol():
    for construct in (
        ApiFrontDoor,
        CanaryFunction,
        DecoupledWorker,
        FargateService,
        ServiceDashboard,
    ):
        annotation = inspect.signature(construct.__init__).parameters["platform"].annotation
        assert annotation == "IPlatformEnvironment | None", construct


# ---------------------------------------------------------------- monitoring protocol


class Reconciler(Construct):
    """A user's own construct with one metric, one alarm, and a dashboard row."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.alarm = cloudwatch.Alarm(
            self,
            "Lagging",
            metric=self.metric_lag(),
            threshold=100,
            evaluation_periods=1,
        )
        self.alarms = [self.alarm]

    def metric_lag(self, **props: object) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="Shop", metric_name="ReconcileLag", statistic="Maximum", **props
        )

    @property
    def dashboard_title(self) -> str:
        return "Reconciler"

    def dashboard_graphs(self, period: cdk.Duration) -> list[MetricGraph]:
        return [MetricGraph("Lag", [self.metric_lag(period=period)])]


def test_a_users_own_construct_joins_the_dashboard():
    stack = cdk.Stack(make_app(), "S")
    reconciler = Reconciler(stack, "Reconciler")
    assert isinstance(reconciler, IMonitorable)
    dashboard = ServiceDashboard(stack, "Dash", service_name="shop").add(reconciler)
    assert dashboard.alarms == [reconciler.alarm]
    template = Template.from_stack(stack).to_json()
    (body,) = [
        json.dumps(r["Properties"]["DashboardBody"])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    assert "## Reconciler" in body
    assert "ReconcileLag" in body
    alarm_id = stack.resolve(stack.get_logical_id(reconciler.alarm.node.default_child))
    assert alarm_id in body


def test_every_construct_is_monitorable_and_its_alarms_use_its_own_metrics(own):
    _, _, _, canary, worker, service = own
    for construct in (canary, worker, service):
        assert isinstance(construct, IMonitorable)
        graphs = construct.dashboard_graphs(cdk.Duration.minutes(5))
        assert graphs
        assert all(graph.left for graph in graphs)
    # the generated alarms watch exactly the metrics the construct exposes
    (alias_errors, new_version_errors, throttles, duration) = canary.alarms[:4]
    for alarm, metric in (
        (alias_errors, canary.metric_errors()),
        (new_version_errors, canary.metric_new_version_errors()),
        (throttles, canary.metric_throttles()),
        (duration, canary.metric_duration()),
    ):
        assert isinstance(alarm, cloudwatch.Alarm)
        stack = cdk.Stack.of(canary)
        assert alarm.metric.metric_name == metric.metric_name
        assert stack.resolve(alarm.metric.dimensions) == stack.resolve(metric.dimensions)


def test_dashboard_period_reaches_every_metric():
    stack = cdk.Stack(make_app(), "S")
    canary = CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
    ServiceDashboard(stack, "Dash", service_name="svc", period=cdk.Duration.minutes(5)).add(canary)
    template = Template.from_stack(stack).to_json()
    (body,) = [
        json.dumps(r["Properties"]["DashboardBody"])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    assert "'Sum', 300)" in body  # the canary-split search expression
    assert '\\"period\\":60' not in body


# ------------------------------------------------------------------------ typed seams


@pytest.fixture
def api_stack():
    """A standalone API: routes are checked before anything reads an environment."""
    stack = cdk.Stack(make_app(), "S", env=ENV)
    return stack, ApiFrontDoor(stack, "Api")


@pytest.fixture
def api_with_platform():
    """An API beside a platform, for routes to a FargateService (it runs in the platform)."""
    app = make_app()
    add_platform(app, ENV)
    stack = cdk.Stack(app, "S", env=ENV)
    return stack, ApiFrontDoor(stack, "Api")


@pytest.mark.parametrize(
    "target",
    [
        "arn:aws:lambda:eu-west-1:1:function:f",
        "https://sqs.eu-west-1.amazonaws.com/1/q",
        object(),
    ],
)
def test_route_targets_of_the_wrong_type_name_the_prop(api_stack, target):
    stack, api = api_stack
    before = len(api.node.find_all())
    with pytest.raises(TypeError) as raised:
        api.add_route("/x", target)
    assert isinstance(raised.value, InvalidPropError)
    assert raised.value.prop == "target"
    assert "ApiFrontDoor 'Api'" in str(raised.value)
    assert api.routes == []
    assert len(api.node.find_all()) == before


def test_imported_functions_and_queues_are_accepted_targets(api_stack):
    stack, api = api_stack
    function = lambda_.Function.from_function_arn(
        stack, "Imported", "arn:aws:lambda:eu-west-1:123456789012:function:f"
    )
    queue = sqs.Queue.from_queue_arn(stack, "Q", "arn:aws:sqs:eu-west-1:123456789012:q")
    api.add_route("/f", Route.function(function))
    api.add_route("/q", Route.queue(queue))
    assert api.routes == [("/f", "GET"), ("/q", "POST")]


def test_a_route_that_fails_validation_changes_nothing(api_stack):
    stack, api = api_stack
    canary = CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
    api.add_route("/orders", Route.function(canary), methods=("POST",))
    before = len(api.node.find_all())
    with pytest.raises(InvalidPropError) as raised:
        api.add_route("/orders/{id}", Route.function(canary), request_schema={"type": "array"})
    assert raised.value.prop == "request_schema"
    with pytest.raises(InvalidPropError) as raised:
        api.add_route("/other", Route.function(canary), methods=("GET", "FETCH"))
    assert raised.value.prop == "methods"
    assert api.routes == [("/orders", "POST")]
    assert len(api.node.find_all()) == before


def test_a_service_route_that_conflicts_creates_no_vpc_link(api_with_platform):
    stack, api = api_with_platform
    service = FargateService(stack, "Svc", image=IMAGE)
    canary = CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
    api.add_route("/catalog/{proxy+}", Route.function(canary))
    with pytest.raises(InvalidPropError) as raised:
        api.add_route("/catalog", Route.service(service))
    assert (raised.value.prop, raised.value.value) == ("methods", "GET /catalog/{proxy+}")
    assert api.routes == [("/catalog/{proxy+}", "GET")]
    Template.from_stack(stack).resource_count_is("AWS::ApiGatewayV2::VpcLink", 0)


def test_service_route_forwards_the_path_or_strips_the_prefix(api_with_platform):
    stack, api = api_with_platform
    service = FargateService(stack, "Svc", image=IMAGE)
    api.add_route("/catalog", Route.service(service))
    api.add_route("/stock", Route.service(service, strip_prefix=True), methods=("GET", "POST"))
    template = Template.from_stack(stack)
    uris = {
        (
            m["Properties"]["HttpMethod"],
            json.dumps(stack.resolve(m["Properties"]["Integration"]["Uri"])),
        )
        for m in template.find_resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["Integration"].get("ConnectionType") == "VPC_LINK"
    }
    assert {(method, uri.split('"')[-2].removeprefix(":80")) for method, uri in uris} == {
        ("GET", "/catalog"),
        ("GET", "/catalog/{proxy}"),
        ("GET", "/"),
        ("GET", "/{proxy}"),
        ("POST", "/"),
        ("POST", "/{proxy}"),
    }
    template.resource_count_is("AWS::ApiGatewayV2::VpcLink", 1)


def test_worker_consumer_of_the_wrong_type_names_the_prop():
    stack = cdk.Stack(make_app(), "S")
    with pytest.raises(TypeError) as raised:
        DecoupledWorker(stack, "W", consumer="arn:aws:lambda:eu-west-1:1:function:f")
    assert isinstance(raised.value, InvalidPropError)
    assert raised.value.prop == "consumer"


def test_no_any_in_the_typed_seams():
    for function, params in (
        (ApiFrontDoor.add_route, ("target", "authorization")),
        (Route.function, ("target",)),
        (Route.service, ("target",)),
        (Route.queue, ("target",)),
        (Authorization.token, ("function",)),
        (DecoupledWorker.__init__, ("consumer",)),
        (ServiceDashboard.add, ("components",)),
    ):
        signature = inspect.signature(function)
        for name in params:
            assert "Any" not in str(signature.parameters[name].annotation), (function, name)


# -------------------------------------------------------------------- validate first


def test_capacity_is_checked_before_the_environment_dependent_access_logs():
    stack = cdk.Stack(make_app(), "Agnostic")  # no region: access logs would be refused too
    with pytest.raises(InvalidPropError) as raised:
        FargateService(
            stack, "Svc", image=IMAGE, scaling=ServiceScaling(min_capacity=5, max_capacity=2)
        )
    assert raised.value.prop == "scaling.min_capacity"


@pytest.mark.parametrize(
    ("construct", "kwargs"),
    [
        (
            CanaryFunction,
            {"code": CODE, "handler": "index.handler", "function_overrides": {"tracing": None}},
        ),
        (
            DecoupledWorker,
            {"consumer": WorkerConsumer.code(CODE, "i.h", function_overrides={"role": None})},
        ),
        (
            DecoupledWorker,
            {"consumer": WorkerConsumer.code(CODE, "i.h"), "queue_overrides": {"fifo": True}},
        ),
        (
            DecoupledWorker,
            {"consumer": WorkerConsumer.container(IMAGE, cpu=256, memory_limit_mib=4096)},
        ),
        (FargateService, {"image": IMAGE, "service_overrides": {"cluster": None}}),
        (
            FargateService,
            {"image": IMAGE, "desired_count": 9, "scaling": ServiceScaling(max_capacity=4)},
        ),
        (ApiFrontDoor, {"rest_api_overrides": {"deploy": False}}),
    ],
)
def test_every_prop_error_is_raised_before_the_first_child(construct, kwargs):
    stack = cdk.Stack(make_app(), "S", env=ENV)
    with pytest.raises(InvalidPropError):
        construct(stack, "Subject", **kwargs)
    subject = stack.node.find_child("Subject")
    assert subject.node.children == []


# ------------------------------------------------------------------------ import graph


def _imports(path: Path) -> set[str]:
    """The package modules ``path`` imports at run time (``TYPE_CHECKING`` blocks left out)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    found = set()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
            found.add(target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE.name):
            found.add(node.module or "")
    return found


def test_no_import_cycle_among_the_package_modules():
    graph = {
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts): _imports(path)
        for path in PACKAGE.rglob("*.py")
    }
    graph = {
        name.removesuffix(".__init__"): {
            dep for dep in deps if dep in graph or f"{dep}.__init__" in graph
        }
        for name, deps in graph.items()
    }
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        assert name not in visiting, " -> ".join([*visiting[visiting.index(name) :], name])
        visiting.append(name)
        for dep in graph.get(name, ()):
            if dep != PACKAGE.name:  # the package's __init__ only re-exports
                visit(dep)
        visiting.pop()
        done.add(name)

    for name in graph:
        if name != PACKAGE.name:
            visit(name)


def test_helpers_never_import_a_construct():
    constructs = {"api_front_door", "canary_function", "decoupled_worker", "fargate_service"}
    constructs |= {"platform_environment", "service_dashboard"}
    for helper in ("_logs", "_lambda", "_alarms", "_platform", "_monitoring", "_fargate"):
        imported = {name.rsplit(".", 1)[-1] for name in _imports(PACKAGE / f"{helper}.py")}
        assert not imported & constructs, helper


def test_a_construct_in_a_stage_does_not_find_an_environment_outside_it():
    app = make_app()
    outside = PlatformEnvironment(cdk.Stack(app, "P"), "Platform", team="t", application="a")
    lonely = cdk.Stack(cdk.Stage(app, "Dev"), "Svc")
    worker = DecoupledWorker(lonely, "Lonely", consumer=WorkerConsumer.code(CODE, "index.handler"))
    assert worker.key is not outside.key  # standalone: a key of its own
    stack = cdk.Stack(cdk.Stage(app, "Prod"), "Svc")
    attached = PlatformEnvironment.from_published(stack, "Platform", name="shop-dev")
    found = DecoupledWorker(stack, "Attached", consumer=WorkerConsumer.code(CODE, "index.handler"))
    assert found.key is attached.key
    assert PlatformEnvironment.of(found) is attached


def test_an_environment_created_after_a_construct_that_looked_for_one_is_refused():
    """The order of construction does not decide what a construct attaches to."""
    app = make_app()
    stack = cdk.Stack(app, "Svc")
    DecoupledWorker(stack, "Early", consumer=WorkerConsumer.code(CODE, "index.handler"))
    with pytest.raises(
        ValueError,
        match=r"P/Platform: .*created after Svc/Early.*\(none: it "
        r"works standalone\).*pass platform= to Svc/Early",
    ):
        PlatformEnvironment(cdk.Stack(app, "P"), "Platform", team="t", application="a")


def test_a_second_environment_after_a_construct_found_the_first_is_refused():
    app = make_app()
    first = PlatformEnvironment(cdk.Stack(app, "P1"), "Platform", team="t", application="a")
    stack = cdk.Stack(app, "Svc")
    worker = DecoupledWorker(stack, "Early", consumer=WorkerConsumer.code(CODE, "index.handler"))
    assert worker.key is first.key
    with pytest.raises(ValueError, match=r"created after Svc/Early.*\(P1/Platform\).*several"):
        PlatformEnvironment(
            cdk.Stack(app, "P2"), "Platform", team="t", application="a", name="other"
        )
    # given explicitly, a construct is not held to what it would have found
    DecoupledWorker(
        stack, "Given", consumer=WorkerConsumer.code(CODE, "index.handler"), platform=first
    )
