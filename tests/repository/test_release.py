"""One version, written once: the package, its metadata, the changelog and the install lines."""

from __future__ import annotations

import importlib.metadata
import re

import pytest

from modern_app_constructs import __version__
from tests.cdk_support import ROOT

#: A release is MAJOR.MINOR.PATCH (tagged ``vMAJOR.MINOR.PATCH``); between releases the version
#: is the next one with a PEP 440 pre-release or dev suffix (``0.2.0.dev0``, ``1.0.0rc1``).
VERSION = re.compile(
    r"(?P<release>(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*))(?P<pre>(a|b|rc)\d+)?(?P<dev>\.dev\d+)?"
)
CHANGELOG = (ROOT / "CHANGELOG.md").read_text()
README = (ROOT / "README.md").read_text()
RELEASES = re.findall(r"^## \[(\d[^\]]*)\] - (\d{4}-\d{2}-\d{2})$", CHANGELOG, re.M)


def _key(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


def test_version_is_a_release_or_the_next_one_in_development():
    assert VERSION.fullmatch(__version__), __version__


def test_installed_distribution_reports_the_package_version():
    # `make install` reinstalls when _version.py changes; a stale install fails here.
    assert importlib.metadata.version("modern-app-constructs") == __version__


def test_pyproject_reads_the_version_from_the_package():
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    dynamic = pyproject["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "modern_app_constructs._version.__version__"}


def test_changelog_has_unreleased_first_then_dated_releases_newest_first():
    headings = re.findall(r"^## \[([^\]]+)\]", CHANGELOG, re.M)
    assert headings[0] == "Unreleased"
    assert headings[1:] == [version for version, _ in RELEASES], "every release carries its date"
    releases = [_key(version) for version, _ in RELEASES]
    assert all(VERSION.fullmatch(v) and not VERSION.fullmatch(v)["dev"] for v, _ in RELEASES)
    assert releases == sorted(releases, reverse=True)


def test_changelog_agrees_with_the_version():
    match = VERSION.fullmatch(__version__)
    assert match
    latest = RELEASES[0][0]
    if match["pre"] or match["dev"]:
        assert _key(match["release"]) > _key(latest), "develop the version after the latest"
    else:
        assert latest == __version__, "a release has its CHANGELOG entry"


def test_readme_install_lines_name_the_latest_release():
    latest = RELEASES[0][0]
    git_url = "git+https://<git-host>/<your-org>/modern-app-constructs"
    assert f'"modern-app-constructs @ {git_url}@v{latest}"' in README
    assert f"pip install modern-app-constructs=={latest}" in README
