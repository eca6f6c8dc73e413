"""A CSV row of the wrong shape is quarantined with its physical line; the rest of the file loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest_sample import SECRET_EMAIL, SECRET_PROMPT, snapshot
from linkage.ingest.pipeline import ingest_directory
from linkage.ingest.readers import UnreadableInput
from linkage.settings import load_settings
from linkage.store import open_store

pytestmark = pytest.mark.embedded

HEADER = "ts,account_id,ip,prompt,tokens_in"
# Good rows, each a list of physical lines (a quoted prompt may span several).
GOOD = [
    ["2024-05-01T10:00:00Z,a1,1.2.3.4,hello there,5"],
    ['2024-05-01T10:01:00Z,a2,1.2.3.4,"Fix this:', "```python", "def f(x):", '    return ""y""', '```",7'],
    ["2024-05-01T10:02:00Z,a1,10.0.0.1,\"plain, with a comma\",1"],
    ["last tuesday,a3,1.2.3.4,,2"],  # well-formed, but breaks the contract: quarantined as before
    ["2024-05-01T10:04:00Z,a3,1.2.3.4,\"two", 'lines",3'],
    ["2024-05-01T10:05:00Z,a2,10.0.0.1,,4"],
]
TOO_MANY = f"2024-05-01T10:06:00Z,a4,1.2.3.4,hi,1,{SECRET_EMAIL}"
TOO_FEW = "2024-05-01T10:07:00Z,a5-toofew"
UNTERMINATED = f'2024-05-01T10:08:00Z,a6,1.2.3.4,"{SECRET_PROMPT}, never closed,1'


def _write(path: Path, lines: list[str], eol: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((eol.join(lines) + eol).encode())


def _ingest(data: Path, db: Path):
    with open_store(str(db)) as store:
        return ingest_directory(store, data, load_settings(store=str(db), quarantine_dir=data.parent / f"q-{db.stem}"))


def _without_files(g: dict) -> dict:
    return {k: v for k, v in g.items() if k != "ingested_file"}


def _malformed_file(blank: bool, tail: bool) -> tuple[list[str], dict[str, int], int]:
    """The good rows with bad ones in between; also the physical line of each bad row and of
    the contract-breaking 'last tuesday' row."""
    lines = [HEADER, *GOOD[0], *GOOD[1]]
    bad: dict[str, int] = {}
    bad["too many"] = len(lines) + 1
    lines.append(TOO_MANY)
    lines += GOOD[2]
    if blank:
        lines.append("")  # a blank line is not a row: skipped, but it shifts every later line
    tuesday = len(lines) + 1
    lines += GOOD[3]
    bad["too few"] = len(lines) + 1
    lines.append(TOO_FEW)
    lines += GOOD[4] + GOOD[5]
    if tail:
        bad["unterminated"] = len(lines) + 1
        lines.append(UNTERMINATED)
    return lines, bad, tuesday


@pytest.fixture(scope="module")
def clean_graph(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("clean")
    _write(base / "in" / "requests.csv", [HEADER, *(line for row in GOOD for line in row)], "\n")
    report = _ingest(base / "in", base / "clean.duckdb")
    assert (report.tables["requests"].loaded, report.tables["requests"].quarantined) == (5, 1)
    return _without_files(snapshot(base / "clean.duckdb"))


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("blank,tail", [(False, False), (False, True), (True, True), (True, False)])
def test_malformed_rows_are_quarantined_and_the_rest_loads(tmp_path: Path, clean_graph: dict, eol: str,
                                                           blank: bool, tail: bool) -> None:
    lines, bad, tuesday = _malformed_file(blank, tail)
    data = tmp_path / "in"
    _write(data / "requests.csv", lines, eol)
    report = _ingest(data, tmp_path / "g.duckdb")

    assert _without_files(snapshot(tmp_path / "g.duckdb")) == clean_graph
    n_bad = len(bad)
    assert (report.tables["requests"].loaded, report.tables["requests"].quarantined) == (5, 1 + n_bad)
    [result] = report.files
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 5, 1 + n_bad)
    stored = snapshot(tmp_path / "g.duckdb")["ingested_file"]
    assert [(r[1], r[2], r[3]) for r in stored] == [("requests", 5, 1 + n_bad)]

    text = report.quarantine_file.read_text()
    entries = [json.loads(line) for line in text.splitlines()]
    malformed = {e["line"]: e for e in entries if e["reason"] == "malformed CSV row"}
    assert sorted(malformed) == sorted(bad.values())
    assert all(e["value"] is None and e["table"] == "requests" and e["file"] == str(data / "requests.csv")
               for e in malformed.values())
    assert malformed[bad["too few"]]["field"] == "ip"  # the first missing column
    assert malformed[bad["too many"]]["field"] is None
    # A well-formed row after skipped rows and multi-line prompts keeps its physical line.
    [ts] = [e for e in entries if e["reason"] == "unparseable timestamp"]
    assert ts["line"] == tuesday
    for secret in (SECRET_EMAIL, SECRET_PROMPT, "Zanzibar", "a5-toofew", "never closed"):
        assert secret not in text


def test_a_file_with_no_well_formed_row_is_unreadable(tmp_path: Path) -> None:
    db = tmp_path / "g.duckdb"
    first = tmp_path / "day1"
    _write(first / "requests.csv", [HEADER, *GOOD[0]], "\n")
    _ingest(first, db)
    before = snapshot(db)
    data = tmp_path / "in"
    _write(data / "requests.csv", [HEADER, TOO_MANY, TOO_FEW], "\n")
    with pytest.raises(UnreadableInput, match="no well-formed data row"):
        _ingest(data, db)
    assert snapshot(db) == before


@pytest.mark.parametrize("content", [b"", HEADER.encode() + b"\n"])
def test_an_empty_or_header_only_file_loads_nothing_and_is_not_an_error(tmp_path: Path, content: bytes) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "requests.csv").write_bytes(content)
    report = _ingest(data, tmp_path / "g.duckdb")
    assert report.loaded == 0 and report.quarantined == 0
    assert [(f.status, f.rows_loaded) for f in report.files] == [("loaded", 0)]


def test_a_file_not_utf8_past_its_first_block_is_unreadable(tmp_path: Path) -> None:
    data = tmp_path / "in"
    lines = [HEADER, *(GOOD[0] * 2000), "2024-05-01T10:00:00Z,caf\xe9,1.2.3.4,,1"]
    data.mkdir()
    (data / "requests.csv").write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    with pytest.raises(UnreadableInput, match="not UTF-8"):
        _ingest(data, tmp_path / "g.duckdb")
