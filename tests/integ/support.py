"""Shared pieces of the integ apps (``integ_*.py``); ``scripts/integ.py`` runs each on its own.

Every app builds its ``App`` with exactly cdk.json's context, like the unit tests and
``cdk synth`` do. Stacks carry no account (they go where the caller's credentials point) and,
where a construct needs a concrete region, the region ``scripts/integ.py`` passes in
``CDK_INTEG_REGION`` (cdk.json's ``region`` when synthesized for the snapshots). Assertions run
in the stack ``integ-tests-alpha`` adds (``DeployAssert``) through Lambda-backed custom
resources; where an API call needs more than the permission named after it (a KMS key, a
CodeDeploy revision), the test grants it to that assertion's provider.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `python tests/integ/integ_x.py` puts only tests/integ there
    sys.path.insert(0, str(ROOT))

import aws_cdk as cdk  # noqa: E402
from aws_cdk import aws_apigateway as apigateway  # noqa: E402
from aws_cdk import aws_kms as kms  # noqa: E402
from aws_cdk.integ_tests_alpha import ExpectedResult, IApiCall, IntegTest, Match  # noqa: E402

from modern_app_constructs.testing import app_for_tests  # noqa: E402

__all__ = [
    "ROOT",
    "allow",
    "app",
    "integ_test",
    "invoke_method",
    "region",
    "status_is",
    "use_key",
]


def app() -> cdk.App:
    """An App with cdk.json's context, writing where the runner says (``CDK_OUTDIR``).

    Read here rather than by the App: a jsii kernel started earlier in the same process (the
    snapshot tests) would not see the variable.
    """
    return app_for_tests(ROOT, outdir=os.environ.get("CDK_OUTDIR"))


def region(scope: cdk.App) -> str:
    """The region for stacks that need a concrete one (ALB access logs, the sample)."""
    return os.environ.get("CDK_INTEG_REGION") or str(scope.node.try_get_context("region"))


def integ_test(scope: cdk.App, name: str, *stacks: cdk.Stack) -> IntegTest:
    """The ``IntegTest`` of one app.

    The update workflow (deploy the committed snapshot, then the change) stays off: snapshots
    keep templates only, no asset copies, so there is nothing to deploy from them. Where the
    stacks under test have a concrete region, the assertions get a stack in that region too
    (references between stacks need one).
    """
    regions = {stack.region for stack in stacks if not cdk.Token.is_unresolved(stack.region)}
    assertion_stack = (
        cdk.Stack(scope, f"{name}Assertions", env=cdk.Environment(region=regions.pop()))
        if len(regions) == 1
        else None
    )
    return IntegTest(
        scope,
        name,
        test_cases=list(stacks),
        assertion_stack=assertion_stack,
        stack_update_workflow=False,
        diff_assets=False,
    )


def allow(call: IApiCall, actions: list[str], resources: list[str]) -> None:
    """Let the provider(s) behind ``call`` perform ``actions`` on ``resources`` as well.

    A waiting call (``wait_for_assertions``) runs in the waiter's provider, a plain one in
    ``provider``; call this after ``wait_for_assertions`` so both get the statement.
    """
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    call.provider.add_to_role_policy(statement)
    waiter = getattr(call, "waiter_provider", None)
    if waiter is not None:
        waiter.add_to_role_policy(statement)


def use_key(call: IApiCall, key: kms.IKey) -> None:
    """Let ``call`` read and write messages encrypted with ``key``."""
    allow(call, ["kms:Decrypt", "kms:GenerateDataKey"], [key.key_arn])


def invoke_method(
    integ: IntegTest,
    api: apigateway.RestApi,
    resource: apigateway.IResource,
    method: str,
    path: str,
    body: Any = None,
) -> IApiCall:
    """``TestInvokeMethod``: API Gateway runs the method's integration as a real request would.

    It bypasses the method's authorizer (the APIs here use IAM auth) but not the request
    validation, the integration or the mappings, so it proves a route end to end without
    signing. The body is sent as compact, sorted JSON.
    """
    parameters: dict[str, Any] = {
        "restApiId": api.rest_api_id,
        "resourceId": resource.resource_id,
        "httpMethod": method,
        "pathWithQueryString": path,
        "headers": {"Content-Type": "application/json"},
    }
    if body is not None:
        parameters["body"] = json.dumps(body, sort_keys=True, separators=(",", ":"))
    call = integ.assertions.aws_api_call("APIGateway", "testInvokeMethod", parameters)
    # API Gateway's IAM actions are HTTP verbs on the resource's path
    allow(
        call,
        ["apigateway:POST"],
        [f"arn:{cdk.Aws.PARTITION}:apigateway:{cdk.Aws.REGION}::/restapis/{api.rest_api_id}/*"],
    )
    return call


def status_is(call: IApiCall, status: int, body: Any = None) -> IApiCall:
    """Expect ``TestInvokeMethod`` to answer ``status`` (and a JSON body like ``body``)."""
    expected: dict[str, Any] = {"status": status}
    if body is not None:
        expected["body"] = Match.serialized_json(Match.object_like(body))
    call.expect(ExpectedResult.object_like(expected))
    return call
