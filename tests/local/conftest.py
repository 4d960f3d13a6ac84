"""The emulator for the ``emulator`` tests: one LocalStack per test session, on loopback.

These tests run with ``make integ-local`` (and as a step of ``make test``), which first builds
the emulator's own venv; plain ``pytest`` deselects them (``-m "not emulator"`` in addopts).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.emulator import find_python
from tests.local.emulator import VENV_PYTHON, Emulator


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """LocalStack started for this session and stopped by its process id afterwards."""
    if not VENV_PYTHON.exists():
        python = find_python()
        reason = (
            "no Python >= 3.12 on this machine (LocalStack 2026.3 needs it); set EMULATOR_PYTHON"
            if python is None
            else f"the emulator's venv is not built: run `make integ-local` (it will use {python})"
        )
        pytest.skip(reason)
    running = Emulator.start(tmp_path_factory.mktemp("localstack"))
    try:
        yield running
    finally:
        running.stop()
