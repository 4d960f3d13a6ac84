"""The platform environment's deletion guard: a CloudFormation custom resource handler.

CloudFormation invokes it directly (the custom resource's service token is this function) and
waits for the answer it PUTs to the pre-signed ``ResponseURL``. The guard depends on every
resource of its environment, so CloudFormation deletes it first: a Delete (the stack deleted,
or the environment removed from it), and an Update that replaces a resource services rely on
(the VPC, cluster, key, alarm topic or the environment's name change), lists the registrations
under ``/modern-app-constructs/platform/<name>/attachments`` and fails, naming the attached
stacks, while there is one. Nothing else has been touched at that point.

Hardening: AWS clients are built inside the error handling with bounded timeouts and retries;
every error (AWS, malformed event, anything else) answers FAILED: the guard fails closed.
Deleting the guard while CloudFormation rolls back its own creation always succeeds.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)

#: Bounded calls: a guard that hangs holds the stack operation until CloudFormation times out.
CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}
)
#: Seconds to deliver the answer to CloudFormation.
RESPONSE_TIMEOUT_S = 10
#: CloudFormation refuses a response body over 4096 bytes: the reason is cut to fit.
REASON_LIMIT = 3000
#: Stack states in which a Delete of the guard undoes its own creation.
ROLLBACK_STATES = frozenset({"ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"})
#: How many attached stacks a message names before it says "and N more".
NAMED_IN_MESSAGE = 20


@dataclass(frozen=True)
class Outcome:
    """What the guard answers CloudFormation."""

    status: str
    reason: str
    physical_id: str


ClientFactory = Callable[[str], Any]


def default_client(service: str) -> Any:
    """A boto3 client with bounded timeouts and retries."""
    return boto3.client(service, config=CLIENT_CONFIG)


def registrations(ssm: Any, path: str) -> list[str]:
    """The stack names registered under ``path`` (every page), sorted."""
    names: list[str] = []
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path=path, Recursive=False, WithDecryption=False
    ):
        names += [parameter["Name"].rsplit("/", 1)[-1] for parameter in page.get("Parameters", [])]
    return sorted(names)


def refuse_message(environment: str, path: str, attached: list[str], doing: str) -> str:
    """The reason a refused Delete/Update reports, naming the attached stacks."""
    named = ", ".join(attached[:NAMED_IN_MESSAGE])
    if len(attached) > NAMED_IN_MESSAGE:
        named += f" and {len(attached) - NAMED_IN_MESSAGE} more"
    return (
        f"Refusing to {doing} the platform environment '{environment}': {len(attached)} "
        f"service stack(s) are attached to it ({named}; registered under {path}). Delete or "
        "move those stacks first; their registrations disappear with them."
    )


def decide(event: Mapping[str, Any], client: ClientFactory) -> Outcome:
    """The guard's answer to one CloudFormation event (raises on anything unexpected)."""
    request = event["RequestType"]
    properties = event["ResourceProperties"]
    environment = str(properties["Environment"])
    physical_id = str(event.get("PhysicalResourceId") or f"deletion-guard:{environment}")
    if request == "Create":
        return Outcome("SUCCESS", "guard in place", physical_id)
    if request == "Update":
        old = event["OldResourceProperties"]
        changed = sorted(
            key
            for key in {*properties.get("Protected", {}), *old.get("Protected", {})}
            if properties.get("Protected", {}).get(key) != old.get("Protected", {}).get(key)
        )
        if old.get("Environment") != properties.get("Environment"):
            changed.insert(0, "Environment")
        if not changed:
            return Outcome("SUCCESS", "nothing services rely on is replaced", physical_id)
        checked = old  # the registrations belong to what is being replaced
        doing = f"replace {', '.join(changed)} of"
    elif request == "Delete":
        stack = client("cloudformation").describe_stacks(StackName=event["StackId"])["Stacks"][0]
        if stack["StackStatus"] in ROLLBACK_STATES:
            return Outcome("SUCCESS", "rolled back with its own creation", physical_id)
        checked = properties
        doing = "delete"
    else:
        raise ValueError(f"unknown RequestType {request!r}")
    path = str(checked["AttachmentsPath"])
    attached = registrations(client("ssm"), path)
    if attached:
        return Outcome(
            "FAILED",
            refuse_message(str(checked["Environment"]), path, attached, doing),
            physical_id,
        )
    return Outcome("SUCCESS", f"no service stack registered under {path}", physical_id)


def respond(event: Mapping[str, Any], outcome: Outcome) -> None:
    """PUT the outcome to CloudFormation's pre-signed URL (bounded)."""
    body = json.dumps(
        {
            "Status": outcome.status,
            "Reason": outcome.reason[:REASON_LIMIT],
            "PhysicalResourceId": outcome.physical_id,
            "StackId": event.get("StackId", ""),
            "RequestId": event.get("RequestId", ""),
            "LogicalResourceId": event.get("LogicalResourceId", ""),
        }
    ).encode()
    request = urllib.request.Request(  # CloudFormation's pre-signed URL
        str(event["ResponseURL"]),
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=RESPONSE_TIMEOUT_S) as answer:
        answer.read()


def handle(
    event: Mapping[str, Any],
    client: ClientFactory = default_client,
    send: Callable[[Mapping[str, Any], Outcome], None] = respond,
) -> Outcome:
    """Decide and answer; any error answers FAILED (fail closed)."""
    fallback_id = str(event.get("PhysicalResourceId") or event.get("LogicalResourceId") or "guard")
    try:
        outcome = decide(event, client)
    except Exception as error:  # every error reaches CloudFormation as FAILED
        LOGGER.exception("deletion guard failed closed")
        outcome = Outcome(
            "FAILED",
            f"The deletion guard could not check the attached services and fails closed: "
            f"{type(error).__name__}: {error}",
            fallback_id,
        )
    LOGGER.info(json.dumps({"request": event.get("RequestType"), "status": outcome.status}))
    send(event, outcome)
    return outcome


def handler(event: dict[str, Any], _context: object) -> None:
    """The Lambda entry point."""
    handle(event)
