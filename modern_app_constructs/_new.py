"""``new service`` and ``update``: a service repository from a template, kept up to date.

What AWS Proton's service templates gave, on copier (the ``new`` extra): ``new service NAME
--environment ENV`` renders the template shipped in the package (or a platform team's fork,
``--template-source PATH_OR_GIT_URL``) into a new repository; ``update`` brings a generated
repository to a newer template version by copier's three-way merge, keeping the team's edits;
``update --check`` says which repositories are behind.

copier reads template versions from git tags. The packaged template is therefore kept in a
local git repository (``$MODERN_APP_CONSTRUCTS_TEMPLATE_CACHE``, default
``~/.cache/modern-app-constructs/service-template``) to which each library version adds its own
template, tagged ``v<version>``: an update from version A to B needs both in that repository,
i.e. ``new`` run there with A and ``update`` with B. A platform team's fork is a git repository
with its own tags and needs no cache.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from ._contract import check_environment_name
from ._exit_codes import EXIT_FINDING, EXIT_UNUSABLE
from ._validation import InvalidPropError
from ._version import __version__

__all__ = [
    "TEMPLATES",
    "NewServiceError",
    "TemplateState",
    "UpdateResult",
    "add_parser",
    "check",
    "new_service",
    "packaged_template",
    "run",
    "run_check",
    "template_repository",
    "update",
]

#: The packaged template's kinds of service.
TEMPLATES = ("api", "worker", "container")
CACHE_ENV = "MODERN_APP_CONSTRUCTS_TEMPLATE_CACHE"
ANSWERS_FILE = ".copier-answers.yml"
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_NAME_RULE = (
    "2-40 lower-case letters, digits and single hyphens, starting with a letter and not ending "
    "with a hyphen (it names the repository, the Python package and the stacks)"
)
_GIT_IDENTITY = ("-c", "user.name=modern-app-constructs", "-c", "user.email=noreply@localhost")


class NewServiceError(ValueError):
    """Input ``new`` or ``update`` cannot use; the message says what is allowed."""


@dataclass(frozen=True)
class UpdateResult:
    """What ``update`` did to one repository.

    Attributes:
        directory: the repository.
        from_version: the template version it came from.
        to_version: the template version it has now.
        changed: the files the update changed (``git status`` paths).
        conflicts: the files with conflict markers to resolve.
    """

    directory: Path
    from_version: str
    to_version: str
    changed: tuple[str, ...]
    conflicts: tuple[str, ...]


@dataclass(frozen=True)
class TemplateState:
    """Whether a generated repository's template is behind.

    Attributes:
        directory: the repository.
        version: the template version it came from.
        latest: the newest version its template source offers.
    """

    directory: Path
    version: str
    latest: str

    @property
    def behind(self) -> bool:
        """An older template version than the newest its source offers."""
        return _version_key(self.version) < _version_key(self.latest)


def packaged_template() -> Path:
    """The template directory shipped in the package."""
    return Path(str(resources.files("modern_app_constructs") / "templates" / "service"))


def _default_cache() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "modern-app-constructs" / "service-template"


def _git(*args: str | Path, cwd: Path) -> str:
    result = subprocess.run(
        ["git", *_GIT_IDENTITY, *(str(arg) for arg in args)],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise NewServiceError(f"git {' '.join(map(str, args))} failed in {cwd}: {result.stderr}")
    return result.stdout


def template_repository(
    cache: Path | None = None, *, version: str = __version__, template: Path | None = None
) -> Path:
    """The local git repository of the packaged template, holding ``version``'s as ``v<version>``.

    Args:
        cache: the repository. Default: ``$MODERN_APP_CONSTRUCTS_TEMPLATE_CACHE`` or
            ``~/.cache/modern-app-constructs/service-template``.
        version: the version to tag. Default: this library's.
        template: the template directory. Default: the packaged one.
    """
    repo = cache or _default_cache()
    source = template or packaged_template()
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        _git("init", "--quiet", "--initial-branch", "main", cwd=repo)
    for entry in repo.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    shutil.copytree(
        source, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    _git("add", "--all", cwd=repo)
    tag = f"v{version}"
    tagged = _git("tag", "--list", tag, cwd=repo).strip() == tag
    if _git("status", "--porcelain", cwd=repo).strip() or not tagged:
        _git("commit", "--quiet", "--allow-empty", "-m", f"service template {tag}", cwd=repo)
        _git("tag", "--force", tag, cwd=repo)
    return repo


def _check_service_name(name: str) -> None:
    if not (2 <= len(name) <= 40 and _SERVICE_NAME.match(name)):
        raise NewServiceError(f"invalid service name {name!r}: allowed: {_NAME_RULE}")


def _check_environment(environment: str) -> None:
    try:
        check_environment_name("new service", environment)
    except InvalidPropError as error:
        raise NewServiceError(
            f"invalid --environment {environment!r}: the name a platform environment is "
            f"published under; {error.allowed}"
        ) from None


def _template_choices(source: str | None) -> tuple[str, ...] | None:
    """The kinds a template offers, when they can be read without fetching it."""
    if source is None:
        return TEMPLATES
    config = Path(source).expanduser() / "copier.yml"
    if not config.is_file():
        return None  # a git URL: copier validates the answer against the fetched template
    import yaml

    question = (yaml.safe_load(config.read_text()) or {}).get("template")
    choices = question.get("choices") if isinstance(question, dict) else None
    if isinstance(choices, dict):  # copier's {label: value}
        return tuple(str(value) for value in choices.values())
    if isinstance(choices, list):
        return tuple(str(value) for value in choices)
    return None


def _check_output(output: Path) -> None:
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise NewServiceError(
            f"--output {output} exists and is not an empty directory: choose a new directory "
            "(nothing was written)"
        )


def new_service(
    name: str,
    *,
    environment: str,
    template: str = "api",
    output: Path | None = None,
    template_source: str | None = None,
    cache: Path | None = None,
) -> Path:
    """Render a new service repository; return its directory.

    Everything is checked before anything is written, and the repository is rendered next to
    ``output`` and moved into place at the end: a failure leaves nothing behind.

    Args:
        name: the service's name (lower-case letters, digits, single hyphens).
        environment: the published platform environment the service attaches to.
        template: ``api``, ``worker`` or ``container`` (or a kind a fork offers). Default:
            ``api``.
        output: the repository's directory, new or empty. Default: ``./<name>``.
        template_source: a fork of the template (a directory or a git URL). Default: the
            packaged template, at this library's version.
        cache: the packaged template's local repository (see :func:`template_repository`).

    Raises:
        NewServiceError: an invalid name, environment or template, or a non-empty output.
    """
    import copier
    from copier.errors import CopierError

    _check_service_name(name)
    _check_environment(environment)
    choices = _template_choices(template_source)
    if choices is not None and template not in choices:
        raise NewServiceError(f"unknown --template {template!r}: allowed: {', '.join(choices)}")
    target = (output or Path(name)).resolve()
    _check_output(target)
    if template_source is None:
        source, ref = str(template_repository(cache)), f"v{__version__}"
    else:
        source, ref = template_source, None
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        copier.run_copy(
            source,
            staging,
            data={
                "service_name": name,
                "environment": environment,
                "template": template,
                "library_version": __version__,
            },
            vcs_ref=ref,
            defaults=True,
            overwrite=True,
            quiet=True,
        )
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, ValueError | CopierError):
            raise NewServiceError(f"cannot render the template: {error}") from error
        raise
    return target


def _answers(directory: Path) -> dict[str, Any]:
    import yaml

    answers = directory / ANSWERS_FILE
    if not answers.is_file():
        raise NewServiceError(
            f"{directory} has no {ANSWERS_FILE}: not a repository `new service` generated"
        )
    loaded = yaml.safe_load(answers.read_text()) or {}
    if not isinstance(loaded, dict):
        raise NewServiceError(f"{answers} is not a mapping of answers")
    return loaded


def _is_packaged(answers: dict[str, Any], cache: Path | None) -> bool:
    recorded = Path(str(answers.get("_src_path", ""))).expanduser()
    return recorded.resolve() == (cache or _default_cache()).resolve()


def update(
    directory: Path, *, template_source: str | None = None, cache: Path | None = None
) -> UpdateResult:
    """Bring a generated repository to the newest template version (copier's three-way merge).

    The team's edits stay; where they and the template changed the same lines, the file keeps
    both between conflict markers. The library pin (``library_version``) moves to this
    library's version.

    Args:
        directory: the repository (a clean git working tree).
        template_source: a fork to update from instead of the one recorded. Default: the
            recorded source (the packaged template: this library's version of it).
        cache: the packaged template's local repository (see :func:`template_repository`).

    Raises:
        NewServiceError: not a generated repository, a dirty working tree, a template version
            that is not available, or any other reason copier refuses.
    """
    from copier._main import Worker  # run_update takes no src_path
    from copier.errors import CopierError

    answers = _answers(directory)
    before = str(answers.get("_commit", "unknown"))
    ref = None
    if template_source is None and _is_packaged(answers, cache):
        template_repository(cache)
        ref = f"v{__version__}"  # this library's, pre-release or not
    try:
        with Worker(
            dst_path=directory,
            src_path=template_source,
            vcs_ref=ref,
            data={"library_version": __version__},
            defaults=True,
            overwrite=True,
            quiet=True,
            conflict="inline",
            skip_answered=True,
        ) as worker:
            worker.run_update()
    except (ValueError, CopierError, subprocess.CalledProcessError) as error:
        raise NewServiceError(f"cannot update {directory}: {error}") from error
    after = str(_answers(directory).get("_commit", "unknown"))
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=directory)
    changed = tuple(sorted(line[3:] for line in status.splitlines() if line.strip()))
    conflicts = tuple(
        path
        for path in changed
        if (directory / path).is_file()
        and "<<<<<<< before updating" in (directory / path).read_text(errors="replace")
    )
    return UpdateResult(directory, before, after, changed, conflicts)


def _version_key(version: str) -> tuple[int, ...]:
    from packaging.version import InvalidVersion, Version

    tag = version.lstrip("v").split("-", 1)[0]
    try:
        parsed = Version(tag)
    except InvalidVersion:
        return (-1,)
    # pre-releases sort below their release
    pre = 0 if parsed.is_prerelease or parsed.is_devrelease else 1
    return (*parsed.release, pre)


def _latest_tag(source: str) -> str:
    import copier._vcs as vcs

    return str(vcs.get_latest_tag(source))


def check(
    directories: Iterable[Path], *, template_source: str | None = None, cache: Path | None = None
) -> list[TemplateState]:
    """Each repository's template version against the newest its source offers.

    Raises:
        NewServiceError: a directory that is not a generated repository, or a source whose
            versions cannot be read.
    """
    states = []
    for directory in directories:
        answers = _answers(directory)
        source = template_source or str(answers.get("_src_path", ""))
        if template_source is None and _is_packaged(answers, cache):
            latest = f"v{__version__}"
        else:
            try:
                latest = _latest_tag(source)
            except Exception as error:
                raise NewServiceError(
                    f"cannot read the template versions of {source}: {error}"
                ) from error
        states.append(TemplateState(directory, str(answers.get("_commit", "unknown")), latest))
    return states


# --- the command line -----------------------------------------------------------------------


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``new`` and ``update`` to the command line's sub-parsers; return ``new``'s.

    The shell registers this module under both names: the second call adds nothing.
    """
    if "new" in commands.choices:
        existing: argparse.ArgumentParser = commands.choices["new"]
        return existing
    new: argparse.ArgumentParser = commands.add_parser(
        "new", help="create a service repository from the platform's template"
    )
    new.add_argument("kind", choices=["service"], help="what to create")
    new.add_argument("name", help=f"the service's name: {_NAME_RULE}")
    new.add_argument(
        "--environment",
        required=True,
        help="the published platform environment the service attaches to (e.g. shop-dev)",
    )
    new.add_argument(
        "--template", default="api", help=f"the kind of service: {', '.join(TEMPLATES)} (api)"
    )
    new.add_argument("--output", type=Path, help="the new repository's directory (./NAME)")
    new.add_argument(
        "--template-source",
        help="a fork of the template: a directory or a git URL (default: the packaged one)",
    )
    new.set_defaults(command="new")
    upd: argparse.ArgumentParser = commands.add_parser(
        "update", help="bring generated repositories to the newest template version"
    )
    upd.add_argument("directories", nargs="*", type=Path, default=[Path(".")], metavar="DIR")
    upd.add_argument(
        "--check",
        action="store_true",
        help=f"only say which repositories are behind (exit {EXIT_FINDING} when one is)",
    )
    upd.add_argument("--template-source", help="update from this fork (a directory or a git URL)")
    upd.set_defaults(command="update")
    return new


def _render_update(result: UpdateResult) -> str:
    if result.from_version == result.to_version and not result.changed:
        return f"{result.directory}: already at template {result.to_version}, nothing changed"
    lines = [
        f"{result.directory}: template {result.from_version} -> {result.to_version}, "
        f"{len(result.changed)} file(s) changed (review with `git diff`, then commit):"
    ]
    lines += [f"  {path}" for path in result.changed]
    if result.conflicts:
        lines.append("conflicts to resolve (both versions kept between markers):")
        lines += [f"  {path}" for path in result.conflicts]
    return "\n".join(lines)


def _states_json(states: Sequence[TemplateState]) -> str:
    return json.dumps(
        [
            {
                "repository": str(s.directory),
                "template": s.version,
                "newest": s.latest,
                "behind": s.behind,
            }
            for s in states
        ],
        indent=2,
    )


def run_check(
    directories: Sequence[Path],
    out: TextIO,
    err: TextIO,
    *,
    command: str,
    output_format: str = "table",
    template_source: str | None = None,
    cache: Path | None = None,
) -> int:
    """Say which generated repositories' template is behind (``update --check``, ``report``).

    Returns:
        0, ``EXIT_FINDING`` when one is behind, ``EXIT_UNUSABLE`` when a directory is not a
        generated repository, its template's versions cannot be read or copier is missing.
    """
    try:
        states = check(directories, template_source=template_source, cache=cache)
    except NewServiceError as error:
        err.write(f"{command}: {error}\n")
        return EXIT_UNUSABLE
    except ImportError as error:
        err.write(f"{command} needs copier ({error}): pip install 'modern-app-constructs[new]'\n")
        return EXIT_UNUSABLE
    out.write((_states_json(states) if output_format == "json" else _render_states(states)) + "\n")
    return EXIT_FINDING if any(state.behind for state in states) else 0


def _render_states(states: Sequence[TemplateState]) -> str:
    rows = [("repository", "template", "newest", "state")]
    rows += [
        (str(s.directory), s.version, s.latest, "behind" if s.behind else "current") for s in states
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO, *, cache: Path | None = None) -> int:
    """Run a parsed ``new`` or ``update``; return its exit code (0, 1 with ``--check``, 2)."""
    try:
        if args.command == "new":
            target = new_service(
                args.name,
                environment=args.environment,
                template=args.template,
                output=args.output,
                template_source=args.template_source,
                cache=cache,
            )
            out.write(
                f"created {target} ({args.template} service {args.name!r}, attached to "
                f"{args.environment!r})\nnext: cd {target} && git init && make synth && make test "
                "(the first run records the snapshots: commit them)\n"
            )
            return 0
        if args.check:
            return run_check(
                args.directories,
                out,
                err,
                command=args.command,
                template_source=args.template_source,
                cache=cache,
            )
        for directory in args.directories:
            result = update(directory, template_source=args.template_source, cache=cache)
            out.write(_render_update(result) + "\n")
        return 0
    except NewServiceError as error:
        err.write(f"{args.command}: {error}\n")
        return EXIT_UNUSABLE
    except ImportError as error:
        err.write(
            f"{args.command} needs copier ({error}): pip install 'modern-app-constructs[new]'\n"
        )
        return EXIT_UNUSABLE
