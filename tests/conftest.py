"""Shared fixtures. Every test here uses real components: real DuckDB files, real files on disk."""

from __future__ import annotations

import pytest
from neo4j_server import docker_compose_file, neo4j_server, neo4j_store  # noqa: F401 (fixtures)

from nightly_support import clean_nights, decided_nights  # noqa: F401  (session fixtures of the nightly tests)

# A suite that silently collects nothing must not pass: CI fails below this count.
MIN_EXPECTED_TESTS = 20


def pytest_collection_finish(session: pytest.Session) -> None:
    selected_subset = session.config.getoption("-k") or session.config.getoption("-m") or any(
        "::" in a or a.endswith(".py") for a in session.config.args)
    if not selected_subset and len(session.items) < MIN_EXPECTED_TESTS:
        raise pytest.UsageError(
            f"only {len(session.items)} tests collected (expected at least {MIN_EXPECTED_TESTS}): "
            "is a test module failing to import?")


def _linkage_variables() -> list[str]:
    import os

    return [n for n in os.environ if n.startswith("LINKAGE_")]


@pytest.fixture(autouse=True, scope="session")
def clean_linkage_environment_for_session_fixtures():
    """The same for session-wide fixtures (stores built once, nightly runs, CLI subprocesses they start),
    which are set up before any test's own fixtures."""
    with pytest.MonkeyPatch.context() as mp:
        for name in _linkage_variables():
            mp.delenv(name)
        yield


@pytest.fixture(autouse=True)
def clean_linkage_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with no `LINKAGE_*` variable: a developer's or CI's own settings
    (a store, a threshold, a secret) must not change what a test sees. Tests set what they need."""
    for name in _linkage_variables():
        monkeypatch.delenv(name)


# ---- the GraphQL API's store (issue #12): built once per session, read-only for tests --------
@pytest.fixture(scope="session")
def api_store(tmp_path_factory: pytest.TempPathFactory):
    from api_support import build_store

    return build_store(tmp_path_factory.mktemp("api"))
