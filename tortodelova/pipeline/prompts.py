"""Stable Diffusion prompts from the translated description: style presets, CLIP budget, inscriptions.

No torch here: the web process builds prompts too (to show them before the job runs).
"""

import math
import re
from dataclasses import dataclass

from tortodelova.pipeline.errors import UnknownStyle

__all__ = [
    "BASE_NEGATIVE",
    "BASE_POSITIVE",
    "CLIP_MAX_TOKENS",
    "DEFAULT_STYLE",
    "PLAQUE",
    "STYLES",
    "BuiltPrompt",
    "Style",
    "UnknownStyle",
    "build_prompt",
    "count_tokens",
    "extract_inscription",
    "fit_negative",
]

CLIP_MAX_TOKENS = 77  # including the start and end tokens
BASE_POSITIVE = (
    "professional food photography of a cake",
    "on a cake stand",
    "soft natural light",
    "highly detailed",
    "realistic",
)
BASE_NEGATIVE = (
    "cartoon, illustration, 3d render, toy, plastic, deformed, blurry, lowres, text, watermark, people, hands"
)
# SD 1.5 draws Cyrillic as gibberish: the chef pipes the real inscription on the empty plaque.
PLAQUE = "with a blank plaque for an inscription"


@dataclass(frozen=True)
class Style:
    id: str
    title: str
    description: str
    positive: str
    negative: str


STYLES: dict[str, Style] = {
    style.id: style
    for style in (
        Style(
            "classic",
            "Классика",
            "Аккуратный торт с ровным покрытием и кремовым декором — универсальный вариант.",
            "classic elegant cake design, smooth even finish, neat piped borders",
            "messy, cracked",
        ),
        Style(
            "wedding",
            "Свадебный",
            "Многоярусный торт в светлых тонах, нежный декор, сахарные цветы и кружево.",
            "elegant wedding cake, white and ivory palette, delicate lace details, romantic, luxurious",
            "dark colors, gloomy, cheap",
        ),
        Style(
            "kids",
            "Детский",
            "Яркие цвета, весёлый декор, фигурки и игрушечное настроение.",
            "colorful children's birthday cake, playful decorations, bright cheerful colors, cute",
            "dark, scary, gloomy",
        ),
        Style(
            "minimal",
            "Минимализм",
            "Чистые линии, спокойные цвета, минимум декора.",
            "minimalist modern cake, clean lines, simple decor, neutral background",
            "cluttered, busy background, excessive decorations",
        ),
        Style(
            "themed",
            "Тематический",
            "Торт по теме праздника: фигурки, топперы, детальный сюжетный декор.",
            "themed celebration cake, detailed sculpted decorations, creative design",
            "plain, boring",
        ),
        Style(
            "bento",
            "Бенто",
            "Маленький торт на 1–2 человек в крафтовой коробке, простой рисунок кремом.",
            "small bento cake in a kraft lunch box, simple hand-piped decor, korean style",
            "large tiered cake, multiple tiers",
        ),
        Style(
            "rustic",
            "Голый / рустик",
            "Голый или полуголый торт с видимыми коржами, ягоды, зелень, деревянный стол.",
            "rustic naked cake, exposed sponge layers, fresh berries, wooden table",
            "fondant, glossy plastic look",
        ),
        Style(
            "mousse",
            "Муссовый с зеркальной глазурью",
            "Современный муссовый торт (антреме) с глянцевой зеркальной глазурью.",
            "modern mousse cake (entremet), glossy mirror glaze, perfectly smooth reflective surface",
            "matte, cracked glaze, fondant",
        ),
    )
}
DEFAULT_STYLE = "classic"


@dataclass(frozen=True)
class BuiltPrompt:
    prompt: str
    negative_prompt: str
    truncated: bool
    inscription: str | None


_QUOTED = r"«([^»]+)»|\"([^\"]+)\"|“([^”]+)”|„([^“”]+)[“”]"
_TRIGGER = r"(?<![а-яё])(?:с\s+)?(?:надпис[а-яё]*|текст(?:ом)?|написа[а-яё]*|напиш[а-яё]*)(?:\s+на\s+[а-яё]+)?"
_INSCRIPTION_QUOTED = re.compile(rf"{_TRIGGER}\s*[:—–-]?\s*(?:{_QUOTED})", re.IGNORECASE)
# Unquoted "надпись: С днём рождения, Маша!" runs to the end of the clause. Greetings hold commas, so a comma ends
# it only when the description visibly goes on after it (", с розами", ", и цветы", ", белый крем").
_CLAUSE_GOES_ON = r",\s*(?:с|со|и|а|в|на|из|по|без|под|сверху|сбоку|декор|цвет|торт|крем|покрыт|украш|белый|розов)"
_INSCRIPTION_COLON = re.compile(
    rf"{_TRIGGER}\s*[:—–]\s*((?:(?!{_CLAUSE_GOES_ON})[^.;!?\n])+[!?]?)", re.IGNORECASE
)
_CYRILLIC_WORD = re.compile(r"[\w-]*[а-яё][\w-]*", re.IGNORECASE)
_WORD_OR_MARK = re.compile(r"[a-z0-9]+|[^\sa-z0-9]", re.IGNORECASE)


def extract_inscription(text_ru: str) -> tuple[str, str | None]:
    """Split off a requested inscription: «торт с надписью "С днём рождения"» -> ("торт", "С днём рождения")."""
    match = _INSCRIPTION_QUOTED.search(text_ru) or _INSCRIPTION_COLON.search(text_ru)
    if match is None:
        return text_ru, None
    inscription = next(group for group in match.groups() if group is not None).strip(" \"'«»“”„")
    before, after = text_ru[: match.start()].rstrip(), text_ru[match.end() :].lstrip()
    if match.group(0).lower().startswith("с ") and re.match(r"и\s", after, re.IGNORECASE):
        after = "с " + after[2:]  # "торт с надписью «…» и цветами" -> "торт с цветами"
    rest = f"{before} {after}".strip()
    rest = re.sub(r"\s+([,.;!?])", r"\1", rest)
    rest = re.sub(r"([,;])\s*[,;.]", r"\1", rest)
    rest = re.sub(r"\s{2,}", " ", rest).strip(" ,;:—–-")
    return rest, inscription or None


def count_tokens(text: str, tokenizer=None) -> int:
    """CLIP tokens of ``text`` with start/end tokens; exact with a CLIP tokenizer, else a cautious estimate."""
    if tokenizer is not None:
        return len(tokenizer(text)["input_ids"])
    # CLIP's BPE keeps common English words whole and splits long rare ones; overestimating only drops style
    # fragments early, underestimating would let CLIP silently cut the user's words.
    pieces = _WORD_OR_MARK.findall(text)
    return 2 + sum(1 if not piece.isalnum() else math.ceil(len(piece) / 7) for piece in pieces)


def _fit(fragments: list[str], tokenizer, *, budget: int = CLIP_MAX_TOKENS) -> tuple[str, bool]:
    """Join fragments in order while they fit; the first (the chef's words) is cut word by word if it must."""
    kept: list[str] = []
    truncated_first = False
    for index, fragment in enumerate(fragments):
        candidate = ", ".join([*kept, fragment])
        if count_tokens(candidate, tokenizer) <= budget:
            kept.append(fragment)
            continue
        if index == 0:
            words = fragment.split()
            while words and count_tokens(" ".join(words), tokenizer) > budget:
                words.pop()
            if words:
                return " ".join(words), True
            # One "word" longer than the whole budget (a degenerate translation): drop it and keep the style, so
            # the model still gets a prompt instead of an empty string.
            truncated_first = True
            continue
        return ", ".join(kept), True
    return ", ".join(kept), truncated_first


def build_prompt(
    prompt_en: str,
    *,
    style: str,
    negative_extra: str = "",
    inscription: str | None = None,
    tokenizer=None,
) -> BuiltPrompt:
    """The positive and negative prompts for one request, the chef's content first.

    ``tokenizer``: the pipeline's CLIPTokenizer to count tokens exactly; without it the count is estimated.
    """
    if style not in STYLES:
        raise UnknownStyle(style=style, valid=list(STYLES))
    preset = STYLES[style]
    # Untranslated Cyrillic would cost tokens and come out as gibberish letters.
    content = re.sub(r"\s{2,}", " ", _CYRILLIC_WORD.sub("", prompt_en)).strip(" ,.;")
    fragments = [content] if content else []
    if inscription:
        fragments.append(PLAQUE)
    fragments += [BASE_POSITIVE[0], preset.positive, *BASE_POSITIVE[1:]]
    prompt, truncated = _fit(fragments, tokenizer)

    negative_prompt = fit_negative(negative_extra, style=style, tokenizer=tokenizer)
    return BuiltPrompt(prompt=prompt, negative_prompt=negative_prompt, truncated=truncated, inscription=inscription)


def _items(*parts: str) -> list[str]:
    return list(dict.fromkeys(item.strip() for part in parts for item in part.split(",") if item.strip()))


def fit_negative(negative_extra: str, *, style: str, tokenizer=None, budget: int = CLIP_MAX_TOKENS) -> str:
    """The chef's negatives first, then the style's and the base ones, within the CLIP budget.

    The built-in negatives always fit on their own (a test checks every style); the chef's items take what is left
    of the budget, item by item, and never push the built-in ones out."""
    builtin = _items(STYLES[style].negative, BASE_NEGATIVE)
    builtin_text, _ = _fit(builtin, tokenizer, budget=budget)
    kept: list[str] = []
    for item in _items(negative_extra):
        if item in builtin:
            continue
        if count_tokens(", ".join([*kept, item, builtin_text]), tokenizer) <= budget:
            kept.append(item)
    return ", ".join([*kept, builtin_text]) if builtin_text else ", ".join(kept)
