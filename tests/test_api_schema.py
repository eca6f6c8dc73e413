"""The schema as clients see it: SDL in sync with schema.graphql, described everywhere, and
fuzzed (schemathesis generates valid and odd queries from the schema) without a server error."""

from __future__ import annotations

import re

import pytest
import schemathesis
from api_support import AS_ANALYST, KEYS, ROOT, copy_store
from fastapi.testclient import TestClient
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLScalarType
from hypothesis import HealthCheck, given, settings

from linkage.api.app import create_app
from linkage.api.enums import ArtifactKind
from linkage.api.schema import build_schema, sdl
from linkage.detect.inputs import KINDS
from linkage.settings import load_settings

pytestmark = pytest.mark.embedded
FUZZ_EXAMPLES = 150  # generated operations (queries and mutations): seconds, every root field reached


def test_schema_graphql_is_the_exported_sdl():
    """Regenerate with `python -m linkage.api.schema > schema.graphql`."""
    assert (ROOT / "schema.graphql").read_text() == sdl()


def test_every_type_field_argument_and_enum_value_has_a_description():
    schema = build_schema()._schema
    missing = []
    for name, t in schema.type_map.items():
        if name.startswith("__") or (isinstance(t, GraphQLScalarType) and name in {"String", "Int", "Float",
                                                                                     "Boolean", "ID"}):
            continue
        if not t.description:
            missing.append(name)
        if isinstance(t, (GraphQLObjectType, GraphQLInputObjectType)):
            for fname, field in t.fields.items():
                if not field.description:
                    missing.append(f"{name}.{fname}")
                for aname, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{fname}({aname})")
        if isinstance(t, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, val in t.values.items() if not val.description]
    assert missing == []


def test_artifact_kinds_are_the_graph_models_kinds():
    assert [k.value for k in ArtifactKind] == list(KINDS)


def test_the_schema_names_what_the_issue_promises():
    text = sdl()
    for needle in ("rings(", "minScore: Float", "status: RingStatus", "kind: ArtifactKind", "orderBy: RingOrder",
                   "ring(", "account(", "artifact(", "evidencePath(", "maxHops: Int! = 4", "detectionRuns(",
                   "setRingStatus(", "allowlistArtifact(", "removeAllowlistedArtifact(", "linkedAccounts(",
                   "topArtifacts(", "totalCount: Int!", "hasNextPage: Boolean!", "endCursor: String"):
        assert needle in text, needle
    for enum, values in (("RingStatus", ["NEW", "CONFIRMED", "DISMISSED"]), ("RingOrder", ["SCORE", "SIZE", "LAST_CHANGE"])):
        assert all(v in text.split(f"enum {enum} {{", 1)[1].split("}", 1)[0] for v in values)


@pytest.fixture(scope="module")
def fuzz_client(api_store, tmp_path_factory):
    store = copy_store(api_store, tmp_path_factory.mktemp("fuzz"))  # fuzzed mutations write decisions
    app = create_app(load_settings(store=str(store), api_keys=KEYS, api_reload_seconds=3600), wait_for_model=True)
    with TestClient(app) as client:
        yield client


def test_fuzzed_queries_and_mutations_never_get_a_server_error(fuzz_client):
    """schemathesis reads the schema by introspection and hypothesis drives it: every root field,
    valid and odd arguments. Run here as an inner @given test (its pytest plugin does not load
    under this pytest); the counts are printed for the record."""
    schema = schemathesis.graphql.from_asgi("/graphql", fuzz_client.app, headers=AS_ANALYST)
    seen: dict[str, int] = {"requests": 0, "answered_with_graphql_errors": 0}  # a server error fails at once

    @given(case=schema.as_strategy())
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck),
              database=None)
    def one(case) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        kwargs["headers"] = {**(kwargs.get("headers") or {}), **AS_ANALYST}
        if not kwargs.get("cookies"):
            kwargs.pop("cookies", None)
        response = fuzz_client.request(**kwargs)
        seen["requests"] += 1
        assert response.status_code < 500, response.text
        errors = response.json().get("errors") or []
        internal = [e for e in errors if e.get("extensions", {}).get("code") == "INTERNAL_SERVER_ERROR"]
        seen["answered_with_graphql_errors"] += bool(errors)
        assert internal == [], (case.body, internal)

    one()
    metrics = fuzz_client.get("/metrics").text
    reached = {m.split(":", 1)[1] for m in re.findall(r'linkage_api_requests_total\{operation="([^"]+)"', metrics)}
    print(f"fuzz: {seen}, root fields reached: {sorted(reached)}")
    assert seen["requests"] == FUZZ_EXAMPLES
    assert {"rings", "ring", "account", "evidencePath", "setRingStatus", "allowlistArtifact"} <= reached


def test_linkage_serve_answers_over_a_real_socket(api_store, tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LINKAGE_API_KEYS": KEYS}
    server = subprocess.Popen([sys.executable, "-m", "linkage", "serve", "--store", str(api_store),
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not become ready"
            time.sleep(0.2)
        got = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ rings { totalCount } }"},
                         headers=AS_ANALYST).json()
        assert got["data"]["rings"]["totalCount"] >= 1
        assert httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ rings { totalCount } }"}).status_code == 401
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert KEYS.split(":")[1] not in err  # keys never logged
    no_keys = subprocess.run([sys.executable, "-m", "linkage", "serve", "--store", str(api_store)],
                             env={k: v for k, v in env.items() if k != "LINKAGE_API_KEYS"},
                             capture_output=True, text=True, timeout=60)
    assert no_keys.returncode == 2 and "LINKAGE_API_KEYS" in no_keys.stderr
