"""CanaryFunction: version + alias, deployment configs, generated alarms, rollback, hooks."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from modern_app_constructs import CanaryFunction, DeploymentStrategy, PlatformEnvironment
from tests.cdk_support import make_app, normalize, synth_compliant

CODE = "def handler(event, context):\n    return {'statusCode': 200}\n"
SMOKE_EVENT = {"httpMethod": "POST", "headers": {"X-Dry-Run": "true"}, "body": "{}"}


def build(profile="dev", *, platform=True, code=CODE, **kwargs):
    app = make_app(profile=profile)
    stack = cdk.Stack(app, "Service")
    if platform:
        PlatformEnvironment(cdk.Stack(app, "Platform"), "Platform", team="t", application="a")
    canary = CanaryFunction(
        stack,
        "Orders",
        code=lambda_.Code.from_inline(code),
        handler="index.handler",
        **kwargs,
    )
    return app, stack, canary


def template_of(**kwargs):
    _, stack, canary = build(**kwargs)
    return Template.from_stack(stack), canary


@pytest.fixture(scope="module")
def prod_smoke():
    _, stack, canary = build("prod", smoke_test_event=SMOKE_EVENT)
    return Template.from_stack(stack), canary, stack


@pytest.fixture(scope="module")
def dev_default():
    return template_of()


def test_function_defaults(dev_default):
    template, _ = dev_default
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
        "AWS::Logs::LogGroup", {"RetentionInDays": 30, "KmsKeyId": Match.any_value()}
    )


def test_role_has_no_wildcard_action(dev_default):
    template, _ = dev_default
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            actions = actions if isinstance(actions, list) else [actions]
            assert "*" not in actions
            assert not any(action.endswith(":*") for action in actions)


def test_alias_update_policy_names_application_group_and_hooks(prod_smoke):
    template, canary, stack = prod_smoke
    alias = template.find_resources("AWS::Lambda::Alias")
    (alias_resource,) = alias.values()
    assert alias_resource["Properties"]["Name"] == "live"
    update = alias_resource["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["ApplicationName"] == {
        "Ref": stack.resolve(stack.get_logical_id(canary.application.node.default_child))
    }
    assert update["DeploymentGroupName"] == {
        "Ref": stack.resolve(stack.get_logical_id(canary.deployment_group.node.default_child))
    }
    assert update["BeforeAllowTrafficHook"] == {
        "Ref": stack.resolve(stack.get_logical_id(canary.smoke_test_function.node.default_child))
    }
    assert "AfterAllowTrafficHook" not in update


def test_alias_points_at_the_current_version(dev_default):
    template, _ = dev_default
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
    template, _ = template_of(deployment=preset, platform=False)
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
    template, _ = template_of(deployment=strategy, platform=False)
    template.has_resource_properties(
        "AWS::CodeDeploy::DeploymentConfig",
        {"ComputePlatform": "Lambda", "TrafficRoutingConfig": routing},
    )
    template.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"DeploymentConfigName": {"Ref": Match.string_like_regexp("DeploymentConfig")}},
    )


def test_deployment_comes_from_the_profile(dev_default, prod_smoke):
    assert dev_default[1].deployment.name == "AllAtOnce"
    assert prod_smoke[1].deployment.name == "Canary10Percent5Minutes"
    prod_smoke[0].has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"DeploymentConfigName": Match.string_like_regexp("LambdaCanary10Percent5Minutes")},
    )


def test_alarms_and_rollback_events(prod_smoke):
    template, canary, stack = prod_smoke
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
    template, _, _ = prod_smoke
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "Errors",
            "Period": 60,
            "Dimensions": Match.array_with(
                [
                    {
                        "Name": "ExecutedVersion",
                        "Value": {
                            "Fn::GetAtt": [Match.string_like_regexp("CurrentVersion"), "Version"]
                        },
                    }
                ]
            ),
        },
    )


def test_duration_alarm_threshold_derived_and_overridable(dev_default):
    template, _ = dev_default
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "Duration", "ExtendedStatistic": "p99", "Threshold": 24000, "Period": 60},
    )
    template2, _ = template_of(duration_alarm_threshold=cdk.Duration.seconds(2), platform=False)
    template2.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "Duration", "Threshold": 2000}
    )


def test_alarms_notify_the_platform_topic(dev_default):
    template, _ = dev_default
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "Throttles", "AlarmActions": [Match.any_value()]}
    )


def test_standalone_alarms_have_no_actions():
    template, _ = template_of(platform=False)
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        assert "AlarmActions" not in alarm["Properties"]


def test_user_alarms_are_watched_too():
    app, stack, _ = build(platform=False)
    extra = cloudwatch.Alarm(
        stack,
        "Business",
        metric=cloudwatch.Metric(namespace="Orders", metric_name="Failed"),
        threshold=1,
        evaluation_periods=1,
    )
    stack2 = cdk.Stack(app, "Other")
    canary = CanaryFunction(
        stack2, "F", code=lambda_.Code.from_inline(CODE), handler="index.handler", alarms=[extra]
    )
    assert len(canary.alarms) == 5


def test_smoke_test_hook_invokes_only_the_new_version_and_reports_to_its_group(prod_smoke):
    template, canary, stack = prod_smoke
    hook_id = stack.resolve(stack.get_logical_id(canary.smoke_test_function.node.default_child))
    hook = template.find_resources("AWS::Lambda::Function")[hook_id]["Properties"]
    env = hook["Environment"]["Variables"]
    assert (
        env["TARGET_VERSION_ARN"] == {"Ref": Match.any_value()}
        or "Ref" in env["TARGET_VERSION_ARN"]
    )
    assert hook["Handler"] == "smoke_test_hook.handler"
    policies = template.find_resources("AWS::IAM::Policy")
    statements = [
        s
        for p in policies.values()
        if any("SmokeTest" in r["Ref"] for r in p["Properties"]["Roles"])
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    invoke = [s for s in statements if s["Action"] == "lambda:InvokeFunction"]
    assert invoke
    assert all(s["Resource"] == env["TARGET_VERSION_ARN"] for s in invoke)
    report = [
        s for s in statements if s["Action"] == "codedeploy:PutLifecycleEventHookExecutionStatus"
    ]
    (report,) = report
    assert "DeploymentGroup" in str(report["Resource"])


def test_user_hooks_are_wired():
    app = make_app()
    stack = cdk.Stack(app, "S")
    pre = lambda_.Function(
        stack,
        "Pre",
        code=lambda_.Code.from_inline(CODE),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_14,
    )
    post = lambda_.Function(
        stack,
        "Post",
        code=lambda_.Code.from_inline(CODE),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_14,
    )
    CanaryFunction(
        stack,
        "F",
        code=lambda_.Code.from_inline(CODE),
        handler="index.handler",
        pre_traffic_hook=pre,
        post_traffic_hook=post,
    )
    alias = next(iter(Template.from_stack(stack).find_resources("AWS::Lambda::Alias").values()))
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["BeforeAllowTrafficHook"] == {
        "Ref": stack.resolve(stack.get_logical_id(pre.node.default_child))
    }
    assert update["AfterAllowTrafficHook"] == {
        "Ref": stack.resolve(stack.get_logical_id(post.node.default_child))
    }


def test_break_glass_prop_and_context():
    template, _ = template_of(ignore_alarms=True, platform=False)
    template.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"AlarmConfiguration": Match.object_like({"Enabled": False})},
    )
    app = make_app(**{"modern-app-constructs:ignoreAlarms": "true"})
    stack = cdk.Stack(app, "S")
    CanaryFunction(stack, "F", code=lambda_.Code.from_inline(CODE), handler="index.handler")
    Template.from_stack(stack).has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"AlarmConfiguration": Match.object_like({"Enabled": False})},
    )


def version_ids(code):
    template, _ = template_of(code=code, platform=False)
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


def test_exposes_alias_for_iam_and_metrics(dev_default):
    _, canary = dev_default
    assert canary.alias.alias_name == "live"
    assert canary.metric_errors().statistic == "Sum"
    assert canary.metric_duration().statistic == "p99"
    assert isinstance(canary.alias, lambda_.FunctionBase)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"deployment": "Canary50Percent"},
            r"invalid deployment='Canary50Percent'; allowed: one of",
        ),
        (
            {"deployment": DeploymentStrategy.blue_green()},
            r"invalid deployment='BlueGreen'; allowed for Lambda",
        ),
        (
            {"timeout": cdk.Duration.minutes(16)},
            r"invalid timeout='16 minutes'; allowed: 1 second to 15 minutes",
        ),
        ({"alias_name": "123"}, r"invalid alias_name='123'"),
        ({"alias_name": "live!"}, r"invalid alias_name='live!'"),
        ({"alias_name": "x" * 129}, r"invalid alias_name="),
        ({"memory_size": 64}, r"invalid memory_size=64; allowed: an integer from 128 to 10240"),
        ({"smoke_test_event": {"when": object()}}, r"invalid smoke_test_event=.*JSON-serialisable"),
        ({"smoke_test_expected_status_codes": [200]}, r"only together with smoke_test_event"),
        ({"smoke_test_event": {}, "smoke_test_expected_status_codes": [700]}, r"from 100 to 599"),
        (
            {"duration_alarm_threshold": cdk.Duration.minutes(5)},
            r"invalid duration_alarm_threshold",
        ),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(platform=False, **kwargs)


def test_more_than_ten_alarms_in_total_is_rejected():
    app = make_app()
    stack = cdk.Stack(app, "S")
    metric = cloudwatch.Metric(namespace="X", metric_name="Y")
    extra = [
        cloudwatch.Alarm(stack, f"A{i}", metric=metric, threshold=1, evaluation_periods=1)
        for i in range(7)
    ]
    with pytest.raises(ValueError, match=r"invalid alarms='7 alarms'; allowed: at most 6"):
        CanaryFunction(
            stack, "F", code=lambda_.Code.from_inline(CODE), handler="index.handler", alarms=extra
        )


def test_smoke_test_and_pre_traffic_hook_are_exclusive():
    app = make_app()
    stack = cdk.Stack(app, "S")
    pre = lambda_.Function(
        stack,
        "Pre",
        code=lambda_.Code.from_inline(CODE),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_14,
    )
    with pytest.raises(ValueError, match=r"either smoke_test_event or pre_traffic_hook"):
        CanaryFunction(
            stack,
            "F",
            code=lambda_.Code.from_inline(CODE),
            handler="index.handler",
            smoke_test_event={},
            pre_traffic_hook=pre,
        )


@pytest.mark.parametrize("platform", [True, False])
def test_compliance(platform):
    app, _, _ = build("prod", platform=platform, smoke_test_event=SMOKE_EVENT)
    synth_compliant(app)


def test_snapshot_dev(dev_default, snapshot_json):
    template, _ = dev_default
    assert normalize(template.to_json()) == snapshot_json


def test_snapshot_prod_with_smoke_test(prod_smoke, snapshot_json):
    template, _, _ = prod_smoke
    assert normalize(template.to_json()) == snapshot_json


def test_powertools_layer_version_can_be_moved_by_context():
    app = make_app(**{"modern-app-constructs:powertoolsLayerVersion": "31"})
    stack = cdk.Stack(app, "S")
    CanaryFunction(stack, "F", code=lambda_.Code.from_inline(CODE), handler="index.handler")
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function",
        {"Layers": [{"Fn::Sub": Match.string_like_regexp(r"python314-arm64:31$")}]},
    )


def test_the_powertools_layer_matches_the_architecture(dev_default):
    template, _ = dev_default
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
    template, _ = template_of(
        platform=False, function_overrides={"ephemeral_storage_size": cdk.Size.mebibytes(1024)}
    )
    template.has_resource_properties("AWS::Lambda::Function", {"EphemeralStorage": {"Size": 1024}})


def test_overriding_what_safety_owns_is_rejected_all_at_once():
    with pytest.raises(
        ValueError, match=r"invalid function_overrides=.*\['role', 'tracing'\]"
    ) as error:
        build(platform=False, function_overrides={"tracing": None, "role": None, "bogus": 1})
    assert "unknown keys ['bogus']" in str(error.value)
