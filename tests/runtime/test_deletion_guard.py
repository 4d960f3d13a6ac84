"""The platform's deletion guard handler, against stubbed SSM and CloudFormation clients."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError
from botocore.stub import Stubber

from modern_app_constructs.runtime import deletion_guard

PATH = "/modern-app-constructs/platform/shop-prod/attachments"
STACK_ID = "arn:aws:cloudformation:eu-west-1:111122223333:stack/Platform/abc"
PROTECTED = {"VpcId": "vpc-1", "ClusterArn": "arn:cluster", "KeyArn": "arn:key"}


def event(request, **extra):
    properties = {"Environment": "shop-prod", "AttachmentsPath": PATH, "Protected": PROTECTED}
    base = {
        "RequestType": request,
        "ResponseURL": "https://cloudformation-custom-resource-response.example/x",
        "StackId": STACK_ID,
        "RequestId": "req-1",
        "LogicalResourceId": "EnvDeletionGuard",
        "PhysicalResourceId": "deletion-guard:shop-prod",
        "ResourceProperties": properties,
    }
    base.update(extra)
    return base


def parameter(stack):
    return {"Name": f"{PATH}/{stack}", "Type": "String", "Value": "{}", "Version": 1}


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    ssm = boto3.client("ssm", region_name="eu-west-1")
    cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
    with Stubber(ssm) as ssm_stub, Stubber(cloudformation) as cfn_stub:
        clients = {"ssm": ssm, "cloudformation": cloudformation}
        sent = []
        yield (
            ssm_stub,
            cfn_stub,
            lambda e: deletion_guard.handle(
                e, clients.__getitem__, lambda _e, outcome: sent.append(outcome)
            ),
            sent,
        )
        ssm_stub.assert_no_pending_responses()
        cfn_stub.assert_no_pending_responses()


def stack_status(cfn_stub, status):
    cfn_stub.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "Platform",
                    "StackStatus": status,
                    "CreationTime": "2026-11-01T00:00:00Z",
                }
            ]
        },
        {"StackName": STACK_ID},
    )


def by_path(ssm_stub, stacks, token=None, next_token=None):
    expected = {"Path": PATH, "Recursive": False, "WithDecryption": False}
    if token:
        expected["NextToken"] = token
    response = {"Parameters": [parameter(s) for s in stacks]}
    if next_token:
        response["NextToken"] = next_token
    ssm_stub.add_response("get_parameters_by_path", response, expected)


def test_delete_proceeds_without_registrations(aws):
    ssm_stub, cfn_stub, handle, sent = aws
    stack_status(cfn_stub, "DELETE_IN_PROGRESS")
    by_path(ssm_stub, [])
    outcome = handle(event("Delete"))
    assert outcome.status == "SUCCESS"
    assert sent == [outcome]
    assert outcome.physical_id == "deletion-guard:shop-prod"


def test_delete_fails_naming_every_registered_stack_across_pages(aws):
    ssm_stub, cfn_stub, handle, sent = aws
    stack_status(cfn_stub, "DELETE_IN_PROGRESS")
    by_path(ssm_stub, ["Orders"], next_token="p2")
    by_path(ssm_stub, ["Billing"], token="p2")
    outcome = handle(event("Delete"))
    assert outcome.status == "FAILED"
    assert "delete the platform environment 'shop-prod'" in outcome.reason
    assert "2 service stack(s)" in outcome.reason
    assert "Billing, Orders" in outcome.reason
    assert sent == [outcome]


def test_delete_during_rollback_of_its_own_creation_proceeds(aws):
    _, cfn_stub, handle, _ = aws
    stack_status(cfn_stub, "UPDATE_ROLLBACK_IN_PROGRESS")
    assert handle(event("Delete")).status == "SUCCESS"


def test_aws_error_is_reported_and_fails_closed(aws):
    ssm_stub, cfn_stub, handle, sent = aws
    stack_status(cfn_stub, "DELETE_IN_PROGRESS")
    ssm_stub.add_client_error(
        "get_parameters_by_path", "AccessDeniedException", "not authorized to perform"
    )
    outcome = handle(event("Delete"))
    assert outcome.status == "FAILED"
    assert "fails closed" in outcome.reason
    assert "AccessDeniedException" in outcome.reason
    assert sent == [outcome]


def test_a_network_timeout_fails_closed():
    def client(_service):
        raise ConnectTimeoutError(endpoint_url="https://ssm.eu-west-1.amazonaws.com")

    sent = []
    outcome = deletion_guard.handle(event("Delete"), client, lambda _e, o: sent.append(o))
    assert outcome.status == "FAILED"
    assert "ConnectTimeoutError" in outcome.reason
    assert sent == [outcome]


def test_a_malformed_event_fails_closed():
    sent = []
    outcome = deletion_guard.handle(
        {"RequestType": "Delete", "ResponseURL": "https://x", "LogicalResourceId": "G"},
        lambda _s: None,
        lambda _e, o: sent.append(o),
    )
    assert outcome.status == "FAILED"
    assert outcome.physical_id == "G"
    assert sent == [outcome]


def test_create_and_an_update_that_replaces_nothing_never_call_aws(aws):
    _, _, handle, _ = aws
    assert handle(event("Create", PhysicalResourceId=None)).status == "SUCCESS"
    old = {"Environment": "shop-prod", "AttachmentsPath": PATH, "Protected": PROTECTED}
    assert handle(event("Update", OldResourceProperties=old)).status == "SUCCESS"


def test_replacing_the_vpc_while_registered_fails_naming_it(aws):
    ssm_stub, _, handle, _ = aws
    by_path(ssm_stub, ["Orders"])
    old = {
        "Environment": "shop-prod",
        "AttachmentsPath": PATH,
        "Protected": {**PROTECTED, "VpcId": "vpc-old"},
    }
    outcome = handle(event("Update", OldResourceProperties=old))
    assert outcome.status == "FAILED"
    assert "replace VpcId of the platform environment 'shop-prod'" in outcome.reason
    assert "Orders" in outcome.reason


def test_renaming_the_environment_checks_the_old_name(aws):
    ssm_stub, _, handle, _ = aws
    old_path = "/modern-app-constructs/platform/shop-old/attachments"
    ssm_stub.add_response(
        "get_parameters_by_path",
        {"Parameters": []},
        {"Path": old_path, "Recursive": False, "WithDecryption": False},
    )
    old = {"Environment": "shop-old", "AttachmentsPath": old_path, "Protected": PROTECTED}
    assert handle(event("Update", OldResourceProperties=old)).status == "SUCCESS"


def test_the_answer_is_put_to_the_response_url_within_bounds(monkeypatch):
    seen = {}

    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b""

    def urlopen(request, timeout):
        seen.update(
            url=request.full_url, method=request.get_method(), timeout=timeout, body=request.data
        )
        return Answer()

    monkeypatch.setattr(deletion_guard.urllib.request, "urlopen", urlopen)
    outcome = deletion_guard.Outcome("FAILED", "x" * 10_000, "deletion-guard:shop-prod")
    deletion_guard.respond(event("Delete"), outcome)
    assert seen["method"] == "PUT"
    assert seen["timeout"] == deletion_guard.RESPONSE_TIMEOUT_S
    assert len(seen["body"]) < 4096
    assert b'"Status": "FAILED"' in seen["body"]


def test_clients_have_bounded_timeouts_and_retries():
    config = deletion_guard.CLIENT_CONFIG
    assert config.connect_timeout == 5
    assert config.read_timeout == 10
    assert config.retries == {"max_attempts": 3, "mode": "standard"}
