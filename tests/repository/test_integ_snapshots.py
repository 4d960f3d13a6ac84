"""The integ apps (``tests/integ/integ_*.py``) synthesize to their committed snapshots.

``make integ`` deploys these apps to a real account; here, without credentials, each one is
synthesized the way the runner does it (its own ``App`` with cdk.json's context, no region
given) and the templates it deploys (stacks under test and assertions) plus the integ manifest
are compared with
``tests/integ/snapshots/<app>/``, normalised for asset hashes only. ``make snapshots``
(``--snapshot-update``) re-records them; read the diff. The stacks under test must also be
free of cfn-lint errors, as the sample's are.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest

from modern_app_constructs.testing import cfn_lint_errors, normalize
from tests.cdk_support import ROOT

INTEG_DIR = ROOT / "tests" / "integ"
SNAPSHOTS = INTEG_DIR / "snapshots"
APPS = sorted(INTEG_DIR.glob("integ_*.py"))


def unsalted(template: dict[str, Any]) -> dict[str, Any]:
    """Drop the ``salt`` integ-tests-alpha gives every assertion (the synthesis time, so that
    each deployment runs the assertions again): noise for a snapshot."""
    for resource in template.get("Resources", {}).values():
        if resource.get("Type", "").startswith("Custom::DeployAssert"):
            resource.get("Properties", {}).pop("salt", None)
    return template


def synthesize(app: Path, outdir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run one integ app into ``outdir``; its integ manifest and templates, as synthesized."""
    monkeypatch.setenv("CDK_OUTDIR", str(outdir))
    monkeypatch.delenv("CDK_INTEG_REGION", raising=False)
    monkeypatch.syspath_prepend(str(INTEG_DIR))
    runpy.run_path(str(app), run_name="__main__")
    manifest = json.loads((outdir / "integ.json").read_text())
    (case,) = manifest["testCases"].values()
    files = {"integ.json": manifest}
    for stack in [*case["stacks"], case["assertionStackName"]]:
        name = f"{stack}.template.json"
        files[name] = json.loads((outdir / name).read_text())
    return files


def test_every_construct_and_the_sample_has_an_integ_app():
    names = {app.stem for app in APPS}
    assert names == {
        "integ_api_front_door",
        "integ_canary_function",
        "integ_decoupled_worker",
        "integ_fargate_service",
        "integ_platform_environment",
        "integ_sample_app",
        "integ_service_dashboard",
    }


@pytest.mark.parametrize("app", APPS, ids=lambda app: app.stem)
def test_integ_app_matches_its_snapshot(app, tmp_path, monkeypatch, request):
    synthesized = synthesize(app, tmp_path, monkeypatch)
    actual = {name: normalize(unsalted(content)) for name, content in synthesized.items()}
    snapshot_dir = SNAPSHOTS / app.stem
    if request.config.getoption("--snapshot-update"):
        if snapshot_dir.exists():
            for stale in snapshot_dir.glob("*.json"):
                stale.unlink()
        snapshot_dir.mkdir(parents=True, exist_ok=True)
        for name, content in actual.items():
            text = json.dumps(content, indent=1, sort_keys=True) + "\n"
            (snapshot_dir / name).write_text(text)
    recorded = {
        path.name: json.loads(path.read_text()) for path in sorted(snapshot_dir.glob("*.json"))
    }
    assert sorted(actual) == sorted(recorded), "run `make snapshots` and read the diff"
    for name, content in actual.items():
        assert content == recorded[name], f"{app.stem}/{name} changed: `make snapshots`"

    (case,) = synthesized["integ.json"]["testCases"].values()
    for stack in case["stacks"]:
        assert cfn_lint_errors(synthesized[f"{stack}.template.json"]) == [], stack
