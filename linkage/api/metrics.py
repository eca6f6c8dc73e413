"""Prometheus metrics of one app: requests, latency and backend calls by operation.

With several workers (`linkage serve --workers N`) the CLI sets `PROMETHEUS_MULTIPROC_DIR`
before the workers start: each worker's values then live in files there, and whichever
worker answers /metrics adds up all of them, so a scrape sees the whole server.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CALL_BUCKETS = (0, 1, 2, 3, 5, 10, 20, 50, 100)
MAX_OPERATIONS = 100  # label values beyond this many distinct operations are counted as "other"


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("linkage_api_requests", "HTTP requests by operation and outcome",
                                ["operation", "outcome"], registry=self.registry)
        self.latency = Histogram("linkage_api_request_seconds", "Request latency by operation",
                                 ["operation"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.backend_calls = Histogram(
            "linkage_api_backend_calls", "DataLoader batches and store reads per GraphQL request",
            ["operation"], buckets=CALL_BUCKETS, registry=self.registry)
        self.model_loaded = Gauge("linkage_api_model_loaded_timestamp_seconds",
                                  "When the served read model was loaded", registry=self.registry,
                                  multiprocess_mode="liveall")
        self.model_rings = Gauge("linkage_api_model_rings", "Active rings in the served model",
                                 registry=self.registry, multiprocess_mode="liveall")
        self._seen: set[str] = set()

    def label(self, operation: str) -> str:
        if operation in self._seen or len(self._seen) < MAX_OPERATIONS:
            self._seen.add(operation)
            return operation
        return "other"

    def observe(self, operation: str, outcome: str, seconds: float, backend_calls: int | None) -> None:
        op = self.label(operation)
        self.requests.labels(op, outcome).inc()
        self.latency.labels(op).observe(seconds)
        if backend_calls is not None:
            self.backend_calls.labels(op).observe(backend_calls)

    def exposition(self) -> bytes:
        """The text a scrape gets: this process's metrics, or every worker's when there are several."""
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not folder:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=folder)
        return generate_latest(registry)
