"""Find the input files in a directory and tell which table and format each one is.

The name before the extension names the table (`requests.parquet`). So that a
nightly job can drop one file per day next to the others, a suffix after a
separator is allowed too: `requests-2024-05-01.jsonl.gz`, `requests_part2.csv`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import xxhash

from linkage.ingest.contract import CONTRACTS, FORMATS

_TABLE = re.compile(r"^(?P<table>[A-Za-z]+)(?:[-_.].*)?$")


@dataclass(frozen=True)
class InputFile:
    path: Path
    fmt: str  # jsonl | csv | parquet
    table: str | None  # None: not a table of the contract (quarantined as a whole)


def split_name(name: str) -> tuple[str, str] | None:
    """(stem, format) for a supported file name, else None."""
    lower = name.lower()
    for suffix, fmt in FORMATS.items():  # longest suffixes first (.jsonl.gz before .jsonl)
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], fmt
    return None


def discover(directory: Path) -> tuple[list[InputFile], list[Path]]:
    """Supported files (sorted by name) and the other files that were ignored.

    Only the directory's own files are read; sub-directories (such as the
    default `_quarantine/`) and hidden files are left alone.
    """
    found: list[InputFile] = []
    ignored: list[Path] = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.startswith((".", "_")):
            continue
        parts = split_name(path.name)
        if parts is None:
            ignored.append(path)
            continue
        stem, fmt = parts
        m = _TABLE.match(stem)
        table = m.group("table").lower() if m else None
        found.append(InputFile(path, fmt, table if table in CONTRACTS else None))
    return found, ignored


def content_hash(path: Path, chunk: int = 8 << 20) -> str:
    """xxh3-128 of the file's bytes, streamed: the identity that makes re-ingest a no-op."""
    h = xxhash.xxh3_128()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
