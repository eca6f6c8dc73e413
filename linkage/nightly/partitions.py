"""Dated input partitions: `DIR/YYYY-MM-DD/` sub-directories, each holding tables in the input contract.

A partition is *pending* when no nightly run has taken it yet, or when it holds a
contract file the store has never applied (a late file dropped into a day already
taken). Files are compared by path first and by content hash only when the path is
unknown, so a month of old partitions costs a directory listing, not a re-read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from linkage.ingest.discover import InputFile, content_hash, discover

_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadPartition(ValueError):
    """An input directory or partition name the job cannot use (a usage error, exit 2)."""


@dataclass(frozen=True)
class Partition:
    day: date
    path: Path

    @property
    def name(self) -> str:
        return self.day.isoformat()


def parse_day(text: str) -> date:
    """A YYYY-MM-DD date, or BadPartition naming what was wrong."""
    if not _DATE_DIR.match(text):
        raise BadPartition(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadPartition(f"{text!r} is not a valid date: {exc}") from None


def list_partitions(input_dir: Path, until: date | None = None) -> list[Partition]:
    """Every `YYYY-MM-DD` sub-directory of `input_dir` (up to `until` inclusive), oldest first.

    Other entries (files, `_quarantine/`, `_reports/`, hidden directories) are not partitions
    and are left alone; a directory that looks like a date but is not one is a usage error.
    """
    if not input_dir.is_dir():
        raise BadPartition(f"input directory {input_dir} does not exist or is not a directory")
    found: list[Partition] = []
    for entry in input_dir.iterdir():
        if entry.is_dir() and _DATE_DIR.match(entry.name):
            day = parse_day(entry.name)
            if until is None or day <= until:
                found.append(Partition(day, entry))
    return sorted(found, key=lambda p: p.day)


def _contract_files(partition: Partition) -> list[InputFile]:
    files, _ = discover(partition.path)
    return [f for f in files if f.table is not None]


def pending_partitions(partitions: list[Partition], taken: set[str], applied_paths: set[str],
                       applied_hashes: set[str]) -> list[Partition]:
    """The partitions a run must (re)take: never taken, or holding a contract file never applied."""
    pending = []
    for p in partitions:
        if p.name not in taken:
            pending.append(p)
            continue
        for f in _contract_files(p):
            if str(f.path) not in applied_paths and content_hash(f.path) not in applied_hashes:
                pending.append(p)  # a late file in a day already taken
                break
    return pending
