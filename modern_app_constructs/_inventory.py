"""``report --environment NAME``: the services attached to an environment, and who is behind.

Reads each account's registrations (``/modern-app-constructs/platform/<name>/attachments/*``,
written by every attached service stack) and the environment's own release (its contract
parameters ``library-version`` and ``contract-version``), and says which services were built
with an older release than *the environment's*: behind major or behind minor, as Proton's
``GetResourcesSummary`` did. One account per run, or several (``--accounts`` with a role to
assume in each). An account that cannot be read is reported and the others are still listed;
a registration whose stack is gone (``DescribeStacks`` no longer finds it) is marked so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ._contract import parameter_path
from ._registration import attachments_path

__all__ = [
    "AccountInventory",
    "AttachedService",
    "Inventory",
    "behind",
    "collect_account",
    "render_json",
    "render_table",
]

#: ``(account or None, service) -> boto3 client``: the seam tests replace.
ClientFactory = Callable[[str | None, str], Any]
_GONE = "stack gone"


def _parts(version: str) -> tuple[int, int] | None:
    pieces = version.strip().lstrip("v").split(".")
    try:
        return int(pieces[0]), int(pieces[1]) if len(pieces) > 1 else 0
    except ValueError:
        return None


def behind(version: str, release: str) -> str:
    """``behind major``, ``behind minor``, ``current``, ``newer`` or ``unknown``.

    Compares ``<major>.<minor>`` of ``version`` with ``release`` (patches and pre-releases of
    the same minor are current).
    """
    mine, theirs = _parts(version), _parts(release)
    if mine is None or theirs is None:
        return "unknown"
    if mine[0] < theirs[0]:
        return "behind major"
    if mine[0] == theirs[0] and mine[1] < theirs[1]:
        return "behind minor"
    return "newer" if mine > theirs else "current"


@dataclass(frozen=True)
class AttachedService:
    """One registration, and whether its stack is still there and behind.

    Attributes:
        stack: the registered stack's name.
        service: the service's name.
        owner: the owning team, if it said.
        account: the account it deployed to.
        region: the region.
        library_version: the library release it was built with.
        contract_version: the contract it was built against.
        state: ``behind major``/``behind minor``/``current``/``newer``/``unknown`` against the
            environment's release, or ``stack gone``.
    """

    stack: str
    service: str
    owner: str | None
    account: str
    region: str
    library_version: str
    contract_version: str
    state: str

    @property
    def is_behind(self) -> bool:
        """Behind the environment's release (major or minor)."""
        return self.state.startswith("behind")


@dataclass(frozen=True)
class AccountInventory:
    """What one account holds: the environment's release and its attached services, or why not.

    Attributes:
        account: the account (``None``: the caller's own).
        region: the region read.
        library_version: the environment's release (``None`` when it does not publish one).
        contract_version: the environment's contract.
        services: the registrations.
        error: why the account could not be read, if it could not.
    """

    account: str | None
    region: str
    library_version: str | None = None
    contract_version: str | None = None
    services: tuple[AttachedService, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Inventory:
    """Every account's inventory of one environment."""

    environment: str
    accounts: tuple[AccountInventory, ...] = field(default_factory=tuple)

    @property
    def services(self) -> list[AttachedService]:
        """Every attached service of every readable account."""
        return [service for account in self.accounts for service in account.services]


def _release(ssm: Any, environment: str) -> tuple[str | None, str | None]:
    names = [parameter_path(environment, key) for key in ("library-version", "contract-version")]
    found = {p["Name"]: p["Value"] for p in ssm.get_parameters(Names=names)["Parameters"]}
    return found.get(names[0]), found.get(names[1])


def _stack_exists(cloudformation: Any, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            return False  # "Stack with id X does not exist"
        raise
    return any(stack.get("StackStatus") != "DELETE_COMPLETE" for stack in stacks)


def _service(parameter: dict[str, Any], release: str | None, exists: bool) -> AttachedService:
    stack = parameter["Name"].rsplit("/", 1)[-1]
    try:
        value = json.loads(parameter["Value"])
    except ValueError:
        value = {}
    if not isinstance(value, dict):
        value = {}
    library = str(value.get("library-version", "unknown"))
    state = _GONE if not exists else behind(library, release) if release else "unknown"
    return AttachedService(
        stack=stack,
        service=str(value.get("service") or stack),
        owner=value.get("owner"),
        account=str(value.get("account", "unknown")),
        region=str(value.get("region", "unknown")),
        library_version=library,
        contract_version=str(value.get("contract-version", "unknown")),
        state=state,
    )


def collect_account(
    environment: str, account: str | None, region: str, clients: ClientFactory
) -> AccountInventory:
    """One account's inventory; an AWS error is recorded on it, never raised."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        ssm = clients(account, "ssm")
        cloudformation = clients(account, "cloudformation")
        library, contract = _release(ssm, environment)
        parameters: list[dict[str, Any]] = []
        for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=attachments_path(environment), Recursive=False
        ):
            parameters += page.get("Parameters", [])
        services = tuple(
            sorted(
                (
                    _service(
                        p, library, _stack_exists(cloudformation, p["Name"].rsplit("/", 1)[-1])
                    )
                    for p in parameters
                ),
                key=lambda service: service.stack,
            )
        )
    except ClientError as error:
        details = error.response.get("Error", {})
        return AccountInventory(
            account,
            region,
            error=f"{details.get('Code', 'Error')}: {details.get('Message', str(error))}",
        )
    except BotoCoreError as error:
        return AccountInventory(account, region, error=str(error))
    return AccountInventory(account, region, library, contract, services)


def collect(
    environment: str, accounts: Sequence[str | None], region: str, clients: ClientFactory
) -> Inventory:
    """Every account's inventory, in the order given."""
    return Inventory(
        environment,
        tuple(collect_account(environment, account, region, clients) for account in accounts),
    )


def render_table(inventory: Inventory) -> str:
    """A plain-text table per account, and a summary line."""
    lines: list[str] = []
    for account in inventory.accounts:
        where = f"account {account.account or '(current)'}, {account.region}"
        if account.error is not None:
            lines.append(f"{where}: cannot read ({account.error})")
            lines.append("")
            continue
        lines.append(
            f"{where}: environment '{inventory.environment}' at release "
            f"{account.library_version or 'unknown'}, contract {account.contract_version or '?'}"
        )
        rows = [("stack", "service", "owner", "account", "region", "library", "contract", "state")]
        rows += [
            (
                s.stack,
                s.service,
                s.owner or "-",
                s.account,
                s.region,
                s.library_version,
                s.contract_version,
                s.state,
            )
            for s in account.services
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines += [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
        ]
        lines.append("")
    services = inventory.services
    unreadable = sum(1 for account in inventory.accounts if account.error is not None)
    lines.append(
        f"{len(services)} service stack(s) attached to '{inventory.environment}', "
        f"{sum(1 for s in services if s.is_behind)} behind its release, "
        f"{sum(1 for s in services if s.state == _GONE)} gone; "
        f"{unreadable} account(s) unreadable."
    )
    return "\n".join(lines)


def render_json(inventory: Inventory) -> str:
    """The inventory as JSON, for other tooling."""
    return json.dumps(asdict(inventory), indent=2, sort_keys=True)


def parse_accounts(value: str | None) -> list[str | None]:
    """``A,B`` -> ``["A", "B"]``; nothing -> the caller's own account."""
    if not value:
        return [None]
    return [account.strip() for account in value.split(",") if account.strip()]


def boto_clients(
    profile: str | None, region: str | None, role_name: str | None
) -> tuple[ClientFactory, str]:
    """A client factory assuming ``role_name`` in each account (none: the caller's credentials)."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3})
    base = boto3.Session(profile_name=profile, region_name=region)
    resolved = base.region_name or "us-east-1"
    sessions: dict[str | None, Any] = {}

    def session_for(account: str | None) -> Any:
        if account not in sessions:
            if account is None or role_name is None:
                sessions[account] = base
            else:
                sts = base.client("sts", config=config)
                partition = sts.meta.partition
                credentials = sts.assume_role(
                    RoleArn=f"arn:{partition}:iam::{account}:role/{role_name}",
                    RoleSessionName="modern-app-constructs-report",
                )["Credentials"]
                sessions[account] = boto3.Session(
                    aws_access_key_id=credentials["AccessKeyId"],
                    aws_secret_access_key=credentials["SecretAccessKey"],
                    aws_session_token=credentials["SessionToken"],
                    region_name=resolved,
                )
        return sessions[account]

    def clients(account: str | None, service: str) -> Any:
        return session_for(account).client(service, config=config)

    return clients, resolved


def any_behind(services: Iterable[AttachedService]) -> bool:
    """Whether a service is behind its environment's release."""
    return any(service.is_behind for service in services)


def add_arguments(report: Any) -> None:
    """The ``report`` options of the environment inventory."""
    report.add_argument(
        "--environment",
        metavar="NAME",
        help="list the services attached to this published environment (from their "
        "registrations) and which are behind the environment's release",
    )
    report.add_argument(
        "--accounts",
        metavar="A,B",
        help="with --environment: read these accounts (default: your credentials' account)",
    )
    report.add_argument(
        "--role-name",
        metavar="ROLE",
        help="with --accounts: the role to assume in each account (it needs "
        "ssm:GetParameters, ssm:GetParametersByPath and cloudformation:DescribeStacks)",
    )
    report.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="output format of --environment and --template (default: table)",
    )


def run_environment(
    args: Any, out: Any, err: Any, clients: ClientFactory | None, exits: tuple[int, int]
) -> int:
    """Run ``report --environment``; return its exit code.

    0; ``exits[0]`` when a service is behind with ``--fail-if-behind``; ``exits[1]`` when an
    account could not be read (after listing the others).
    """
    exit_behind, exit_unreadable = exits
    accounts = parse_accounts(args.accounts)
    if args.accounts and not args.role_name and clients is None:
        err.write("--accounts needs --role-name: the role to assume in each account\n")
        return exit_unreadable
    if clients is None:
        try:
            clients, region = boto_clients(args.profile, args.region, args.role_name)
        except Exception as error:  # no credentials, unknown profile: say so, never a traceback
            err.write(f"cannot read AWS: {error}\n")
            return exit_unreadable
    else:
        region = args.region or "us-east-1"
    inventory = collect(args.environment, accounts, region, clients)
    out.write((render_json(inventory) if args.format == "json" else render_table(inventory)) + "\n")
    for account in inventory.accounts:
        if account.error is not None:
            err.write(f"account {account.account or '(current)'}: {account.error}\n")
    if any(account.error is not None for account in inventory.accounts):
        return exit_unreadable
    if args.fail_if_behind and any_behind(inventory.services):
        return exit_behind
    return 0
