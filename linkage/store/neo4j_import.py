"""Bulk first load: a graph store written as `neo4j-admin database import full` CSVs.

Batched MERGE is the right path for a night's logs, and far too slow for a first load of
the public case; `neo4j-admin` builds the store files directly from CSV. The export reads
any store through the GraphStore interface, writes one header file and one data file per
node label and relationship type (see `neo4j_import_layout`), an `import.sh` with the exact
command line, and a `manifest.json` with the row counts the import must report.

An edge whose endpoint has no row of its own gets a bare node (key only), as the MERGE
path's `MERGE` of both endpoints gives it; rows whose id is empty would make the import
fail (or, with a bad-tolerance, vanish): they are quarantined under `_quarantine/` with
the reason, counted in the manifest, and never silently dropped.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from linkage.store.base import GraphStore
from linkage.store.neo4j_import_layout import ALL_FILES, CO_WINDOW_KINDS, GRAPH_FILES, Field, ImportFile

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # Arrow's %S carries the microseconds: 10:00:00.000000Z
SCRIPT = "import.sh"
MANIFEST = "manifest.json"


@dataclass
class ExportReport:
    """What an export wrote: rows per file, quarantined rows per file, and the command to run."""

    directory: Path
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    implied: dict[str, int] = field(default_factory=dict)  # bare endpoint nodes, by label
    multiline: bool = False
    memberships_scored: bool = True

    def command(self, neo4j_admin: str = "neo4j-admin", database: str = "neo4j") -> list[str]:
        return import_command(self.directory, neo4j_admin, database)


def import_options(files: list[ImportFile], multiline: bool) -> list[str]:
    """The options of `neo4j-admin database import full`, with paths relative to the export directory."""
    options = [
        "--id-type=string",
        # Every bad row was quarantined by the export: anything else the importer finds is a bug, so stop.
        "--bad-tolerance=0",
        f"--multiline-fields={'true' if multiline else 'false'}",
        "--report-file=import.report",
    ]
    for f in files:
        options.append(f"{f.option}={f.label}={f.name}.header.csv,{f.name}.csv")
    return options


def import_command(directory: Path, neo4j_admin: str = "neo4j-admin", database: str = "neo4j") -> list[str]:
    """The argv to run from inside the export `directory` (as its import.sh does)."""
    manifest = json.loads((directory / MANIFEST).read_text())
    # The database goes first: the file-list options would swallow a trailing positional argument.
    return [neo4j_admin, "database", "import", "full", database, *manifest["options"]]


def _iso(column: pa.ChunkedArray) -> pa.ChunkedArray:
    utc = column.cast(pa.timestamp("us", tz="UTC"))
    return pc.strftime(utc, format=DATETIME_FORMAT)


def _as_import_type(column: pa.ChunkedArray, header: str) -> pa.ChunkedArray:
    kind = header.rsplit(":", 1)[1] if ":" in header and "(" not in header else "string"
    if kind == "long[]":  # neo4j-admin's default array delimiter
        return pc.binary_join(column.cast(pa.list_(pa.string())), ";")
    if kind == "datetime":
        return _iso(column)
    if kind == "long":
        # The simhash is an unsigned 64-bit value: keep its bits as a signed long, as Cypher can only hold those.
        return column.cast(pa.int64(), safe=False) if pa.types.is_uint64(column.type) else column.cast(pa.int64())
    if kind == "double":
        return column.cast(pa.float64())
    return column.cast(pa.string())


def _has_line_break(column: pa.ChunkedArray) -> bool:
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return False
    return bool(pc.any(pc.match_substring_regex(column, r"[\r\n]")).as_py())


class _Sources:
    """Rows for each import file, read once per source through the GraphStore interface."""

    def __init__(self, store: GraphStore):
        self.store = store
        self.memberships_scored = True
        self._cache: dict[str, pa.Table] = {}

    def cached(self, source: str) -> pa.Table | None:
        return self._cache.get(source)

    def table(self, f: ImportFile) -> pa.Table:
        if f.source not in self._cache:
            self._cache[f.source] = self._read(f.source)
        rows = self._cache[f.source]
        if f.name in ("email_domain", "model"):  # nodes the MERGE path derives from another table
            column = f.columns[0]
            values = rows[column] if f.name == "email_domain" else pc.fill_null(rows[column], "")
            return pa.table({column: pc.unique(values.drop_null())})
        if f.name == "activity":
            return rows.set_column(rows.schema.get_field_index("model"), "model",
                                   pc.fill_null(rows["model"], "")).select(f.columns)
        if f.name.startswith("seen_in_window_"):
            return rows.filter(pc.equal(rows["kind"], f.name.removeprefix("seen_in_window_"))).select(f.columns)
        if f.name in ("has_email_domain", "range_of"):  # no domain / no proxy: no edge, as in the MERGE path
            return rows.filter(pc.is_valid(rows[f.columns[1]])).select(f.columns)
        return rows.select(f.columns)

    def _read(self, source: str) -> pa.Table:
        if source == "detection_runs":
            runs = [r.model_dump() for r in self.store.detection_runs()]
            for r in runs:
                r["params"], r["counts"] = json.dumps(r["params"], default=str), json.dumps(r["counts"])
            return _from_rows(runs, ["run_id", "started_at", "finished_at", "duration_s", "params", "counts"],
                              {"started_at": pa.timestamp("us", tz="UTC"), "finished_at": pa.timestamp("us", tz="UTC"),
                               "duration_s": pa.float64()})
        if source == "rings":
            rings = [r.model_dump(exclude={"members"})
                     for r in self.store.rings(include_dissolved=True, with_members=False)]
            for r in rings:
                r["components"], r["artifacts"] = json.dumps(r["components"]), json.dumps(r["artifacts"])
            return _from_rows(rings, ["ring_id", "score", "components", "size", "status", "created_run",
                                      "updated_run", "artifacts"], {"score": pa.float64(), "size": pa.int64()})
        if source == "ring_changes":
            changes = [{**c.model_dump(), "change_id": f"{c.run_id}/{c.ring_id}/{i}",
                        "detail": json.dumps(c.detail, default=str)}
                       for i, c in enumerate(self.store.ring_changes())]
            return _from_rows(changes, ["change_id", "run_id", "ring_id", "change", "detail"], {})
        if source == "memberships":
            return self._memberships()
        if source == "tick_series":  # merge_tick.cypher's shape: one node per account, ticks as arrays
            ticks = self.store.read_table("tick").sort_by([("account_id", "ascending"), ("tick_start", "ascending")])
            micros = ticks["tick_start"].cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
            flat = pa.table({"account_id": ticks["account_id"], "tick_us": micros, "requests": ticks["requests"]})
            series = flat.group_by("account_id", use_threads=False).aggregate([("tick_us", "list"), ("requests", "list")])
            return pa.table({"account_id": series["account_id"], "tick_us": series["tick_us_list"],
                             "requests": series["requests_list"]})
        return self.store.read_table(source)

    def _memberships(self) -> pa.Table:
        types = {"score": pa.float64(), "since": pa.timestamp("us", tz="UTC")}
        try:
            rows = [m.model_dump() for m in self.store.memberships()]
        except NotImplementedError:
            # An engine that cannot list scored memberships still says who is in which ring.
            self.memberships_scored = False
            rows = [{"account_id": a, "ring_id": r.ring_id, "score": None, "since": None}
                    for r in self.store.rings(include_dissolved=True) for a in r.members]
        return _from_rows(rows, ["account_id", "ring_id", "score", "since"], types)


def _from_rows(rows: list[dict], names: list[str], types: dict[str, pa.DataType]) -> pa.Table:
    schema = pa.schema([(n, types.get(n, pa.string())) for n in names])
    return pa.Table.from_pylist([{n: r[n] for n in names} for r in rows], schema=schema)


def _id_space(header: str) -> str:
    return header[header.index("(") + 1:header.index(")")]


def _split_valid(f: ImportFile, rows: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Rows with every id present, and the rest with the reason each is refused."""
    ok = pa.array([True] * rows.num_rows, pa.bool_())
    reasons = pa.array([""] * rows.num_rows, pa.string())
    for fld in f.fields:
        if "ID(" not in fld.header:
            continue
        present = pc.is_valid(rows[fld.column])
        reasons = pc.if_else(pc.and_(ok, pc.invert(present)), f"{fld.column} is empty", reasons)
        ok = pc.and_(ok, present)
    bad = rows.filter(pc.invert(ok)).append_column("reason", reasons.filter(pc.invert(ok)))
    return rows.filter(ok), bad


def _missing(ids: pa.Array, column: pa.ChunkedArray) -> pa.Array:
    wanted = pc.unique(column.combine_chunks()) if column.num_chunks else pa.array([], pa.string())
    return wanted.filter(pc.invert(pc.is_in(wanted, value_set=ids)))


def _write_file(directory: Path, f: ImportFile, rows: pa.Table) -> bool:
    """Header and data file; True when a string value holds a line break (the import must be told)."""
    (directory / f"{f.name}.header.csv").write_text(f.header + "\n")
    columns = [_as_import_type(rows[fld.column], fld.header) for fld in f.fields]
    data = pa.table({str(i): c for i, c in enumerate(columns)})
    pacsv.write_csv(data, directory / f"{f.name}.csv", pacsv.WriteOptions(include_header=False))
    return any(_has_line_break(c) for c in columns)


def _write_script(directory: Path, options: list[str]) -> None:
    body = " \\\n    ".join(shlex.quote(o) for o in options)
    (directory / SCRIPT).write_text(
        "#!/bin/sh\n"
        "# Bulk first load of a Linkage graph, written by `linkage export-neo4j-import`.\n"
        "# Run with the Neo4j server stopped, into a database that does not exist yet\n"
        "# (or pass --overwrite-destination=true). NEO4J_ADMIN: the server's bin/neo4j-admin;\n"
        "# NEO4J_CONF / NEO4J_HOME pick the server whose data directory receives the database.\n"
        "set -e\n"
        'cd "$(dirname "$0")"\n'
        'exec "${NEO4J_ADMIN:-neo4j-admin}" database import full "${LINKAGE_NEO4J_DATABASE:-neo4j}" \\\n'
        f'    {body} \\\n    "$@"\n')
    (directory / SCRIPT).chmod(0o755)


def export_neo4j_import(store: GraphStore, directory: Path, results: bool = True) -> ExportReport:
    """Write `store`'s graph (and, with `results`, its rings and runs) as neo4j-admin import files."""
    directory.mkdir(parents=True, exist_ok=True)
    files = sorted(ALL_FILES if results else GRAPH_FILES, key=lambda f: f.is_edge)  # nodes first
    sources = _Sources(store)
    report = ExportReport(directory)
    ids: dict[str, pa.Array] = {}
    keys: dict[str, Field] = {}  # id space -> the id field of its node file
    implied: dict[str, list[pa.Array]] = {}
    for f in files:
        rows, bad = _split_valid(f, sources.table(f))
        if not f.is_edge:
            keys[f.label] = f.fields[0]
            ids[f.label] = pa.concat_arrays([ids[f.label], rows[f.fields[0].column].combine_chunks()]) \
                if f.label in ids else rows[f.fields[0].column].combine_chunks()
        else:
            # The MERGE path creates an edge's missing endpoint as a bare node: so does the export.
            for fld in f.fields[:2]:
                space = _id_space(fld.header)
                extra = _missing(ids[space], rows[fld.column])
                if len(extra):
                    implied.setdefault(space, []).append(extra)
                    ids[space] = pa.concat_arrays([ids[space], extra])
        report.multiline |= _write_file(directory, f, rows)
        report.rows[f.name] = rows.num_rows
        if bad.num_rows:
            quarantine = directory / "_quarantine"
            quarantine.mkdir(exist_ok=True)
            pacsv.write_csv(bad, quarantine / f"{f.name}.csv")
            report.quarantined[f.name] = bad.num_rows
    _quarantine_unknown_windows(sources, directory, report)
    for space, arrays in implied.items():
        key = keys[space]
        bare = ImportFile(f"{_stem(files, space)}_implied", space, False, "implied", (key,))
        _write_file(directory, bare, pa.table({key.column: pa.concat_arrays(arrays)}))
        report.rows[bare.name] = report.implied[space] = sum(len(a) for a in arrays)
        files.insert(next(i for i, f in enumerate(files) if f.is_edge), bare)
    report.memberships_scored = sources.memberships_scored
    options = import_options(files, report.multiline)
    _write_script(directory, options)
    (directory / MANIFEST).write_text(json.dumps({
        "options": options, "rows": report.rows, "quarantined": report.quarantined, "implied": report.implied,
        "memberships_scored": report.memberships_scored,
        "files": [{"name": f.name, "label": f.label, "edge": f.is_edge, "header": f.header} for f in files],
    }, indent=1) + "\n")
    return report


def _quarantine_unknown_windows(sources: _Sources, directory: Path, report: ExportReport) -> None:
    """Lockstep windows of a kind with no node label would fall between the per-kind files: say so."""
    rows = sources.cached("co_window")
    if rows is None:
        return
    unknown = rows.filter(pc.invert(pc.is_in(rows["kind"], value_set=pa.array(list(CO_WINDOW_KINDS)))))
    if unknown.num_rows:
        reason = pc.binary_join_element_wise("kind ", unknown["kind"], " has no node label in the graph", "")
        (directory / "_quarantine").mkdir(exist_ok=True)
        pacsv.write_csv(unknown.append_column("reason", reason), directory / "_quarantine" / "co_window.csv")
        report.quarantined["co_window"] = unknown.num_rows


def _stem(files: list[ImportFile], label: str) -> str:
    return next(f.name for f in files if f.label == label and not f.is_edge)
