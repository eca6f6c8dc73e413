"""`linkage export-neo4j-import`: the CSV shape neo4j-admin's full import reads, checked without a server.

Headers carry id spaces and types, values are escaped the way the importer unquotes them,
datetimes are ISO 8601 in UTC, ids stay inside their id space, and a row the importer
would refuse is quarantined with its reason rather than lost.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from detect_graphs import GraphBuilder

from linkage.store.embedded import EmbeddedStore
from linkage.store.models import DetectionResult, DetectionRun, Ring, RingChange, RingMember
from linkage.store.neo4j_import import export_neo4j_import

pytestmark = pytest.mark.embedded
ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 2, 1, 9, 30, 15, 250000, tzinfo=timezone.utc)
AWKWARD_AGENT = 'Mozilla/5.0 (X11, "quoted"; back\\slash),\nsecond line'
BIG_SIMHASH = 2**64 - 5  # does not fit a signed long


def _graph() -> GraphBuilder:
    g = GraphBuilder()
    for acc, domain in (("a1", "example.org"), ("a2", "example.org"), ("a3", None)):
        g.account(acc, T0, domain=domain)
    g.rows["account"][0]["country"] = ""  # an empty string is a value, not a missing one
    g.rows["ip"] += [{"ip": "1.2.3.4", "version": 4}, {"ip": "2001:db8::1", "version": 6}]
    g.rows["proxy"].append({"proxy_id": "ResiNet|residential", "provider": "ResiNet", "kind": "residential"})
    g.rows["proxy_range"].append({"network": "1.2.3.0/24", "proxy_id": "ResiNet|residential", "version": 4})
    g.rows["user_agent"].append({"ua_id": "ua1", "user_agent": AWKWARD_AGENT})
    g.rows["prompt_fingerprint"].append({"fingerprint": "fp1", "simhash": BIG_SIMHASH, "capability": "coding"})
    g.exit_of("1.2.3.4", "ResiNet|residential")
    g.use("a1", "ip", "1.2.3.4", count=7, first=T0)
    g.use("a2", "ip", "1.2.3.4", count=2, first=T0 + timedelta(hours=1))
    g.use("a3", "ip", "2001:db8::1")
    g.use("a1", "prompt", "fp1", count=11)
    g.use("a2", "user_agent", "ua1")
    g.use("ghost", "ip", "1.2.3.4")  # an account with no account row: MERGE would create it bare
    return g


def _store(tmp_path: Path, scored: bool = True) -> EmbeddedStore:
    tmp_path.mkdir(parents=True, exist_ok=True)
    store = EmbeddedStore(str(tmp_path / "g.duckdb")) if scored else _UnscoredStore(str(tmp_path / "g.duckdb"))
    _graph().write(store)
    run = DetectionRun(run_id="run1", started_at=T0, finished_at=T0 + timedelta(seconds=2), duration_s=2.0,
                       params={"seed": 42}, counts={"rings": 1})
    ring = Ring(ring_id="ring_x", score=0.91, components={"network": 0.5}, size=2, created_run="run1",
                updated_run="run1", members=["a1", "a2"])
    change = RingChange(run_id="run1", ring_id="ring_x", change="new", detail={"size": 2})
    store.save_detection(DetectionResult(run=run, rings=[ring], changes=[change], members=[
        RingMember(account_id=a, ring_id="ring_x", score=0.8, since=T0) for a in ("a1", "a2")]))
    return store


class _UnscoredStore(EmbeddedStore):
    """An engine that cannot list scored memberships (the GraphStore default)."""

    def memberships(self):  # type: ignore[override]
        raise NotImplementedError


def _rows(directory: Path, name: str) -> list[list[str]]:
    with (directory / f"{name}.csv").open(newline="") as fh:
        return list(csv.reader(fh))


def _header(directory: Path, name: str) -> str:
    return (directory / f"{name}.header.csv").read_text().strip()


@pytest.fixture()
def exported(tmp_path: Path) -> Path:
    with _store(tmp_path) as store:
        export_neo4j_import(store, tmp_path / "out")
    return tmp_path / "out"


def test_headers_carry_id_spaces_and_import_types(exported: Path) -> None:
    assert _header(exported, "account") == (
        "account_id:ID(Account),created_at:datetime,email_hash,email_domain,country,org_id")
    assert _header(exported, "used_ip") == (
        ":START_ID(Account),:END_ID(IP),requests:long,first_seen:datetime,last_seen:datetime")
    assert _header(exported, "sent") == (
        ":START_ID(Account),:END_ID(PromptFingerprint),count:long,first_seen:datetime,last_seen:datetime")
    assert _header(exported, "exit_of") == ":START_ID(IP),:END_ID(Proxy)"
    assert _header(exported, "range_of") == ":START_ID(ProxyRange),:END_ID(Proxy)"
    assert _header(exported, "email_domain") == "domain:ID(EmailDomain)"
    assert _header(exported, "member_of") == ":START_ID(Account),:END_ID(Ring),score:double,since:datetime"
    assert _header(exported, "ip") == "ip:ID(IP),version:long"


def test_values_survive_the_importers_quoting(exported: Path) -> None:
    # The importer's dialect is RFC 4180: doubled quotes inside quoted fields, backslash literal.
    assert _rows(exported, "user_agent") == [["ua1", AWKWARD_AGENT]]
    raw = (exported / "account.csv").read_text().splitlines()
    a1, a3 = next(r for r in raw if r.startswith('"a1"')), next(r for r in raw if r.startswith('"a3"'))
    assert a1.endswith(',"",')  # country '' stays an empty string, org_id null stays absent
    assert a3.endswith(",,,")


def test_a_line_break_in_a_value_turns_on_multiline_fields(exported: Path, tmp_path: Path) -> None:
    assert "--multiline-fields=true" in json.loads((exported / "manifest.json").read_text())["options"]
    g = GraphBuilder()
    g.account("b1", T0)
    with EmbeddedStore(":memory:") as store:
        g.write(store)
        export_neo4j_import(store, tmp_path / "plain")
    assert "--multiline-fields=false" in (tmp_path / "plain" / "import.sh").read_text()


def test_datetimes_are_iso_8601_utc_to_the_microsecond(exported: Path) -> None:
    account = {r[0]: r for r in _rows(exported, "account")}
    assert account["a1"][1] == "2026-02-01T09:30:15.250000Z"
    used = {(r[0], r[1]): r for r in _rows(exported, "used_ip")}
    first, last = used[("a2", "1.2.3.4")][3:5]
    assert datetime.fromisoformat(first) == T0 + timedelta(hours=1)
    assert datetime.fromisoformat(last) == T0 + timedelta(days=1, hours=1)


def test_counts_and_the_unsigned_simhash_keep_their_values(exported: Path) -> None:
    used = {(r[0], r[1]): int(r[2]) for r in _rows(exported, "used_ip")}
    assert used == {("a1", "1.2.3.4"): 7, ("a2", "1.2.3.4"): 2, ("a3", "2001:db8::1"): 5, ("ghost", "1.2.3.4"): 5}
    simhash = int(_rows(exported, "prompt_fingerprint")[0][1])
    assert simhash < 0 and simhash % 2**64 == BIG_SIMHASH  # same 64 bits, as a signed long


def test_every_edge_stays_inside_the_id_spaces_of_the_export(exported: Path) -> None:
    accounts = {r[0] for r in _rows(exported, "account")}
    domains = {r[0] for r in _rows(exported, "email_domain")}
    assert domains == {"example.org"}
    assert {(r[0], r[1]) for r in _rows(exported, "has_email_domain")} == {("a1", "example.org"),
                                                                          ("a2", "example.org")}
    accounts |= {r[0] for r in _rows(exported, "account_implied")}
    for name in ("used_ip", "sent", "used_agent", "has_email_domain", "member_of"):
        assert {r[0] for r in _rows(exported, name)} <= accounts, name


def test_an_edge_to_a_node_without_a_row_gets_a_bare_node_as_merge_gives_it(exported: Path) -> None:
    manifest = json.loads((exported / "manifest.json").read_text())
    assert manifest["implied"] == {"Account": 1} and manifest["rows"]["used_ip"] == 4
    assert _header(exported, "account_implied") == _header(exported, "account").split(",")[0]
    assert _rows(exported, "account_implied") == [["ghost"]]
    assert "--nodes=Account=account_implied.header.csv,account_implied.csv" in manifest["options"]


def test_a_row_with_an_empty_id_is_quarantined_with_its_reason(tmp_path: Path) -> None:
    g = GraphBuilder()
    g.account("b1", T0)
    g.rows["ip"].append({"ip": None, "version": 4})
    with EmbeddedStore(":memory:") as store:
        g.write(store)
        report = export_neo4j_import(store, tmp_path / "out")
    assert report.quarantined == {"ip": 1} and report.rows["ip"] == 0
    with (tmp_path / "out" / "_quarantine" / "ip.csv").open(newline="") as fh:
        (bad,) = list(csv.DictReader(fh))
    assert bad["reason"] == "ip is empty"


def test_activity_and_lockstep_windows_take_the_merge_paths_shape(tmp_path: Path) -> None:
    g = GraphBuilder()
    g.account("b1", T0)
    g.rows["ip"].append({"ip": "1.2.3.4", "version": 4})
    g.rows["prompt_fingerprint"].append({"fingerprint": "fp1", "simhash": None, "capability": None})
    g.active("b1", T0, "atlas-4", 3)
    g.rows["activity"].append({"account_id": "b1", "hour": T0, "model": None, "requests": 1,
                               "tokens_in": 0, "tokens_out": 0})
    g.window("ip", "1.2.3.4", T0, "b1", 2)
    g.window("prompt", "fp1", T0, "b1", 5)
    with EmbeddedStore(":memory:") as store:
        g.write(store)
        export_neo4j_import(store, tmp_path / "out")
    out = tmp_path / "out"
    assert sorted(_rows(out, "model")) == [[""], ["atlas-4"]]  # no model: the model '' (merge_activity.cypher)
    assert _header(out, "activity") == (":START_ID(Account),:END_ID(Model),hour:datetime,requests:long,"
                                        "tokens_in:long,tokens_out:long")
    assert sorted(r[1] for r in _rows(out, "activity")) == ["", "atlas-4"]
    assert _header(out, "seen_in_window_ip").startswith(":START_ID(Account),:END_ID(IP),window_start:datetime")
    assert _rows(out, "seen_in_window_ip") == [["b1", "1.2.3.4", "2026-02-01T09:30:15.250000Z", "2"]]
    assert _header(out, "seen_in_window_prompt").startswith(":START_ID(Account),:END_ID(PromptFingerprint)")
    assert _rows(out, "seen_in_window_prompt") == [["b1", "fp1", "2026-02-01T09:30:15.250000Z", "5"]]


def test_rings_and_scored_memberships_are_exported(exported: Path, tmp_path: Path) -> None:
    assert [r[0] for r in _rows(exported, "ring")] == ["ring_x"]
    assert json.loads(_rows(exported, "ring")[0][2]) == {"network": 0.5}
    assert json.loads(_rows(exported, "ring")[0][7]) == []  # shared artifacts, a JSON string as save_rings writes
    ((change_id, run, ring, change, detail),) = _rows(exported, "ring_change")
    assert (run, ring, change, json.loads(detail)) == ("run1", "ring_x", "new", {"size": 2})
    assert _rows(exported, "recorded") == [["run1", change_id]]
    assert _header(exported, "ring_change").startswith(":ID(RingChange),")  # the import id is no property
    assert sorted(_rows(exported, "member_of")) == [
        ["a1", "ring_x", "0.8", "2026-02-01T09:30:15.250000Z"],
        ["a2", "ring_x", "0.8", "2026-02-01T09:30:15.250000Z"]]
    with _store(tmp_path / "unscored", scored=False) as store:
        report = export_neo4j_import(store, tmp_path / "unscored" / "out")
    assert not report.memberships_scored
    assert sorted(_rows(tmp_path / "unscored" / "out", "member_of")) == [["a1", "ring_x", "", ""],
                                                                         ["a2", "ring_x", "", ""]]


def test_the_cli_writes_the_files_and_prints_the_import_command(tmp_path: Path) -> None:
    _store(tmp_path).close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "linkage", "export-neo4j-import", str(tmp_path / "cli"),
                           "--store", str(tmp_path / "g.duckdb")], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 Account node(s) appear only as an edge's endpoint" in done.stderr
    script = (tmp_path / "cli" / "import.sh").read_text()
    for option in json.loads((tmp_path / "cli" / "manifest.json").read_text())["options"]:
        assert option in script and option in done.stdout
    assert "--nodes=Account=account.header.csv,account.csv" in done.stdout
    assert "--relationships=USED_IP=used_ip.header.csv,used_ip.csv" in done.stdout
    assert "--bad-tolerance=0" in done.stdout


def test_a_lockstep_window_of_a_kind_without_a_label_is_quarantined(tmp_path: Path) -> None:
    g = GraphBuilder()
    g.account("b1", T0)
    g.window("device", "d1", T0, "b1", 2)
    g.window("prompt_family", "fam1", T0, "b1", 3)
    g.rows["prompt_family"].append({"family_id": "fam1", "capability": "reasoning"})
    with EmbeddedStore(":memory:") as store:
        g.write(store)
        report = export_neo4j_import(store, tmp_path / "out")
    assert report.quarantined == {"co_window": 1}
    assert _rows(tmp_path / "out", "seen_in_window_prompt_family") == [
        ["b1", "fam1", "2026-02-01T09:30:15.250000Z", "3"]]
    with (tmp_path / "out" / "_quarantine" / "co_window.csv").open(newline="") as fh:
        (bad,) = list(csv.DictReader(fh))
    assert bad["artifact"] == "d1" and bad["reason"] == "kind device has no node label in the graph"
