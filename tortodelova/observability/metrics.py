"""Prometheus metrics (prometheus-client; no hand-written exposition). Names follow the Prometheus conventions:
`tortodelova_` prefix, base units (`_seconds`, `_bytes`), counters end in `_total`.

Each process has its own registry `REGISTRY` (the web process and every Huey worker process); a scrape sees the
process it reaches. The web process serves it at `/metrics`, a worker at `WORKER_METRICS_PORT` (`serve_worker`);
both only with `Authorization: Bearer <METRICS_TOKEN>`. Process CPU and memory come from prometheus-client's own
process collector (`process_resident_memory_bytes`, ...).

Scrape-time values (queue depth, oldest queued job) come from a collector that reads the database when Prometheus
asks (`register_queue_collector`), so they are right whatever process changed them.
"""
from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

# Latency buckets: web requests (ms to tens of seconds) and jobs (seconds to many minutes on a CPU).
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 60.0, 120.0, 300.0, 600.0, 1200.0)
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)

# ------------------------------------------------------------------ web
HTTP_REQUESTS = Counter("tortodelova_http_requests_total", "HTTP requests answered, by route template",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_DURATION = Histogram("tortodelova_http_request_duration_seconds", "Time to answer, by route template",
                          ["method", "route"], buckets=HTTP_BUCKETS, registry=REGISTRY)
JOBS_SUBMITTED = Counter("tortodelova_jobs_submitted_total", "Generations accepted and queued, by quality",
                         ["quality"], registry=REGISTRY)
CREDITS_CHARGED = Counter("tortodelova_credits_charged_total", "Credits charged for generations", registry=REGISTRY)
CREDITS_REFUNDED = Counter("tortodelova_credits_refunded_total", "Credits refunded for failed or cancelled "
                           "generations", registry=REGISTRY)

# ------------------------------------------------------------------ worker
JOBS_FINISHED = Counter("tortodelova_jobs_finished_total", "Generations this worker brought to a final state",
                        ["status"], registry=REGISTRY)
JOB_FAILURES = Counter("tortodelova_job_failures_total", "Failed generations, by reason", ["reason"],
                       registry=REGISTRY)
JOB_DURATION = Histogram("tortodelova_job_duration_seconds", "Worker time of a generation, claim to final state",
                         buckets=JOB_BUCKETS, registry=REGISTRY)
JOB_STAGE_DURATION = Histogram("tortodelova_job_stage_duration_seconds", "Worker time of a generation by stage "
                               "(prepare, encode, denoise, decode, callbacks, postprocess, store, finish)",
                               ["stage"], buckets=JOB_BUCKETS, registry=REGISTRY)
JOB_QUEUE_WAIT = Histogram("tortodelova_job_queue_wait_seconds", "From submission to a worker claiming the job",
                           buckets=JOB_BUCKETS, registry=REGISTRY)
STEP_DURATION = Histogram("tortodelova_denoise_step_seconds", "Seconds per denoising step (batch of the job)",
                          ["quality"], buckets=STEP_BUCKETS, registry=REGISTRY)
MODEL_LOAD = Gauge("tortodelova_model_load_seconds", "How long the last load of a model took in this process",
                   ["model"], registry=REGISTRY)
MODELS_LOADED = Gauge("tortodelova_models_loaded", "1 when this worker holds the model", ["model"],
                      registry=REGISTRY)

FAILURE_REASONS = ("models_unavailable", "pipeline_error", "storage_unavailable", "internal_error", "stale")


def observe_job(*, status: str, timings: dict[str, float], steps: int | None = None, quality: str | None = None,
                reason: str | None = None, duration: float | None = None) -> None:
    """One job reached a final state in this worker."""
    JOBS_FINISHED.labels(status=status).inc()
    if status == "failed":
        JOB_FAILURES.labels(reason=reason or "internal_error").inc()
    for stage, seconds in timings.items():
        JOB_STAGE_DURATION.labels(stage=stage).observe(seconds)
    if duration is not None:
        JOB_DURATION.observe(duration)
    if steps and timings.get("denoise"):
        STEP_DURATION.labels(quality=quality or "unknown").observe(timings["denoise"] / steps)


class timed_load:
    """`with timed_load("generator"): ...` records the load time of one model."""

    def __init__(self, model: str):
        self.model = model

    def __enter__(self):
        self.started = time.perf_counter()

    def __exit__(self, exc_type, *_):
        if exc_type is None:
            MODEL_LOAD.labels(model=self.model).set(time.perf_counter() - self.started)
            MODELS_LOADED.labels(model=self.model).set(1)
        return False


# ------------------------------------------------------------------ scrape-time collectors
class QueueCollector:
    """Queue depth and the age of the oldest queued job, read from the database at scrape time."""

    def __init__(self, read: Callable[[], tuple[int, float | None]]):
        self.read = read

    def describe(self):
        return [GaugeMetricFamily("tortodelova_queue_depth", "Generations waiting for a worker"),
                GaugeMetricFamily("tortodelova_queue_oldest_age_seconds", "Age of the oldest queued generation")]

    def collect(self):
        try:
            depth, oldest = self.read()
        except Exception:  # noqa: BLE001 - a scrape while the database is down still answers the rest
            logger.warning("metrics: could not read the queue from the database", exc_info=True)
            return
        yield GaugeMetricFamily("tortodelova_queue_depth", "Generations waiting for a worker", value=depth)
        yield GaugeMetricFamily("tortodelova_queue_oldest_age_seconds", "Age of the oldest queued generation",
                                value=oldest or 0.0)


class GpuCollector:
    """Memory of the accelerator this worker uses (torch.cuda), when there is one."""

    def describe(self):
        return []

    def collect(self):
        import sys

        torch = sys.modules.get("torch")  # never import torch for a scrape
        if torch is None or not torch.cuda.is_available():
            return
        allocated = GaugeMetricFamily("tortodelova_gpu_memory_allocated_bytes", "GPU memory held by tensors",
                                      labels=["device"])
        peak = GaugeMetricFamily("tortodelova_gpu_memory_peak_bytes", "Peak GPU memory held by tensors",
                                 labels=["device"])
        for index in range(torch.cuda.device_count()):
            allocated.add_metric([str(index)], torch.cuda.memory_allocated(index))
            peak.add_metric([str(index)], torch.cuda.max_memory_allocated(index))
        yield allocated
        yield peak


_registered: dict[str, object] = {}


def register_queue_collector(read: Callable[[], tuple[int, float | None]]) -> None:
    """(Re)point the queue collector at this reader (one per process: the latest app built wins)."""
    old = _registered.pop("queue", None)
    if old is not None:
        REGISTRY.unregister(old)
    collector = QueueCollector(read)
    REGISTRY.register(collector)
    _registered["queue"] = collector


def register_gpu_collector() -> None:
    if "gpu" not in _registered:
        collector = GpuCollector()
        REGISTRY.register(collector)
        _registered["gpu"] = collector


# ------------------------------------------------------------------ exposition with a bearer token
def authorized(header: str | None, token: str | None) -> bool:
    if not token or not header:
        return False
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve_worker(*, port: int, token: str, host: str = "0.0.0.0") -> threading.Thread:
    """This worker process's metrics on `host:port` (a daemon thread), bearer token required."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        if not authorized(environ.get("HTTP_AUTHORIZATION"), token):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
            return [b"unauthorized"]
        body, content_type = exposition()
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        allow_reuse_address = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *_args):  # scrapes every 15 s are not news
            pass

    server = make_server(host, port, app, server_class=Server, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    logger.info("worker metrics on %s:%s/metrics", host, port)
    return thread
