"""A real store for the API tests, built once per session by the real CLI from a small
simulated scenario, and helpers to talk to the real app over HTTP (Starlette's TestClient
drives the ASGI app through httpx)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from linkage.api.app import create_app
from linkage.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
SCALE = "0.003"  # ~2,100 accounts, 3 rings: seconds to build, every path of the API exercised
ANALYST_KEY = "analyst-key-0123456789"
READER_KEY = "reader-key-0123456789ab"
KEYS = f"ana:{ANALYST_KEY}:analyst,rob:{READER_KEY}:reader"
AS_ANALYST = {"Authorization": f"Bearer {ANALYST_KEY}"}
AS_READER = {"Authorization": f"Bearer {READER_KEY}"}


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("LINKAGE_STORE", "LINKAGE_API_KEYS", "LINKAGE_ALLOWLIST"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "linkage", *args], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def build_store(folder: Path) -> Path:
    scenario, store = folder / "scenario", folder / "api.duckdb"
    cli("simulate", "--out", str(scenario), "--scale", SCALE, "--seed", "7")
    cli("ingest", str(scenario), "--store", str(store))
    cli("detect", "--store", str(store))
    return store


def copy_store(store: Path, folder: Path) -> Path:
    """A private copy (with its decisions file, if any) for tests that write."""
    target = folder / store.name
    shutil.copy(store, target)
    side = Path(str(store) + ".decisions.duckdb")
    if side.exists():
        shutil.copy(side, str(target) + ".decisions.duckdb")
    return target


def client_for(store: Path, **overrides: object) -> TestClient:
    """A TestClient over the real app on `store`, the model loaded before the first request."""
    settings = load_settings(**{"store": str(store), "api_keys": KEYS, "api_reload_seconds": 3600, **overrides})
    return TestClient(create_app(settings, wait_for_model=True))


def gql(client: TestClient, query: str, variables: dict | None = None, headers: dict | None = None) -> dict:
    """POST a query as the analyst (by default); the HTTP status must be 200."""
    response = client.post("/graphql", json={"query": query, "variables": variables or {}},
                           headers=AS_ANALYST if headers is None else headers)
    assert response.status_code == 200, response.text
    return response.json()


def data(client: TestClient, query: str, variables: dict | None = None, headers: dict | None = None) -> dict:
    body = gql(client, query, variables, headers)
    assert "errors" not in body, body["errors"]
    return body["data"]


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]
