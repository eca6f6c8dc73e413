"""`linkage export-indicators`: a STIX 2.1 bundle that validates, parses back, and leaks nothing.

Built on the scenario after night 4 (tests/nightly_scenario.py): the original ring is
CONFIRMED by an analyst, the head that split off is undecided. What the heads once shared
(a template bank and a proxy pool that turned out to be public) must never be exported.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
import stix2
from stix2validator import ValidationOptions, validate_string

from ingest_sample import run_cli
from nightly_scenario import DAYS
from nightly_support import DecidedNights, copy_store
from linkage.indicators import build_bundle
from linkage.store import open_store

pytestmark = pytest.mark.embedded


@pytest.fixture(scope="module")
def store_after_split(decided_nights: DecidedNights, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_store(decided_nights.root / "decided-after-3.duckdb",
                      tmp_path_factory.mktemp("stix") / "s.duckdb")


def _export(db: Path, **kw) -> tuple[dict, object]:
    with open_store(str(db)) as store:
        bundle, summary = build_bundle(store, **kw)
    return json.loads(bundle.serialize()), summary


def _validate(text: str) -> None:
    result = validate_string(text, ValidationOptions(version="2.1", strict=True))
    assert result.is_valid, [str(e) for e in result.errors]
    assert not result.warnings, [str(w) for w in result.warnings]


def _by_type(bundle: dict, kind: str) -> list[dict]:
    return [o for o in bundle["objects"] if o["type"] == kind]


def test_confirmed_rings_only_validate_and_round_trip(store_after_split: Path, decided_nights: DecidedNights) -> None:
    bundle, summary = _export(store_after_split, status="confirmed", tlp="green")
    text = json.dumps(bundle)
    _validate(text)
    parsed = stix2.parse(text, allow_custom=False)
    assert {o.id for o in parsed.objects} == {o["id"] for o in bundle["objects"]}
    assert {o.pattern for o in parsed.objects if o.type == "indicator"} == {
        o["pattern"] for o in _by_type(bundle, "indicator")}
    (iset,) = _by_type(bundle, "intrusion-set")
    assert decided_nights.ring in iset["name"] and "CONFIRMED" in iset["description"]
    (identity,) = _by_type(bundle, "identity")
    indicators = _by_type(bundle, "indicator")
    rels = _by_type(bundle, "relationship")
    assert summary.rings == 1 and len(indicators) == summary.indicators > 0
    assert {(r["source_ref"], r["relationship_type"], r["target_ref"]) for r in rels} == {
        (i["id"], "indicates", iset["id"]) for i in indicators}
    for obj in bundle["objects"]:
        if obj["type"] != "marking-definition":
            assert obj["object_marking_refs"] == [stix2.TLP_GREEN.id]
            assert obj.get("created_by_ref", identity["id"]) == identity["id"]
    assert all(1 <= o["confidence"] <= 100 for o in indicators + [iset])
    assert iset["confidence"] == round(100 * _ring_score(store_after_split, decided_nights.ring))


def _ring_score(db: Path, ring_id: str) -> float:
    with open_store(str(db)) as store:
        return store.ring(ring_id).score


def test_the_ring_s_own_artifacts_are_exported_and_public_ones_never(store_after_split: Path) -> None:
    bundle, _ = _export(store_after_split, status="active")
    patterns = " ".join(o["pattern"] for o in _by_type(bundle, "indicator"))
    assert len(_by_type(bundle, "intrusion-set")) == 2
    for head in ("a", "b"):  # each head's own card (hashed), SDK build, templates, datacenter exits
        assert f"hydra-sdk/1.4-{head}" in patterns
    assert patterns.count("x-linkage-payment-instrument:keyed_hash") == 2
    assert patterns.count("x-linkage-prompt-template:fingerprint") == 6
    assert "ipv4-addr:value = '185.120.7." in patterns and "ipv4-addr:value = '185.121.7." in patterns
    # what ordinary users share too: the public template bank, the VPN pool, their SDK, their own IPs
    assert "python-httpx" not in patterns and "= '89.44." not in patterns and "= '24." not in patterns
    # the proxy provider is context: its range, marked as anonymisation infrastructure, low confidence
    (proxy,) = [o for o in _by_type(bundle, "indicator") if "ISSUBSET" in o["pattern"]]
    assert proxy["pattern"] == "[ipv4-addr:value ISSUBSET '89.44.0.0/16']"
    assert proxy["indicator_types"] == ["anonymization"] and proxy["confidence"] < 50


def test_hashed_artifacts_stay_hashed(store_after_split: Path) -> None:
    bundle, _ = _export(store_after_split, status="active")
    text = json.dumps(bundle)
    for raw in ("card-head-a", "card-head-b", "vcard-", "Solve step by step", "Refactor this javascript",
                "@webpost.example", "op-a-0", "user-0"):
        assert raw not in text
    con = duckdb.connect(str(store_after_split), read_only=True)
    try:
        hashes = {r[0] for r in con.execute("SELECT instrument_id FROM paid_with").fetchall()}
        prompts = {r[0] for r in con.execute("SELECT fingerprint FROM sent").fetchall()}
        prompts |= {r[0] for r in con.execute("SELECT family_id FROM sent_family").fetchall()}
    finally:
        con.close()
    exported = [o["pattern"].split("'")[1] for o in _by_type(bundle, "indicator") if "x-linkage" in o["pattern"]]
    assert exported and all(v in hashes or v in prompts for v in exported)


def test_ids_are_stable_so_a_second_export_updates_the_same_objects(store_after_split: Path) -> None:
    first, _ = _export(store_after_split, status="active")
    second, _ = _export(store_after_split, status="active")
    ids = lambda b: sorted(o["id"] for o in b["objects"] if o["type"] != "bundle")  # noqa: E731
    assert ids(first) == ids(second)


def test_since_keeps_rings_changed_since_that_day(store_after_split: Path) -> None:
    today, _ = _export(store_after_split, since=date.today())
    assert len(_by_type(today, "intrusion-set")) == 2  # both changed in the run that split them
    later, summary = _export(store_after_split, since=date(2100, 1, 1))
    assert summary.rings == 0 and _by_type(later, "indicator") == []
    _validate(json.dumps(later))


def test_cli_writes_a_valid_bundle_and_refuses_bad_options(store_after_split: Path, tmp_path: Path) -> None:
    out = tmp_path / "share" / "bundle.json"
    done = run_cli("export-indicators", "--store", str(store_after_split), "--status", "confirmed",
                   "--since", DAYS[0], "--out", str(out), "--tlp", "amber")
    assert done.returncode == 0, done.stderr
    assert "1 rings" in done.stderr
    _validate(out.read_text())
    assert stix2.TLP_AMBER.id in out.read_text()
    from typer.testing import CliRunner

    from linkage.cli import app

    for bad, named in ((["--tlp", "purple"], "purple"), (["--status", "maybe"], "maybe"),
                       (["--since", "last week"], "YYYY-MM-DD")):
        refused = CliRunner().invoke(app, ["export-indicators", "--store", str(store_after_split),
                                           "--out", str(tmp_path / "no.json"), *bad])
        assert refused.exit_code == 2 and named in refused.output, (bad, refused.output)
    assert not (tmp_path / "no.json").exists()
