"""Reading a cloud assembly: every stack's template, nested stage assemblies included.

The one reader behind the commands that take a ``cdk synth`` output directory (``review``,
``cost``): each command turns :class:`AssemblyError` into its own unusable-input error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["AssemblyError", "AssemblyStack", "read_stacks", "region_of_environment"]

_STACK = "aws:cloudformation:stack"
_NESTED = "cdk:cloud-assembly"


class AssemblyError(ValueError):
    """A directory is not a readable cloud assembly; the message says why."""


@dataclass(frozen=True)
class AssemblyStack:
    """One stack of a cloud assembly.

    Attributes:
        name: its display name (``OrdersPipeline/Pipeline/Dev/OrdersService`` in a stage), or
            its artifact ID when the manifest gives none.
        artifact_id: its artifact ID (unique across nested assemblies).
        region: the region of its environment, ``None`` when environment-agnostic.
        template: its CloudFormation template.
        termination_protection: the manifest's ``terminationProtection``. Default: ``False``.
    """

    name: str
    artifact_id: str
    region: str | None
    template: Mapping[str, Any]
    termination_protection: bool = False

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """The template's resources by logical ID."""
        found = self.template.get("Resources", {})
        return found if isinstance(found, dict) else {}


def read_stacks(directory: str | Path) -> list[AssemblyStack]:
    """Every stack of the cloud assembly in ``directory``, nested assemblies after their parent.

    Raises:
        AssemblyError: ``directory`` is missing or not a cloud assembly, or a manifest or
            template cannot be read.
    """
    root = Path(directory)
    if not root.is_dir():
        raise AssemblyError(f"{root}: no such directory (a cloud assembly `cdk synth` wrote)")
    return list(_stacks(root, seen=set()))


def _stacks(root: Path, seen: set[Path]) -> Iterator[AssemblyStack]:
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise AssemblyError(
            f"{root} is not a cloud assembly (no manifest.json): pass the output directory "
            "of `cdk synth` (cdk.out)"
        )
    seen.add(root.resolve())
    manifest = _json(manifest_path, "the assembly manifest")
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise AssemblyError(f"{manifest_path} lists no artifacts: not a cloud assembly manifest")
    nested: list[Path] = []
    for artifact_id, artifact in artifacts.items():
        kind = artifact.get("type") if isinstance(artifact, dict) else None
        properties = (artifact.get("properties") if isinstance(artifact, dict) else None) or {}
        if kind == _STACK:
            template_file = properties.get("templateFile", f"{artifact_id}.template.json")
            template = _json(root / template_file, f"the template of {artifact_id}")
            if not isinstance(template, dict):
                raise AssemblyError(
                    f"{root / template_file}: the template of {artifact_id} is not a JSON object"
                )
            yield AssemblyStack(
                name=artifact.get("displayName") or artifact_id,
                artifact_id=artifact_id,
                region=region_of_environment(artifact.get("environment")),
                template=template,
                termination_protection=bool(properties.get("terminationProtection", False)),
            )
        elif kind == _NESTED:
            nested.append(root / str(properties.get("directoryName", artifact_id)))
    for directory in nested:
        if directory.resolve() not in seen:
            yield from _stacks(directory, seen)


def region_of_environment(environment: Any) -> str | None:
    """``aws://123456789012/eu-west-1`` -> ``eu-west-1``; environment-agnostic -> ``None``."""
    if not isinstance(environment, str) or not environment.startswith("aws://"):
        return None
    region = environment[len("aws://") :].partition("/")[2]
    return None if not region or region.startswith("unknown-") else region


def _json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssemblyError(f"{path}: missing ({what})") from None
    except OSError as error:
        raise AssemblyError(f"{path}: cannot read {what}: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AssemblyError(f"{path}: cannot read {what}: not JSON: {error}") from None
