"""No test sees the caller's `LINKAGE_*` settings (conftest clears them), neither in a test, nor in a
session-wide fixture, nor in a command a test starts: checked by running these probes under a
pytest that was started with a store URL, a threshold and a secret in its environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from linkage.settings import load_settings

HERE = Path(__file__).resolve()
OUTSIDE = {"LINKAGE_STORE": "/nonexistent/elsewhere.duckdb", "LINKAGE_RING_THRESHOLD": "0.99",
           "LINKAGE_API_KEYS": "ops:secret:analyst"}


@pytest.fixture(scope="session")
def seen_by_a_session_fixture() -> list[str]:
    return sorted(n for n in os.environ if n.startswith("LINKAGE_"))


def test_probe_a_test_its_session_fixtures_and_its_commands_see_no_linkage_variable(seen_by_a_session_fixture):
    assert seen_by_a_session_fixture == []
    assert not [n for n in os.environ if n.startswith("LINKAGE_")]
    assert load_settings().ring_threshold == 0.6 and load_settings().api_keys == ""
    child = subprocess.run([sys.executable, "-c", "import os; print(sorted(n for n in os.environ "
                            "if n.startswith('LINKAGE_')))"], capture_output=True, text=True, check=True)
    assert child.stdout.strip() == "[]"


def test_a_suite_started_with_linkage_settings_runs_without_them():
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          f"{HERE}::test_probe_a_test_its_session_fixtures_and_its_commands_see_no_linkage_variable"],
                         capture_output=True, text=True, cwd=HERE.parents[1], env={**os.environ, **OUTSIDE},
                         timeout=300)
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr
