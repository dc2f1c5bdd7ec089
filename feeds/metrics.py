"""Prometheus metrics of the service, in one registry that other parts of newsdedup can add to.

    from feeds.metrics import REGISTRY
    fetches = Counter("newsdedup_fetches", "Pages fetched", ["outcome"], registry=REGISTRY)

/metrics serves this registry. A registry of our own (rather than prometheus_client's
global one) lets tests build many apps in one process without duplicate registrations;
metrics are defined once, here, at import.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, PlatformCollector, ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

REQUESTS = Counter("newsdedup_http_requests", "HTTP requests answered", ["route", "status"], registry=REGISTRY)
LATENCY = Histogram("newsdedup_http_request_seconds", "Time to answer an HTTP request", ["route"],
                    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
                    registry=REGISTRY)
RENDERS = Counter("newsdedup_feed_renders", "Feed documents rendered (cache misses)", ["kind"], registry=REGISTRY)
CHANGE_LOG_HEAD = Gauge("newsdedup_change_log_head", "Sequence number of the newest change", registry=REGISTRY)
WEBSUB_NOTIFICATIONS = Counter("newsdedup_websub_notifications", "Publish notifications sent to the WebSub hub",
                               ["outcome"], registry=REGISTRY)
