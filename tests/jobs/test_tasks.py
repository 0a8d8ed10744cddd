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
    "tortodelova.server", "tortodelova.ui.app", "tortodelova.api.deps", "tortodelova.api.links",
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
