"""Print each stack of a synthesized cloud assembly with its resource count.

Usage: ``python scripts/stack_summary.py [cdk.out]``
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def main(outdir: str = "cdk.out") -> int:
    """Print one line per stack: name, resource count and the most common resource types."""
    root = Path(outdir)
    manifest = json.loads((root / "manifest.json").read_text())
    stacks = [
        (name, artifact)
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    ]
    for name, artifact in stacks:
        template = json.loads((root / artifact["properties"]["templateFile"]).read_text())
        resources = template.get("Resources", {})
        types = Counter(resource["Type"] for resource in resources.values())
        top = ", ".join(f"{t.split('::', 1)[1]} x{n}" for t, n in types.most_common(4))
        print(f"{name:<24} {len(resources):>4} resources  ({top}, ...)")
    return 0 if stacks else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
