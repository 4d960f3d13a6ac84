"""ServiceDashboard deployed: CloudWatch accepts the dashboard body the construct renders, and
it shows the worker's queue metrics and its generated alarms."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk.integ_tests_alpha import ExpectedResult, Match
from support import app, integ_test

from modern_app_constructs import DecoupledWorker, ServiceDashboard, WorkerConsumer

integ_app = app()
stack = cdk.Stack(integ_app, "IntegServiceDashboard")
worker = DecoupledWorker(
    stack,
    "Worker",
    consumer=WorkerConsumer.code(
        lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"), "index.handler"
    ),
)
dashboard = ServiceDashboard(stack, "Dashboard", service_name="integ-dashboard").add(worker)
integ = integ_test(integ_app, "ServiceDashboard", stack)

integ.assertions.aws_api_call(
    "CloudWatch", "getDashboard", {"DashboardName": dashboard.dashboard.dashboard_name}
).expect(
    ExpectedResult.object_like(
        {
            "DashboardBody": Match.string_like_regexp(
                "^(?=.*ApproximateAgeOfOldestMessage)(?=.*DeadLetterQueueNotEmpty)"
            )
        }
    )
)

integ_app.synth()
