"""Issue 18 (HIGH): a file input of a Gradio handler names a path on the server.

`gr.mount_gradio_app` never marked the Blocks as launched, so Gradio skipped its allowed-path check for every file
input and hashed and copied whatever path the request named: `/dev/zero` pinned the event loop (nothing answered
until the process was killed), and `DATA_DIR/jwt_secret`, the SQLite file, `/etc/passwd`, `app.py` or another
chef's image ended up in Gradio's cache as the caller's input. The handlers with a file input are found from the
running app's config, so a new one is covered without editing this test.
"""
from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import httpx
from PIL import Image

from tests.security.conftest import PASSWORD, ROOT, register_over_http

ANSWER_WITHIN = 1.0


def file_inputs(config: dict) -> dict[int, list[int]]:
    """dependency id → positions of its inputs whose component takes a Gradio file (FileData) as input."""
    takes_file = {c["id"] for c in config["components"]
                  if "FileData" in json.dumps(c.get("api_info_as_input") or c.get("api_info") or {})}
    return {d["id"]: [i for i, cid in enumerate(d["inputs"]) if cid in takes_file]
            for d in config["dependencies"] if takes_file & set(d["inputs"])}


class HealthWatch(threading.Thread):
    """Asks /api/health every 0.2 s with a 1 s timeout and remembers every probe that got no answer in time. A
    probe that misses is asked once more at once: on a CI machine shared by many jobs one slow answer happens, a
    frozen event loop (what /dev/zero did) misses both."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.misses, self.asked, self.running = url, [], 0, True

    def _answered(self, http: httpx.Client) -> str | None:
        started = time.monotonic()
        try:
            ok = http.get(f"{self.url}/api/health").status_code == 200
        except httpx.HTTPError as exc:
            return repr(exc)
        took = time.monotonic() - started
        return None if ok and took <= ANSWER_WITHIN else f"{took:.2f}s ok={ok}"

    def run(self):
        with httpx.Client(timeout=ANSWER_WITHIN) as http:
            while self.running:
                self.asked += 1
                first = self._answered(http)
                if first is not None and (second := self._answered(http)) is not None:
                    self.misses.append((first, second))
                time.sleep(0.2)


def call(url: str, config: dict, dependency_id: int, values: dict[int, object]) -> dict:
    """One event through the queue as a browser sends it; the completion message (or a timeout marker)."""
    dependency = next(d for d in config["dependencies"] if d["id"] == dependency_id)
    defaults = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
    # Every other input as the page sends it by default, so only the file input can be what is refused.
    data = [values[i] if i in values else defaults.get(cid) for i, cid in enumerate(dependency["inputs"])]
    session_hash = f"paths{dependency_id}x{time.monotonic_ns() % 10**9}"
    body = {"data": data, "event_data": None, "fn_index": dependency_id, "trigger_id": None,
            "session_hash": session_hash}
    with httpx.Client(base_url=url, timeout=5.0) as http:
        joined = http.post("/gradio_api/queue/join", json=body)
        if joined.status_code != 200:
            return {"msg": "refused", "status": joined.status_code, "success": False}
        event_id = joined.json()["event_id"]
        try:
            with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
                for line in stream.iter_lines():
                    if line.startswith("data:"):
                        message = json.loads(line[5:])
                        if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                            return message
        except httpx.TimeoutException:
            return {"msg": "timeout", "success": None}
    return {"msg": "no answer", "success": None}


def test_every_file_input_refuses_server_paths_and_the_app_keeps_answering(live_app, tmp_path):
    cache = tmp_path / "gradio-cache"
    app = live_app(JWT_SECRET=None, GRADIO_TEMP_DIR=str(cache))  # the secret generated into DATA_DIR/jwt_secret
    data_dir = tmp_path / "app0" / "data"
    # Another chef's finished design, where the local store keeps it.
    victim_image = data_dir / "images" / "users" / "7" / "41" / "0.png"
    victim_image.parent.mkdir(parents=True)
    Image.new("RGB", (64, 64), (200, 30, 90)).save(victim_image)
    secrets_on_disk = [data_dir / "jwt_secret", data_dir / "tortodelova.db", Path("/etc/passwd"), ROOT / "app.py",
                       victim_image]
    for path in secrets_on_disk:
        assert path.is_file(), path
    paths = ["/dev/zero", *map(str, secrets_on_disk), f"{data_dir}/../data/jwt_secret", str(data_dir).upper()]

    config = httpx.get(f"{app.url}/config", timeout=10).json()
    handlers = file_inputs(config)
    names = {d["id"]: d.get("api_name") for d in config["dependencies"]}
    assert {"create_generate", "reference_create"} <= {names[i] for i in handlers}, names  # the discovery works

    watch = HealthWatch(app.url)
    watch.start()
    answers = {}
    try:
        for dependency_id, positions in handlers.items():
            for path in paths:
                payload = {"path": path, "meta": {"_type": "gradio.FileData"}}
                message = call(app.url, config, dependency_id, {p: payload for p in positions})
                answers[(names[dependency_id], path)] = message
                assert watch.misses == [], (names[dependency_id], path, watch.misses)
    finally:
        watch.running = False
        watch.join(timeout=5)
    assert watch.misses == [] and watch.asked > 0, watch.misses
    accepted = {key: m for key, m in answers.items() if m.get("success") is not False}
    assert accepted == {}, accepted

    # Nothing of the server's reached Gradio's cache (where a handler would read it as the caller's upload).
    contents = {path.read_bytes() for path in secrets_on_disk}
    copied = [p for p in cache.rglob("*") if p.is_file() and (p.name in {s.name for s in secrets_on_disk}
                                                              or p.read_bytes() in contents)]
    assert copied == [], copied

    # A real upload still works as the input of the same handlers: the check lets Gradio's own uploads through.
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (250, 200, 210)).save(buffer, format="PNG")
    register_over_http(app.url, "chef@example.com")
    token = httpx.post(f"{app.url}/api/auth/login", json={"email": "chef@example.com", "password": PASSWORD},
                       timeout=30).json()["access_token"]
    uploaded = httpx.post(f"{app.url}/gradio_api/upload", files={"files": ("cake.png", buffer.getvalue())},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10).raise_for_status().json()[0]
    reference = next(i for i in handlers if names[i] == "reference_create")
    message = call(app.url, config, reference, {p: {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
                                                for p in handlers[reference]})
    assert message.get("success") is True, message


def test_an_unknown_session_hash_is_answered_without_a_traceback(live_app):
    """Issue 18 (info): every `GET /gradio_api/queue/data` with a session_hash the queue never saw logged a full
    traceback (Gradio raised its 404 inside a stream already started)."""
    app = live_app()
    before = app.logs().count("Traceback")
    for i in range(3):
        r = httpx.get(f"{app.url}/gradio_api/queue/data", params={"session_hash": f"never-joined-{i}"}, timeout=5)
        assert r.status_code == 200 and '"session_not_found": true' in r.text, r.text
    time.sleep(0.5)
    assert app.logs().count("Traceback") == before, app.logs()[-2000:]
