"""Reading a cloud assembly: every stack's template, nested stage assemblies included."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._model import CostInputError

__all__ = ["AssemblyStack", "read_assembly", "refs"]

_STACK = "aws:cloudformation:stack"
_NESTED = "cdk:cloud-assembly"


@dataclass(frozen=True)
class AssemblyStack:
    """One stack of a cloud assembly.

    Attributes:
        name: its display name (``OrdersPipeline/Pipeline/Dev/OrdersService`` in a stage).
        artifact_id: its artifact ID.
        region: the region of its environment, ``None`` when environment-agnostic.
        template: its CloudFormation template.
    """

    name: str
    artifact_id: str
    region: str | None
    template: Mapping[str, Any]

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """The template's resources by logical ID."""
        found = self.template.get("Resources", {})
        return found if isinstance(found, dict) else {}


def read_assembly(directory: str | Path) -> list[AssemblyStack]:
    """Every stack of the cloud assembly in ``directory``, nested assemblies after their parent.

    Raises:
        CostInputError: ``directory`` is not a cloud assembly, or a template cannot be read.
    """
    root = Path(directory)
    if not (root / "manifest.json").is_file():
        raise CostInputError(
            f"{directory} is not a cloud assembly (no manifest.json): pass the output "
            "directory of `cdk synth` (cdk.out)"
        )
    return list(_stacks(root))


def _stacks(root: Path) -> Iterator[AssemblyStack]:
    manifest = _json(root / "manifest.json")
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise CostInputError(f"{root / 'manifest.json'} lists no artifacts: not a cloud assembly")
    nested: list[Path] = []
    for artifact_id, artifact in artifacts.items():
        kind = artifact.get("type") if isinstance(artifact, dict) else None
        properties = artifact.get("properties", {}) if isinstance(artifact, dict) else {}
        if kind == _STACK:
            template = _json(root / properties.get("templateFile", f"{artifact_id}.template.json"))
            if not isinstance(template, dict):
                raise CostInputError(f"the template of {artifact_id} is not a JSON object")
            yield AssemblyStack(
                name=artifact.get("displayName") or artifact_id,
                artifact_id=artifact_id,
                region=_region(artifact.get("environment")),
                template=template,
            )
        elif kind == _NESTED and properties.get("directoryName"):
            nested.append(root / properties["directoryName"])
    for directory in nested:
        if not (directory / "manifest.json").is_file():
            raise CostInputError(f"the nested assembly {directory} has no manifest.json")
        yield from _stacks(directory)


def _region(environment: Any) -> str | None:
    """``aws://123456789012/eu-west-1`` -> ``eu-west-1``; agnostic -> ``None``."""
    if not isinstance(environment, str) or not environment.startswith("aws://"):
        return None
    region = environment[len("aws://") :].partition("/")[2]
    return None if not region or region.startswith("unknown-") else region


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CostInputError(f"cannot read {path}: {error.strerror}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CostInputError(f"{path} is not JSON: {error}") from error


def refs(value: Any) -> list[str]:
    """Logical IDs ``value`` refers to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``), in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if len(node) == 1:
                (key, inner), *_ = node.items()
                if key == "Ref" and isinstance(inner, str):
                    found.append(inner)
                    return
                if key == "Fn::GetAtt":
                    target = inner[0] if isinstance(inner, list) and inner else inner
                    if isinstance(target, str):
                        found.append(target.partition(".")[0])
                    return
                if key == "Fn::Sub":
                    text = inner[0] if isinstance(inner, list) and inner else inner
                    if isinstance(text, str):
                        found.extend(_sub_names(text))
                    if isinstance(inner, list):
                        walk(inner[1:])
                    return
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(value)
    return found


def _sub_names(text: str) -> Iterator[str]:
    start = text.find("${")
    while start != -1:
        end = text.find("}", start)
        if end == -1:
            return
        name = text[start + 2 : end]
        if not name.startswith("!") and not name.startswith("AWS::"):
            yield name.partition(".")[0]
        start = text.find("${", end)
