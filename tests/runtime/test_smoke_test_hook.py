"""The built-in pre-traffic smoke-test hook, against stubbed Lambda and CodeDeploy clients."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from modern_app_constructs.runtime import smoke_test_hook

TARGET = "arn:aws:lambda:eu-west-1:111122223333:function:orders-create:7"
EVENT = {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "exec-1"}


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "smoke-test")
    monkeypatch.setenv("TARGET_VERSION_ARN", TARGET)
    monkeypatch.setenv("SMOKE_TEST_EVENT", json.dumps({"httpMethod": "POST", "body": "{}"}))
    monkeypatch.delenv("EXPECTED_STATUS_CODES", raising=False)


@pytest.fixture
def clients():
    lambda_client = boto3.client("lambda")
    codedeploy_client = boto3.client("codedeploy")
    with Stubber(lambda_client) as lam, Stubber(codedeploy_client) as deploy:
        yield SimpleNamespace(
            lambda_client=lambda_client, codedeploy=codedeploy_client, lam=lam, deploy=deploy
        )
        lam.assert_no_pending_responses()
        deploy.assert_no_pending_responses()


def expect_invoke(clients, payload, function_error=None):
    response = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(payload).encode())}
    if function_error:
        response["FunctionError"] = function_error
    clients.lam.add_response(
        "invoke",
        response,
        {
            "FunctionName": TARGET,
            "InvocationType": "RequestResponse",
            "Payload": json.dumps({"httpMethod": "POST", "body": "{}"}).encode(),
        },
    )


def expect_report(clients, status):
    clients.deploy.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": "exec-1"},
        {
            "deploymentId": "d-ABCDEF123",
            "lifecycleEventHookExecutionId": "exec-1",
            "status": status,
        },
    )


def run(clients):
    return smoke_test_hook.handle(EVENT, clients.lambda_client, clients.codedeploy)


def test_success_reports_succeeded(clients):
    expect_invoke(clients, {"statusCode": 200, "body": "{}"})
    expect_report(clients, "Succeeded")
    assert run(clients) == "Succeeded"


def test_function_error_reports_failed(clients):
    expect_invoke(clients, {"errorMessage": "boom"}, function_error="Unhandled")
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"


def test_server_error_status_reports_failed(clients):
    expect_invoke(clients, {"statusCode": 500})
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"


def test_client_error_status_passes_without_expectation(clients):
    expect_invoke(clients, {"statusCode": 400})
    expect_report(clients, "Succeeded")
    assert run(clients) == "Succeeded"


@pytest.mark.parametrize(("status", "verdict"), [(200, "Failed"), (201, "Succeeded")])
def test_expected_status_codes_are_honoured(clients, monkeypatch, status, verdict):
    monkeypatch.setenv("EXPECTED_STATUS_CODES", "[201]")
    expect_invoke(clients, {"statusCode": status})
    expect_report(clients, verdict)
    assert run(clients) == verdict


def test_exception_while_invoking_reports_failed(clients):
    clients.lam.add_client_error("invoke", service_error_code="ServiceException")
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"


def test_timeout_while_invoking_reports_failed(clients, monkeypatch):
    def timeout(**_kwargs):
        raise ReadTimeoutError(endpoint_url="https://lambda")

    monkeypatch.setattr(clients.lambda_client, "invoke", timeout)
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"


def test_missing_target_reports_failed(clients, monkeypatch):
    monkeypatch.delenv("TARGET_VERSION_ARN")
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"


def test_exception_while_reporting_is_raised(clients):
    expect_invoke(clients, {"statusCode": 200})
    clients.deploy.add_client_error(
        "put_lifecycle_event_hook_execution_status", service_error_code="ThrottlingException"
    )
    with pytest.raises(Exception, match="ThrottlingException"):
        run(clients)


def test_event_without_ids_is_rejected(clients):
    with pytest.raises(ValueError, match="DeploymentId"):
        smoke_test_hook.handle({}, clients.lambda_client, clients.codedeploy)


def test_handler_builds_clients_with_a_bounded_read_timeout(monkeypatch):
    seen = {}

    def fake_handle(event, lambda_client, codedeploy_client):
        seen["read_timeout"] = lambda_client.meta.config.read_timeout
        return "Succeeded"

    monkeypatch.setattr(smoke_test_hook, "handle", fake_handle)
    context = SimpleNamespace(
        function_name="hook",
        memory_limit_in_mb=128,
        invoked_function_arn="arn:aws:lambda:eu-west-1:111122223333:function:hook",
        aws_request_id="req-1",
        get_remaining_time_in_millis=lambda: 70_000,
    )
    assert smoke_test_hook.handler(EVENT, context) == {"status": "Succeeded"}
    assert seen["read_timeout"] == 60
