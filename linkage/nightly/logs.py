"""Structured logs for unattended runs: one JSON object per line on stderr.

Each line has `ts`, `level`, `logger`, `event` (the message) and the fields passed
as `extra={"fields": {...}}`, so a log shipper can index runs, partitions and exit
codes without parsing prose. Nothing private goes in: ids, dates, counts, paths.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

log = logging.getLogger("linkage.nightly")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "event": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


@contextmanager
def json_logging(verbose: bool = False) -> Iterator[None]:
    """JSON lines for every `linkage.*` logger (INFO, or DEBUG with --verbose) while inside;
    the previous logging set-up comes back afterwards (the CLI may run in-process, in tests)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("linkage")
    saved = (root.handlers[:], root.level, root.propagate)
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False
    try:
        yield
    finally:
        handler.flush()
        root.handlers[:], root.level, root.propagate = saved


def event(name: str, level: int = logging.INFO, **fields: object) -> None:
    log.log(level, name, extra={"fields": fields})
