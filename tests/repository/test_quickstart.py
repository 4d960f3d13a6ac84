"""The pieces of the two-command quick start that can be checked without the CLI."""

from __future__ import annotations

import json
import runpy

from tests.cdk_support import CDK_JSON, ROOT


def test_cdk_json_runs_the_sample_app_with_dev_profile_by_default():
    config = json.loads(CDK_JSON.read_text())
    assert config["app"].endswith("-m sample_app")
    assert config["context"]["profile"] == "dev"
    assert config["context"]["@aws-cdk/core:checkSecretUsage"] is True


def test_stack_summary_lists_every_stack_with_its_resource_count(sample, capsys):
    namespace = runpy.run_path(str(ROOT / "scripts" / "stack_summary.py"))
    assert namespace["main"](str(sample.outdir)) == 0
    lines = capsys.readouterr().out.splitlines()
    for name, template in sample.templates.items():
        (line,) = [line for line in lines if line.strip().startswith(name + " ")]
        assert f"{len(template['Resources'])} resources" in line


def test_cli_is_pinned_below_3():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/aws-cdk"]["version"]
    assert version.startswith("2."), version
