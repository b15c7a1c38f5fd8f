"""Prometheus metrics, one registry per app so that tests can build many apps."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class RelayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.pairings_created = Counter(
            "awslogin_relay_pairings_created", "Pairings created", registry=self.registry
        )
        self.pairings_completed = Counter(
            "awslogin_relay_pairings_completed",
            "Pairings that received a browser-side result",
            ["outcome"],
            registry=self.registry,
        )
        self.pairings_collected = Counter(
            "awslogin_relay_pairings_collected",
            "Results delivered to hosts (each redelivery counts)",
            registry=self.registry,
        )
        self.pairings_acknowledged = Counter(
            "awslogin_relay_pairings_acknowledged",
            "Results the host acknowledged (the sealed blob was dropped)",
            registry=self.registry,
        )
        self.pairings_reported = Counter(
            "awslogin_relay_pairings_reported",
            "Outcomes reported by hosts: signed_in, failed, or denied (a report about the "
            "provider's refusal)",
            ["outcome"],
            registry=self.registry,
        )
        self.pairings_expired = Counter(
            "awslogin_relay_pairings_expired", "Pairings that expired", registry=self.registry
        )
        self.pairings_cancelled = Counter(
            "awslogin_relay_pairings_cancelled", "Pairings cancelled", registry=self.registry
        )
        self.active_long_polls = Gauge(
            "awslogin_relay_active_long_polls", "Long-polls waiting now", registry=self.registry
        )
        self.pending_pairings = Gauge(
            "awslogin_relay_pending_pairings",
            "Pairings waiting for a browser, read from the store at each scrape "
            "(how close the relay is to RELAY_MAX_PENDING)",
            registry=self.registry,
        )
        self.rejected = Counter(
            "awslogin_relay_rejected_requests",
            "Requests refused by a limit",
            ["reason"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "awslogin_relay_request_duration_seconds",
            "Request latency by route (long-polls included)",
            ["route", "method"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30),
            registry=self.registry,
        )
