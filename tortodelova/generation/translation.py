"""The one translation path: the free preview and the job translate the same way, with the same errors.

The chef's Russian description loses its inscription (drawn separately, never by SD), the rest goes through the
translator with the glossary; an inscription-only prompt becomes a plain celebration cake; a Russian negative prompt
is translated in the same batch. Errors are `PipelineError`s: the edge that shows them maps them once.
No torch here: the translator is passed in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from tortodelova.pipeline import prompts

INSCRIPTION_ONLY_PROMPT = "an elegant celebration cake"
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@dataclass(frozen=True)
class TranslationInput:
    prompt_ru: str
    negative_prompt: str = ""
    prompt_en: str | None = None  # given by the chef (an edited translation): used as is


@dataclass
class Translation:
    prompt_en: str
    terms: list[dict] = field(default_factory=list)
    inscription: str | None = None  # the quoted text the prompt asked for, if any
    negative_prompt_en: str = ""

    def as_public(self, prompt_ru: str) -> dict:
        return {"prompt_ru": prompt_ru, "prompt_en": self.prompt_en, "terms": self.terms,
                "inscription": self.inscription, "negative_prompt_en": self.negative_prompt_en or None}


def translate_all(translator, inputs: list[TranslationInput]) -> list[Translation]:
    """One batched translator call for every text that needs it (prompts and Russian negative prompts alike)."""
    results: list[Translation] = []
    pending: list[tuple[Translation, str, str]] = []  # (result, attribute, Russian text)
    for item in inputs:
        text, inscription = prompts.extract_inscription(item.prompt_ru)
        result = Translation(prompt_en="", inscription=inscription, negative_prompt_en=item.negative_prompt or "")
        if item.prompt_en is not None:
            result.prompt_en = item.prompt_en
        elif not text.strip():  # only an inscription was asked for: a plain cake with a plaque
            result.prompt_en = INSCRIPTION_ONLY_PROMPT
        else:
            pending.append((result, "prompt_en", text))
        if item.negative_prompt and _CYRILLIC.search(item.negative_prompt):
            pending.append((result, "negative_prompt_en", item.negative_prompt))
        results.append(result)
    if pending:
        translations = translator.translate([text for _result, _attr, text in pending])
        for (result, attribute, _text), translation in zip(pending, translations):
            setattr(result, attribute, translation.prompt_en)
            if attribute == "prompt_en":
                result.terms = [{"ru": t.ru, "en": t.en} for t in translation.terms]
    return results


def translate_one(translator, item: TranslationInput) -> Translation:
    return translate_all(translator, [item])[0]
