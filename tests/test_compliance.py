"""Compliance gates: every stack of the sample app, in every profile, passes cdk-nag, cfn-lint
and checkov.

The ``sample`` fixture synthesizes through ``assert_compliant``: cdk-nag AwsSolutions and
Serverless and cfn-lint run as validation plugins of that one synthesis, and any
unacknowledged error fails it. checkov then reads the templates of that synthesis, every stack
(the pipeline's stages included). ``tests/test_testing.py`` and ``tests/test_checkov_gate.py``
prove each gate fails on a deliberate violation.
"""

from __future__ import annotations

import json

from tests.cdk_support import checkov_report, problems_of


def test_the_gates_left_a_report_without_failures(sample):
    (report,) = sample.outdir.glob("*validation-report.json")
    plugins = json.loads(report.read_text())["pluginReports"]
    failures = [plugin for plugin in plugins if plugin.get("conclusion") == "failure"]
    assert not failures, json.dumps(failures, indent=1)[:4000]


def test_every_stack_is_gated(sample):
    laptop = {"OrdersPlatform", "OrdersService"}
    if sample.profile == "prod":
        assert set(sample.templates) == laptop  # the pipeline is in the dev synthesis only
    else:
        # the pipeline's stages hold their own copy of the service stack: gated too
        pipeline = {"OrdersPipeline", "Dev-OrdersService", "Prod-OrdersService"}
        assert set(sample.templates) == laptop | pipeline


def test_the_sample_passes_checkov(sample):
    prefix = f"sample.{sample.profile}."
    templates = {f"{prefix}{stack}": template for stack, template in sample.templates.items()}
    report = checkov_report(templates)
    assert report.resource_count == sum(len(t["Resources"]) for t in templates.values())
    assert not problems_of(report, prefix), problems_of(report, prefix)
    assert report.skipped, "the sample's resources say why the checks they skip do not apply"
