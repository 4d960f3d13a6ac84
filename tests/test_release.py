"""One version, written once: the package, its metadata, the changelog and the install lines."""

from __future__ import annotations

import importlib.metadata
import re

import pytest

from modern_app_constructs import __version__
from tests.cdk_support import ROOT

#: semver.org's grammar, without build metadata (a release is tagged ``v<version>``).
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?"
)
CHANGELOG = (ROOT / "CHANGELOG.md").read_text()
README = (ROOT / "README.md").read_text()


def test_version_is_semantic():
    assert SEMVER.fullmatch(__version__), __version__


def test_installed_distribution_reports_the_package_version():
    # `make install` reinstalls when __init__.py changes; a stale install fails here.
    assert importlib.metadata.version("modern-app-constructs") == __version__


def test_pyproject_reads_the_version_from_the_package():
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    dynamic = pyproject["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "modern_app_constructs.__version__"}


def test_changelog_starts_with_unreleased_then_the_current_version():
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", CHANGELOG, re.M)
    assert headings[0] == ("Unreleased", "")
    assert headings[1][0] == __version__, "add a CHANGELOG entry for the new version"
    assert headings[1][1], "a released version carries its date"
    versions = [version for version, _ in headings[1:]]
    assert all(SEMVER.fullmatch(v) for v in versions), versions


def test_readme_install_lines_name_the_current_version():
    git_url = "git+https://<git-host>/<your-org>/modern-app-constructs"
    assert f'"modern-app-constructs @ {git_url}@v{__version__}"' in README
    assert f"pip install modern-app-constructs=={__version__}" in README
