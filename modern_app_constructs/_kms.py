"""Key-policy statements the library's customer-managed keys share.

Only AWS services acting for a resource of the account may create grants on the library's keys
(the AWS Control Tower proactive control CT.KMS.PR.3): a principal whose IAM policy allows
``kms:CreateGrant`` cannot hand the key to anyone else directly. The services the library uses
the keys with either need no grant (SNS, SQS, CloudWatch Logs and alarms go through key-policy
statements or their callers' IAM permissions) or create theirs as an AWS resource grant
(Lambda, for a function's environment variables: ``kms:GrantIsForAWSResource`` is true).
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

__all__ = ["DENY_DIRECT_GRANTS_SID", "deny_direct_grants"]

#: The ``Sid`` of the statement, as the key policy shows it.
DENY_DIRECT_GRANTS_SID = "DenyGrantsNotForAwsResources"


def deny_direct_grants(key: kms.IKey) -> None:
    """Deny ``kms:CreateGrant`` on ``key`` unless an AWS service creates it for a resource.

    The statement is written exactly as CT.KMS.PR.3 checks it: both condition keys under one
    ``BoolIfExists``, so the deny applies only when the grant is not for an AWS resource *and*
    the caller is not an AWS service.
    """
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=DENY_DIRECT_GRANTS_SID,
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={
                "BoolIfExists": {
                    "kms:GrantIsForAWSResource": "false",
                    "aws:PrincipalIsAWSService": "false",
                }
            },
        )
    )
