"""The app ``make bench`` tests as a service team would (benchmarks/consumer) stays gate-clean."""

from __future__ import annotations

import json
import runpy

from benchmarks.bench import CDK_JSON_SAMPLE_ONLY, _consumer_project
from modern_app_constructs.testing import app_for_tests, assert_compliant
from tests.cdk_support import CDK_JSON


def test_the_consumer_project_gets_this_repository_s_flags(tmp_path):
    project = _consumer_project(tmp_path)
    flags = json.loads((project / "cdk.json").read_text())["context"]
    ours = json.loads(CDK_JSON.read_text())["context"]
    assert flags == {k: v for k, v in ours.items() if k not in CDK_JSON_SAMPLE_ONLY}
    assert {"tests_library", "tests_plain"} <= {p.name for p in project.iterdir()}


def test_the_consumer_app_passes_the_gates(tmp_path):
    project = _consumer_project(tmp_path)
    build = runpy.run_path(str(project / "app.py"))["build"]
    app = app_for_tests(project, cfn_lint=True)
    build(app)
    assert set(assert_compliant(app)) == {"Platform", "Service"}
