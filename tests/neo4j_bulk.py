"""A Neo4j server whose database was built by `neo4j-admin database import full` from our export.

One small scenario goes through the real CLI on the embedded engine (simulate -> ingest ->
detect -> export-neo4j-import); the assembled server's own neo4j-admin imports the export into
a fresh data directory; the server then starts on it (docker/neo4j-server/neo4j_server.py,
the same launcher every Neo4j test uses). Session-wide: the bulk-load and Browser tests share it.
Skips, with its reason, where Java or Maven is missing; keeps the server's logs if it fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from linkage.store.embedded import EmbeddedStore
from linkage.store.models import GraphStats, Ring

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "docker" / "neo4j-server" / "neo4j_server.py"
SCALE, SEED = "0.002", "3"  # ~2,100 accounts, three rings: enough to draw, quick to load


@dataclass
class BulkLoad:
    server: ModuleType  # the launcher module: query(), stop()
    info: object  # its ServerInfo
    export_dir: Path
    data_dir: Path  # the scenario's input files
    embedded_path: Path  # the embedded store the export came from
    import_output: str
    import_seconds: float
    stats: GraphStats  # the embedded store's, for comparison
    account_artifacts: list[tuple]
    rings: list[Ring]
    ingested_hashes: set[str]

    def query(self, statement: str, **parameters: object) -> list[list[object]]:
        return self.server.query(self.info, statement, timeout_s=60.0, parameters=parameters)

    def env(self) -> dict[str, str]:
        return self.info.env()


def launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("neo4j_server", LAUNCHER)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("neo4j_server", module)
    spec.loader.exec_module(module)
    return module


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LINKAGE_STORE", None)
    done = subprocess.run([sys.executable, "-m", "linkage", *args], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, f"linkage {args[0]} failed ({done.returncode}): {done.stderr[-2000:]}"
    return done


def artifact_rows(rows: list[dict]) -> list[tuple]:
    """account_artifacts rows in one comparable shape, whichever engine returned them."""
    def when(v: object) -> str:
        return v.isoformat() if hasattr(v, "isoformat") else str(v).replace("Z", "+00:00")

    return sorted((r["account_id"], r["kind"], r["artifact"], int(r["count"]),
                   _instant(when(r["first_seen"])), _instant(when(r["last_seen"]))) for r in rows)


def _instant(text: str) -> str:
    from datetime import datetime, timezone

    return datetime.fromisoformat(text).astimezone(timezone.utc).isoformat()


@pytest.fixture(scope="session")
def bulk_loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BulkLoad]:
    server = launcher()
    if missing := server.missing_tools():
        pytest.skip(f"the Neo4j server needs {' and '.join(missing)} (not found on this machine)")
    work = tmp_path_factory.mktemp("bulk-import")
    data, store, export = work / "data", work / "g.duckdb", work / "export"
    _cli("simulate", "--out", str(data), "--scale", SCALE, "--seed", SEED)
    _cli("ingest", str(data), "--store", str(store))
    _cli("detect", "--store", str(store))
    _cli("export-neo4j-import", str(export), "--store", str(store))
    with EmbeddedStore(str(store)) as st:
        expected = dict(stats=st.stats(), account_artifacts=artifact_rows(st.account_artifacts().to_pylist()),
                        rings=st.rings(), ingested_hashes=st.ingested_hashes())

    from linkage.store.neo4j_import import import_command

    state = work / "neo4j"
    argv = import_command(export)
    started = time.perf_counter()
    output = server.admin(state, *argv[1:], heap="512m", cwd=export)  # argv[0] is the admin tool itself
    took = time.perf_counter() - started
    try:
        info = server.start(state, heap="512m")
    except server.ServerError as exc:
        pytest.fail(f"the Neo4j server did not start on the imported database: {exc}")
    try:
        yield BulkLoad(server, info, export, data, store, output, took, **expected)
    finally:
        server.stop(state)


def imported_counts(output: str) -> tuple[int, int]:
    """Nodes and relationships neo4j-admin says it imported."""
    nodes = re.search(r"Imported:\s+(\d+) nodes\s+(\d+) relationships", output)
    assert nodes, f"no 'Imported:' summary in neo4j-admin's output:\n{output[-2000:]}"
    return int(nodes.group(1)), int(nodes.group(2))


def manifest(export_dir: Path) -> dict:
    return json.loads((export_dir / "manifest.json").read_text())
