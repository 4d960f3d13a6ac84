"""CanaryFunction deployed: the alias answers, and CodeDeploy shifts it to a second version.

The stack publishes version 1 behind the ``live`` alias. The test then publishes a second
version of the same function (a configuration change, as a code change would) and starts a
deployment of it through the construct's own CodeDeploy application and deployment group: a
10 % canary for one minute, the generated alarms watching, the built-in smoke test as the
pre-traffic hook (it invokes the version the stack published and reports to this deployment
group only). The deployment must succeed and leave the alias on the new version, which answers.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk.integ_tests_alpha import ExpectedResult, Match
from support import allow, app, integ_test

from modern_app_constructs import CanaryFunction, DeploymentStrategy, SmokeTest

HANDLER = """
import json
import os


def handler(event, context):
    version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
    return {"statusCode": 200, "body": json.dumps({"version": version})}
"""

integ_app = app()
stack = cdk.Stack(integ_app, "IntegCanaryFunction")
canary = CanaryFunction(
    stack,
    "Greeter",
    code=lambda_.Code.from_inline(HANDLER),
    handler="index.handler",
    timeout=cdk.Duration.seconds(10),
    deployment=DeploymentStrategy.canary(10, 1),
    smoke_test=SmokeTest({"httpMethod": "GET", "path": "/"}, expected_status_codes=[200]),
)
assert canary.smoke_test_function is not None
integ = integ_test(integ_app, "CanaryFunction", stack)
function_name = canary.function.function_name


def answers_200(version: str) -> ExpectedResult:
    return ExpectedResult.object_like(
        {
            "StatusCode": 200,
            "Payload": Match.serialized_json(
                Match.object_like({"statusCode": 200, "body": json.dumps({"version": version})})
            ),
        }
    )


first = integ.assertions.invoke_function(function_name=canary.alias.function_arn)
first.expect(answers_200("1"))

change = integ.assertions.aws_api_call(
    "Lambda",
    "updateFunctionConfiguration",
    {"FunctionName": function_name, "Description": "second version, deployed by the test"},
)
updated = integ.assertions.aws_api_call(
    "Lambda", "getFunctionConfiguration", {"FunctionName": function_name}
)
updated.expect(ExpectedResult.object_like({"LastUpdateStatus": "Successful"})).wait_for_assertions(
    total_timeout=cdk.Duration.minutes(2), interval=cdk.Duration.seconds(5)
)
publish = integ.assertions.aws_api_call("Lambda", "publishVersion", {"FunctionName": function_name})
new_version = publish.get_att_string("Version")

# The AppSpec CodeDeploy reads for a Lambda deployment; the runtime values (names, the new
# version) are tokens that CloudFormation fills in.
app_spec = json.dumps(
    {
        "version": 0.0,
        "Resources": [
            {
                "Greeter": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Name": function_name,
                        "Alias": canary.alias.alias_name,
                        "CurrentVersion": "1",
                        "TargetVersion": new_version,
                    },
                }
            }
        ],
        "Hooks": [{"BeforeAllowTraffic": canary.smoke_test_function.function_name}],
    }
)
deploy = integ.assertions.aws_api_call(
    "CodeDeploy",
    "createDeployment",
    {
        "applicationName": canary.application.application_name,
        "deploymentGroupName": canary.deployment_group.deployment_group_name,
        "revision": {
            "revisionType": "AppSpecContent",
            "appSpecContent": {"content": app_spec},
        },
    },
)
allow(
    deploy,
    [
        "codedeploy:GetDeploymentConfig",
        "codedeploy:GetApplicationRevision",
        "codedeploy:RegisterApplicationRevision",
        "codedeploy:GetApplication",
    ],
    ["*"],
)
succeeded = integ.assertions.aws_api_call(
    "CodeDeploy", "getDeployment", {"deploymentId": deploy.get_att_string("deploymentId")}
)
succeeded.expect(
    ExpectedResult.object_like({"deploymentInfo": Match.object_like({"status": "Succeeded"})})
).wait_for_assertions(total_timeout=cdk.Duration.minutes(15), interval=cdk.Duration.seconds(30))

alias = integ.assertions.aws_api_call(
    "Lambda", "getAlias", {"FunctionName": function_name, "Name": canary.alias.alias_name}
)
alias.expect(ExpectedResult.object_like({"FunctionVersion": new_version}))
second = integ.assertions.invoke_function(function_name=canary.alias.function_arn)
second.expect(answers_200(new_version))

first.next(change).next(updated).next(publish).next(deploy).next(succeeded).next(alias).next(second)

integ_app.synth()
