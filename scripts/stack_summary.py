"""Print each stack of a synthesized cloud assembly with its resource count.

Stacks of nested assemblies (a pipeline's stages) are listed too, indented under their stage.

Usage: ``python scripts/stack_summary.py [cdk.out]``
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def _lines(root: Path, depth: int = 0) -> list[str]:
    manifest = json.loads((root / "manifest.json").read_text())
    lines = []
    for name, artifact in manifest["artifacts"].items():
        properties = artifact.get("properties", {})
        if artifact["type"] == "aws:cloudformation:stack":
            template = json.loads((root / properties["templateFile"]).read_text())
            resources = template.get("Resources", {})
            types = Counter(resource["Type"] for resource in resources.values())
            top = ", ".join(f"{t.split('::', 1)[1]} x{n}" for t, n in types.most_common(4))
            label = "  " * depth + properties.get("stackName", name)
            lines.append(f"{label:<24} {len(resources):>4} resources  ({top}, ...)")
        elif artifact["type"] == "cdk:cloud-assembly":
            lines.append("  " * depth + f"{artifact.get('displayName', name)} (stage):")
            lines.extend(_lines(root / properties["directoryName"], depth + 1))
    return lines


def main(outdir: str = "cdk.out") -> int:
    """Print one line per stack: name, resource count and the most common resource types."""
    lines = _lines(Path(outdir))
    print("\n".join(lines))
    return 0 if any("resources" in line for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
