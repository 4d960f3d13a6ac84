"""`report --environment`: attached services across accounts, against stubbed SSM/CloudFormation."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import Stubber

from modern_app_constructs._cli import main
from modern_app_constructs._inventory import behind

ROOT = "/modern-app-constructs/platform/shop-prod"
WHEN = datetime(2026, 11, 1, tzinfo=timezone.utc)


def registration(stack, account, library, contract="1.0", service=None, owner="payments"):
    value = {
        "stack": stack,
        "service": service or stack.lower(),
        "owner": owner,
        "environment": "shop-prod",
        "library-version": library,
        "contract-version": contract,
        "account": account,
        "region": "eu-west-1",
    }
    return {
        "Name": f"{ROOT}/attachments/{stack}",
        "Type": "String",
        "Value": json.dumps(value),
        "Version": 1,
    }


class Account:
    """Stubbed SSM and CloudFormation clients of one account."""

    def __init__(self):
        self.ssm = boto3.client(
            "ssm", region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        self.cloudformation = boto3.client(
            "cloudformation",
            region_name="eu-west-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
        )
        self.ssm_stub = Stubber(self.ssm)
        self.cfn_stub = Stubber(self.cloudformation)
        self.ssm_stub.activate()
        self.cfn_stub.activate()

    def release(self, library="1.4.0", contract="1.0"):
        self.ssm_stub.add_response(
            "get_parameters",
            {
                "Parameters": [
                    {"Name": f"{ROOT}/library-version", "Type": "String", "Value": library},
                    {"Name": f"{ROOT}/contract-version", "Type": "String", "Value": contract},
                ],
            },
            {"Names": [f"{ROOT}/library-version", f"{ROOT}/contract-version"]},
        )

    def registrations(self, *pages):
        for index, page in enumerate(pages):
            expected = {"Path": f"{ROOT}/attachments", "Recursive": False}
            if index:
                expected["NextToken"] = f"page-{index}"
            response = {"Parameters": list(page)}
            if index + 1 < len(pages):
                response["NextToken"] = f"page-{index + 1}"
            self.ssm_stub.add_response("get_parameters_by_path", response, expected)

    def stack(self, name, exists=True):
        if exists:
            self.cfn_stub.add_response(
                "describe_stacks",
                {
                    "Stacks": [
                        {"StackName": name, "StackStatus": "UPDATE_COMPLETE", "CreationTime": WHEN}
                    ]
                },
                {"StackName": name},
            )
        else:
            self.cfn_stub.add_client_error(
                "describe_stacks",
                "ValidationError",
                f"Stack with id {name} does not exist",
                expected_params={"StackName": name},
            )

    def verify(self):
        self.ssm_stub.assert_no_pending_responses()
        self.cfn_stub.assert_no_pending_responses()


def run(accounts, *args):
    def clients(account, service):
        chosen = accounts[account]
        return chosen.ssm if service == "ssm" else chosen.cloudformation

    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["report", "--environment", "shop-prod", "--region", "eu-west-1", *args],
        clients=clients,
        out=out,
        err=err,
    )
    for account in accounts.values():
        account.verify()
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("version", "release", "state"),
    [
        ("0.9.3", "1.4.0", "behind major"),
        ("1.2.9", "1.4.0", "behind minor"),
        ("1.4.0.dev0", "1.4.2", "current"),
        ("1.5.0", "1.4.0", "newer"),
        ("garbage", "1.4.0", "unknown"),
    ],
)
def test_behind_compares_with_the_environment_release(version, release, state):
    assert behind(version, release) == state


def test_lists_registrations_across_pages_and_marks_who_is_behind_the_environment():
    one = Account()
    one.release("1.4.0")
    one.registrations(
        [registration("Orders", "111111111111", "1.4.1")],
        [registration("Billing", "111111111111", "1.2.0")],
    )
    one.stack("Orders")
    one.stack("Billing")
    code, out, _ = run({None: one})
    assert code == 0
    lines = out.splitlines()
    assert "environment 'shop-prod' at release 1.4.0, contract 1.0" in lines[0]
    billing = next(line for line in lines if line.startswith("Billing"))
    orders = next(line for line in lines if line.startswith("Orders"))
    assert billing.split()[-2:] == ["behind", "minor"]
    assert orders.split()[-1] == "current"
    assert "111111111111" in billing
    assert "payments" in billing
    assert "2 service stack(s) attached to 'shop-prod', 1 behind its release" in out


def test_fail_if_behind_exits_1():
    one = Account()
    one.release("2.0.0")
    one.registrations([registration("Orders", "111111111111", "1.9.0")])
    one.stack("Orders")
    code, out, _ = run({None: one}, "--fail-if-behind")
    assert code == 1
    assert "behind major" in out


def test_a_stack_gone_since_it_registered_is_marked_and_not_behind():
    one = Account()
    one.release("2.0.0")
    one.registrations([registration("Orders", "111111111111", "1.0.0")])
    one.stack("Orders", exists=False)
    code, out, _ = run({None: one}, "--fail-if-behind")
    assert code == 0
    assert "stack gone" in out
    assert "1 gone" in out


def test_two_accounts_in_one_run_as_json():
    one, two = Account(), Account()
    for account, number, library in (
        (one, "111111111111", "1.4.0"),
        (two, "222222222222", "1.3.0"),
    ):
        account.release("1.4.0")
        account.registrations([registration(f"Orders{number[0]}", number, library)])
        account.stack(f"Orders{number[0]}")
    code, out, _ = run(
        {"111111111111": one, "222222222222": two},
        "--accounts",
        "111111111111,222222222222",
        "--role-name",
        "PlatformReader",
        "--format",
        "json",
    )
    assert code == 0
    report = json.loads(out)
    assert report["environment"] == "shop-prod"
    assert [a["account"] for a in report["accounts"]] == ["111111111111", "222222222222"]
    states = {s["account"]: s["state"] for a in report["accounts"] for s in a["services"]}
    assert states == {"111111111111": "current", "222222222222": "behind minor"}


def test_access_denied_in_one_account_is_reported_and_the_rest_still_listed():
    one, two = Account(), Account()
    one.ssm_stub.add_client_error("get_parameters", "AccessDeniedException", "not authorized")
    two.release("1.4.0")
    two.registrations([registration("Orders", "222222222222", "1.4.0")])
    two.stack("Orders")
    code, out, err = run(
        {"111111111111": one, "222222222222": two},
        "--accounts",
        "111111111111,222222222222",
        "--role-name",
        "PlatformReader",
    )
    assert code == 2
    assert "account 111111111111, eu-west-1: cannot read (AccessDeniedException" in out
    assert "Orders" in out
    assert "1 account(s) unreadable" in out
    assert "111111111111: AccessDeniedException" in err


def test_accounts_without_a_role_name_are_refused():
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["report", "--environment", "shop-prod", "--accounts", "111111111111"], out=out, err=err
    )
    assert code == 2
    assert "--accounts needs --role-name" in err.getvalue()
