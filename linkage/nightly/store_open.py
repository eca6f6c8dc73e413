"""Opening the store for the nightly job, waiting a bounded time for readers to let go.

The embedded store admits one writer or many readers. The API server opens it
read-only for the length of a model load (about two minutes at full scale, once per
detection run; see linkage/api/serving.py), and `linkage evidence` or an analyst's
`linkage rings` hold it for seconds. A nightly run that starts meanwhile would fail on
a lock it only had to wait for, so it retries with exponential backoff (from
`nightly_store_retry_seconds`, doubling, at most `MAX_BACKOFF_S` apart) for at most
`nightly_store_wait_seconds`, logging every wait; then it gives up with the holder's
message (exit code 1), and the scheduler's next attempt resumes the run exactly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from linkage.nightly.logs import event
from linkage.settings import Settings
from linkage.store import GraphStore, StoreBusy, open_store

MAX_BACKOFF_S = 30.0


def open_store_waiting(settings: Settings, opener: Callable[[], GraphStore] | None = None,
                       sleep: Callable[[float], None] = time.sleep,
                       clock: Callable[[], float] = time.monotonic) -> GraphStore:
    """The store opened read-write, after waiting out readers for up to the configured time."""
    opener = opener or (lambda: open_store(settings.store, memory_limit=settings.memory_limit,
                                           threads=settings.threads))
    started = clock()
    deadline = started + settings.nightly_store_wait_seconds
    delay = settings.nightly_store_retry_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            store = opener()
        except StoreBusy as exc:
            left = deadline - clock()
            if left <= 0:
                event("store.busy_gave_up", logging.ERROR, store=settings.store, attempts=attempt,
                      waited_s=round(clock() - started, 2), holder=str(exc))
                raise
            wait = min(delay, left)
            event("store.busy", logging.WARNING, store=settings.store, attempt=attempt,
                  retry_in_s=round(wait, 2), waited_s=round(clock() - started, 2), holder=str(exc))
            sleep(wait)
            delay = min(delay * 2, MAX_BACKOFF_S)
            continue
        if attempt > 1:
            event("store.opened", store=settings.store, attempts=attempt, waited_s=round(clock() - started, 2))
        return store
