"""The one translation path: the free preview and the job translate the same way, with the same errors.

The chef's Russian description loses its inscription (drawn separately, never by SD), the rest goes through the
translator with the glossary; an inscription-only prompt becomes a plain celebration cake; a Russian negative prompt
is translated in the same batch. Errors are `PipelineError`s: the edge that shows them maps them once.
No torch here: the translator is passed in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from tortodelova.pipeline import glossary, glossary_misses, prompts

INSCRIPTION_ONLY_PROMPT = "an elegant celebration cake"
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@dataclass(frozen=True)
class TranslationInput:
    prompt_ru: str
    negative_prompt: str = ""
    prompt_en: str | None = None  # given by the chef (an edited translation): used as is
    personal: glossary.PersonalGlossary | None = None  # her own terms, before the glossary; None for the demo


@dataclass
class Translation:
    prompt_en: str
    terms: list[dict] = field(default_factory=list)
    inscription: str | None = None  # the quoted text the prompt asked for, if any
    negative_prompt_en: str = ""
    misses: list[str] = field(default_factory=list)  # lemmas no glossary matched that came out transliterated/unknown

    def as_public(self, prompt_ru: str) -> dict:
        return {"prompt_ru": prompt_ru, "prompt_en": self.prompt_en, "terms": self.terms,
                "inscription": self.inscription, "negative_prompt_en": self.negative_prompt_en or None}


def translate_all(translator, inputs: list[TranslationInput]) -> list[Translation]:
    """One batched translator call for every text that needs it (prompts and Russian negative prompts alike)."""
    results: list[Translation] = []
    pending: list[tuple[Translation, str, str]] = []  # (result, attribute, Russian text)
    owners: list[TranslationInput] = []  # the input each pending text came from
    for item in inputs:
        text, inscription = prompts.extract_inscription(item.prompt_ru)
        result = Translation(prompt_en="", inscription=inscription, negative_prompt_en=item.negative_prompt or "")
        if item.prompt_en is not None:
            result.prompt_en = item.prompt_en
        elif not text.strip():  # only an inscription was asked for: a plain cake with a plaque
            result.prompt_en = INSCRIPTION_ONLY_PROMPT
        else:
            pending.append((result, "prompt_en", text))
            owners.append(item)
        if item.negative_prompt and _CYRILLIC.search(item.negative_prompt):
            pending.append((result, "negative_prompt_en", item.negative_prompt))
            owners.append(item)
        results.append(result)
    if pending:
        texts = [text for _result, _attr, text in pending]
        personal = [item.personal for item in owners]
        # The negative prompt goes through the chef's terms too: «без мастики» means her fondant as well.
        if any(personal):
            translations = translator.translate(texts, personal=personal)
        else:
            translations = translator.translate(texts)
        for (result, attribute, text), translation, terms in zip(pending, translations, personal):
            setattr(result, attribute, translation.prompt_en)
            if attribute == "prompt_en":
                result.terms = [{"ru": t.ru, "en": t.en, "personal": t.personal} for t in translation.terms]
                result.misses = glossary_misses.misses(text, translation.prompt_en, terms)
    return results


def translate_one(translator, item: TranslationInput) -> Translation:
    return translate_all(translator, [item])[0]
