"""Any command that fails unexpectedly says so in one line (what failed, on which input) and exits
non-zero; the traceback is there only with --verbose. A busy store is one such failure, never corruption."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingest_sample import run_cli, snapshot, write_dataset
from linkage.cli.failures import failure_line

pytestmark = pytest.mark.embedded


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1 and lines[0].startswith("error: linkage "), stderr
    return lines[0]


def test_failure_line_names_command_inputs_and_first_line_of_the_error() -> None:
    exc = RuntimeError("merge failed: disk full\n  statement: INSERT INTO account ...")
    assert failure_line("ingest", {"directory": "in", "store": "g.duckdb"}, exc) == (
        "linkage ingest failed (directory in, store g.duckdb): RuntimeError: merge failed: disk full")
    assert failure_line("stats", {}, KeyError()) == "linkage stats failed: KeyError"


def test_an_unopenable_store_is_one_line_and_exit_1(tmp_path: Path) -> None:
    store = tmp_path / "no-such-dir" / "g.duckdb"
    res = run_cli("stats", "--store", str(store))
    assert res.returncode == 1
    line = one_error_line(res.stderr)
    assert line.startswith(f"error: linkage stats failed (store {store}): IOException: ")


def test_verbose_adds_the_traceback_to_the_same_line(tmp_path: Path) -> None:
    res = run_cli("stats", "--store", str(tmp_path / "no-such-dir" / "g.duckdb"), "--verbose")
    assert res.returncode == 1
    assert "Traceback (most recent call last)" in res.stderr
    assert res.stderr.rstrip().splitlines()[-1].startswith("error: linkage stats failed")


def test_a_bad_setting_in_the_environment_names_the_setting(tmp_path: Path) -> None:
    res = run_cli("stats", "--store", str(tmp_path / "g.duckdb"), env={"LINKAGE_THREADS": "many"})
    assert res.returncode == 1
    assert "ValidationError: threads: Input should be a valid integer" in one_error_line(res.stderr)


@pytest.fixture
def held_store(tmp_path: Path):
    """A store file whose lock another process holds (as a running ingest or detect would)."""
    db = tmp_path / "g.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
         " sys.stdin.read()", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    yield db, holder.pid
    holder.stdin.close()
    holder.wait(timeout=30)


@pytest.mark.parametrize("command", [["detect"], ["rings"], ["ingest", "IN"]])
def test_a_store_another_process_holds_is_busy_in_one_line(tmp_path: Path, held_store, command: list[str]) -> None:
    db, pid = held_store
    data = write_dataset(tmp_path / "in", ".jsonl")
    res = run_cli(*[str(data) if a == "IN" else a for a in command], "--store", str(db))
    assert res.returncode == 1
    line = one_error_line(res.stderr)
    assert f"(PID {pid}) has it open" in line and "StoreBusy: the store is busy" in line
    assert f"store {db}" in line


def test_ingest_and_detect_started_together_serialise_or_say_busy(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "in", ".jsonl")
    alone = tmp_path / "alone.duckdb"
    assert run_cli("ingest", str(data), "--store", str(alone)).returncode == 0
    db = tmp_path / "g.duckdb"
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("LINKAGE_")}
    procs = {name: subprocess.Popen([sys.executable, "-m", "linkage", *args, "--store", str(db)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for name, args in (("ingest", ["ingest", str(data)]), ("detect", ["detect"]))}
    results = {name: (p.wait(timeout=300), p.stderr.read()) for name, p in procs.items()}
    for name, (code, err) in results.items():
        assert "Traceback" not in err, err
        assert code == 0 or (code == 1 and "the store is busy" in err), (name, code, err)
    if results["ingest"][0] != 0:  # it lost the race: the store holds nothing of it, and it can run now
        assert run_cli("ingest", str(data), "--store", str(db)).returncode == 0
    assert snapshot(db)["account"] == snapshot(alone)["account"]
    assert snapshot(db)["used_ip"] == snapshot(alone)["used_ip"]
    assert run_cli("detect", "--store", str(db)).returncode == 0
