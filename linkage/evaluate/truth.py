"""The answer key: truth.csv (`account_id,ring_id`; an empty ring_id means legitimate)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from linkage.ingest.contract import canonical_account_id


class TruthError(ValueError):
    """truth.csv is missing or does not have the expected columns."""


@dataclass(frozen=True)
class Truth:
    """account_id -> truth ring id, for ring accounts only; every other account is legitimate."""

    ring_of: dict[str, str]
    accounts: frozenset[str]  # every account the file names, ring or legitimate

    @property
    def rings(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for acc, ring in self.ring_of.items():
            out.setdefault(ring, set()).add(acc)
        return out


def load_truth(path: str | Path) -> Truth:
    """Read truth.csv; ring_id empty or null = legitimate. Extra columns are ignored."""
    path = Path(path)
    if not path.is_file():
        raise TruthError(f"truth file not found: {path}")
    opts = pacsv.ConvertOptions(column_types={"account_id": pa.string(), "ring_id": pa.string()},
                                strings_can_be_null=True)
    try:
        table = pacsv.read_csv(path, convert_options=opts)
    except pa.ArrowInvalid as exc:
        raise TruthError(f"cannot read {path}: {exc}") from exc
    missing = {"account_id", "ring_id"} - set(table.column_names)
    if missing:
        raise TruthError(f"{path} lacks column(s) {sorted(missing)}; expected account_id,ring_id")
    return truth_from_table(table)


def truth_from_table(table: pa.Table) -> Truth:
    """Truth from an Arrow table with account_id and ring_id columns."""
    # the ids as ingest stores them (trimmed, NFC), so that a truth file typed elsewhere still matches
    accounts = [canonical_account_id(a) for a in table["account_id"].to_pylist()]
    rings = pc.utf8_trim_whitespace(table["ring_id"].cast(pa.string())).to_pylist()
    ring_of = {a: r for a, r in zip(accounts, rings) if a and r}
    return Truth(ring_of=ring_of, accounts=frozenset(a for a in accounts if a))
