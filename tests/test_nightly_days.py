"""Night after night: each report says what happened to the operator that night, and only that.

The scenario (tests/nightly_scenario.py): ordinary users; an operator appears with two heads
that look like one; it grows; what the heads shared turns out to be public and the ring
splits in two; a model is released and both heads move to it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from nightly_scenario import BAD_ROWS, DAYS, head_accounts, write_day
from nightly_support import CleanNights, nightly_cli, nightly_state, json_logs
from linkage.nightly import ExitCode, run_nightly
from linkage.settings import load_settings

pytestmark = pytest.mark.embedded


def _members(db: Path, ring_id: str) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT account_id FROM member_of WHERE ring_id = ?", [ring_id]).fetchall()}
    finally:
        con.close()


def _only(report: dict, change: str) -> dict:
    entries = report["changes"][change]
    assert len(entries) == 1, (change, report["changes"])
    return entries[0]


def _no_other_changes(report: dict, *expected: str) -> None:
    others = {k: v for k, v in report["changes"].items() if v and k not in expected}
    assert not others, others


def test_night_1_ordinary_users_only(clean_nights: CleanNights) -> None:
    report = clean_nights.reports[0]
    assert clean_nights.exit_codes[0] == ExitCode.OK
    assert [p["partition"] for p in report["partitions"]] == [DAYS[0]]
    assert report["rings"]["active"] == 0 and report["quarantine"]["rows"] == 0
    _no_other_changes(report)


def test_night_2_the_operator_appears_and_bad_rows_are_counted(clean_nights: CleanNights) -> None:
    report = clean_nights.reports[1]
    assert clean_nights.exit_codes[1] == ExitCode.QUARANTINED  # two rows broke the contract
    assert report["quarantine"] == {"rows": BAD_ROWS, "by_table": {"requests": BAD_ROWS}}
    assert report["exit_code"] == 3
    new = _only(report, "new")
    _no_other_changes(report, "new")
    assert new["size"] == 16
    assert _members(clean_nights.after(1), new["ring_id"]) == set(head_accounts("a", 1) + head_accounts("b", 1))
    assert new["top_artifacts"] and report["top_new_evidence"]
    assert all(e["ring_id"] == new["ring_id"] for e in report["top_new_evidence"])


def test_night_3_the_ring_grows_and_keeps_its_id(clean_nights: CleanNights) -> None:
    first = _only(clean_nights.reports[1], "new")["ring_id"]
    grown = _only(clean_nights.reports[2], "grown")
    _no_other_changes(clean_nights.reports[2], "grown")
    assert grown["ring_id"] == first and (grown["before"], grown["after"]) == (16, 24)
    assert _members(clean_nights.after(2), first) == set(head_accounts("a", 2) + head_accounts("b", 2))


def test_night_4_the_ring_splits_into_its_two_heads(clean_nights: CleanNights) -> None:
    ring = _only(clean_nights.reports[1], "new")["ring_id"]
    report = clean_nights.reports[3]
    kept, split = _only(report, "shrunk"), _only(report, "split")
    _no_other_changes(report, "shrunk", "split")
    assert kept["ring_id"] == ring and (kept["before"], kept["after"]) == (24, 12)
    assert split["from"] == ring and split["size"] == 12 and split["ring_id"] != ring
    heads = {frozenset(head_accounts("a", 3)), frozenset(head_accounts("b", 3))}
    db = clean_nights.after(3)
    assert {frozenset(_members(db, ring)), frozenset(_members(db, split["ring_id"]))} == heads
    # each head's own content is tonight's new evidence
    assert {e["ring_id"] for e in report["top_new_evidence"]} == {ring, split["ring_id"]}


def test_night_5_both_heads_shift_to_the_new_model_and_keep_their_ids(clean_nights: CleanNights) -> None:
    report = clean_nights.reports[4]
    before = {e["ring_id"] for c in ("shrunk", "split") for e in clean_nights.reports[3]["changes"][c]}
    _no_other_changes(report, "stable", "grown", "shrunk")
    kept = report["changes"]["stable"] + report["changes"]["grown"] + report["changes"]["shrunk"]
    assert {e["ring_id"] for e in kept} == before
    for e in kept:  # the release-shift evidence is what moved tonight
        moved = {k: v for k, v in e["components_moved"].items() if "release" in k}
        assert moved and all(after > was for was, after in moved.values()), e


def test_each_night_took_exactly_its_own_partition(clean_nights: CleanNights) -> None:
    assert [[p["partition"] for p in r["partitions"]] for r in clean_nights.reports] == [[d] for d in DAYS]
    state = clean_nights.states[-1]
    assert state["detection_runs"] == len(DAYS)
    assert [s for s, _ in state["nightly_runs"]] == ["complete"] * len(DAYS)


def test_running_again_changes_nothing_and_exits_4(clean_nights: CleanNights, tmp_path: Path) -> None:
    db = tmp_path / "again.duckdb"
    db.write_bytes(clean_nights.after(len(DAYS) - 1).read_bytes())
    before = nightly_state(db)
    done = nightly_cli("--input", str(clean_nights.input), "--store", str(db))  # the whole input again
    assert done.returncode == ExitCode.NOTHING_NEW, done.stderr
    assert any(e["event"] == "run.nothing_new" for e in json_logs(done.stderr))
    settings = load_settings(store=str(db), threads=1)
    assert run_nightly(settings, clean_nights.input, until=date.fromisoformat(DAYS[2])).exit_code == 4
    assert nightly_state(db) == before


def test_date_takes_only_the_days_up_to_it(tmp_path: Path) -> None:
    for d in range(3):
        write_day(tmp_path / "in", d)
    settings = load_settings(store=str(tmp_path / "s.duckdb"), threads=1)
    outcome = run_nightly(settings, tmp_path / "in", until=date.fromisoformat(DAYS[1]))
    assert [p["partition"] for p in outcome.report["partitions"]] == [DAYS[0], DAYS[1]]
    later = run_nightly(settings, tmp_path / "in")
    assert [p["partition"] for p in later.report["partitions"]] == [DAYS[2]]


def test_report_files_and_the_report_command_agree(clean_nights: CleanNights) -> None:
    from ingest_sample import run_cli

    last = clean_nights.reports[-1]
    reports = clean_nights.input / "_reports"
    on_disk = json.loads((reports / f"{last['run']['run_id']}.json").read_text())
    assert on_disk == json.loads((reports / "latest.json").read_text())
    db = clean_nights.after(len(DAYS) - 1)
    printed = run_cli("report", "--store", str(db), "--format", "json")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == on_disk
    from typer.testing import CliRunner

    from linkage.cli import app

    first_id = clean_nights.reports[1]["run"]["run_id"]
    md = CliRunner().invoke(app, ["report", first_id, "--store", str(db)])
    assert md.exit_code == 0 and f"# Nightly run {first_id}" in md.output and "## New" in md.output
    missing = CliRunner().invoke(app, ["report", "night_nope", "--store", str(db)])
    assert missing.exit_code == 2 and first_id in missing.output


def test_a_late_file_in_a_day_already_taken_is_taken_next_night(tmp_path: Path) -> None:
    for d in range(2):
        write_day(tmp_path / "in", d)
    settings = load_settings(store=str(tmp_path / "s.duckdb"), threads=1)
    run_nightly(settings, tmp_path / "in")
    late = tmp_path / "in" / DAYS[0] / "requests-late.jsonl"
    late.write_text(json.dumps({"ts": f"{DAYS[0]}T23:59:00Z", "account_id": "user-0003", "ip": "24.0.3.8"}) + "\n")
    outcome = run_nightly(settings, tmp_path / "in")
    assert [(p["partition"], p["files"], p["rows_loaded"]) for p in outcome.report["partitions"]] == [(DAYS[0], 1, 1)]
    assert run_nightly(settings, tmp_path / "in").exit_code == ExitCode.NOTHING_NEW


@pytest.mark.parametrize("args,named", [
    (["--input", "{tmp}/in"], "2026-13-40"),  # a partition that looks like a date but is not one
    (["--input", "{tmp}/missing"], "missing"),
    (["--input", "{tmp}/in", "--date", "yesterday"], "YYYY-MM-DD"),
])
def test_bad_usage_exits_2_and_names_the_problem(tmp_path: Path, args: list[str], named: str) -> None:
    from typer.testing import CliRunner

    from linkage.cli import app

    (tmp_path / "in" / "2026-13-40").mkdir(parents=True)
    argv = ["nightly", *[a.format(tmp=tmp_path) for a in args], "--store", str(tmp_path / "s.duckdb")]
    done = CliRunner().invoke(app, argv)
    assert done.exit_code == ExitCode.USAGE, done.output
    assert named in done.output
    assert not (tmp_path / "s.duckdb").exists()  # refused before the store was opened


def test_an_unreadable_partition_fails_with_exit_1_and_is_retried(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from linkage.cli import app

    write_day(tmp_path / "in", 0)
    broken = tmp_path / "in" / DAYS[1]
    broken.mkdir()
    (broken / "requests.parquet").write_bytes(b"PAR1 not really parquet PAR1")
    argv = ["nightly", "--input", str(tmp_path / "in"), "--store", str(tmp_path / "s.duckdb")]
    failed = CliRunner().invoke(app, argv)
    assert failed.exit_code == ExitCode.FAILED and "requests.parquet" in failed.output
    (broken / "requests.parquet").unlink()
    write_day(tmp_path / "in", 1)
    fixed = CliRunner().invoke(app, argv)
    assert fixed.exit_code == ExitCode.QUARANTINED, fixed.output  # day 2 carries two bad rows
    report = json.loads((tmp_path / "in" / "_reports" / "latest.json").read_text())
    assert [p["partition"] for p in report["partitions"]] == [DAYS[0], DAYS[1]]  # one run, resumed


def test_readme_documents_every_exit_code_and_report_field(clean_nights: CleanNights) -> None:
    import re

    from ingest_sample import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## The nightly job"):readme.index("## Sharing indicators")]
    codes = {int(c) for c in re.findall(r"^\| (\d) \|", section, re.M)}
    assert codes == {int(c) for c in ExitCode}
    fields = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    assert fields == set(clean_nights.reports[1])
    assert re.search(r'args: \["linkage", "nightly", "--input", "[^"]+"\]', section)
    assert re.search(r"linkage nightly --input \S+ --date", section)
