"""The record of what a platform published: structural contract values, checked at synth.

Attached services bake some contract values into their templates at synth (the profile, the
AZ count, the log retention, the contract major: see ``ContractParameter.structural``) and
their ``Rules`` assert them at deploy. Changing one in a published environment therefore breaks
every attached service's next deployment. The platform app commits what it published in
``platform.contract.json`` beside ``cdk.json`` (like ``cdk.context.json`` records lookups),
written by ``python -m modern_app_constructs contract record``; a ``PlatformEnvironment``
whose structural values differ from the recorded ones for its name fails synthesis, naming the
value and what attached services would see. The declared way to change one is a new
environment name beside the old one (docs/environment-changes.md).

The record's path is the ``modern-app-constructs:contractRecord`` context value, else
``platform.contract.json`` in the directory ``cdk synth`` runs the app in (cdk.json's); no file,
no check.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._contract import CONTRACT_PARAMETERS, PARAMETER_ROOT
from ._exit_codes import EXIT_UNUSABLE
from ._validation import InvalidPropError

if TYPE_CHECKING:
    from constructs import IConstruct

__all__ = [
    "RECORD_CONTEXT_KEY",
    "RECORD_FILE",
    "STRUCTURAL_KEYS",
    "add_parser",
    "check_recorded",
    "published_in",
    "record",
    "record_path",
    "run",
]

#: ``-c modern-app-constructs:contractRecord=path``: where the record is.
RECORD_CONTEXT_KEY = "modern-app-constructs:contractRecord"
#: The record's default file name, beside cdk.json.
RECORD_FILE = "platform.contract.json"
#: The contract keys attached services bake in at synth.
STRUCTURAL_KEYS: tuple[str, ...] = tuple(p.key for p in CONTRACT_PARAMETERS if p.structural)
_DOCS = "docs/environment-changes.md"


def _what_services_saw(key: str, value: str) -> str:
    return {
        "contract-major": f"contract major {value}",
        "profile": f"the profile '{value}'",
        "log-retention-days": f"a log retention of {value} days",
        "az-count": f"{value} AZs",
    }.get(key, f"{key} {value}")


def record_path(scope: IConstruct) -> Path:
    """The record's path for ``scope``'s app."""
    configured = scope.node.try_get_context(RECORD_CONTEXT_KEY)
    return Path(configured) if isinstance(configured, str) else Path(RECORD_FILE)


def check_recorded(owner: str, scope: IConstruct, name: str, values: Mapping[str, str]) -> None:
    """Refuse a structural value of environment ``name`` that differs from the record.

    Raises:
        InvalidPropError: naming the value, the recorded one, and what attached services see.
    """
    path = record_path(scope)
    if not path.is_file():
        return
    recorded = _read(path).get(name, {})
    for key in STRUCTURAL_KEYS:
        if key in recorded and key in values and str(recorded[key]) != values[key]:
            raise InvalidPropError(
                owner,
                key,
                values[key],
                f"allowed: {recorded[key]}, what '{name}' published ({path}); services attached "
                f"to {name} were synthesized for {_what_services_saw(key, str(recorded[key]))}; "
                "their next deploy fails the contract rule. A structural change is a new "
                f"environment: publish it under a new name beside '{name}', move the services, "
                f"then remove '{name}' (see {_DOCS})",
            )


def _read(path: Path) -> dict[str, dict[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    environments = data.get("environments", {}) if isinstance(data, dict) else {}
    return environments if isinstance(environments, dict) else {}


def published_in(assembly: Path) -> dict[str, dict[str, str]]:
    """The structural values each environment in a cloud assembly publishes, by name."""
    found: dict[str, dict[str, str]] = {}
    for template_file in sorted(assembly.rglob("*.template.json")):
        template = json.loads(template_file.read_text(encoding="utf-8"))
        for resource in template.get("Resources", {}).values():
            properties = resource.get("Properties", {})
            name = properties.get("Name")
            if resource.get("Type") != "AWS::SSM::Parameter" or not isinstance(name, str):
                continue
            if not name.startswith(f"{PARAMETER_ROOT}/"):
                continue
            environment, _, key = name[len(PARAMETER_ROOT) + 1 :].partition("/")
            if key in STRUCTURAL_KEYS and isinstance(properties.get("Value"), str):
                found.setdefault(environment, {})[key] = properties["Value"]
    return found


def record(assembly: Path, path: Path, forget: tuple[str, ...] = ()) -> dict[str, Any]:
    """Write what ``assembly`` publishes into the record at ``path``; return the record.

    Environments the assembly does not hold stay recorded (their services may not have moved
    yet) unless named in ``forget``.
    """
    environments = _read(path) if path.is_file() else {}
    environments.update(published_in(assembly))
    for name in forget:
        environments.pop(name, None)
    data = {
        "//": (
            "What each platform environment published that attached services bake in at synth. "
            "Written by `python -m modern_app_constructs contract record`; synthesis refuses a "
            f"change to it (see {_DOCS})."
        ),
        "environments": dict(sorted(environments.items())),
    }
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return data


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``contract`` to the command line's sub-parsers."""
    contract: argparse.ArgumentParser = commands.add_parser(
        "contract", help="record what the platform environments publish (platform.contract.json)"
    )
    actions = contract.add_subparsers(dest="action", required=True, metavar="ACTION")
    recording = actions.add_parser(
        "record", help="write the structural values a synthesized app publishes into the record"
    )
    recording.add_argument("assembly", nargs="?", default="cdk.out", help="default: cdk.out")
    recording.add_argument("--file", default=RECORD_FILE, help=f"default: {RECORD_FILE}")
    recording.add_argument(
        "--forget",
        action="append",
        default=[],
        metavar="NAME",
        help="drop an environment no service uses any more (repeatable)",
    )
    return contract


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run a parsed ``contract record``; return its exit code (0 or 2)."""
    assembly = Path(args.assembly)
    if not (assembly / "manifest.json").is_file():
        err.write(f"{assembly} is not a cloud assembly: run `cdk synth` first\n")
        return EXIT_UNUSABLE
    data = record(assembly, Path(args.file), tuple(args.forget))
    for name, values in data["environments"].items():
        shown = ", ".join(f"{key}={value}" for key, value in values.items())
        out.write(f"{name}: {shown}\n")
    out.write(f"recorded in {args.file}\n")
    return 0
