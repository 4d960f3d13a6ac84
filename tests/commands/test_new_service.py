"""``new service`` and ``update``: bad input, forks, the three-way update, stable snapshots."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modern_app_constructs import _new
from modern_app_constructs._cli import main
from modern_app_constructs.testing import app_for_tests, normalize
from tests.cdk_support import ROOT

GIT = ("git", "-c", "user.name=t", "-c", "user.email=t@localhost")


def _main(*argv, cache):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err, cache=cache)
    return code, out.getvalue(), err.getvalue()


def _git(*args, cwd):
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "template-cache"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["Bad_Name"], "invalid service name 'Bad_Name': allowed: 2-40 lower-case letters"),
        (["orders", "--template", "lambda"], "unknown --template 'lambda': allowed: api, worker"),
        (["orders", "--environment", "shop/prod"], "invalid --environment 'shop/prod'"),
    ],
)
def test_bad_input_exits_2_with_what_is_allowed_and_writes_nothing(tmp_path, cache, argv, message):
    name, *rest = argv
    environment = [] if "--environment" in rest else ["--environment", "shop-dev"]
    output = tmp_path / "out" / "svc"
    code, out, err = _main(
        "new", "service", name, *environment, *rest, "--output", str(output), cache=cache
    )
    assert (code, out) == (2, "")
    assert message in err
    assert not (tmp_path / "out").exists()


def test_an_output_directory_that_is_not_empty_is_refused_untouched(tmp_path, cache):
    output = tmp_path / "svc"
    output.mkdir()
    (output / "notes.txt").write_text("mine")
    code, _, err = _main(
        "new", "service", "orders", "--environment", "shop-dev", "--output", str(output),
        cache=cache,
    )  # fmt: skip
    assert code == 2
    assert "exists and is not an empty directory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["svc"]
    assert [p.name for p in output.iterdir()] == ["notes.txt"]


def test_the_template_carries_this_repositorys_feature_flags():
    generated = (_new.packaged_template() / "cdk.json.jinja").read_text()
    context = json.loads(generated.replace("{{ ", "").replace(" }}", ""))["context"]
    ours = json.loads((ROOT / "cdk.json").read_text())["context"]
    flags = {key: value for key, value in ours.items() if key.startswith("@aws-cdk")}
    assert {key: context[key] for key in context if key.startswith("@aws-cdk")} == flags


def test_new_renders_the_chosen_template_and_records_its_version(tmp_path, cache):
    code, out, _ = _main(
        "new", "service", "pay-ments", "--environment", "shop-dev", "--template", "worker",
        "--output", str(tmp_path / "payments"), cache=cache,
    )  # fmt: skip
    assert code == 0, out
    repo = tmp_path / "payments"
    assert (repo / "functions" / "worker.py").is_file()
    assert not (repo / "functions" / "hello.py").exists()
    assert not (repo / "service").exists()
    answers = (repo / ".copier-answers.yml").read_text()
    assert f"_commit: v{_new.__version__}" in answers
    assert "template: worker" in answers
    assert (
        f"modern-app-constructs[testing]=={_new.__version__}"
        in (repo / "requirements.txt").read_text()
    )
    assert (
        "export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20"
        in (repo / "Makefile").read_text()
    )
    assert '"aws-cdk": "^2.1148' in (repo / "package.json").read_text()
    assert "DecoupledWorker" in (repo / "pay_ments" / "service.py").read_text()


def _fork(tmp_path, tweak):
    """A platform team's fork: the packaged template, with one change, in a git repository."""
    fork = tmp_path / "fork"
    shutil.copytree(_new.packaged_template(), fork)
    readme = fork / "README.md.jinja"
    readme.write_text(readme.read_text() + tweak)
    return fork


def test_a_platform_teams_local_fork_is_rendered(tmp_path, cache):
    fork = _fork(tmp_path, "\nAsk #platform-help on chat.\n")
    code, _, err = _main(
        "new", "service", "orders", "--environment", "shop-dev", "--output",
        str(tmp_path / "orders"), "--template-source", str(fork), cache=cache,
    )  # fmt: skip
    assert code == 0, err
    assert "Ask #platform-help on chat." in (tmp_path / "orders" / "README.md").read_text()
    assert not cache.exists()  # the packaged template was not used


def test_update_keeps_the_teams_edit_and_applies_the_templates_change(tmp_path, cache):
    # the fork's v1.0.0: the Makefile without a `make fmt` target
    fork = _fork(tmp_path, "")
    _git("init", "-q", "-b", "main", cwd=fork)
    _git("add", "-A", cwd=fork)
    _git("commit", "-qm", "v1", cwd=fork)
    _git("tag", "v1.0.0", cwd=fork)
    repo = tmp_path / "orders"
    code, _, err = _main(
        "new", "service", "orders", "--environment", "shop-dev", "--output", str(repo),
        "--template-source", str(fork), cache=cache,
    )  # fmt: skip
    assert code == 0, err
    _git("init", "-q", "-b", "main", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-qm", "generated", cwd=repo)
    # the team edits its handler
    handler = repo / "functions" / "hello.py"
    handler.write_text(handler.read_text().replace('"message": "hello"', '"message": "hi team"'))
    _git("commit", "-qam", "our greeting", cwd=repo)
    # the platform team releases v1.1.0: a new Makefile target
    makefile = fork / "Makefile.jinja"
    makefile.write_text(makefile.read_text() + "\nfmt: install\n\t$(PY) -m ruff format .\n")
    _git("commit", "-qam", "v1.1", cwd=fork)
    _git("tag", "v1.1.0", cwd=fork)

    code, out, _ = _main("update", "--check", str(repo), cache=cache)
    assert code == 1
    assert out.splitlines()[1].split()[1:] == ["v1.0.0", "v1.1.0", "behind"]

    code, out, err = _main("update", str(repo), cache=cache)
    assert code == 0, err
    assert "template v1.0.0 -> v1.1.0" in out
    assert "Makefile" in out
    assert "fmt: install" in (repo / "Makefile").read_text()  # the template's change
    assert '"message": "hi team"' in handler.read_text()  # the team's edit
    assert "_commit: v1.1.0" in (repo / ".copier-answers.yml").read_text()

    _git("commit", "-qam", "template v1.1.0", cwd=repo)
    code, out, _ = _main("update", "--check", str(repo), cache=cache)
    assert (code, "current" in out) == (0, True)


def test_update_of_a_directory_that_was_not_generated_exits_2(tmp_path, cache):
    code, _, err = _main("update", str(tmp_path), cache=cache)
    assert code == 2
    assert "has no .copier-answers.yml" in err


def _templates(repo: Path) -> dict[str, dict]:
    app = app_for_tests(repo)
    sys.modules.pop("stable_svc.app", None)
    from stable_svc.app import build  # the generated package

    build(app)
    assembly = app.synth()
    return {
        stack.stack_name: json.loads(Path(stack.template_full_path).read_text())
        for stack in assembly.stacks_recursively
    }


def test_a_handler_edit_leaves_every_normalised_snapshot_unchanged(tmp_path, cache, monkeypatch):
    repo = tmp_path / "stable-svc"
    _new.new_service("stable-svc", environment="shop-dev", output=repo, cache=cache)
    monkeypatch.syspath_prepend(str(repo))
    before = _templates(repo)
    handler = repo / "functions" / "hello.py"
    handler.write_text(handler.read_text().replace('"hello"}', '"hello again"}'))
    after = _templates(repo)

    assert sorted(before) == [
        "Dev-Service",
        "Prod-Service",
        "StableSvcPipeline",
        "StableSvcService",
    ]
    for stack in before:
        assert normalize(after[stack]) == normalize(before[stack]), stack
    # ... while the code change does publish a new version (and new assets)
    assert after["StableSvcService"] != before["StableSvcService"]
    assert after["StableSvcPipeline"] != before["StableSvcPipeline"]


def test_report_lists_the_repositories_whose_template_is_behind(tmp_path, cache):
    fork = tmp_path / "fork"
    fork.mkdir()
    (fork / "copier.yml").write_text("name:\n  type: str\n")
    (fork / "README.md.jinja").write_text("# {{ name }}\n")
    _git("init", "-q", "-b", "main", cwd=fork)
    _git("add", "-A", cwd=fork)
    _git("commit", "-qm", "v1", cwd=fork)
    _git("tag", "v1.0.0", cwd=fork)
    old, new = tmp_path / "old", tmp_path / "new"
    for repo, version in ((old, "v1.0.0"), (new, "v1.1.0")):
        repo.mkdir()
        (repo / ".copier-answers.yml").write_text(f"_commit: {version}\n_src_path: {fork}\n")
    code, out, err = _main("report", "--template", str(old), "--fail-if-behind", cache=cache)
    assert (code, out.splitlines()[1].split()[1:]) == (0, ["v1.0.0", "v1.0.0", "current"]), err

    _git("commit", "-q", "--allow-empty", "-m", "v1.1", cwd=fork)
    _git("tag", "v1.1.0", cwd=fork)
    code, out, _ = _main("report", "--template", str(old), str(new), cache=cache)
    assert code == 0  # behind is a finding only with --fail-if-behind
    assert [line.split()[1:] for line in out.splitlines()[1:]] == [
        ["v1.0.0", "v1.1.0", "behind"],
        ["v1.1.0", "v1.1.0", "current"],
    ]
    code, out, _ = _main(
        "report", "--template", str(old), str(new), "--format", "json", "--fail-if-behind",
        cache=cache,
    )  # fmt: skip
    assert code == 1
    assert json.loads(out) == [
        {"repository": str(old), "template": "v1.0.0", "newest": "v1.1.0", "behind": True},
        {"repository": str(new), "template": "v1.1.0", "newest": "v1.1.0", "behind": False},
    ]


def test_report_of_a_directory_that_was_not_generated_exits_2(tmp_path, cache):
    code, out, err = _main("report", "--template", str(tmp_path), cache=cache)
    assert (code, out) == (2, "")
    assert err.startswith("report: ")
    assert "has no .copier-answers.yml" in err
    code, _, err = _main(
        "report", "--template", str(tmp_path), "--environment", "shop", cache=cache
    )
    assert (code, "give one" in err) == (2, True)
