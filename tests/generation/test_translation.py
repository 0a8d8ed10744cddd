"""The one translation path (preview and job) with the tiny translator, and the prompt budget of the negatives."""
from __future__ import annotations

import pickle
import re

import pytest

from tortodelova.generation.translation import INSCRIPTION_ONLY_PROMPT, TranslationInput, translate_all
from tortodelova.pipeline import prompts
from tortodelova.pipeline.errors import PipelineError, PromptTooLong

CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@pytest.fixture(scope="module")
def translator(tiny_models_dir):
    from tortodelova.pipeline.models import TRANSLATOR_DIR
    from tortodelova.pipeline.translator import Translator

    return Translator.from_pretrained(tiny_models_dir / TRANSLATOR_DIR)


def test_inscription_only_prompt_is_a_plain_cake_without_calling_the_translator():
    class Refusing:
        def translate(self, texts):
            raise AssertionError(f"translator called with {texts}")

    [result] = translate_all(Refusing(), [TranslationInput(prompt_ru="надпись «С юбилеем!»")])
    assert result.prompt_en == INSCRIPTION_ONLY_PROMPT and result.inscription == "С юбилеем!"


def test_russian_negative_prompt_is_translated_in_the_same_batch(translator):
    calls = []

    class Counting:
        def translate(self, texts):
            calls.append(list(texts))
            return translator.translate(texts)

    [result] = translate_all(Counting(), [TranslationInput(prompt_ru="шоколадный торт", negative_prompt="мастика")])
    assert len(calls) == 1 and len(calls[0]) == 2
    assert result.negative_prompt_en and not CYRILLIC.search(result.negative_prompt_en)
    [english] = translate_all(Counting(), [TranslationInput(prompt_ru="торт", prompt_en="a cake",
                                                            negative_prompt="blurry")])
    assert english.negative_prompt_en == "blurry" and english.prompt_en == "a cake"


def test_translate_preview_of_an_inscription_only_prompt_is_not_422(stack):
    headers = stack.user()
    r = stack.client.post("/api/translate", headers=headers, json={"prompt": "надпись «С юбилеем!»"})
    assert r.status_code == 200, r.text
    assert r.json()["prompt_en"] == INSCRIPTION_ONLY_PROMPT and r.json()["inscription"] == "С юбилеем!"
    r = stack.client.post("/api/translate", headers=headers, json={"prompt": "торт", "negative_prompt": "мастика"})
    assert r.status_code == 200 and not CYRILLIC.search(r.json()["negative_prompt_en"])


def test_russian_negative_prompt_reaches_the_generation_object(stack):
    headers = stack.user()
    r = stack.client.post("/api/generations", headers=headers,
                          json={"prompt": "торт", "quality": "fast", "negative_prompt": "мастика, тёмный"})
    done = stack.wait(r.json()["id"], headers)
    assert done["status"] == "succeeded", done
    assert done["negative_prompt"] == "мастика, тёмный"
    assert done["negative_prompt_en"] and not CYRILLIC.search(done["negative_prompt_en"])


def test_pipeline_errors_survive_the_queue_typed():
    error = pickle.loads(pickle.dumps(PromptTooLong(limit=500, length=501)))
    assert isinstance(error, PromptTooLong) and isinstance(error, PipelineError)
    assert (error.limit, error.length) == (500, 501) and "501" in error.message_ru


@pytest.mark.parametrize("style", list(prompts.STYLES))
def test_builtin_negatives_fit_the_clip_budget_and_survive_a_long_user_negative(style):
    builtin = prompts.fit_negative("", style=style)
    assert prompts.count_tokens(builtin) <= prompts.CLIP_MAX_TOKENS
    long_user = ", ".join(f"ugly thing number {i}" for i in range(40))
    negative = prompts.fit_negative(long_user, style=style)
    assert prompts.count_tokens(negative) <= prompts.CLIP_MAX_TOKENS
    assert negative.endswith(builtin) and "ugly thing number 0" in negative
