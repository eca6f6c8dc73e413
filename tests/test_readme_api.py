"""The README's API example stays true: its keys, its exact query, and the answer it shows.

The README runs the query after the main job (`make demo`: simulate → ingest → detect).
Here the same three commands build the session's API store at a smaller scale
(`api_support.build_store`), so values differ (fewer rings), but the README's query must
run unchanged, with the README's keys, and answer in the README's shape: the same fields,
the same types, as many list items as the README shows, and values that mean what the
README says (the highest-scoring ring first, its members in id order, its most specific
artifacts first).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from api_support import client_for
from linkage.api.auth import ApiKeys
from linkage.api.enums import ArtifactKind, RingStatus
from linkage.store import open_store

ROOT = Path(__file__).resolve().parents[1]


def api_section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## The GraphQL API")
    return readme[start:readme.index("\n## ", start + 10)]


def readme_example() -> dict:
    """The keys exported, the bearer key, the query sent and the answer shown, as the README has them."""
    text = api_section()
    keys = re.search(r"export LINKAGE_API_KEYS='([^']+)'", text).group(1)
    bearer = re.search(r"curl -s localhost:8000/graphql -H 'Authorization: Bearer ([^']+)'", text).group(1)
    payload = json.loads(re.search(r"-d '(\{\"query\".*?\})'\n", text).group(1))
    answer = json.loads(re.search(r"\nanswers .*?:\n\n```json\n(.*?)```", text, re.S).group(1))
    return {"keys": keys, "bearer": bearer, "payload": payload, "answer": answer}


def shape(value: object) -> object:
    """Field names and leaf types, recursively; a list's shape is its items' (and their number)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


def test_the_readme_starts_the_server_after_the_main_job_with_a_reader_key() -> None:
    text = api_section()
    assert "make demo" in text and ".venv/bin/linkage serve --store linkage-demo.duckdb" in text
    example = readme_example()
    keys = ApiKeys.parse(example["keys"])
    principal = keys.principal(f"Bearer {example['bearer']}")
    assert principal is not None and principal.role == "reader"


@pytest.fixture(scope="module")
def answered(api_store) -> tuple[dict, dict]:
    example = readme_example()
    with client_for(api_store, api_keys=example["keys"]) as client:
        response = client.post("/graphql", json=example["payload"],
                               headers={"Authorization": f"Bearer {example['bearer']}"})
    assert response.status_code == 200, response.text
    return example["answer"], response.json()


def test_the_readme_query_answers_in_the_readme_shape(answered) -> None:
    shown, got = answered
    assert "errors" not in got, got.get("errors")
    assert shape(got) == shape(shown)


def test_the_readme_answer_means_what_it_says(answered, api_store) -> None:
    _, got = answered
    with open_store(str(api_store), read_only=True) as store:
        rings = store.rings(include_dissolved=False, with_members=True)
    top = max(rings, key=lambda r: (r.score, r.size))
    conn = got["data"]["rings"]
    assert conn["totalCount"] == len(rings)
    node = conn["edges"][0]["node"]
    assert (node["id"], node["size"]) == (top.ring_id, top.size) and node["score"] == pytest.approx(top.score)
    assert node["status"] in {s.name for s in RingStatus}
    members = [e["node"]["account"]["id"] for e in node["members"]["edges"]]
    assert members == sorted(top.members)[:2]
    arts = node["topArtifacts"]
    assert all(a["kind"] in {k.name for k in ArtifactKind} for a in arts)
    assert [a["specificity"] for a in arts] == sorted((a["specificity"] for a in arts), reverse=True)
    assert all(0 < a["specificity"] <= 1 and 2 <= a["members"] <= top.size for a in arts)
