"""The app synthesized once for the whole session, behind cdk-nag and cfn-lint."""

import pytest
from app import build
from aws_cdk.assertions import Template

from modern_app_constructs.testing import app_for_tests, assert_compliant

pytest_plugins = ["modern_app_constructs.testing"]  # the template_snapshot fixture


@pytest.fixture(scope="session")
def templates():
    app = app_for_tests(cfn_lint=True)  # cdk.json's context; cfn-lint instead of the built-in
    build(app)
    return assert_compliant(app)


@pytest.fixture(scope="session")
def platform(templates):
    return Template.from_json(templates["Platform"])


@pytest.fixture(scope="session")
def service(templates):
    return Template.from_json(templates["Service"])
