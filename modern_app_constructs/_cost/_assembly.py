"""The cost command's view of a cloud assembly: the shared reader, and references in templates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._assembly import AssemblyError, AssemblyStack, read_stacks
from ._model import CostInputError

__all__ = ["AssemblyStack", "read_assembly", "refs"]


def read_assembly(directory: str | Path) -> list[AssemblyStack]:
    """Every stack of the cloud assembly in ``directory``, nested assemblies after their parent.

    Raises:
        CostInputError: ``directory`` is not a cloud assembly, or a template cannot be read.
    """
    try:
        return read_stacks(directory)
    except AssemblyError as error:
        raise CostInputError(str(error)) from None


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
