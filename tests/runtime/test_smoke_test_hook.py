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
SMOKE_EVENT = {"httpMethod": "POST", "body": "{}"}
#: The hook of a CanaryFunction with a 30 s timeout runs for 90 s.
REMAINING_MS = 90_000


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "smoke-test")
    monkeypatch.setenv("TARGET_VERSION_ARN", TARGET)
    monkeypatch.setenv("SMOKE_TEST_EVENT", json.dumps(SMOKE_EVENT))
    monkeypatch.delenv("EXPECTED_STATUS_CODES", raising=False)


class FakeClock:
    """A monotonic clock that only moves when the hook sleeps (or a test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clients():
    lambda_client = boto3.client("lambda")
    codedeploy_client = boto3.client("codedeploy")
    configs: dict[str, list] = {"lambda": [], "codedeploy": []}

    def make_client(service, config):
        configs[service].append(config)
        return {"lambda": lambda_client, "codedeploy": codedeploy_client}[service]

    with Stubber(lambda_client) as lam, Stubber(codedeploy_client) as deploy:
        yield SimpleNamespace(
            lambda_client=lambda_client,
            codedeploy=codedeploy_client,
            lam=lam,
            deploy=deploy,
            make_client=make_client,
            configs=configs,
            clock=FakeClock(),
        )
        lam.assert_no_pending_responses()
        deploy.assert_no_pending_responses()


def expect_invoke(clients, payload, function_error=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = {"StatusCode": 200, "Payload": io.BytesIO(body)}
    if function_error:
        response["FunctionError"] = function_error
    clients.lam.add_response(
        "invoke",
        response,
        {
            "FunctionName": TARGET,
            "InvocationType": "RequestResponse",
            "Payload": json.dumps(SMOKE_EVENT).encode(),
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


def run(clients, remaining_ms=REMAINING_MS, event=EVENT):
    return smoke_test_hook.handle(
        event,
        remaining_ms,
        make_client=clients.make_client,
        clock=clients.clock,
        sleep=clients.clock.sleep,
    )


# ------------------------------------------------------------------ verdicts


def test_success_reports_succeeded(clients):
    expect_invoke(clients, {"statusCode": 200, "body": "{}"})
    expect_report(clients, "Succeeded")
    assert run(clients) == "Succeeded"


def test_response_without_status_code_passes_without_expectation(clients):
    expect_invoke(clients, {"processed": 1})
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


@pytest.mark.parametrize("status", ["500", "200", 200.0, True, None, [500]])
def test_status_code_that_is_not_an_integer_reports_failed(clients, status):
    expect_invoke(clients, {"statusCode": status})
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"


@pytest.mark.parametrize("status", ["201", 201.0])
def test_string_status_code_fails_even_when_expected(clients, monkeypatch, status):
    monkeypatch.setenv("EXPECTED_STATUS_CODES", "[201]")
    expect_invoke(clients, {"statusCode": status})
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"


@pytest.mark.parametrize(("status", "verdict"), [(200, "Failed"), (201, "Succeeded")])
def test_expected_status_codes_are_honoured(clients, monkeypatch, status, verdict):
    monkeypatch.setenv("EXPECTED_STATUS_CODES", "[201]")
    expect_invoke(clients, {"statusCode": status})
    expect_report(clients, verdict)
    assert run(clients) == verdict


def test_non_json_response_fails_when_a_status_is_expected(clients, monkeypatch):
    monkeypatch.setenv("EXPECTED_STATUS_CODES", "[200]")
    expect_invoke(clients, b"not json")
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"


# ------------------------------------------------------------ error paths


@pytest.mark.parametrize("value", ['["200"]', "[]", "{}", "not json"])
def test_malformed_expected_status_codes_report_failed(clients, monkeypatch, value):
    monkeypatch.setenv("EXPECTED_STATUS_CODES", value)
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"


def test_malformed_smoke_test_event_reports_failed(clients, monkeypatch):
    monkeypatch.setenv("SMOKE_TEST_EVENT", "{not json")
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"


def test_missing_target_reports_failed(clients, monkeypatch):
    monkeypatch.delenv("TARGET_VERSION_ARN")
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"


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


def test_a_lambda_client_that_cannot_be_built_reports_failed(clients):
    def make_client(service, config):
        if service == "lambda":
            raise RuntimeError("no credentials")
        return clients.make_client(service, config)

    expect_report(clients, "Failed")
    status = smoke_test_hook.handle(EVENT, REMAINING_MS, make_client=make_client)
    assert status == "Failed"


def test_no_time_left_reports_failed_without_invoking(clients):
    # less than the report's reserve plus one second to invoke
    remaining_ms = (smoke_test_hook.REPORT_RESERVE_S + smoke_test_hook.CONNECT_TIMEOUT_S) * 1000
    expect_report(clients, "Failed")
    assert run(clients, remaining_ms=remaining_ms) == "Failed"
    assert clients.configs["lambda"] == []


# ------------------------------------------------------------ throttling


def test_a_throttled_invoke_is_retried(clients):
    clients.lam.add_client_error(
        "invoke", service_error_code="TooManyRequestsException", http_status_code=429
    )
    expect_invoke(clients, {"statusCode": 200})
    expect_report(clients, "Succeeded")
    assert run(clients) == "Succeeded"
    assert clients.clock.sleeps == [1.0]
    # the second attempt's read timeout is what is left after the wait
    first, second = (config.read_timeout for config in clients.configs["lambda"])
    assert first - second == pytest.approx(1.0)


def test_throttling_that_outlasts_the_retries_reports_failed(clients):
    for _ in range(len(smoke_test_hook.INVOKE_THROTTLE_BACKOFF_S) + 1):
        clients.lam.add_client_error(
            "invoke", service_error_code="TooManyRequestsException", http_status_code=429
        )
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"
    assert clients.clock.sleeps == list(smoke_test_hook.INVOKE_THROTTLE_BACKOFF_S)


def test_a_throttle_is_not_retried_past_the_budget(clients):
    # 1 s of invoke budget: no room to wait and try again
    remaining_ms = int(
        (smoke_test_hook.REPORT_RESERVE_S + smoke_test_hook.CONNECT_TIMEOUT_S + 1.5) * 1000
    )
    clients.lam.add_client_error(
        "invoke", service_error_code="TooManyRequestsException", http_status_code=429
    )
    expect_report(clients, "Failed")
    assert run(clients, remaining_ms=remaining_ms) == "Failed"
    assert clients.clock.sleeps == []


def test_other_client_errors_are_not_retried(clients):
    clients.lam.add_client_error(
        "invoke", service_error_code="ResourceNotFoundException", http_status_code=404
    )
    expect_report(clients, "Failed")
    assert run(clients) == "Failed"
    assert clients.clock.sleeps == []


# ------------------------------------------------------------ reporting


def test_exception_while_reporting_is_raised(clients):
    expect_invoke(clients, {"statusCode": 200})
    clients.deploy.add_client_error(
        "put_lifecycle_event_hook_execution_status", service_error_code="ThrottlingException"
    )
    with pytest.raises(Exception, match="ThrottlingException"):
        run(clients)


def test_a_codedeploy_client_that_cannot_be_built_is_raised(clients):
    expect_invoke(clients, {"statusCode": 200})

    def make_client(service, config):
        if service == "codedeploy":
            raise RuntimeError("no endpoint")
        return clients.make_client(service, config)

    with pytest.raises(RuntimeError, match="no endpoint"):
        smoke_test_hook.handle(EVENT, REMAINING_MS, make_client=make_client)


@pytest.mark.parametrize("event", [{}, {"DeploymentId": "d-1"}, None, "text"])
def test_event_without_ids_is_rejected(clients, event):
    with pytest.raises(ValueError, match="DeploymentId"):
        run(clients, event=event)


# ------------------------------------------------------------ budgets


def test_every_client_has_bounded_timeouts_and_retries(clients):
    expect_invoke(clients, {"statusCode": 200})
    expect_report(clients, "Succeeded")
    run(clients)
    (invoke,) = clients.configs["lambda"]
    (report,) = clients.configs["codedeploy"]
    assert invoke.connect_timeout == smoke_test_hook.CONNECT_TIMEOUT_S
    assert invoke.retries == {"max_attempts": 0, "mode": "standard"}
    assert report.connect_timeout == smoke_test_hook.CONNECT_TIMEOUT_S
    assert report.read_timeout == smoke_test_hook.REPORT_READ_TIMEOUT_S
    assert report.retries == {"max_attempts": smoke_test_hook.REPORT_RETRIES, "mode": "standard"}
    # the invoke's worst case plus the report's worst case end before the hook's timeout
    invoke_worst = invoke.connect_timeout + invoke.read_timeout
    assert invoke_worst + smoke_test_hook.REPORT_RESERVE_S <= REMAINING_MS / 1000


def test_the_report_reserve_covers_every_attempt_and_backoff():
    attempts = smoke_test_hook.REPORT_RETRIES + 1
    per_attempt = smoke_test_hook.CONNECT_TIMEOUT_S + smoke_test_hook.REPORT_READ_TIMEOUT_S
    # botocore's standard mode waits at most 1 s, then 2 s, before the retries of a throttle
    backoff = sum(2**i for i in range(smoke_test_hook.REPORT_RETRIES))
    assert attempts * per_attempt + backoff <= smoke_test_hook.REPORT_RESERVE_S


def test_handler_budgets_from_the_remaining_time(monkeypatch):
    seen = {}

    def fake_handle(event, remaining_ms):
        seen["remaining_ms"] = remaining_ms
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
    assert seen["remaining_ms"] == 70_000


def test_default_client_factory_builds_real_clients_with_the_config():
    client = smoke_test_hook._boto3_client("codedeploy", smoke_test_hook.report_config())
    assert client.meta.config.read_timeout == smoke_test_hook.REPORT_READ_TIMEOUT_S
    assert client.meta.config.connect_timeout == smoke_test_hook.CONNECT_TIMEOUT_S
