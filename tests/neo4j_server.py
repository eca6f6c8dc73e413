"""The real Neo4j + GDS server for the tests, started once per session.

Default: docker/neo4j-server (assembled from Maven Central by `make setup`) on free loopback
ports, with a state directory of its own. Where java or mvn is missing, the Neo4j tests skip
with one reason; anything else going wrong — the build, the start, GDS not loading — fails
them, with the server's log lines. With `LINKAGE_TEST_NEO4J=docker` the same server version
comes from docker/docker-compose.yml through pytest-docker instead; with
`LINKAGE_TEST_NEO4J_DIR=<dir>` the server of that state directory is used (started if need be)
and left running, which saves its start-up while developing. The tests empty its graph.

Logs stay on disk when a test failed (the path is printed); otherwise the state is removed.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docker" / "neo4j-server" / "neo4j_server.py"
SKIP_REASON = "java and mvn are needed to assemble and run the Neo4j + GDS test server"


def _server_module():
    spec = importlib.util.spec_from_file_location("linkage_neo4j_server", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


server = _server_module()


def _docker_server(request: pytest.FixtureRequest):
    """The Compose file's Neo4j 5.26 + GDS, on its published loopback ports."""
    services = request.getfixturevalue("docker_services")
    password = os.environ.get("LINKAGE_NEO4J_PASSWORD", "linkage-dev-password")
    info = server.ServerInfo(dir="", pid=0, bolt_port=int(services.port_for("neo4j", 7687)),
                             http_port=int(services.port_for("neo4j", 7474)), user="neo4j",
                             password=password, heap="1G")

    def answers() -> bool:
        try:
            return bool(server.query(info, "RETURN gds.version()"))
        except Exception:
            return False
    services.wait_until_responsive(check=answers, timeout=240.0, pause=2.0)
    return info


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(ROOT / "docker" / "docker-compose.yml")


@pytest.fixture(scope="session")
def neo4j_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A running server (`ServerInfo`: bolt_url, user, password, logs ...)."""
    if os.environ.get("LINKAGE_TEST_NEO4J") == "docker":
        yield _docker_server(request)
        return
    if server.missing_tools():
        pytest.skip(SKIP_REASON)
    if reuse := os.environ.get("LINKAGE_TEST_NEO4J_DIR"):  # a developer's running server: left running
        yield server.status(reuse) or server.start(reuse)
        return
    server.assemble()  # a no-op after `make setup`; otherwise builds it (failures fail the tests)
    state = tmp_path_factory.mktemp("neo4j-server")
    failed_before = request.session.testsfailed
    info = server.start(state, heap="768m", page_cache="64m")
    try:
        yield info
    finally:
        server.stop(state)
        if request.session.testsfailed > failed_before:
            print(f"\nNeo4j test server logs kept in {info.logs}", file=sys.stderr)
        else:
            shutil.rmtree(state, ignore_errors=True)


@pytest.fixture
def neo4j_store(neo4j_server, monkeypatch: pytest.MonkeyPatch):
    """A Neo4jStore on an empty graph (the previous test's nodes and GDS graphs removed)."""
    from linkage.store.neo4j_engine import Neo4jStore

    monkeypatch.setenv("LINKAGE_NEO4J_USER", neo4j_server.user)
    monkeypatch.setenv("LINKAGE_NEO4J_PASSWORD", neo4j_server.password)
    store = Neo4jStore.from_settings(neo4j_server.bolt_url)
    store.clear_graph()
    try:
        yield store
    finally:
        store.close()
