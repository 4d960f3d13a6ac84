"""``python -m modern_app_constructs report``: which deployed stacks are behind.

What AWS Proton called "out of date": every stack holding the library's constructs carries the
library version and the contract version it was built with as stack tags; this report lists the
stacks of one account and region that carry them and says which are behind the installed
library (and its contract). It reads CloudFormation only (``DescribeStacks``).

With ``--environment``, the services registered with a published environment; with
``--template``, generated service repositories whose template is behind (``update --check``'s
check, offline).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from . import _inventory, _new
from ._contract import CONTRACT_VERSION, TAG_CONTRACT_VERSION, TAG_LIBRARY_VERSION
from ._exit_codes import EXIT_FINDING, EXIT_UNUSABLE
from ._version import __version__

__all__ = ["StackStamp", "add_parser", "collect", "render", "run"]

_RELEASE = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$")
#: Exit code when the account cannot be read (access denied, no credentials, bad region).
EXIT_UNREADABLE = EXIT_UNUSABLE
#: Exit code with ``--fail-if-behind`` when a stack is behind.
EXIT_BEHIND = EXIT_FINDING


def version_key(version: str) -> tuple[int, int, int, int, str]:
    """Order versions like ``0.2.0.dev0`` < ``0.2.0rc1`` < ``0.2.0`` < ``0.10.0``.

    Releases sort above their pre-releases; anything unparseable sorts first.
    """
    match = _RELEASE.match(version.strip().lstrip("v"))
    if match is None:
        return (-1, -1, -1, -1, version)
    major, minor, patch, rest = match.groups()
    return (int(major), int(minor or 0), int(patch or 0), 0 if rest else 1, rest)


@dataclass(frozen=True)
class StackStamp:
    """One deployed stack that carries the library's stamp.

    Attributes:
        name: the stack's name.
        status: its CloudFormation status.
        library_version: the library version it was built with.
        contract_version: the platform contract version it was built against.
    """

    name: str
    status: str
    library_version: str
    contract_version: str

    @property
    def library_behind(self) -> bool:
        """Built with an older library than the installed one."""
        return version_key(self.library_version) < version_key(__version__)

    @property
    def contract_behind(self) -> bool:
        """Built against an older contract than the installed library's."""
        return version_key(self.contract_version) < version_key(CONTRACT_VERSION)

    @property
    def state(self) -> str:
        """``current``, ``behind`` (library and/or contract) or ``newer``."""
        behind = [
            what
            for what, flag in (("library", self.library_behind), ("contract", self.contract_behind))
            if flag
        ]
        if behind:
            return "behind (" + " and ".join(behind) + ")"
        if version_key(self.library_version) > version_key(__version__):
            return "newer than this library"
        return "current"


def collect(cloudformation: Any) -> tuple[list[StackStamp], int]:
    """Stamped stacks of the client's account and region (every page), and how many are not.

    Deleted stacks are left out.
    """
    stamped: list[StackStamp] = []
    unstamped = 0
    for page in cloudformation.get_paginator("describe_stacks").paginate():
        for stack in page.get("Stacks", []):
            if stack.get("StackStatus") == "DELETE_COMPLETE":
                continue
            tags = {tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])}
            if TAG_LIBRARY_VERSION not in tags:
                unstamped += 1
                continue
            stamped.append(
                StackStamp(
                    name=stack["StackName"],
                    status=stack.get("StackStatus", ""),
                    library_version=tags[TAG_LIBRARY_VERSION],
                    contract_version=tags.get(TAG_CONTRACT_VERSION, "unknown"),
                )
            )
    return sorted(stamped, key=lambda stamp: stamp.name), unstamped


def render(stamps: Iterable[StackStamp], unstamped: int, where: str) -> str:
    """A plain-text table of ``stamps`` and a summary line."""
    rows = [("stack", "status", "library", "contract", "state")]
    rows += [(s.name, s.status, s.library_version, s.contract_version, s.state) for s in stamps]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    behind = sum(1 for row in rows[1:] if row[4].startswith("behind"))
    lines.append("")
    lines.append(
        f"{len(rows) - 1} stack(s) built with modern-app-constructs in {where}, {behind} behind "
        f"this library ({__version__}, contract {CONTRACT_VERSION}); {unstamped} other stack(s)."
    )
    return "\n".join(lines)


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``report`` to the command line's sub-parsers."""
    report: argparse.ArgumentParser = commands.add_parser(
        "report",
        help="list the deployed stacks built with this library and which are behind it",
    )
    report.add_argument("--region", help="AWS region (default: your configuration's)")
    report.add_argument("--profile", help="AWS named profile (default: your configuration's)")
    report.add_argument(
        "--fail-if-behind",
        action="store_true",
        help=f"exit with {EXIT_BEHIND} when a stack, service or template is behind (for CI)",
    )
    _inventory.add_arguments(report)
    report.add_argument(
        "--template",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="list these generated service repositories and whether their template is behind "
        "the newest version its source offers (no AWS access)",
    )
    return report


def run(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    *,
    client: Any = None,
    clients: _inventory.ClientFactory | None = None,
    cache: Path | None = None,
) -> int:
    """Run a parsed ``report``; return its exit code (0, 1 with ``--fail-if-behind``, 2).

    With ``--environment``, the environment's inventory (``clients``: a client factory per
    account, for tests); with ``--template``, the repositories' template versions (``cache``:
    the packaged template's local repository, for tests).
    """
    if args.template:
        if args.environment:
            err.write("report: --template and --environment are separate reports; give one\n")
            return EXIT_UNREADABLE
        code = _new.run_check(
            args.template, out, err, command="report", output_format=args.format, cache=cache
        )
        return code if code != EXIT_BEHIND or args.fail_if_behind else 0
    if args.environment:
        return _inventory.run_environment(args, out, err, clients, (EXIT_BEHIND, EXIT_UNREADABLE))
    try:
        import botocore.exceptions
    except ImportError:
        err.write("report needs boto3: pip install 'modern-app-constructs[report]'\n")
        return EXIT_UNREADABLE
    try:
        if client is None:
            import boto3

            session = boto3.Session(profile_name=args.profile, region_name=args.region)
            client = session.client("cloudformation")
        where = client.meta.region_name or "the default region"
        stamps, unstamped = collect(client)
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        err.write(
            f"cannot list the stacks ({code}: {message}); the report needs "
            "cloudformation:DescribeStacks in that account and region\n"
        )
        return EXIT_UNREADABLE
    except botocore.exceptions.BotoCoreError as error:
        err.write(f"cannot list the stacks: {error}\n")
        return EXIT_UNREADABLE
    out.write(render(stamps, unstamped, where) + "\n")
    if args.fail_if_behind and any(s.state.startswith("behind") for s in stamps):
        return EXIT_BEHIND
    return 0
