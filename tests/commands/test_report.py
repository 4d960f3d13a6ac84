"""`python -m modern_app_constructs report`, against stubbed CloudFormation responses."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import Stubber

from modern_app_constructs import CONTRACT_VERSION, __version__
from modern_app_constructs._cli import main
from modern_app_constructs._report import version_key

WHEN = datetime(2026, 11, 1, tzinfo=timezone.utc)


def stack(name, status="UPDATE_COMPLETE", library=None, contract=None):
    tags = [{"Key": "team", "Value": "orders"}]
    if library is not None:
        tags.append({"Key": "modern-app-constructs:version", "Value": library})
    if contract is not None:
        tags.append({"Key": "modern-app-constructs:contract-version", "Value": contract})
    return {"StackName": name, "StackStatus": status, "CreationTime": WHEN, "Tags": tags}


@pytest.fixture
def client():
    cloudformation = boto3.client(
        "cloudformation",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(cloudformation) as stubber:
        yield cloudformation, stubber


def run(client, *args):
    out, err = io.StringIO(), io.StringIO()
    code = main(["report", *args], client=client, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_lists_stamped_stacks_across_pages_and_says_which_are_behind(client):
    cloudformation, stubber = client
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                stack("OrdersService", library="0.1.0", contract="1.0"),
                stack("Unrelated"),
            ],
            "NextToken": "page-2",
        },
        {},
    )
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                stack("OrdersPlatform", library=__version__, contract=CONTRACT_VERSION),
                stack("Gone", status="DELETE_COMPLETE", library="0.0.1", contract="0.9"),
                stack("Legacy", library="0.1.0"),
            ]
        },
        {"NextToken": "page-2"},
    )
    code, out, err = run(cloudformation)
    stubber.assert_no_pending_responses()
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["stack", "status", "library", "contract", "state"]
    rows = {line.split()[0]: line for line in lines[1:] if line and not line[0].isdigit()}
    assert set(rows) == {"Legacy", "OrdersPlatform", "OrdersService"}
    assert rows["OrdersService"].endswith("behind (library)")
    assert rows["OrdersPlatform"].endswith("current")
    assert "unknown" in rows["Legacy"]
    assert lines[-1].startswith(
        "3 stack(s) built with modern-app-constructs in eu-west-1, 2 behind"
    )
    assert lines[-1].endswith("1 other stack(s).")


def test_fail_if_behind_exits_1(client):
    cloudformation, stubber = client
    stubber.add_response(
        "describe_stacks", {"Stacks": [stack("Old", library="0.0.9", contract="1.0")]}, {}
    )
    assert run(cloudformation, "--fail-if-behind")[0] == 1


def test_a_newer_stack_is_not_behind(client):
    cloudformation, stubber = client
    stubber.add_response(
        "describe_stacks", {"Stacks": [stack("Ahead", library="99.0.0", contract="1.9")]}, {}
    )
    code, out, _ = run(cloudformation, "--fail-if-behind")
    assert code == 0
    assert "newer than this library" in out


def test_access_denied_is_a_clear_message_and_exit_2(client):
    cloudformation, stubber = client
    stubber.add_client_error(
        "describe_stacks",
        service_error_code="AccessDenied",
        service_message="User is not authorized to perform: cloudformation:DescribeStacks",
        http_status_code=403,
    )
    code, out, err = run(cloudformation)
    assert code == 2
    assert out == ""
    assert "AccessDenied" in err
    assert "cloudformation:DescribeStacks" in err


def test_no_stacks(client):
    cloudformation, stubber = client
    stubber.add_response("describe_stacks", {"Stacks": []}, {})
    code, out, _ = run(cloudformation)
    assert code == 0
    assert "0 stack(s) built with modern-app-constructs" in out


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("0.1.0", "0.2.0.dev0"),
        ("0.2.0.dev0", "0.2.0rc1"),
        ("0.2.0rc1", "0.2.0"),
        ("0.9.9", "0.10.0"),
        ("1.0", "1.1"),
        ("garbage", "0.0.1"),
    ],
)
def test_version_order(older, newer):
    assert version_key(older) < version_key(newer)


def test_the_module_runs_as_a_command():
    result = subprocess.run(
        [sys.executable, "-m", "modern_app_constructs", "report", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "--fail-if-behind" in result.stdout


def test_the_command_prints_no_node_end_of_life_banner_on_the_supported_node():
    """A user's shell has no JSII_SILENCE_... variable: the package sets it before aws_cdk loads."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key != "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
    }
    result = subprocess.run(
        [sys.executable, "-m", "modern_app_constructs", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert result.returncode == 0
    assert "end-of-life" not in result.stdout + result.stderr
    assert "COMMAND" in result.stdout
