"""Compliance gates: every stack of the sample app, in every profile, passes cdk-nag, cfn-lint
and checkov.

The ``sample`` fixture synthesizes through ``assert_compliant``: cdk-nag AwsSolutions and
Serverless and cfn-lint run as validation plugins of that one synthesis, and any
unacknowledged error fails it. Every stack of it (the pipeline's stages included) has a
snapshot that ``tests/sample/test_sample_snapshots.py`` proves equal to the template, and checkov
reads those snapshots in its one run (``tests/repository/test_checkov_gate.py``).
``tests/testing_module/test_testing.py`` and ``tests/repository/test_checkov_gate.py`` prove each
gate fails on a deliberate violation.
"""

from __future__ import annotations

import json

from tests.cdk_support import SAMPLE_STACKS


def test_the_gates_left_a_report_without_failures(sample):
    (report,) = sample.outdir.glob("*validation-report.json")
    plugins = json.loads(report.read_text())["pluginReports"]
    failures = [plugin for plugin in plugins if plugin.get("conclusion") == "failure"]
    assert not failures, json.dumps(failures, indent=1)[:4000]


def test_every_stack_is_gated_and_snapshotted(sample):
    # the pipeline is in the dev synthesis only; its stages hold their own copy of the service
    # stack, gated and snapshotted (so read by checkov) too
    assert set(sample.templates) == set(SAMPLE_STACKS[sample.profile])
