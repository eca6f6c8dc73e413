"""Parsed and validated documents are cached (clients send the same few again and again);
answers never are: every request executes against the current model and decisions."""

from __future__ import annotations

from api_support import client_for, codes, copy_store, data, gql

DEEP = ("{ account(id: \"x\") { rings { ring { members(first: 1) { edges { node { account { rings { ring { "
        "members(first: 1) { edges { node { account { id } } } } } } } } } } } } } }")
STATUS = "query($id: ID!) { ring(id: $id) { status decisions { status note } } }"


def test_a_cached_document_is_still_checked_against_the_limits_every_time(api_store) -> None:
    with client_for(api_store) as client:
        for _ in range(3):
            assert codes(gql(client, DEEP)) == ["LIMIT_EXCEEDED"]
        for _ in range(2):
            assert codes(gql(client, "{ rings(first: 1) { nope } }")) == ["GRAPHQL_VALIDATION_FAILED"]
            assert codes(gql(client, "{ rings(first: 1) { totalCount }")) == ["GRAPHQL_PARSE_FAILED"]


def test_the_same_document_answers_afresh_after_a_decision(api_store, tmp_path) -> None:
    store = copy_store(api_store, tmp_path)
    with client_for(store) as client:
        ring_id = data(client, "{ rings(first: 1) { edges { node { id } } } }")["rings"]["edges"][0]["node"]["id"]
        before = data(client, STATUS, {"id": ring_id})["ring"]
        assert before == {"status": "NEW", "decisions": []}
        data(client, 'mutation($id: ID!) { setRingStatus(id: $id, status: CONFIRMED, note: "seen it") { id } }',
             {"id": ring_id})
        after = data(client, STATUS, {"id": ring_id})["ring"]
        assert after == {"status": "CONFIRMED", "decisions": [{"status": "CONFIRMED", "note": "seen it"}]}
