"""Compliance gates: every stack of the sample app, in every profile, passes cdk-nag and cfn-lint.

The ``sample`` fixture synthesizes through ``assert_compliant``: cdk-nag AwsSolutions and
cfn-lint run as validation plugins of that one synthesis, and any unacknowledged error fails it.
``tests/test_testing.py`` proves each gate fails on a deliberate violation.
"""

from __future__ import annotations

import json


def test_the_gates_left_a_report_without_failures(sample):
    (report,) = sample.outdir.glob("*validation-report.json")
    plugins = json.loads(report.read_text())["pluginReports"]
    failures = [plugin for plugin in plugins if plugin.get("conclusion") == "failure"]
    assert not failures, json.dumps(failures, indent=1)[:4000]


def test_every_stack_is_gated(sample):
    # the pipeline's stages hold their own copy of the service stack: gated too
    assert set(sample.templates) == {
        "OrdersPlatform",
        "OrdersService",
        "OrdersPipeline",
        "Dev-OrdersService",
        "Prod-OrdersService",
    }
