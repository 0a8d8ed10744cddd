"""RU→EN translation of cake descriptions with Helsinki-NLP/opus-mt-ru-en and the confectionery glossary.

Worker side: torch and transformers are imported inside ``from_pretrained``/``_generate`` only, so importing this
module (for ``Translation``) costs nothing.
"""

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from tortodelova.pipeline.errors import EmptyPrompt, ModelsMissing, PromptTooLong
from tortodelova.pipeline.glossary import PersonalGlossary, Term, fix_translation, has_cyrillic, prepare_source

logger = logging.getLogger(__name__)

REQUIRED_FILES = ("config.json", "source.spm", "target.spm", "vocab.json")
# Opus-MT is trained on single sentences and tends to drop the tail of a long paragraph, so sentences are
# translated separately (in one batch) and joined.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


@dataclass(frozen=True)
class Translation:
    prompt_ru: str
    prompt_en: str
    terms: list[Term] = field(default_factory=list)


class Translator:
    MAX_CHARS = 500
    MAX_NUM_BEAMS = 4  # the checkpoint asks for 6: slower and no better on short prompts
    BATCH_SIZE = 16
    CACHE_SIZE = 1024

    def __init__(self, model, tokenizer, *, num_beams: int = 3):
        if not 1 <= num_beams <= self.MAX_NUM_BEAMS:
            raise ValueError(f"num_beams has to be between 1 and {self.MAX_NUM_BEAMS} but is {num_beams}")
        self.model = model
        self.tokenizer = tokenizer
        self.num_beams = num_beams
        self.generate_calls = 0  # model.generate() batches run; the cache tests read it
        self._cache: OrderedDict[tuple[str, str], Translation] = OrderedDict()
        # generate() and the tokenizer are not safe to share between threads; the cache needs it too
        self._lock = threading.Lock()

    @classmethod
    def from_pretrained(cls, path, *, device: str = "cpu", num_beams: int = 3) -> "Translator":
        from transformers import MarianMTModel, MarianTokenizer

        path = Path(path)
        missing = [str(path / name) for name in REQUIRED_FILES if not (path / name).is_file()]
        if missing:
            raise ModelsMissing(missing=missing)
        tokenizer = MarianTokenizer.from_pretrained(path)
        model = MarianMTModel.from_pretrained(path).to(device).eval()
        logger.info("translator loaded from %s on %s", path, device)
        return cls(model, tokenizer, num_beams=num_beams)

    def check_inputs(self, texts: list[str]) -> None:
        for text in texts:
            stripped = text.strip()
            if not stripped:
                raise EmptyPrompt()
            if len(stripped) > self.MAX_CHARS:
                raise PromptTooLong(limit=self.MAX_CHARS, length=len(stripped))

    def translate(self, texts: list[str],
                  personal: list[PersonalGlossary | None] | None = None) -> list[Translation]:
        """``personal``: for each text, the terms of the chef who wrote it (or None), matched before the glossary."""
        # 1. Check inputs: all of them before any work, so a bad text fails the batch at once
        self.check_inputs(texts)
        glossaries = list(personal) if personal is not None else [None] * len(texts)
        if len(glossaries) != len(texts):
            raise ValueError("one personal glossary (or None) per text")
        # The same words mean another thing to another chef: her terms' version is part of the cache key.
        keys = [(glossary.key if glossary else "", " ".join(text.split())) for text, glossary in zip(texts, glossaries)]
        by_key = dict(zip(keys, glossaries))

        # 2. Serve repeated texts from the LRU cache (the same Translation object, it is frozen)
        with self._lock:
            found = {key: hit for key in keys if (hit := self._cached(key)) is not None}

        # 3. Translate the new ones in one batch
        pending = [key for key in dict.fromkeys(keys) if key not in found]
        if pending:
            fresh = dict(zip(pending, self._translate_uncached([text for _, text in pending],
                                                               [by_key[key] for key in pending])))
            with self._lock:
                for key, translation in fresh.items():
                    self._remember(key, translation)
            found.update(fresh)
        return [found[key] for key in keys]

    def _cached(self, key: tuple[str, str]) -> Translation | None:
        translation = self._cache.get(key)
        if translation is not None:
            self._cache.move_to_end(key)
        return translation

    def _remember(self, key: tuple[str, str], translation: Translation) -> None:
        self._cache[key] = translation
        self._cache.move_to_end(key)
        while len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)

    def _translate_uncached(self, texts: list[str],
                            glossaries: list[PersonalGlossary | None]) -> list[Translation]:
        prepared = [prepare_source(text, glossary) if has_cyrillic(text) else (text, [])
                    for text, glossary in zip(texts, glossaries)]
        # Latin input (already English) and text the glossary fully translated skip the model.
        sentences = [
            sentence
            for source, _ in prepared
            if has_cyrillic(source)
            for sentence in _split_sentences(source)
        ]
        # Each distinct sentence once (two texts may share one): its translation is looked up by the sentence.
        unique = list(dict.fromkeys(sentences))
        translated = dict(zip(unique, self._generate(unique)))
        results = []
        for text, (source, terms) in zip(texts, prepared):
            if has_cyrillic(source):
                english = " ".join(translated[sentence] for sentence in _split_sentences(source))
            else:
                english = source
            results.append(Translation(prompt_ru=text, prompt_en=fix_translation(english, terms), terms=terms))
        return results

    def _generate(self, sentences: list[str]) -> list[str]:
        import torch

        outputs: list[str] = []
        for start in range(0, len(sentences), self.BATCH_SIZE):
            chunk = sentences[start : start + self.BATCH_SIZE]
            with self._lock, torch.inference_mode():
                batch = self.tokenizer(chunk, return_tensors="pt", padding=True).to(self.model.device)
                # English is rarely more than 1.5x the Russian token count; the cap stops a degenerate loop
                max_new_tokens = min(256, int(batch["input_ids"].shape[1] * 1.5) + 10)
                generated = self.model.generate(
                    **batch, num_beams=self.num_beams, max_new_tokens=max_new_tokens, max_length=None
                )
                outputs.extend(self.tokenizer.batch_decode(generated, skip_special_tokens=True))
                self.generate_calls += 1
        return [output.strip() for output in outputs]


def _split_sentences(text: str) -> list[str]:
    return [sentence.strip() for sentence in _SENTENCE_END.split(text) if sentence.strip()]
