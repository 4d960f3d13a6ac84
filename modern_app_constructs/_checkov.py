"""Skipping checkov checks on the resource they do not apply to, with the reason.

checkov reads ``Metadata: checkov: skip: [{id, comment}]`` on each CloudFormation resource.
The construct that owns a resource records there why a check does not apply, next to the code
that makes it so, exactly like a cdk-nag acknowledgment (``_nag.py``); the comment is what a
reviewer reads in checkov's report.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import IConstruct

__all__ = ["CHECKOV_METADATA_KEY", "skip_checkov", "skip_checkov_on_vpc_handler"]

CHECKOV_METADATA_KEY = "checkov"


def skip_checkov(construct: IConstruct, check_id: str, comment: str) -> None:
    """Skip checkov's ``check_id`` on ``construct``'s CloudFormation resource, with ``comment``.

    ``construct`` is the resource itself or an L2 construct whose default child it is. Skips
    add up: ``CfnResource.add_metadata`` replaces the whole ``checkov`` entry, so the existing
    ones are read and written back with the new one (a second skip of the same check replaces
    the first's comment).

    Raises:
        ValueError: ``construct`` has no CloudFormation resource, or ``comment`` is empty
            (checkov's gate rejects a skip without a reason).
    """
    resource = construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise ValueError(f"{construct.node.path}: no CloudFormation resource to skip {check_id} on")
    if not comment.strip():
        raise ValueError(f"{construct.node.path}: skipping {check_id} needs a comment")
    existing: Any = resource.get_metadata(CHECKOV_METADATA_KEY) or {}
    skips = [entry for entry in existing.get("skip", []) if entry.get("id") != check_id]
    skips.append({"id": check_id, "comment": comment})
    resource.add_metadata(CHECKOV_METADATA_KEY, {**existing, "skip": skips})


#: The provider aws-cdk-lib adds to a stack whose VPC restricts its default security group.
_VPC_HANDLER_PROVIDER = "Custom::VpcRestrictDefaultSGCustomResourceProvider"
_VPC_HANDLER_REASON = (
    "aws-cdk-lib's own deploy-time handler (feature flag "
    "@aws-cdk/aws-ec2:restrictDefaultSecurityGroup) that removes the rules of this VPC's default "
    "security group: CloudFormation invokes it synchronously, once per change of the VPC, and it "
    "calls the EC2 API only. It needs no dead-letter queue, no VPC placement and no reserved "
    "concurrency; the library does not own its code."
)


def skip_checkov_on_vpc_handler(vpc: IConstruct) -> None:
    """Skip the Lambda checks that do not apply on aws-cdk-lib's default-security-group handler.

    A ``Vpc`` created with the ``restrictDefaultSecurityGroup`` feature flag (cdk.json) adds, at
    stack level, a custom-resource provider whose ``AWS::Lambda::Function`` checkov would report
    (CKV_AWS_115/116/117). The construct that creates the VPC records why on that resource; no
    other stack or resource is touched. Nothing happens when the flag is off.
    """
    provider = cdk.Stack.of(vpc).node.try_find_child(_VPC_HANDLER_PROVIDER)
    handler = provider.node.try_find_child("Handler") if provider is not None else None
    if handler is None:
        return
    for check_id in ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"):
        skip_checkov(handler, check_id, _VPC_HANDLER_REASON)
