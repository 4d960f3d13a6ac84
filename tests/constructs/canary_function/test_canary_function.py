"""CanaryFunction: version + alias, deployment configs, generated alarms, rollback, hooks."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from modern_app_constructs import CanaryFunction, DeploymentStrategy, InvalidPropError, SmokeTest
from modern_app_constructs.testing import app_for_tests, assert_compliant
from tests.cdk_support import ServiceApp, logical_id, ref, role_statements, service_app

CODE = "def handler(event, context):\n    return {'statusCode': 200}\n"
SMOKE_EVENT = {"httpMethod": "POST", "headers": {"X-Dry-Run": "true"}, "body": "{}"}


@dataclass(frozen=True)
class Built:
    """A CanaryFunction ``Orders`` in the service stack of a :class:`ServiceApp`."""

    built: ServiceApp
    canary: CanaryFunction

    @property
    def stack(self) -> cdk.Stack:
        return self.built.stack

    def template(self) -> Template:
        return self.built.template()


def build(profile="dev", *, platform=True, code=CODE, cfn_lint=False, **kwargs) -> Built:
    built = service_app(profile, platform=platform, cfn_lint=cfn_lint)
    canary = CanaryFunction(
        built.stack,
        "Orders",
        code=lambda_.Code.from_inline(code),
        handler="index.handler",
        **kwargs,
    )
    return Built(built, canary)


def group_arn(canary):
    """The deployment group ARN exactly as CDK renders it."""
    return cdk.Stack.of(canary).resolve(canary.deployment_group.deployment_group_arn)


@dataclass(frozen=True)
class Synthesized:
    """A built CanaryFunction and its service template from one synthesis."""

    built: Built
    template: Template

    @property
    def canary(self) -> CanaryFunction:
        return self.built.canary

    @property
    def stack(self) -> cdk.Stack:
        return self.built.stack


def synthesized(**kwargs) -> Synthesized:
    built = build(**kwargs)
    return Synthesized(built, built.template())


def template_of(**kwargs) -> Template:
    return build(**kwargs).template()


@pytest.fixture(scope="module")
def prod_smoke() -> Synthesized:
    """Prod profile with the built-in smoke test, synthesized once behind the gates."""
    built = build("prod", smoke_test=SmokeTest(SMOKE_EVENT), cfn_lint=True)
    templates = built.built.gate()
    return Synthesized(built, Template.from_json(templates["Service"]))


@pytest.fixture(scope="module")
def dev_default() -> Synthesized:
    return synthesized()


def test_function_defaults(dev_default):
    template = dev_default.template
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Architectures": ["arm64"],
            "Runtime": "python3.14",
            "TracingConfig": {"Mode": "Active"},
            "LoggingConfig": Match.object_like({"LogFormat": "JSON"}),
            "Layers": [{"Fn::Sub": Match.string_like_regexp("AWSLambdaPowertoolsPythonV3")}],
        },
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"RetentionInDays": 30, "KmsKeyId": dev_default.built.built.key_arn_ref()},
    )


def test_role_has_no_wildcard_action(dev_default):
    template = dev_default.template
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            actions = actions if isinstance(actions, list) else [actions]
            assert "*" not in actions
            assert not any(action.endswith(":*") for action in actions)


def test_alias_update_policy_names_application_group_and_hooks(prod_smoke):
    template, canary = prod_smoke.template, prod_smoke.canary
    alias = template.find_resources("AWS::Lambda::Alias")
    (alias_resource,) = alias.values()
    assert alias_resource["Properties"]["Name"] == "live"
    update = alias_resource["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["ApplicationName"] == ref(canary.application)
    assert update["DeploymentGroupName"] == ref(canary.deployment_group)
    assert update["BeforeAllowTrafficHook"] == ref(canary.smoke_test_function)
    assert "AfterAllowTrafficHook" not in update


def test_alias_points_at_the_current_version(dev_default):
    template = dev_default.template
    template.has_resource_properties(
        "AWS::Lambda::Alias",
        {
            "FunctionVersion": {
                "Fn::GetAtt": [Match.string_like_regexp("CurrentVersion"), "Version"]
            }
        },
    )


@pytest.mark.parametrize(
    ("preset", "config_name"),
    [
        ("AllAtOnce", "CodeDeployDefault.LambdaAllAtOnce"),
        ("Canary10Percent5Minutes", "CodeDeployDefault.LambdaCanary10Percent5Minutes"),
        ("Canary10Percent10Minutes", "CodeDeployDefault.LambdaCanary10Percent10Minutes"),
        ("Canary10Percent15Minutes", "CodeDeployDefault.LambdaCanary10Percent15Minutes"),
        ("Canary10Percent30Minutes", "CodeDeployDefault.LambdaCanary10Percent30Minutes"),
        ("Linear10PercentEvery1Minute", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"),
        ("Linear10PercentEvery2Minutes", "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes"),
        ("Linear10PercentEvery3Minutes", "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes"),
        ("Linear10PercentEvery10Minutes", "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes"),
    ],
)
def test_every_sam_preset(preset, config_name):
    template = template_of(deployment=preset, platform=False)
    template.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"DeploymentConfigName": Match.string_like_regexp(config_name.replace(".", r"\."))},
    )


@pytest.mark.parametrize(
    ("strategy", "routing"),
    [
        (
            DeploymentStrategy.canary(25, 7),
            {
                "Type": "TimeBasedCanary",
                "TimeBasedCanary": {"CanaryInterval": 7, "CanaryPercentage": 25},
            },
        ),
        (
            DeploymentStrategy.linear(20, 4),
            {
                "Type": "TimeBasedLinear",
                "TimeBasedLinear": {"LinearInterval": 4, "LinearPercentage": 20},
            },
        ),
    ],
)
def test_custom_strategies(strategy, routing):
    template = template_of(deployment=strategy, platform=False)
    template.has_resource_properties(
        "AWS::CodeDeploy::DeploymentConfig",
        {"ComputePlatform": "Lambda", "TrafficRoutingConfig": routing},
    )
    template.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"DeploymentConfigName": {"Ref": Match.string_like_regexp("DeploymentConfig")}},
    )


def test_a_hand_built_strategy_reusing_a_preset_name_gets_its_own_config():
    strategy = DeploymentStrategy(
        kind="canary", name="Canary10Percent5Minutes", percentage=50, interval_minutes=2
    )
    template = template_of(deployment=strategy, platform=False)
    template.has_resource_properties(
        "AWS::CodeDeploy::DeploymentConfig",
        {
            "TrafficRoutingConfig": {
                "Type": "TimeBasedCanary",
                "TimeBasedCanary": {"CanaryInterval": 2, "CanaryPercentage": 50},
            }
        },
    )


def test_deployment_comes_from_the_profile(dev_default, prod_smoke):
    assert dev_default.canary.deployment.name == "AllAtOnce"
    assert prod_smoke.canary.deployment.name == "Canary10Percent5Minutes"
    prod_smoke.template.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"DeploymentConfigName": Match.string_like_regexp("LambdaCanary10Percent5Minutes")},
    )


def test_alarms_and_rollback_events(prod_smoke):
    template = prod_smoke.template
    template.resource_count_is("AWS::CloudWatch::Alarm", 4)
    group = template.find_resources("AWS::CodeDeploy::DeploymentGroup")
    (props,) = [g["Properties"] for g in group.values()]
    assert props["AlarmConfiguration"]["Enabled"] is True
    assert props["AlarmConfiguration"].get("IgnorePollAlarmFailure") in (None, False)
    assert len(props["AlarmConfiguration"]["Alarms"]) == 4
    assert sorted(props["AutoRollbackConfiguration"]["Events"]) == [
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_ALARM",
        "DEPLOYMENT_STOP_ON_REQUEST",
    ]
    assert props["AutoRollbackConfiguration"]["Enabled"] is True


def test_new_version_alarm_uses_executed_version(prod_smoke):
    template, canary = prod_smoke.template, prod_smoke.canary
    (version_id,) = template.find_resources("AWS::Lambda::Version")
    function_ref = ref(canary.function)
    alarm = template.find_resources(
        "AWS::CloudWatch::Alarm",
        {
            "Properties": {
                "Dimensions": Match.array_with(
                    [{"Name": "ExecutedVersion", "Value": Match.any_value()}]
                )
            }
        },
    )
    ((_, resource),) = alarm.items()
    props = resource["Properties"]
    assert (props["MetricName"], props["Namespace"], props["Statistic"]) == (
        "Errors",
        "AWS/Lambda",
        "Sum",
    )
    assert sorted(props["Dimensions"], key=lambda d: d["Name"]) == [
        {"Name": "ExecutedVersion", "Value": {"Fn::GetAtt": [version_id, "Version"]}},
        {"Name": "FunctionName", "Value": function_ref},
        {"Name": "Resource", "Value": {"Fn::Join": ["", [function_ref, ":live"]]}},
    ]


def test_generated_alarms_use_one_minute_periods_and_are_all_watched(prod_smoke):
    template, canary, stack = prod_smoke.template, prod_smoke.canary, prod_smoke.stack
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert sorted(a["Properties"]["MetricName"] for a in alarms.values()) == [
        "Duration",
        "Errors",
        "Errors",
        "Throttles",
    ]
    assert {a["Properties"]["Period"] for a in alarms.values()} == {60}
    (group,) = template.find_resources("AWS::CodeDeploy::DeploymentGroup").values()
    watched = [a["Name"]["Ref"] for a in group["Properties"]["AlarmConfiguration"]["Alarms"]]
    assert sorted(watched) == sorted(alarms)
    assert [stack.resolve(a.alarm_name) for a in canary.alarms] == [
        {"Ref": name} for name in watched
    ]


def test_duration_alarm_threshold_derived_and_overridable(dev_default):
    template = dev_default.template
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "Duration", "ExtendedStatistic": "p99", "Threshold": 24000, "Period": 60},
    )
    template2 = template_of(duration_alarm_threshold=cdk.Duration.seconds(2), platform=False)
    template2.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "Duration", "Threshold": 2000}
    )


def test_alarms_notify_the_platform_topic(dev_default):
    topic = dev_default.built.built.alarm_topic_ref()
    alarms = dev_default.template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 4
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [topic]


def test_standalone_alarms_have_no_actions():
    template = template_of(platform=False)
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        assert "AlarmActions" not in alarm["Properties"]


def test_user_alarms_are_watched_too():
    app = app_for_tests()
    stack = cdk.Stack(app, "S")
    extra = cloudwatch.Alarm(
        stack,
        "Business",
        metric=cloudwatch.Metric(namespace="Orders", metric_name="Failed"),
        threshold=1,
        evaluation_periods=1,
    )
    canary = CanaryFunction(
        stack, "F", code=lambda_.Code.from_inline(CODE), handler="index.handler", alarms=[extra]
    )
    assert len(canary.alarms) == 5
    assert canary.alarms[-1] is extra
    (group,) = (
        Template.from_stack(stack).find_resources("AWS::CodeDeploy::DeploymentGroup").values()
    )
    watched = group["Properties"]["AlarmConfiguration"]["Alarms"]
    assert len(watched) == 5
    assert {"Name": ref(extra)} in watched


def test_smoke_test_hook_invokes_only_the_new_version_and_reports_to_its_group(prod_smoke):
    template, canary, stack = prod_smoke.template, prod_smoke.canary, prod_smoke.stack
    hook_id = stack.resolve(stack.get_logical_id(canary.smoke_test_function.node.default_child))
    hook = template.find_resources("AWS::Lambda::Function")[hook_id]["Properties"]
    env = hook["Environment"]["Variables"]
    # The version's logical id gets its code hash appended at synth: read it from the template.
    (version_id,) = template.find_resources("AWS::Lambda::Version")
    version_ref = {"Ref": version_id}
    assert env["TARGET_VERSION_ARN"] == version_ref
    assert json.loads(env["SMOKE_TEST_EVENT"]) == SMOKE_EVENT
    assert "EXPECTED_STATUS_CODES" not in env
    assert hook["Handler"] == "smoke_test_hook.handler"
    assert hook["Architectures"] == ["arm64"]
    assert hook["TracingConfig"] == {"Mode": "Active"}
    assert hook["Timeout"] == 90
    statements = role_statements(template, canary.smoke_test_function)
    invoke = [s for s in statements if "lambda:InvokeFunction" in json.dumps(s["Action"])]
    assert invoke == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": version_ref}
    ]
    report = [s for s in statements if "codedeploy:" in json.dumps(s["Action"])]
    assert report == [
        {
            "Action": "codedeploy:PutLifecycleEventHookExecutionStatus",
            "Effect": "Allow",
            "Resource": group_arn(canary),
        }
    ]
    assert "deploymentgroup:" in json.dumps(report[0]["Resource"])


def test_smoke_test_expected_status_codes_reach_the_hook():
    template = template_of(
        platform=False, smoke_test=SmokeTest({"ping": True}, expected_status_codes=[200, 204])
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "smoke_test_hook.handler",
            "Environment": {
                "Variables": Match.object_like(
                    {"SMOKE_TEST_EVENT": '{"ping": true}', "EXPECTED_STATUS_CODES": "[200, 204]"}
                )
            },
        },
    )


@dataclass(frozen=True)
class UserHooks:
    """A CanaryFunction with the user's own pre- and post-traffic hooks."""

    template: Template
    stack: cdk.Stack
    canary: CanaryFunction
    pre: lambda_.Function
    post: lambda_.Function


@pytest.fixture(scope="module")
def user_hooks() -> UserHooks:
    app = app_for_tests()
    stack = cdk.Stack(app, "S")

    def hook(name):
        return lambda_.Function(
            stack,
            name,
            code=lambda_.Code.from_inline(CODE),
            handler="index.handler",
            runtime=lambda_.Runtime.PYTHON_3_14,
        )

    pre, post = hook("Pre"), hook("Post")
    canary = CanaryFunction(
        stack,
        "F",
        code=lambda_.Code.from_inline(CODE),
        handler="index.handler",
        pre_traffic_hook=pre,
        post_traffic_hook=post,
    )
    return UserHooks(Template.from_stack(stack), stack, canary, pre, post)


def test_user_hooks_are_wired(user_hooks):
    template, pre, post = user_hooks.template, user_hooks.pre, user_hooks.post
    alias = next(iter(template.find_resources("AWS::Lambda::Alias").values()))
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["BeforeAllowTrafficHook"] == ref(pre)
    assert update["AfterAllowTrafficHook"] == ref(post)


def test_user_hooks_may_report_only_to_this_deployment_group(user_hooks):
    template, canary = user_hooks.template, user_hooks.canary
    for hook in (user_hooks.pre, user_hooks.post):
        report = [
            s
            for s in role_statements(template, hook)
            if s["Action"] == "codedeploy:PutLifecycleEventHookExecutionStatus"
        ]
        assert report == [
            {
                "Action": "codedeploy:PutLifecycleEventHookExecutionStatus",
                "Effect": "Allow",
                "Resource": group_arn(canary),
            }
        ]


def test_deployment_role_invokes_only_the_hooks(user_hooks):
    (statement,) = role_statements(user_hooks.template, user_hooks.canary.deployment_group)
    assert statement["Action"] == "lambda:InvokeFunction"
    hooks = (user_hooks.pre, user_hooks.post)
    hook_arns = [user_hooks.stack.resolve(hook.function_arn) for hook in hooks]
    expected = [arn for h in hook_arns for arn in (h, {"Fn::Join": ["", [h, ":*"]]})]
    assert sorted(map(json.dumps, statement["Resource"])) == sorted(map(json.dumps, expected))


def test_break_glass_prop_and_context():
    template = template_of(ignore_alarms=True, platform=False)
    # The alarms stay listed: removing the switch restores the watch without other changes.
    template.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {
            "AlarmConfiguration": {
                "Enabled": False,
                "Alarms": Match.array_with([{"Name": Match.any_value()}]),
            },
            "AutoRollbackConfiguration": Match.object_like({"Enabled": True}),
        },
    )
    for switch in ("true", True):
        app = app_for_tests(**{"modern-app-constructs:ignoreAlarms": switch})
        stack = cdk.Stack(app, "S")
        CanaryFunction(stack, "F", code=lambda_.Code.from_inline(CODE), handler="index.handler")
        Template.from_stack(stack).has_resource_properties(
            "AWS::CodeDeploy::DeploymentGroup",
            {"AlarmConfiguration": Match.object_like({"Enabled": False})},
        )


def test_break_glass_is_off_unless_switched_on():
    app = app_for_tests(**{"modern-app-constructs:ignoreAlarms": "false"})
    stack = cdk.Stack(app, "S")
    CanaryFunction(stack, "F", code=lambda_.Code.from_inline(CODE), handler="index.handler")
    Template.from_stack(stack).has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"AlarmConfiguration": Match.object_like({"Enabled": True})},
    )


def version_ids(code, **kwargs):
    template = template_of(code=code, platform=False, **kwargs)
    versions = template.find_resources("AWS::Lambda::Version")
    alias = next(iter(template.find_resources("AWS::Lambda::Alias").values()))
    return set(versions), alias["Properties"]["FunctionVersion"]


def test_a_code_change_publishes_a_new_version():
    first_ids, first_ref = version_ids(CODE)
    second_ids, second_ref = version_ids(CODE + "# changed\n")
    assert first_ids
    assert second_ids
    assert first_ids != second_ids
    assert first_ref != second_ref
    assert version_ids(CODE) == (first_ids, first_ref)


def test_a_configuration_change_publishes_a_new_version():
    first_ids, first_ref = version_ids(CODE)
    second_ids, second_ref = version_ids(CODE, memory_size=512)
    assert first_ids != second_ids
    assert first_ref != second_ref


def test_exposes_alias_for_iam_and_metrics(dev_default):
    canary = dev_default.canary
    assert canary.alias.alias_name == "live"
    assert canary.metric_errors().statistic == "Sum"
    assert canary.metric_duration().statistic == "p99"
    assert canary.metric_invocations().metric_name == "Invocations"
    assert canary.metric_throttles().metric_name == "Throttles"
    assert isinstance(canary.alias, lambda_.FunctionBase)
    template = dev_default.template
    assert canary.alias.version.node.path == canary.version.node.path
    (version_id,) = template.find_resources("AWS::Lambda::Version")
    # the version's logical id gets its code hash appended at synthesis
    assert version_id.startswith(logical_id(canary.version))
    assert canary.deployment_group.application.node.path == canary.application.node.path
    template.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup", {"ApplicationName": ref(canary.application)}
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"LoggingConfig": Match.object_like({"LogGroup": ref(canary.log_group)})},
    )


def test_metrics_are_those_of_the_alias(dev_default):
    canary = dev_default.canary
    stack = cdk.Stack.of(canary)
    dimensions = stack.resolve(canary.metric_invocations().dimensions)
    assert dimensions == stack.resolve(
        {
            "FunctionName": canary.function.function_name,
            "Resource": f"{canary.function.function_name}:live",
        }
    )


def test_grant_invoke_is_on_the_alias():
    built = build(platform=False)
    stack, canary = built.stack, built.canary
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
    canary.grant_invoke(role)
    statements = role_statements(built.template(), role)
    assert statements == [
        {
            "Action": "lambda:InvokeFunction",
            "Effect": "Allow",
            "Resource": stack.resolve(canary.alias.function_arn),
        }
    ]


def test_alarms_can_be_added_later_up_to_the_limit():
    built = build(platform=False)
    stack, canary = built.stack, built.canary
    metric = cloudwatch.Metric(namespace="X", metric_name="Y")
    for i in range(6):
        canary.add_alarm(
            cloudwatch.Alarm(stack, f"Late{i}", metric=metric, threshold=1, evaluation_periods=1)
        )
    assert len(canary.alarms) == 10
    (group,) = built.template().find_resources("AWS::CodeDeploy::DeploymentGroup").values()
    assert len(group["Properties"]["AlarmConfiguration"]["Alarms"]) == 10
    extra = cloudwatch.Alarm(stack, "OneTooMany", metric=metric, threshold=1, evaluation_periods=1)
    with pytest.raises(InvalidPropError) as error:
        canary.add_alarm(extra)
    assert (error.value.prop, error.value.value) == ("alarms", "11 alarms")


@pytest.mark.parametrize(
    ("kwargs", "prop", "value"),
    [
        ({"deployment": "Canary50Percent"}, "deployment", "Canary50Percent"),
        ({"deployment": DeploymentStrategy.blue_green()}, "deployment", "BlueGreen"),
        ({"deployment": DeploymentStrategy.rolling()}, "deployment", "Rolling"),
        (
            {"deployment": DeploymentStrategy.linear(10, 400)},
            "deployment",
            "Linear10PercentEvery400Minutes",
        ),
        ({"timeout": cdk.Duration.minutes(16)}, "timeout", "16 minutes"),
        ({"alias_name": "123"}, "alias_name", "123"),
        ({"alias_name": "live!"}, "alias_name", "live!"),
        ({"alias_name": "x" * 129}, "alias_name", "x" * 129),
        ({"alias_name": ""}, "alias_name", ""),
        ({"memory_size": 64}, "memory_size", 64),
        (
            {"smoke_test": SmokeTest({}, expected_status_codes=[700])},
            "smoke_test.expected_status_codes",
            700,
        ),
        (
            {"smoke_test": SmokeTest({}, expected_status_codes=[200, 99])},
            "smoke_test.expected_status_codes",
            99,
        ),
        ({"timeout": cdk.Duration.millis(500)}, "timeout", "500 milliseconds"),
        (
            {"duration_alarm_threshold": cdk.Duration.minutes(5)},
            "duration_alarm_threshold",
            "5 minutes",
        ),
    ],
)
def test_bad_input(kwargs, prop, value):
    with pytest.raises(InvalidPropError) as error:
        build(platform=False, **kwargs)
    assert (error.value.prop, error.value.value) == (prop, value)


def test_a_smoke_test_event_must_be_json():
    event = {"when": object()}
    with pytest.raises(InvalidPropError) as error:
        build(platform=False, smoke_test=SmokeTest(event))
    assert (error.value.prop, error.value.value) == ("smoke_test.event", event)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"deployment": "Canary50Percent"},
            r"CanaryFunction 'Orders': invalid deployment='Canary50Percent'; allowed: one of",
        ),
        (
            {"deployment": DeploymentStrategy.linear(10, 400)},
            r"invalid deployment='Linear10PercentEvery400Minutes'; allowed: at most 2880 minutes"
            r" .*this one takes 3600",
        ),
        (
            {"timeout": cdk.Duration.minutes(16)},
            r"invalid timeout='16 minutes'; allowed: 1 second to 15 minutes",
        ),
    ],
)
def test_bad_input_messages(kwargs, match):
    with pytest.raises(InvalidPropError, match=match):
        build(platform=False, **kwargs)


def test_more_than_ten_alarms_in_total_is_rejected():
    stack = cdk.Stack(app_for_tests(), "S")
    metric = cloudwatch.Metric(namespace="X", metric_name="Y")
    extra = [
        cloudwatch.Alarm(stack, f"A{i}", metric=metric, threshold=1, evaluation_periods=1)
        for i in range(7)
    ]
    with pytest.raises(InvalidPropError, match=r"allowed: at most 6") as error:
        CanaryFunction(
            stack, "F", code=lambda_.Code.from_inline(CODE), handler="index.handler", alarms=extra
        )
    assert (error.value.prop, error.value.value) == ("alarms", "7 alarms")


def test_smoke_test_and_pre_traffic_hook_are_exclusive():
    stack = cdk.Stack(app_for_tests(), "S")
    pre = lambda_.Function(
        stack,
        "Pre",
        code=lambda_.Code.from_inline(CODE),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_14,
    )
    with pytest.raises(InvalidPropError, match=r"either smoke_test or pre_traffic_hook") as error:
        CanaryFunction(
            stack,
            "F",
            code=lambda_.Code.from_inline(CODE),
            handler="index.handler",
            smoke_test=SmokeTest({}),
            pre_traffic_hook=pre,
        )
    assert error.value.prop == "smoke_test"


def test_compliance_standalone():
    """The gated ``prod_smoke`` fixture covers the platform case."""
    built = build("prod", platform=False, smoke_test=SmokeTest(SMOKE_EVENT), cfn_lint=True)
    assert set(assert_compliant(built.built.app)) == {"Service"}


def test_snapshot_dev(dev_default, template_snapshot):
    assert dev_default.template == template_snapshot


def test_snapshot_prod_with_smoke_test(prod_smoke, template_snapshot):
    assert prod_smoke.template == template_snapshot


def test_powertools_layer_version_can_be_moved_by_context():
    app = app_for_tests(**{"modern-app-constructs:powertoolsLayerVersion": "31"})
    stack = cdk.Stack(app, "S")
    CanaryFunction(stack, "F", code=lambda_.Code.from_inline(CODE), handler="index.handler")
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function",
        {"Layers": [{"Fn::Sub": Match.string_like_regexp(r"python314-arm64:31$")}]},
    )


def test_the_powertools_layer_matches_the_architecture(dev_default):
    template = dev_default.template
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Architectures": ["arm64"],
            "Layers": [
                {
                    "Fn::Sub": Match.string_like_regexp(
                        r"AWSLambdaPowertoolsPythonV3-python314-arm64:27$"
                    )
                }
            ],
        },
    )


def test_function_overrides_reach_the_function():
    template = template_of(
        platform=False, function_overrides={"ephemeral_storage_size": cdk.Size.mebibytes(1024)}
    )
    template.has_resource_properties("AWS::Lambda::Function", {"EphemeralStorage": {"Size": 1024}})


def test_overriding_what_safety_owns_is_rejected_all_at_once():
    overrides = {"tracing": None, "role": None, "bogus": 1}
    with pytest.raises(
        InvalidPropError, match=r"invalid function_overrides=.*\['role', 'tracing'\]"
    ) as error:
        build(platform=False, function_overrides=overrides)
    assert (error.value.prop, error.value.value) == ("function_overrides", overrides)
    assert "unknown keys ['bogus']" in str(error.value)
