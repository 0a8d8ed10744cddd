"""End to end through the service: REST submit → first preview → final image, against the generator alone.

    python -m benchmarks.service                        # 3 fast designs, real-size random SD 1.5, embedded app
    python -m benchmarks.service --jobs 5 --quality standard --json out.json

Starts ``python app.py`` (the embedded default: SQLite, SqliteHuey with the in-process worker thread, images on
disk) on loopback with MODELS_DIR = the random-weight SD 1.5 models of ``benchmarks.generation`` (the tiny
translator copied in, which the service requires; ``prompt_en`` is sent, so nothing is translated). One user
registers and submits the designs one after another (the first, which loads the models, is not counted), polling
the generation every ``--poll`` seconds (the web UI polls every second) and its preview until the first one shows.

Before the app starts, the same request runs through ``CakeGenerator`` in this process (same backend choice, no
step callback, no PNG): the fastest of ``--jobs`` runs is "the generator alone". The service's time of a design is
``finished_at − created_at`` of its row (the server's own clock, so the poll interval does not blur it), and its
own share (queue, database, previews, PNG, storage) is ``(service time − the generator's own time) / service
time`` of the fastest run, the generator's own time being its encode + denoise + decode in that same job minus the
step callbacks (previews, progress writes, cancel checks: the service's). The worker's stage timings
(``params.timings``, read from the app's SQLite file) give the breakdown; "else" is what no stage covers (the queue
pick-up, the claim, the first progress write). The generator alone, measured before the app starts, shows what the
web server and the poller sharing the CPU cost the generator, within the machine's drift between the two phases.
"""

import argparse
import gc
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx

from benchmarks.generation import DEFAULT_CACHE, build_models, cpu_name
from benchmarks.load import _free_port, tiny_models_dir, wait_for_app
from tortodelova.pipeline.models import TRANSLATOR_DIR

ROOT = Path(__file__).resolve().parents[1]
PROMPT_RU = "двухъярусный свадебный торт с мастикой цвета пыльной розы и живыми пионами"
PROMPT_EN = ("a two-tier wedding cake with dusty rose fondant and fresh peonies, professional food photography, "
             "soft studio light, high detail")  # fmt: skip
PASSWORD = "сервис-торт-12345"


def generator_alone(models_dir: Path, quality: str, runs: int) -> float:
    """Seconds for the service's request (one 512x512 image) through CakeGenerator alone (no step callback, no PNG:
    both are the service's work): the fastest of ``runs``."""
    from tortodelova.pipeline.generator import CakeGenerator, ImageRequest

    generator = CakeGenerator.from_pretrained(models_dir)
    request = ImageRequest(PROMPT_EN, "", 512, 512, seeds=[42], quality=quality)
    generator(request)  # warm-up (compilation, first-use allocations)
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        generator(request)
        best = min(best, time.perf_counter() - started)
    print(f"generator alone ({generator.backend}, {quality}): {best:.2f} s", flush=True)
    return best


class EmbeddedApp:
    def __init__(self, models_dir: Path):
        self.workdir = Path(tempfile.mkdtemp(prefix="tortodelova-service-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.models_dir = models_dir
        self.proc = None

    def start(self) -> None:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("TORTODELOVA_", "DATABASE_", "REDIS_", "S3_", "QUEUE_"))}  # fmt: skip
        env.update({"DATA_DIR": str(self.workdir / "data"), "MODELS_DIR": str(self.models_dir),
                    "JWT_SECRET": secrets.token_hex(32), "QUEUE_NAME": f"svc-{uuid.uuid4().hex[:8]}",
                    "PYTHONUNBUFFERED": "1", "WELCOME_CREDITS": "1000"})  # fmt: skip
        log = open(self.workdir / "app.log", "wb")  # noqa: SIM115 (kept open for the process's lifetime)
        self.proc = subprocess.Popen([sys.executable, "app.py", "--offline", "--host", "127.0.0.1", "--port",
                                      str(self.port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)  # fmt: skip
        wait_for_app(self.url, self.proc, self.workdir / "app.log", timeout=180)

    def server_side(self, generation_id: str) -> dict:
        """The row's own clock (created → started → finished) and the worker's stage timings."""
        with sqlite3.connect(self.workdir / "data" / "tortodelova.db") as db:
            created, started, finished, params = db.execute(
                "SELECT created_at, started_at, finished_at, params FROM generations WHERE id = ?", (generation_id,)
            ).fetchone()  # fmt: skip
        created, started, finished = (_timestamp(value) for value in (created, started, finished))
        return {"picked_up_s": started - created, "service_s": finished - created,
                "timings": json.loads(params).get("timings", {})}  # fmt: skip

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _timestamp(value) -> float:
    return datetime.fromisoformat(str(value)).timestamp()


def one_design(client: httpx.Client, quality: str, poll: float) -> dict:
    started = time.perf_counter()
    response = client.post("/api/generations", json={"prompt": PROMPT_RU, "prompt_en": PROMPT_EN, "quality": quality,
                                                     "variants": 1, "size": "square"})  # fmt: skip
    response.raise_for_status()
    generation_id = response.json()["id"]
    submitted = time.perf_counter() - started
    first_preview = None
    while True:
        generation = client.get(f"/api/generations/{generation_id}").json()
        now = time.perf_counter() - started
        if generation["status"] in ("failed", "cancelled"):
            raise SystemExit(f"generation {generation['status']}: {generation.get('error')}")
        if generation["status"] == "succeeded":
            final = now
            break
        if first_preview is None and client.get(f"/api/generations/{generation_id}/preview").status_code == 200:
            first_preview = time.perf_counter() - started
        time.sleep(poll)
    image = client.get(f"/api/generations/{generation_id}/images/0", follow_redirects=True)
    image.raise_for_status()
    return {"id": generation_id, "submit_s": submitted, "first_preview_s": first_preview, "final_seen_s": final,
            "image_s": time.perf_counter() - started, "png_bytes": len(image.content)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=3, help="designs measured (after one warm-up design)")
    parser.add_argument("--quality", choices=("fast", "standard"), default="fast")
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between status polls (the UI: 1)")
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    build_models(args.models_dir)
    if not (args.models_dir / TRANSLATOR_DIR).is_dir():
        shutil.copytree(tiny_models_dir() / TRANSLATOR_DIR, args.models_dir / TRANSLATOR_DIR)
    alone = generator_alone(args.models_dir, args.quality, args.jobs)
    gc.collect()  # the generator above is gone before the app loads its own

    app = EmbeddedApp(args.models_dir)
    print(f"starting the embedded app (logs in {app.workdir}) ...", flush=True)
    app.start()
    try:
        with httpx.Client(base_url=app.url, timeout=600) as client:
            email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
            client.post("/api/auth/register", json={"email": email, "password": PASSWORD}).raise_for_status()
            token = client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()
            client.headers["Authorization"] = f"Bearer {token['access_token']}"
            warm = one_design(client, args.quality, args.poll)
            print(f"warm-up design (loads the models): {warm['final_seen_s']:.1f} s", flush=True)
            runs = [one_design(client, args.quality, args.poll) for _ in range(args.jobs)]
        for run in runs:
            run.update(app.server_side(run.pop("id")))
    finally:
        app.stop()

    report(runs, alone, args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        best = min(runs, key=lambda run: run["service_s"])
        own = generator_in_service(best)
        args.json.write_text(json.dumps({
            "machine": cpu_name(), "cpus": os.cpu_count(), "quality": args.quality, "poll_s": args.poll,
            "generator_alone_s": alone, "runs": runs, "generator_in_service_s": own,
            "overhead_share": (best["service_s"] - own) / best["service_s"],
            "against_alone_share": (best["service_s"] - alone) / best["service_s"],
            "openvino_int8": os.environ.get("OPENVINO_INT8", "off"),
            "command": " ".join(["python -m benchmarks.service", *(argv if argv is not None else sys.argv[1:])]),
        }, indent=2))  # fmt: skip
    return 0


STAGES = ("prepare", "encode", "denoise", "decode", "callbacks", "postprocess", "store")


def report(runs: list[dict], alone: float, args) -> None:
    print(f"\n{cpu_name()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {args.quality}, 512x512, "
          f"1 image, poll {args.poll:g} s")  # fmt: skip
    print(f"{'run':<4} {'submit':>7} {'picked':>7} {'1st prev':>8} {'service':>8} {'seen':>6} | "
          + " ".join(f"{name[:8]:>8}" for name in STAGES) + f" {'else':>6}")  # fmt: skip
    for index, run in enumerate(runs, 1):
        timings = run["timings"]
        covered = sum(timings.get(name, 0.0) for name in STAGES) - timings.get("callbacks", 0.0)  # inside denoise
        preview = f"{run['first_preview_s']:.2f}" if run["first_preview_s"] is not None else "-"
        print(f"{index:<4} {run['submit_s']:>7.3f} {run['picked_up_s']:>7.3f} {preview:>8} {run['service_s']:>8.2f} "
              f"{run['final_seen_s']:>6.2f} | " + " ".join(f"{timings.get(name, 0.0):>8.3f}" for name in STAGES)
              + f" {run['service_s'] - covered:>6.3f}")  # fmt: skip
    best = min(runs, key=lambda run: run["service_s"])
    own = generator_in_service(best)
    share = (best["service_s"] - own) / best["service_s"]
    print("seconds; service = finished_at - created_at; 'callbacks' is inside 'denoise'; 'seen' = by the poller")
    print(f"fastest run: service {best['service_s']:.2f} s, of which the generator's own work (encode + denoise + "
          f"decode, callbacks taken out) {own:.2f} s: service overhead {best['service_s'] - own:.2f} s = {share:.1%} "
          f"of the image ({'PASS' if share < 0.05 else 'FAIL'} < 5%)")  # fmt: skip
    print(f"the generator alone in this process before the app started: {alone:.2f} s "
          f"({(best['service_s'] - alone) / best['service_s']:+.1%} against the service time; separate phases, so the "
          f"machine's drift between them shows here too)")  # fmt: skip


def generator_in_service(run: dict) -> float:
    timings = run["timings"]
    return sum(timings.get(name, 0.0) for name in ("encode", "denoise", "decode")) - timings.get("callbacks", 0.0)


if __name__ == "__main__":
    raise SystemExit(main())
