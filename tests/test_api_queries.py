"""Every query of the GraphQL API, over HTTP against the real app on a real simulated store.

Answers are checked against the store itself (read through the store interface), so
a resolver that drops, reorders or invents anything fails here.
"""

from __future__ import annotations

import pytest
from api_support import AS_READER, client_for, codes, data, gql

from linkage.store import open_store

pytestmark = pytest.mark.embedded

RING_FIELDS = """id score size status active components { name value } firstSeen lastSeen
  topArtifacts(first: 5) { kind key specificity members }
  history { runId change at detail } decisions { status note author at }"""


@pytest.fixture(scope="module")
def client(api_store):
    with client_for(api_store) as c:
        yield c


@pytest.fixture(scope="module")
def truth(api_store):
    """What the store says, read directly through the store interface."""
    with open_store(str(api_store), read_only=True) as store:
        return {"rings": store.rings(), "runs": store.detection_runs(),
                "accounts": store.read_table("account", ["account_id"])["account_id"].to_pylist()}


def all_members(client, ring_id: str, page: int) -> list[str]:
    seen, after = [], None
    while True:
        conn = data(client, """query($id: ID!, $first: Int, $after: String) { ring(id: $id) {
            members(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
              edges { cursor node { account { id } score since } } } } }""",
                    {"id": ring_id, "first": page, "after": after})["ring"]["members"]
        seen += [e["node"]["account"]["id"] for e in conn["edges"]]
        assert len(conn["edges"]) <= page
        if not conn["pageInfo"]["hasNextPage"]:
            assert conn["totalCount"] == len(seen)
            return seen
        assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
        after = conn["pageInfo"]["endCursor"]


def test_rings_are_the_stores_rings_highest_score_first(client, truth):
    got = data(client, f"{{ rings {{ totalCount pageInfo {{ hasNextPage }} edges {{ node {{ {RING_FIELDS} }} }} }} }}")
    rings = got["rings"]
    expected = truth["rings"]
    assert rings["totalCount"] == len(expected) >= 2
    assert [e["node"]["id"] for e in rings["edges"]] == [r.ring_id for r in expected]
    scores = [e["node"]["score"] for e in rings["edges"]]
    assert scores == sorted(scores, reverse=True)
    first = rings["edges"][0]["node"]
    assert first["status"] == "NEW" and first["active"] is True and first["decisions"] == []
    assert {c["name"]: c["value"] for c in first["components"]} == pytest.approx(expected[0].components, abs=1e-4)
    assert first["firstSeen"] < first["lastSeen"]
    assert first["history"][0]["change"] == "new" and first["history"][0]["runId"] == truth["runs"][-1].run_id
    specs = [a["specificity"] for a in first["topArtifacts"]]
    assert specs == sorted(specs, reverse=True) and len(specs) == 5


def test_rings_pages_walk_every_ring_once_in_each_order(client, truth):
    for order, key in (("SCORE", lambda r: (-r.score, -r.size, r.ring_id)),
                       ("SIZE", lambda r: (-r.size, -r.score, r.ring_id)), ("LAST_CHANGE", None)):
        seen, after = [], None
        while True:
            conn = data(client, """query($after: String, $o: RingOrder!) { rings(first: 1, after: $after, orderBy: $o) {
                totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }""",
                        {"after": after, "o": order})["rings"]
            seen += [e["node"]["id"] for e in conn["edges"]]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
        assert sorted(seen) == sorted(r.ring_id for r in truth["rings"]), order
        if key:
            assert seen == [r.ring_id for r in sorted(truth["rings"], key=key)], order
    empty = data(client, "{ rings(first: 0) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } } }")
    assert empty["rings"] == {"totalCount": len(truth["rings"]), "edges": [],
                              "pageInfo": {"hasNextPage": True, "endCursor": None}}


def test_ring_filters(client, truth):
    scores = sorted(r.score for r in truth["rings"])
    cut = scores[1]
    got = data(client, "query($s: Float) { rings(minScore: $s) { totalCount edges { node { score } } } }", {"s": cut})
    assert got["rings"]["totalCount"] == sum(s >= cut for s in scores)
    assert all(e["node"]["score"] >= cut for e in got["rings"]["edges"])
    for kind in ("PAYMENT", "PROMPT", "USER_AGENT"):
        got = data(client, "query($k: ArtifactKind) { rings(kind: $k) { totalCount } }", {"k": kind})
        assert got["rings"]["totalCount"] == sum(any(a.kind == kind.lower() for a in r.artifacts)
                                                 for r in truth["rings"]), kind
    assert data(client, "{ rings(status: NEW) { totalCount } }")["rings"]["totalCount"] == len(truth["rings"])
    assert data(client, "{ rings(status: DISMISSED) { totalCount } }")["rings"]["totalCount"] == 0


@pytest.mark.parametrize("page", [1, 7, 500])
def test_ring_members_page_through_the_whole_membership_once(client, truth, page):
    ring = truth["rings"][-1] if page == 1 else truth["rings"][0]
    assert all_members(client, ring.ring_id, page) == sorted(ring.members)


def test_ring_by_id_and_unknown_ids_are_null_without_error(client, truth):
    ring = truth["rings"][0]
    body = gql(client, """query($id: ID!) { ring(id: $id) { id size members(first: 2) { totalCount } }
        nope: ring(id: "ring_nope") { id } account(id: "acct_nope") { id }
        artifact(kind: IP, key: "203.0.113.255") { key } }""", {"id": ring.ring_id})
    assert "errors" not in body
    assert body["data"]["ring"] == {"id": ring.ring_id, "size": ring.size, "members": {"totalCount": ring.size}}
    assert body["data"]["nope"] is None and body["data"]["account"] is None and body["data"]["artifact"] is None


def test_account_shows_its_artifacts_rings_and_links(client, truth):
    ring = truth["rings"][0]
    member = ring.members[0]
    acc = data(client, """query($id: ID!) { account(id: $id) { id createdAt emailDomain country
        artifacts(first: 500) { kind key count firstSeen lastSeen specificity }
        prompts: artifacts(kind: PROMPT) { kind }
        rings { ring { id size } score since }
        linkedAccounts(first: 5) { account { id } strength kinds } } }""", {"id": member})["account"]
    assert acc["id"] == member and acc["createdAt"] and acc["emailDomain"]
    assert [r["ring"]["id"] for r in acc["rings"]] == [ring.ring_id]
    assert acc["rings"][0]["score"] == pytest.approx(ring.score)
    kinds = {a["kind"] for a in acc["artifacts"]}
    assert {"IP", "PROMPT"} <= kinds
    assert acc["prompts"] and all(a["kind"] == "PROMPT" for a in acc["prompts"])
    assert all(a["count"] >= 1 and a["firstSeen"] <= a["lastSeen"] for a in acc["artifacts"])
    linked = acc["linkedAccounts"]
    assert len(linked) == 5 and all(0 < x["strength"] <= 1 and x["kinds"] for x in linked)
    assert [x["strength"] for x in linked] == sorted((x["strength"] for x in linked), reverse=True)
    assert member not in {x["account"]["id"] for x in linked}
    assert sum(x["account"]["id"] in set(ring.members) for x in linked) >= 4  # a ring member links to its ring


def test_artifact_lists_its_accounts_in_pages(client, truth):
    top = truth["rings"][0].artifacts[0]
    art = data(client, """query($k: ArtifactKind!, $key: String!) { artifact(kind: $k, key: $key) {
        kind key specificity accountCount allowlisted { reason }
        accounts(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }""",
               {"k": top.kind.upper(), "key": top.artifact})["artifact"]
    assert (art["kind"], art["key"]) == (top.kind.upper(), top.artifact)
    assert art["specificity"] == pytest.approx(top.specificity, abs=1e-3) and art["allowlisted"] is None
    assert art["accountCount"] == art["accounts"]["totalCount"] >= top.members
    rest = data(client, """query($k: ArtifactKind!, $key: String!, $after: String) { artifact(kind: $k, key: $key) {
        accounts(first: 500, after: $after) { pageInfo { hasNextPage } edges { node { id } } } } }""",
                {"k": top.kind.upper(), "key": top.artifact, "after": art["accounts"]["pageInfo"]["endCursor"]})
    ids = [art["accounts"]["edges"][0]["node"]["id"]] + [
        e["node"]["id"] for e in rest["artifact"]["accounts"]["edges"]]
    assert ids == sorted(set(ids)) and len(ids) == art["accountCount"]
    assert rest["artifact"]["accounts"]["pageInfo"]["hasNextPage"] is False


def test_evidence_paths_chain_from_one_account_to_the_other(client, truth):
    ring = truth["rings"][0]
    a, b = ring.members[0], ring.members[-1]
    paths = data(client, """query($a: ID!, $b: ID!) { evidencePath(from: $a, to: $b) {
        strength hops { from { id } to { id } artifact { kind key specificity } } } }""",
                 {"a": a, "b": b})["evidencePath"]
    assert paths
    lengths = [len(p["hops"]) for p in paths]
    assert lengths == sorted(lengths) and lengths[-1] <= 4
    for p in paths:
        hops = p["hops"]
        assert hops[0]["from"]["id"] == a and hops[-1]["to"]["id"] == b
        assert all(x["to"]["id"] == y["from"]["id"] for x, y in zip(hops, hops[1:]))
        assert p["strength"] == pytest.approx(min(h["artifact"]["specificity"] for h in hops), abs=1e-4)
    shortest = [p for p in paths if len(p["hops"]) == lengths[0]]
    assert [p["strength"] for p in shortest] == sorted((p["strength"] for p in shortest), reverse=True)


def test_a_one_hop_path_exists_exactly_when_two_accounts_share_a_walkable_artifact(client, truth):
    ring = truth["rings"][0]
    a = ring.members[0]
    outsider = next(x for x in sorted(truth["accounts"]) if not any(x in r.members for r in truth["rings"]))
    query = """query($a: ID!) { account(id: $a) { artifacts(first: 500) { kind key specificity } } }"""
    mine = {(x["kind"], x["key"]) for x in data(client, query, {"a": a})["account"]["artifacts"]}
    for other in (ring.members[1], outsider):
        theirs = data(client, query, {"a": other})["account"]["artifacts"]
        paths = data(client, """query($a: ID!, $b: ID!) { evidencePath(from: $a, to: $b, maxHops: 1) {
            hops { artifact { kind key } } } }""", {"a": a, "b": other})["evidencePath"]
        via = {(p["hops"][0]["artifact"]["kind"], p["hops"][0]["artifact"]["key"]) for p in paths}
        assert via <= mine & {(x["kind"], x["key"]) for x in theirs}
        if other == outsider:
            assert paths == [] or via
    assert data(client, """query($a: ID!) { evidencePath(from: $a, to: $a) { strength } }""",
                {"a": a})["evidencePath"] == []
    assert data(client, """query($a: ID!) { evidencePath(from: $a, to: "acct_nope") { strength } }""",
                {"a": a})["evidencePath"] == []


def test_detection_runs_report_parameters_timings_counts_and_changes(client, truth):
    runs = data(client, """{ detectionRuns(first: 5) { id startedAt finishedAt durationSeconds
        parameters timings counts changes { ringId change detail } } }""")["detectionRuns"]
    assert [r["id"] for r in runs] == [r.run_id for r in reversed(truth["runs"])]
    run = runs[0]
    assert run["counts"]["rings"] == len(truth["rings"]) and "ms_total" not in run["counts"]
    assert run["timings"]["total"] > 0 and "seed" in run["parameters"]
    assert sorted(c["ringId"] for c in run["changes"]) == sorted(r.ring_id for r in truth["rings"])
    assert {c["change"] for c in run["changes"]} == {"new"}


def test_a_reader_may_query_everything(client, truth):
    body = gql(client, "{ rings(first: 1) { totalCount } allowlist { key } detectionRuns { id } }",
               headers=AS_READER)
    assert codes(body) == [] and body["data"]["rings"]["totalCount"] == len(truth["rings"])
    assert body["data"]["allowlist"] == []
