"""Huey wiring: a pipeline error of the translation preview crosses the queue typed (no dict sentinel), and the
web side — every module a web process imports — never imports torch."""
from __future__ import annotations

import subprocess
import sys

from tortodelova.generation import worker
from tortodelova.generation.translation import TranslationInput
from tortodelova.pipeline.errors import ModelsMissing


def test_preview_pipeline_error_crosses_the_queue_typed(make_stack):
    stack = make_stack()
    ctx = stack.tasks.worker_context()

    class MissingTranslator:
        def translate(self, texts):
            raise ModelsMissing(missing=["opus-mt-ru-en/source.spm"])

    ctx.models.inject(translator=MissingTranslator())
    try:
        stack.queue.translate(TranslationInput(prompt_ru="торт"), timeout=60)
    except ModelsMissing as exc:  # the very type, with its data, raised again on the web side
        assert exc.missing == ["opus-mt-ru-en/source.spm"]
    else:
        raise AssertionError("no error")
    headers = stack.user()
    r = stack.client.post("/api/translate", headers=headers, json={"prompt": "торт"})
    assert r.status_code == 422 and "source.spm" in r.json()["detail"]


def test_preview_runs_the_same_path_as_a_job(stack):
    ctx = stack.tasks.worker_context()
    result = worker.translate_preview(ctx, TranslationInput(prompt_ru="торт с безе"))
    assert "meringue" in result.prompt_en


WEB_SIDE = [
    "tortodelova.server", "tortodelova.ui.app", "tortodelova.accounts.deps", "tortodelova.generation.image_links",
    "tortodelova.generation.views", "tortodelova.generation.service", "tortodelova.generation.worker",
    "tortodelova.generation.translation", "tortodelova.demo.views", "tortodelova.admin.views", "tortodelova.ui.admin",
    "tortodelova.accounts.views", "tortodelova.billing.views", "jobs", "jobs.tasks", "tortodelova.pipeline.prompts",
    "tortodelova.pipeline.translator",
]


def test_web_side_modules_do_not_import_torch():
    code = ("import importlib, sys\n"
            f"for name in {WEB_SIDE!r}:\n"
            "    importlib.import_module(name)\n"
            "from tortodelova.server import create_app\n"
            "loaded = [m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules]\n"
            "assert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


def test_the_embedded_worker_polls_an_idle_queue_at_most_every_quarter_second(make_settings):
    """Huey's default backoff would let an idle embedded worker sleep 10 s between polls, so the first design after a
    quiet minute waited up to 10 s before it started. Sixty empty polls (a quiet minute and more) stay capped."""
    from jobs.tasks import EMBEDDED_POLL_MAX_SECONDS, embedded_consumer, make_huey

    huey = make_huey(make_settings())
    assert not huey.storage.blocking  # SqliteHuey is polled: the cap is what bounds the pick-up
    worker = embedded_consumer(huey)._create_worker()
    waits = []

    class Flag:  # records each sleep instead of sleeping
        def wait(self, seconds):
            waits.append(seconds)

        def is_set(self):
            return False

    worker.stop_flag = Flag()
    for _ in range(60):
        worker.loop()
    assert len(waits) == 60 and max(waits) <= EMBEDDED_POLL_MAX_SECONDS
