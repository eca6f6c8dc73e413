"""Keys, roles, limits and every error case of the API: codes a client can rely on, never HTTP 500."""

from __future__ import annotations

import io
import json
import logging

import pytest
from api_support import ANALYST_KEY, AS_ANALYST, AS_READER, READER_KEY, client_for, codes, data, gql

from linkage.api.auth import ApiKeyError, ApiKeys
from linkage.api.request_log import JsonFormatter

pytestmark = pytest.mark.embedded


@pytest.fixture(scope="module")
def client(api_store):
    with client_for(api_store) as c:
        yield c


@pytest.fixture
def json_log():
    """The linkage loggers' JSON lines, as a list of dicts."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("linkage")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.mark.parametrize("header", [None, "Bearer not-a-key-at-all-0000", f"Basic {ANALYST_KEY}", "Bearer ",
                                    ANALYST_KEY])
def test_no_key_or_a_wrong_key_is_http_401(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.post("/graphql", json={"query": "{ rings { totalCount } }"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert client.get("/graphql", params={"query": "{ rings { totalCount } }"}, headers=headers).status_code == 401


def test_graphiql_page_is_served_to_a_browser_and_get_queries_work_with_a_key(client):
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    got = client.get("/graphql", params={"query": "{ rings { totalCount } }"}, headers=AS_READER)
    assert got.status_code == 200 and got.json()["data"]["rings"]["totalCount"] >= 1


@pytest.mark.parametrize("mutation", [
    'setRingStatus(id: "%s", status: DISMISSED, note: "no") { id }',
    'allowlistArtifact(kind: IP, key: "10.0.0.1", reason: "no") { key }',
    'removeAllowlistedArtifact(kind: IP, key: "10.0.0.1")',
])
def test_a_reader_calling_a_mutation_is_forbidden_and_nothing_is_recorded(client, api_store, mutation):
    ring = data(client, "{ rings(first: 1) { edges { node { id } } } }")["rings"]["edges"][0]["node"]["id"]
    body = gql(client, "mutation { %s }" % (mutation % ring if "%s" in mutation else mutation), headers=AS_READER)
    assert codes(body) == ["FORBIDDEN"] and body["data"] is None
    after = data(client, "query($id: ID!) { ring(id: $id) { status decisions { status } } allowlist { key } }",
                 {"id": ring})
    assert after == {"ring": {"status": "NEW", "decisions": []}, "allowlist": []}


@pytest.mark.parametrize("query, argument", [
    ('{ evidencePath(from: "a", to: "b", maxHops: 0) { strength } }', "maxHops"),
    ('{ evidencePath(from: "a", to: "b", maxHops: 7) { strength } }', "maxHops"),
    ('{ evidencePath(from: "a", to: "b", first: 0) { strength } }', "first"),
    ('{ rings(first: -1) { totalCount } }', "first"),
    ('{ rings(first: 501) { totalCount } }', "first"),
    ('{ rings(after: "not a cursor") { totalCount } }', "after"),
    ('{ rings(after: "WyJtZW1iZXJzIixbImEiXV0") { totalCount } }', "after"),  # a member cursor, not a ring one
    ('{ rings(after: "WyJyaW5nczpTQ09SRSIsWyJ4Il1d") { totalCount } }', "after"),  # right tag, wrong key
    ('{ detectionRuns(first: -5) { id } }', "first"),
])
def test_bad_arguments_are_bad_user_input(client, query, argument):
    body = gql(client, query)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["argument"] == argument


def test_bad_member_cursor_and_page_size_inside_a_ring(client):
    ring = data(client, "{ rings(first: 1) { edges { node { id } } } }")["rings"]["edges"][0]["node"]["id"]
    for args in ('first: 501', 'after: "%%%"', 'first: -1'):
        body = gql(client, 'query($id: ID!) { ring(id: $id) { members(%s) { totalCount } } }' % args, {"id": ring})
        assert codes(body) == ["BAD_USER_INPUT"], args


def test_limits_on_depth_aliases_tokens(client):
    deep = "{ account(id: \"x\") { rings { ring { members(first: 1) { edges { node { account { rings { ring { " \
           "members(first: 1) { edges { node { account { id } } } } } } } } } } } } } }"
    assert codes(gql(client, deep)) == ["LIMIT_EXCEEDED"]
    shallow = "{ account(id: \"x\") { rings { ring { members(first: 1) { edges { node { account { id } } } } } } } }"
    assert codes(gql(client, shallow)) == []
    aliases = "{ " + " ".join(f"a{i}: ring(id: \"r\") {{ id }}" for i in range(31)) + " }"
    assert codes(gql(client, aliases)) == ["LIMIT_EXCEEDED"]
    fewer = "{ " + " ".join(f"a{i}: ring(id: \"r\") {{ id }}" for i in range(30)) + " }"
    assert codes(gql(client, fewer)) == []
    tokens = "{ " + " ".join("__typename" for _ in range(2100)) + " }"
    assert codes(gql(client, tokens)) == ["LIMIT_EXCEEDED"]


def test_parse_and_validation_errors_have_codes(client):
    assert codes(gql(client, "{ rings {")) == ["GRAPHQL_PARSE_FAILED"]
    assert codes(gql(client, "{ rings { nope } }")) == ["GRAPHQL_VALIDATION_FAILED"]
    assert codes(gql(client, '{ ring(id: "x") { status(x: 1) } }')) == ["GRAPHQL_VALIDATION_FAILED"]
    assert codes(gql(client, "{ rings(status: MAYBE) { totalCount } }")) == ["GRAPHQL_VALIDATION_FAILED"]


def test_non_graphql_bodies_are_client_errors_not_500(client):
    for body in (b"not json", b'{"query": 5}', b"[]"):
        response = client.post("/graphql", content=body, headers={**AS_ANALYST, "Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, (body, response.status_code)


def test_internal_errors_are_masked_and_logged_with_the_request_id(client, monkeypatch, json_log):
    model = client.app.state.holder.model

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(model.finder, "paths", broken)
    ring = data(client, "{ rings(first: 1) { edges { node { members(first: 2) { edges { node { account { id } } } } } } } }")
    a, b = (e["node"]["account"]["id"] for e in ring["rings"]["edges"][0]["node"]["members"]["edges"])
    response = client.post("/graphql", json={"query": '{ evidencePath(from: "%s", to: "%s") { strength } }' % (a, b)},
                           headers={**AS_ANALYST, "X-Request-ID": "req-test-123"})
    assert response.status_code == 200 and response.headers["x-request-id"] == "req-test-123"
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-test-123"}
    assert "secret" not in response.text
    logged = [r for r in json_log() if r.get("event") == "internal_error"]
    assert logged and logged[0]["request_id"] == "req-test-123" and "secret internal detail" in logged[0]["exception"]


def test_logs_are_json_with_request_id_and_principal_and_never_the_key(client, json_log):
    gql(client, "{ rings { totalCount } }", headers=AS_READER)
    client.post("/graphql", json={"query": "{ rings { totalCount } }"},
                headers={"Authorization": f"Bearer {ANALYST_KEY}x"})
    lines = json_log()
    requests = [r for r in lines if r.get("event") == "request"]
    assert [r["principal"] for r in requests] == ["rob", None]
    assert [r["status"] for r in requests] == [200, 401]
    assert all(len(r["request_id"]) == 32 and r["operation"] for r in requests)
    text = json.dumps(lines)
    assert ANALYST_KEY not in text and READER_KEY not in text


def test_healthz_and_metrics(client):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["run_id"]
    for _ in range(3):
        data(client, '{ ring(id: "x") { id } }')
    text = client.get("/metrics").text
    assert 'linkage_api_requests_total{operation="query:ring",outcome="ok"}' in text
    assert 'linkage_api_request_seconds_bucket{le="0.05",operation="query:ring"}' in text
    assert 'linkage_api_backend_calls_count{operation="query:ring"}' in text
    assert "linkage_api_model_rings" in text


def test_api_keys_parse_and_reject_bad_entries():
    keys = ApiKeys.parse(f" ana:{ANALYST_KEY}:analyst , rob:{READER_KEY}:reader ,")
    assert keys.principal(f"Bearer {ANALYST_KEY}").name == "ana"
    assert keys.principal(f"bearer {READER_KEY}").role == "reader"
    assert keys.principal(f"Bearer {READER_KEY}x") is None and keys.principal(None) is None
    for bad, says in ((f"ana:{ANALYST_KEY}", "entry 1 is not name:key:role"),
                      (f"ana:{ANALYST_KEY}:admin", "role 'admin'"), ("ana:short:reader", "shorter than 16"),
                      (f"a:{ANALYST_KEY}:reader,a:{READER_KEY}:reader", "used twice")):
        with pytest.raises(ApiKeyError, match=says) as err:
            ApiKeys.parse(bad)
        assert ANALYST_KEY not in str(err.value)


def test_a_missing_store_answers_service_unavailable_not_500(tmp_path):
    with client_for(tmp_path / "absent.duckdb") as c:
        assert c.get("/healthz").status_code == 503
        body = gql(c, "{ rings { totalCount } }")
        assert codes(body) == ["SERVICE_UNAVAILABLE"]
        assert gql(c, "{ __typename }")["data"] == {"__typename": "Query"}
