"""The operations files in docker/ (issue 24): the scale-out override, Prometheus and the Grafana dashboard agree
with each other and with the metrics the code defines (a renamed metric breaks this test, not the dashboard)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tests.docker.test_compose import ENV_EXAMPLE, run_compose

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def defined_metric_names() -> set[str]:
    from tortodelova.observability import metrics

    names = set()
    collectors = [metrics.REGISTRY, metrics.QueueCollector(lambda: (0, None)), metrics.GpuCollector()]
    for family in metrics.REGISTRY.collect():
        names.add(family.name)
        derived = {"counter": [f"{family.name}_total"],
                   "histogram": [f"{family.name}_{part}" for part in ("bucket", "count", "sum")]}
        names.update(derived.get(family.type, []))
    for collector in collectors[1:]:
        names.update(family.name for family in collector.describe())
    return names | {"tortodelova_gpu_memory_allocated_bytes", "tortodelova_gpu_memory_peak_bytes"}


def test_dashboard_queries_only_metrics_that_exist():
    dashboard = json.loads((DOCKER / "grafana" / "dashboards" / "tortodelova.json").read_text(encoding="utf-8"))
    used = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used.update(re.findall(r"\b(?:tortodelova|process)_[a-z_]+\b", target["expr"]))
    assert used, "no queries"
    assert used - defined_metric_names() == set()
    assert all(panel["datasource"]["uid"] == "prometheus" for panel in dashboard["panels"])
    provisioned = yaml.safe_load((DOCKER / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert provisioned["datasources"][0]["uid"] == "prometheus"


def test_metric_names_follow_the_conventions():
    from prometheus_client.metrics import Counter, Histogram

    from tortodelova.observability import metrics

    for name in dir(metrics):
        metric = getattr(metrics, name)
        if isinstance(metric, Counter):
            assert metric._name.startswith("tortodelova_") and not metric._name.endswith("_total")  # added on export
        if isinstance(metric, Histogram):
            assert metric._name.endswith("_seconds"), metric._name


def test_scale_override_puts_nginx_in_front_and_monitoring_behind_a_profile(tmp_path):
    env_file = tmp_path / "scale.env"
    env_file.write_text(ENV_EXAMPLE.read_text().replace("CHANGE_ME", "0123456789abcdef0123456789abcdef"))
    result = run_compose(["-f", "docker-compose.yml", "-f", "docker-compose.scale.yml", "--profile", "monitoring",
                          "config", "--format", "json"], env_file)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert not services["app"].get("ports") and services["app"]["deploy"]["replicas"] == 2
    assert [port["published"] for service in services.values() for port in service.get("ports", [])
            if service is not services["grafana"]] == ["8000"]
    assert services["proxy"]["ports"][0]["target"] == 80
    assert any(volume["target"] == "/etc/nginx/nginx.conf" and volume["read_only"]
               for volume in services["proxy"]["volumes"])
    assert services["app"]["environment"]["FORWARDED_ALLOW_IPS"] == \
        services["proxy"]["networks"]["default"]["ipv4_address"]
    assert services["prometheus"]["profiles"] == services["grafana"]["profiles"] == ["monitoring"]
    assert services["worker"]["environment"]["WORKER_METRICS_PORT"] == "9100"
    prometheus = yaml.safe_load((DOCKER / "prometheus.yml").read_text())
    ports = {job["job_name"]: job["dns_sd_configs"][0]["port"] for job in prometheus["scrape_configs"]}
    assert ports == {"tortodelova-web": 8000, "tortodelova-worker": 9100}
    assert all(job["authorization"]["credentials_file"] for job in prometheus["scrape_configs"])
    # The token never sits in a config file or a command line in clear.
    raw = (DOCKER / "docker-compose.scale.yml").read_text()
    assert "${METRICS_TOKEN:?" in raw and "$${METRICS_TOKEN}" in raw


def test_nginx_config_routes_gradio_sticky_and_api_round_robin():
    conf = (DOCKER / "nginx.conf").read_text()
    ui = conf.split("upstream tortodelova_ui {")[1].split("}")[0]
    api = conf.split("upstream tortodelova_api {")[1].split("}")[0]
    assert "hash $tortodelova_route consistent;" in ui and "hash" not in api
    for location, upstream in (("location /api/", "tortodelova_api"), ("location / {", "tortodelova_ui")):
        assert f"proxy_pass http://{upstream};" in conf.split(location)[1].split("}")[0]
    assert "proxy_set_header X-Request-ID $tortodelova_request_id;" in conf
    # nginx: a location with its own proxy_set_header inherits none of the server's (Host, X-Request-ID lost).
    blocks = re.findall(r"\n\s+location [^{]+\{([^}]*)\}", conf)
    assert len(blocks) >= 5
    for block in blocks:
        assert "proxy_set_header" not in block, block
