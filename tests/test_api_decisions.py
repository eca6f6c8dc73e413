"""Analyst decisions through the API, what the next `linkage detect` makes of them, and
how the server keeps serving while another process writes the store."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from api_support import AS_ANALYST, ROOT, cli, client_for, codes, copy_store, data, gql

from linkage.store import open_store

pytestmark = pytest.mark.embedded

RING = """query($id: ID!) { ring(id: $id) { id status decisions { status note author at }
    history { runId change at detail } } }"""


@pytest.fixture
def store(api_store, tmp_path):
    return copy_store(api_store, tmp_path)


def rings_by_size(client) -> list[dict]:
    edges = data(client, "{ rings(orderBy: SIZE) { edges { node { id size topArtifacts(first: 50) { kind key } "
                         "members(first: 500) { edges { node { account { id } } } } } } } }")["rings"]["edges"]
    return [e["node"] for e in edges]


def test_set_ring_status_records_author_note_and_time_and_shows_in_history(store):
    with client_for(store) as client:
        ring = rings_by_size(client)[0]["id"]
        got = data(client, """mutation($id: ID!) { setRingStatus(id: $id, status: CONFIRMED, note: " operator A ") {
            id status decisions { status note author } } }""", {"id": ring})["setRingStatus"]
        assert got == {"id": ring, "status": "CONFIRMED",
                       "decisions": [{"status": "CONFIRMED", "note": "operator A", "author": "ana"}]}
        data(client, """mutation($id: ID!) { setRingStatus(id: $id, status: DISMISSED, note: "our QA farm") { id } }""",
             {"id": ring})
        seen = data(client, RING, {"id": ring})["ring"]
        assert seen["status"] == "DISMISSED" and [d["status"] for d in seen["decisions"]] == ["CONFIRMED", "DISMISSED"]
        assert [h["change"] for h in seen["history"]] == ["new", "status:CONFIRMED", "status:DISMISSED"]
        assert seen["history"][-1]["detail"]["author"] == "ana" and seen["history"][-1]["runId"] is None
        listed = data(client, "{ d: rings(status: DISMISSED) { totalCount edges { node { id } } } "
                              "n: rings(status: NEW) { totalCount } all: rings { totalCount } }")
        assert [e["node"]["id"] for e in listed["d"]["edges"]] == [ring]
        assert listed["n"]["totalCount"] == listed["all"]["totalCount"] - 1
    with open_store(str(store), lazy=True) as st:  # what the next detection run will compare against
        last = st.ring_decisions([ring])[-1]
    assert (last.status, last.author, last.note) == ("DISMISSED", "ana", "our QA farm")
    assert last.size > 0 and last.score > 0 and last.artifacts


def test_mutation_input_errors(store):
    with client_for(store) as client:
        ring = rings_by_size(client)[0]["id"]
        assert codes(gql(client, 'mutation { setRingStatus(id: "ring_nope", status: DISMISSED, note: "x") { id } }')) \
            == ["NOT_FOUND"]
        assert codes(gql(client, 'mutation($id: ID!) { setRingStatus(id: $id, status: DISMISSED, note: "  ") { id } }',
                         {"id": ring})) == ["BAD_USER_INPUT"]
        assert codes(gql(client, 'mutation { allowlistArtifact(kind: IP, key: "1.2.3.4", reason: "") { key } }')) \
            == ["BAD_USER_INPUT"]
        assert codes(gql(client, 'mutation { allowlistArtifact(kind: NOPE, key: "1.2.3.4", reason: "x") { key } }')) \
            == ["GRAPHQL_VALIDATION_FAILED"]
        assert data(client, '{ ring(id: "ring_nope") { id } allowlist { key } }') == {"ring": None, "allowlist": []}


def test_allowlisting_stops_paths_at_once_and_removal_brings_them_back(store):
    with client_for(store) as client:
        members = [e["node"]["account"]["id"] for e in rings_by_size(client)[0]["members"]["edges"]]
        query = """query($a: ID!, $b: ID!) { evidencePath(from: $a, to: $b, maxHops: 1, first: 50) {
            hops { artifact { kind key } } } }"""
        a, b = members[0], next(m for m in members[1:] if data(client, query, {"a": members[0], "b": m})["evidencePath"])
        listed = data(client, query, {"a": a, "b": b})["evidencePath"]
        before = {(p["hops"][0]["artifact"]["kind"], p["hops"][0]["artifact"]["key"]) for p in listed}
        kind, key = sorted(before)[0]
        entry = data(client, """mutation($k: ArtifactKind!, $key: String!) {
            allowlistArtifact(kind: $k, key: $key, reason: "shared office") { kind key reason author at } }""",
                     {"k": kind, "key": key})["allowlistArtifact"]
        assert (entry["kind"], entry["key"], entry["author"]) == (kind, key, "ana")
        after = {(p["hops"][0]["artifact"]["kind"], p["hops"][0]["artifact"]["key"])
                 for p in data(client, query, {"a": a, "b": b})["evidencePath"]}
        assert (kind, key) not in after
        if len(listed) < 50:  # every path was listed: allowlisting takes exactly that one away
            assert after == before - {(kind, key)}
        else:  # capped at 50: the paths that were beyond the cap may now show
            assert after
        art = data(client, 'query($k: ArtifactKind!, $key: String!) { artifact(kind: $k, key: $key) { '
                           'allowlisted { reason author } } allowlist { kind key } }', {"k": kind, "key": key})
        assert art["artifact"]["allowlisted"] == {"reason": "shared office", "author": "ana"}
        assert art["allowlist"] == [{"kind": kind, "key": key}]
        remove = 'mutation($k: ArtifactKind!, $key: String!) { removeAllowlistedArtifact(kind: $k, key: $key) }'
        assert data(client, remove, {"k": kind, "key": key}) == {"removeAllowlistedArtifact": True}
        assert data(client, remove, {"k": kind, "key": key}) == {"removeAllowlistedArtifact": False}
        assert data(client, "{ allowlist { key } }") == {"allowlist": []}


def test_decisions_change_the_next_detection_run(store):
    with client_for(store) as client:
        rings = rings_by_size(client)
        dismissed, other = rings[0], rings[1]
        data(client, 'mutation($id: ID!) { setRingStatus(id: $id, status: DISMISSED, note: "QA farm") { id } }',
             {"id": dismissed["id"]})
        banned = other["topArtifacts"][:10]
        for art in banned:
            data(client, 'mutation($k: ArtifactKind!, $key: String!) { allowlistArtifact(kind: $k, key: $key, '
                         'reason: "carrier NAT") { key } }', {"k": art["kind"], "key": art["key"]})
        old_run = data(client, "{ detectionRuns(first: 1) { id } }")["detectionRuns"][0]["id"]

        cli("detect", "--store", str(store))  # the next nightly run, in its own process
        assert client.app.state.holder.refresh() is True
        runs = data(client, "{ detectionRuns(first: 2) { id } }")["detectionRuns"]
        assert runs[1]["id"] == old_run and runs[0]["id"] != old_run

        seen = data(client, RING, {"id": dismissed["id"]})["ring"]
        assert seen["status"] == "DISMISSED"  # not raised again: its evidence did not grow
        last = seen["history"][-1]
        assert last["runId"] == runs[0]["id"] and last["detail"]["review"] == "DISMISSED"
        assert "still dismissed" in last["detail"]["review_note"]
        now = data(client, "{ rings { edges { node { topArtifacts(first: 50) { kind key } } } } }")
        shared = {(a["kind"], a["key"]) for e in now["rings"]["edges"] for a in e["node"]["topArtifacts"]}
        assert not shared & {(a["kind"], a["key"]) for a in banned}  # allowlisted artifacts link nobody
        for art in banned:
            got = data(client, 'query($k: ArtifactKind!, $key: String!) { artifact(kind: $k, key: $key) '
                               '{ specificity } }', {"k": art["kind"], "key": art["key"]})
            assert got["artifact"]["specificity"] == 0.0


def test_dataloaders_batch_a_page_into_a_fixed_number_of_backend_calls(store):
    with client_for(store) as client:
        rings = rings_by_size(client)
        data(client, """{ rings(first: 3) { edges { node { status decisions { status } history { change }
            members(first: 40) { edges { node { account { id createdAt } } } } } } } }""")
        ids = [e["node"]["account"]["id"] for r in rings[:3] for e in r["members"]["edges"][:5]]
        looked_up = data(client, "{ " + " ".join(f'a{i}: account(id: "{a}") {{ id rings {{ ring {{ status }} }} }}'
                                                 for i, a in enumerate(ids)) + " }")
        assert [looked_up[f"a{i}"]["id"] for i in range(len(ids))] == ids
        metrics = client.get("/metrics").text

    def calls(op: str) -> float:
        return float(re.search(rf'linkage_api_backend_calls_sum\{{operation="{op}"\}} (\S+)', metrics).group(1))

    # 3 rings x (status + decisions + history) and 120 members: one read of the decisions; members
    # come with their account codes, so their accounts need no lookup at all
    assert calls("query:rings") == 1
    # 15 account(id:) lookups by id: one batch of accounts, one read of the decisions for their rings' status
    assert len(ids) == 15 and calls("query:account") == 2


def test_the_server_keeps_serving_while_a_writer_holds_the_store(store):
    with client_for(store) as client:
        holder = client.app.state.holder
        old_run = holder.model.run_id
        writer = subprocess.Popen(
            [sys.executable, "-c",
             "import sys, time; from linkage.store.embedded import EmbeddedStore; "
             "from linkage.detect import detect; from linkage.settings import load_settings; "
             f"s = EmbeddedStore({str(store)!r}); detect(s, load_settings()); print('saved', flush=True); "
             "sys.stdin.readline(); s.close()"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout.readline().strip() == "saved"  # a new run is committed, the store still held
            assert holder.refresh() is False
            assert "busy" in holder.last_error.lower() or "lock" in holder.last_error.lower()
            health = client.get("/healthz").json()
            assert health["run_id"] == old_run and health["store_busy"]
            assert data(client, "{ detectionRuns(first: 1) { id } }")["detectionRuns"][0]["id"] == old_run
            got = client.post("/graphql", json={"query": "mutation($id: ID!) { setRingStatus(id: $id, "
                              "status: CONFIRMED, note: \"while the nightly job runs\") { status } }",
                              "variables": {"id": holder.model.active[0]}}, headers=AS_ANALYST)
            assert got.json()["data"]["setRingStatus"]["status"] == "CONFIRMED"  # decisions: their own file
        finally:
            writer.communicate("\n", timeout=60)
        assert holder.refresh() is True and holder.model.run_id != old_run
        assert client.get("/healthz").json()["store_busy"] is None
