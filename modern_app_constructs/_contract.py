"""The platform contract: what a PlatformEnvironment publishes and an attached service reads.

The contract is data — SSM parameters under ``/modern-app-constructs/platform/<name>/`` — so that
other tooling can read it too. Its shape is versioned (:data:`CONTRACT_VERSION`): a new
parameter is a minor version (old services ignore it), a renamed, removed or re-meant one is a
major version (services built for another major refuse to deploy). Every stack holding the
library's constructs is stamped with the library version and the contract version it was built
against (template metadata and stack tags), which ``python -m modern_app_constructs report``
reads back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import aws_cdk as cdk
from constructs import IConstruct

from ._validation import InvalidPropError
from ._version import __version__

__all__ = [
    "CONTRACT_PARAMETERS",
    "CONTRACT_VERSION",
    "PARAMETER_ROOT",
    "STAMP_KEY",
    "SUPPORTED_CONTRACT_MAJORS",
    "TAG_CONTRACT_VERSION",
    "TAG_LIBRARY_VERSION",
    "UNASSIGNED_COST_CENTER",
    "ContractParameter",
    "check_contract_version",
    "check_environment_name",
    "parameter_construct_id",
    "parameter_path",
    "stamp_stack",
]

#: The shape of the contract this library publishes.
CONTRACT_VERSION = "1.0"
#: Contract majors an attached service of this library can deploy into.
SUPPORTED_CONTRACT_MAJORS: tuple[int, ...] = (1,)
#: The published ``tag/cost-center`` of an environment without a cost center.
UNASSIGNED_COST_CENTER = "unassigned"
#: Where every environment's contract lives.
PARAMETER_ROOT = "/modern-app-constructs/platform"
#: Template metadata key and stack tags of the stamp.
STAMP_KEY = "modern-app-constructs"
TAG_LIBRARY_VERSION = "modern-app-constructs:version"
TAG_CONTRACT_VERSION = "modern-app-constructs:contract-version"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_VERSION = re.compile(r"^(\d+)\.(\d+)$")


@dataclass(frozen=True)
class ContractParameter:
    """One parameter of the contract.

    Attributes:
        key: the path below ``/modern-app-constructs/platform/<name>/``.
        meaning: what it holds, as docs/platform.md's contract table says.
        optional: published only when the environment has it.
        structural: attached services bake it in at synth (and their ``Rules`` assert it at
            deploy), so changing it breaks them; the others they read live at deploy.
    """

    key: str
    meaning: str
    optional: bool = False
    structural: bool = False


#: Contract 1.0, in the order docs/platform.md's table lists it.
CONTRACT_PARAMETERS: tuple[ContractParameter, ...] = (
    ContractParameter("contract-version", "the contract's version, `<major>.<minor>` (`1.0`)"),
    ContractParameter(
        "contract-major",
        "its major alone (`1`), for CloudFormation `Rules`, which cannot parse",
        structural=True,
    ),
    ContractParameter(
        "profile", "the profile's name (`dev`, `prod` or the platform's own)", structural=True
    ),
    ContractParameter(
        "log-retention-days", "the log retention every log group gets, in days", structural=True
    ),
    ContractParameter("vpc-id", "the VPC services run in"),
    ContractParameter("availability-zones", "its availability zones, comma-separated"),
    ContractParameter("az-count", "how many (the length of every list below)", structural=True),
    ContractParameter(
        "egress",
        "whether the private subnets reach the internet (`true`; `false` with `Nat.none()`)",
    ),
    ContractParameter(
        "private-subnet-ids",
        "private subnets, one per AZ, comma-separated (isolated when `egress` is `false`)",
    ),
    ContractParameter("private-route-table-ids", "their route tables, in the same order"),
    ContractParameter("public-subnet-ids", "public subnets, one per AZ", optional=True),
    ContractParameter("public-route-table-ids", "their route tables", optional=True),
    ContractParameter("cluster-name", "the ECS cluster's name"),
    ContractParameter("cluster-arn", "the ECS cluster's ARN"),
    ContractParameter("key-arn", "the customer-managed KMS key for topics, queues and log groups"),
    ContractParameter("alarm-topic-arn", "the SNS topic every alarm notifies"),
    ContractParameter("tag/team", "ownership tag: the owning team"),
    ContractParameter("tag/application", "ownership tag: the application"),
    ContractParameter("tag/profile", "ownership tag: the profile"),
    ContractParameter(
        "tag/cost-center",
        "ownership tag: the cost center (`unassigned` when the platform has none)",
    ),
    ContractParameter(
        "library-version", "the modern-app-constructs release the environment was built with"
    ),
)


def parameter_construct_id(key: str) -> str:
    """The construct id a contract parameter gets on either side: ``tag/team`` -> ``TagTeam``."""
    return "".join(part.capitalize() for part in key.replace("/", "-").split("-"))


def parameter_path(name: str, key: str) -> str:
    """``/modern-app-constructs/platform/<name>/<key>``."""
    return f"{PARAMETER_ROOT}/{name}/{key}"


def check_environment_name(owner: str, name: object) -> str:
    """Return ``name`` if it can be one segment of an SSM parameter path.

    Raises:
        InvalidPropError: anything but 1-128 letters, digits, ``_``, ``.`` and ``-`` starting
            with a letter or digit.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidPropError(
            owner,
            "name",
            name,
            "allowed: 1-128 letters, digits, '_', '.' and '-', starting with a letter or digit "
            "(one segment of an SSM parameter path)",
        )
    return name


def check_contract_version(owner: str, name: str, published: str) -> None:
    """Reject a published contract whose major this library does not support.

    Raises:
        InvalidPropError: naming the published version and the supported ones.
    """
    match = _VERSION.match(published)
    supported = ", ".join(f"{major}.x" for major in SUPPORTED_CONTRACT_MAJORS)
    if match is None or int(match.group(1)) not in SUPPORTED_CONTRACT_MAJORS:
        raise InvalidPropError(
            owner,
            "name",
            name,
            f"allowed: an environment publishing contract {supported}; '{name}' publishes "
            f"contract {published!r} (modern-app-constructs {__version__} was built for "
            f"{CONTRACT_VERSION})",
        )


def stamp_stack(scope: IConstruct) -> None:
    """Stamp ``scope``'s stack with the library and contract versions (once per stack)."""
    stack = cdk.Stack.of(scope)
    stamp = {"version": __version__, "contract-version": CONTRACT_VERSION}
    existing = stack.template_options.metadata or {}
    if existing.get(STAMP_KEY) == stamp:
        return
    stack.add_metadata(STAMP_KEY, stamp)
    stack.tags.set_tag(TAG_LIBRARY_VERSION, __version__)
    stack.tags.set_tag(TAG_CONTRACT_VERSION, CONTRACT_VERSION)
