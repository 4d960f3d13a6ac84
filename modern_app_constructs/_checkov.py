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

__all__ = ["CHECKOV_METADATA_KEY", "skip_checkov"]

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
