"""Install the local AWS emulator (LocalStack) into its own venv: ``make integ-local`` runs this.

LocalStack 2026.3 runs as a plain Python process without Docker, but needs Python >= 3.12 (on
3.11 it fails with a misleading "No component plugins found"), while the project runs on 3.11.
So it gets a venv of its own under ``.emulator/`` (gitignored), built from
``tests/local/emulator-requirements.txt`` with the first Python >= 3.12 found:
``$EMULATOR_PYTHON``, ``python3.13``/``python3.12`` on ``PATH``, then pyenv's versions.

Without such a Python this says so and exits 0: the emulator tests then skip with that reason.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "tests" / "local" / "emulator-requirements.txt"
HOME = ROOT / ".emulator"
VENV = HOME / "venv"
STAMP = VENV / ".requirements-sha256"
MINIMUM = (3, 12)


def _version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return (int(out[0]), int(out[1])) if len(out) == 2 else None


def candidates() -> list[str]:
    """Interpreters to try, best first."""
    found = [os.environ.get("EMULATOR_PYTHON", "")]
    found += [shutil.which(name) or "" for name in ("python3.13", "python3.12")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    versions = sorted(pyenv_root.glob("versions/3.1[2-9]*/bin/python3"), reverse=True)
    found += [str(path) for path in versions]
    found += [f"/usr/bin/python3.{minor}" for minor in (13, 12)]
    return [python for python in dict.fromkeys(found) if python]


def find_python() -> str | None:
    """The first interpreter that runs and is at least Python 3.12."""
    for python in candidates():
        version = _version(python)
        if version is not None and version >= MINIMUM:
            return python
    return None


def install() -> int:
    """Create or refresh the emulator's venv; a no-op when the pins did not change."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        print(f"emulator: up to date in {VENV.relative_to(ROOT)}")
        return 0
    python = find_python()
    if python is None:
        print(
            "emulator: no Python >= 3.12 found (tried EMULATOR_PYTHON, python3.13, python3.12, "
            "pyenv versions); the emulator tests will be skipped. Set EMULATOR_PYTHON to one."
        )
        return 0
    print(f"emulator: installing LocalStack with {python} into {VENV.relative_to(ROOT)}")
    if VENV.exists():
        shutil.rmtree(VENV)
    subprocess.run([python, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--disable-pip-version-check", "-r", str(REQUIREMENTS)], check=True)
    STAMP.write_text(digest)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: emulator.py install")
    sys.exit(install())
