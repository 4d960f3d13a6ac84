"""docs/API.md is generated from the code and cannot fall behind it."""

from __future__ import annotations

import inspect

import pytest
from constructs import Construct

import modern_app_constructs
from scripts import gen_api_docs
from tests.cdk_support import ROOT

PUBLIC = {name: getattr(modern_app_constructs, name) for name in modern_app_constructs.__all__}
CONSTRUCTS = [name for name, obj in PUBLIC.items() if gen_api_docs.is_construct(obj)]
OTHER_CLASSES = [
    name for name, obj in PUBLIC.items() if inspect.isclass(obj) and name not in CONSTRUCTS
]


@pytest.fixture(scope="module")
def rendered() -> str:
    return gen_api_docs.render()


def test_api_md_is_up_to_date(rendered):
    current = (ROOT / "docs" / "API.md").read_text()
    assert current == rendered, "docs/API.md is stale: run `make docs` and commit the result"


def test_api_md_has_a_section_for_every_public_name(rendered):
    for name in modern_app_constructs.__all__:
        assert f"\n### {name}\n" in rendered, name


def test_there_are_public_constructs_to_check():
    assert {"CanaryFunction", "FargateService", "ApiFrontDoor"} <= set(CONSTRUCTS)


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_every_constructor_argument_of_a_construct_has_an_args_entry(name):
    assert gen_api_docs.undocumented_arguments(PUBLIC[name]) == [], (
        f"{name}: document these arguments in the class docstring's Args section"
    )


@pytest.mark.parametrize("name", OTHER_CLASSES)
def test_every_constructor_argument_of_a_public_class_is_documented(name):
    assert gen_api_docs.undocumented_arguments(PUBLIC[name]) == []


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_every_constructor_argument_is_in_the_reference_with_type_and_default(rendered, name):
    section = rendered.split(f"\n### {name}\n", 1)[1].split("\n### ", 1)[0]
    for param in gen_api_docs.constructor(PUBLIC[name]) or []:
        default = "required" if param.default is None else f"`{param.default}`"
        row = f"| `{param.name}` | `{param.annotation.replace('|', chr(92) + '|')}` | {default} |"
        assert row in section, row


# ----------------------------------------------------------------- the generator itself


class _Documented(Construct):
    """A construct for the generator's own tests.

    Args:
        scope: the parent.
        construct_id: the id.
        size: how big. Default: 1.

    Attributes:
        left, right: the two halves.
    """

    def __init__(self, scope: Construct, construct_id: str, *, size: int = 1) -> None:
        super().__init__(scope, construct_id)
        self.left = size
        self.right: int = size


class _Undocumented(Construct):
    """A construct whose docstring forgot an argument.

    Args:
        scope: the parent.
        construct_id: the id.
    """

    def __init__(self, scope: Construct, construct_id: str, *, forgotten: str = "x") -> None:
        super().__init__(scope, construct_id)


def test_a_construct_argument_missing_from_args_is_reported():
    assert gen_api_docs.undocumented_arguments(_Documented) == []
    assert gen_api_docs.undocumented_arguments(_Undocumented) == ["forgotten"]


def test_signature_and_docstring_become_rows():
    section = "\n".join(gen_api_docs.render_class(_Documented, set()))
    assert "| `size` | `int` | `1` | how big. Default: 1. |" in section
    assert "| `left` | `int` | the two halves. |" in section
    assert "| `right` | `int` | the two halves. |" in section


def test_google_docstring_parsing():
    doc = gen_api_docs.parse_docstring(
        "Summary line.\n\nBody text.\n\n"
        "Args:\n    name: first line\n        and its continuation.\n"
        "    other (int): typed. Default: 2.\n\n"
        "Attributes:\n    a / b: both.\n    loose text\n"
    )
    assert doc.summary == "Summary line."
    assert doc.body == "Body text."
    assert doc.entries["Args"] == {
        "name": "first line and its continuation.",
        "other": "typed. Default: 2.",
    }
    assert doc.entries["Attributes"] == {"a": "both.", "b": "both."}
    assert doc.text["Attributes (free text)"] == "loose text"
