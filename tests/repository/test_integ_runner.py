"""``make integ`` (``scripts/integ.py``) without an AWS account: what it refuses and what it runs.

The deployments themselves need an account; here the CDK CLI and the caller's identity are
stubbed, so these tests check the decisions: no credentials or no bootstrap -> exit 2 with the
reason, only the test's own stacks are deployed, and they are destroyed whatever happened.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber

from scripts import integ

ACCOUNT, REGION = "123456789012", "eu-west-1"


def test_without_credentials_it_says_why_and_exits_2(monkeypatch, capsys):
    monkeypatch.setattr(integ, "caller", lambda: "no usable AWS credentials (none found)")
    monkeypatch.setattr(integ, "run", lambda *args: pytest.fail("nothing may be deployed"))
    assert integ.main([]) == 2
    error = capsys.readouterr().err
    assert "cannot run: no usable AWS credentials (none found)" in error
    assert "make integ-local" in error


def test_an_unknown_app_name_exits_2(monkeypatch, capsys):
    monkeypatch.setattr(integ, "caller", lambda: pytest.fail("no account needed to say so"))
    assert integ.main(["no_such_app"]) == 2
    assert "no integ app named no_such_app" in capsys.readouterr().err


@pytest.mark.parametrize(("outcomes", "code"), [((True,), 0), ((False,), 1)])
def test_runs_the_named_apps_and_exits_with_their_outcome(monkeypatch, outcomes, code):
    ran = []
    monkeypatch.setattr(integ, "caller", lambda: (ACCOUNT, REGION))
    monkeypatch.setattr(
        integ,
        "run",
        lambda app, account, region: ran.append((app.stem, account, region)) or all(outcomes),
    )
    assert integ.main(["decoupled_worker"]) == code
    assert ran == [("integ_decoupled_worker", ACCOUNT, REGION)]


def _session(monkeypatch, region, *, bootstrapped):
    """boto3 sessions whose STS and SSM answers are stubbed."""
    stubbers = []

    class Session:
        def __init__(self, region_name=None):
            self.region_name = region_name or region

        def client(self, service):
            client = botocore.session.get_session().create_client(
                service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
            )
            stubber = Stubber(client)
            if service == "sts":
                stubber.add_response(
                    "get_caller_identity",
                    {
                        "Account": ACCOUNT,
                        "Arn": "arn:aws:iam::123456789012:user/ci",
                        "UserId": "AID",
                    },
                )
            elif bootstrapped:
                stubber.add_response(
                    "get_parameter",
                    {"Parameter": {"Name": integ.BOOTSTRAP_PARAMETER, "Value": "30"}},
                    {"Name": integ.BOOTSTRAP_PARAMETER},
                )
            else:
                stubber.add_client_error("get_parameter", "ParameterNotFound")
            stubber.activate()
            stubbers.append(stubber)
            return client

    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setattr(boto3, "Session", Session)
    return stubbers


def test_the_caller_is_the_account_and_region_of_the_credentials(monkeypatch):
    stubbers = _session(monkeypatch, REGION, bootstrapped=True)
    assert integ.caller() == (ACCOUNT, REGION)
    for stubber in stubbers:
        stubber.assert_no_pending_responses()


def test_an_account_not_bootstrapped_is_refused_with_the_command_to_run(monkeypatch):
    _session(monkeypatch, REGION, bootstrapped=False)
    reason = integ.caller()
    assert reason == (
        f"account {ACCOUNT} is not CDK-bootstrapped in {REGION}: run `npx cdk bootstrap` once"
    )


def test_no_region_is_refused(monkeypatch):
    _session(monkeypatch, None, bootstrapped=True)
    assert integ.caller() == "no region configured (set AWS_REGION or a profile's region)"


@pytest.mark.parametrize("deploy_code", [0, 1])
def test_only_the_tests_stacks_are_deployed_and_always_destroyed(
    monkeypatch, tmp_path, deploy_code
):
    monkeypatch.setattr(integ, "OUT", tmp_path)
    app = integ.INTEG_DIR / "integ_sample_app.py"
    synthesized = []

    def synthesize(command, cwd, env, check):
        synthesized.append((command, env["CDK_INTEG_ACCOUNT"], env["CDK_INTEG_REGION"]))
        outdir = Path(env["CDK_OUTDIR"])
        outdir.mkdir(parents=True)
        case = {
            "stacks": ["OrdersPlatform", "OrdersService"],
            "assertionStack": "Integ/DefaultTest/DeployAssert",
            "assertionStackName": "IntegDefaultTestDeployAssert",
        }
        (outdir / "integ.json").write_text(json.dumps({"testCases": {"Integ/DefaultTest": case}}))

    calls = []
    monkeypatch.setattr(integ.subprocess, "run", synthesize)
    monkeypatch.setattr(
        integ,
        "cdk",
        lambda *args, env: calls.append(args) or (deploy_code if args[0] == "deploy" else 0),
    )
    assert integ.run(app, ACCOUNT, REGION) is (deploy_code == 0)
    assert synthesized[0][1:] == (ACCOUNT, REGION)
    selection = (
        "--app",
        str(tmp_path / "integ_sample_app"),
        "OrdersPlatform",
        "OrdersService",
        "Integ/DefaultTest/DeployAssert",
    )
    assert calls == [
        ("deploy", *selection, "--require-approval", "never"),
        ("destroy", *selection, "--force"),
    ]
