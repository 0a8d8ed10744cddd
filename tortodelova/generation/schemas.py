"""The typed contract of the generation domain: what a client may ask for and what it gets back.

Requests are validated here, with the bad value quoted in Russian: each field has a `before` validator that answers
in words a pastry chef understands (and never lets a list, a superscript digit or a NUL byte reach the service),
while the declared types and bounds are what `/api/openapi.json` shows.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from tortodelova import vocabulary as vocab
from tortodelova.errors import InvalidInput
from tortodelova.pipeline import prompts
from tortodelova.validation import check_int, check_text
from tortodelova.vocabulary import ColorName, FontName, PositionName, QualityName, SizeName, StatusName

StyleName = Literal[tuple(prompts.STYLES)]  # type: ignore[valid-type]


def _one_of(what: str, choices, default: str):
    def check(value):
        if value is None or value == "":
            return default
        if not isinstance(value, str) or value not in choices:
            shown = f" «{value}»" if isinstance(value, str) and len(value) <= 40 else ""
            raise ValueError(f"{what}{shown}: выберите одно из значений: {', '.join(choices)}")
        return value
    return BeforeValidator(check)


def _text(what: str, limit: int, *, required: bool = False, empty=None):
    def check(value):
        return check_text(value, what=what, limit=limit, required=required, empty=empty)
    return BeforeValidator(check)


def _int(what: str, low: int, high: int, *, default=None):
    def check(value):
        if value is None or value == "":
            return default
        return check_int(value, what=what, low=low, high=high)
    return BeforeValidator(check)


def _strength(value):
    if value is None:
        return None
    low, high = vocab.STRENGTH_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"Сила изменений: число от {low} до {high}")
    return float(value)


def _inscription(value):
    if value is None or isinstance(value, (dict, InscriptionRequest)):
        return value
    if isinstance(value, str):  # a bare string is the text with the default look
        return {"text": value}
    raise ValueError("Надпись: нужен объект {\"text\", \"font\", \"color\", \"position\"} или null")


class InscriptionRequest(BaseModel):
    """The Cyrillic lettering drawn on every image of a design."""

    text: Annotated[str, Field(min_length=1, max_length=vocab.INSCRIPTION_MAX_CHARS),
                    _text("Текст надписи", vocab.INSCRIPTION_MAX_CHARS, required=True)]
    font: Annotated[FontName, _one_of("Неизвестный шрифт надписи", vocab.FONT_NAMES, vocab.DEFAULT_FONT)] = "script"
    color: Annotated[ColorName, _one_of("Неизвестный цвет надписи", vocab.COLOR_NAMES, vocab.DEFAULT_COLOR)] = "gold"
    position: Annotated[PositionName, _one_of("Неизвестное место надписи", vocab.POSITION_NAMES,
                                              vocab.DEFAULT_POSITION)] = "plaque"

    @model_validator(mode="before")
    @classmethod
    def _text_present(cls, data: Any):
        if isinstance(data, dict) and "text" not in data:
            data = {**data, "text": None}
        return data


class InscriptionPublic(BaseModel):
    text: str
    font: FontName = "script"
    color: ColorName = "gold"
    position: PositionName = "plaque"


class PromptRequest(BaseModel):
    """The fields the demo, the translation preview and a full request share."""

    prompt: Annotated[str, Field(min_length=1, max_length=vocab.PROMPT_MAX_CHARS),
                      _text("Описание торта", vocab.PROMPT_MAX_CHARS, required=True)]

    @model_validator(mode="before")
    @classmethod
    def _prompt_present(cls, data: Any):
        if isinstance(data, dict) and "prompt" not in data:
            data = {**data, "prompt": None}  # answered by the field's own Russian message
        return data


class TranslateRequest(PromptRequest):
    negative_prompt: Annotated[str | None, Field(max_length=vocab.NEGATIVE_MAX_CHARS),
                               _text("Негативный промпт", vocab.NEGATIVE_MAX_CHARS)] = None


class DemoCreate(PromptRequest):
    style: Annotated[StyleName, _one_of("Неизвестный стиль", tuple(prompts.STYLES), prompts.DEFAULT_STYLE)] = "classic"


class GenerationRequest(DemoCreate):
    """A request for 1..4 images. `inscription` absent: a quoted text after «надпись» in the prompt is drawn with the
    defaults; `inscription: null`: nothing is drawn (see `inscription_given`)."""

    size: Annotated[SizeName, _one_of("Неизвестный размер", vocab.SIZE_NAMES, vocab.DEFAULT_SIZE)] = "square"
    variants: Annotated[int, Field(ge=1, le=vocab.MAX_VARIANTS),
                        _int("Количество вариантов", 1, vocab.MAX_VARIANTS, default=1)] = 1
    quality: Annotated[QualityName,
                       _one_of("Неизвестное качество", vocab.QUALITY_NAMES, vocab.DEFAULT_QUALITY)] = "standard"
    seed: Annotated[int | None, Field(ge=0, le=vocab.SEED_MAX), _int("Seed", 0, vocab.SEED_MAX)] = None
    negative_prompt: Annotated[str, Field(max_length=vocab.NEGATIVE_MAX_CHARS),
                               _text("Негативный промпт", vocab.NEGATIVE_MAX_CHARS, empty="")] = ""
    prompt_en: Annotated[str | None, Field(max_length=vocab.PROMPT_EN_MAX_CHARS),
                         _text("Перевод", vocab.PROMPT_EN_MAX_CHARS)] = None
    init_generation_id: Annotated[str | None, Field(max_length=vocab.ID_MAX_CHARS),
                                  _text("init_generation_id", vocab.ID_MAX_CHARS)] = None
    init_index: Annotated[int | None, Field(ge=0, le=vocab.MAX_VARIANTS - 1),
                          _int("Номер изображения", 0, vocab.MAX_VARIANTS - 1)] = None
    init_upload_id: Annotated[str | None, Field(max_length=vocab.ID_MAX_CHARS),
                              _text("init_upload_id", vocab.ID_MAX_CHARS)] = None
    strength: Annotated[float | None, Field(ge=vocab.STRENGTH_RANGE[0], le=vocab.STRENGTH_RANGE[1]),
                        BeforeValidator(_strength)] = None
    inscription: Annotated[InscriptionRequest | None, BeforeValidator(_inscription)] = None

    @property
    def inscription_given(self) -> bool:
        """True when the client sent the field (an explicit null means «draw nothing»)."""
        return "inscription" in self.model_fields_set

    @model_validator(mode="after")
    def _one_source(self):
        if self.init_generation_id is not None and self.init_upload_id is not None:
            raise ValueError("Выберите что-то одно: похожий дизайн или фото-образец")
        return self


def messages(error: ValidationError) -> str:
    """The Russian messages of a failed validation, joined (what the REST edge and the UI both show)."""
    parts = []
    for item in error.errors():
        cause = (item.get("ctx") or {}).get("error")
        if item.get("type") == "value_error" and cause is not None:
            parts.append(str(cause))
        else:
            where = ".".join(str(p) for p in item.get("loc", ()))
            parts.append(f"некорректное значение поля {where}" if where else "некорректный запрос")
    return "; ".join(dict.fromkeys(parts))


def parse_request(data: dict, model: type[BaseModel] = GenerationRequest):
    """Build a request from a form or a dict, raising `InvalidInput` (a domain error) instead of pydantic's."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(messages(exc)) from None


# Responses ----------------------------------------------------------------------------------------------------------

class Term(BaseModel):
    ru: str
    en: str
    personal: bool = False  # one of the chef's own terms («Мои термины»)


class TranslationPublic(BaseModel):
    prompt_ru: str
    prompt_en: str
    terms: list[Term]
    inscription: str | None = None
    negative_prompt_en: str | None = None


class ImagePublic(BaseModel):
    index: int
    seed: int | None
    url: str
    download_url: str
    plain_url: str | None = None  # the same picture without the lettering, when lettering was drawn
    signed_url: str | None = None  # a short-lived link an <img> can load without an Authorization header


class GenerationPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "The generation object of API.md (v2)."})

    id: str
    status: StatusName
    status_title: str
    progress: float
    queue_position: int | None
    prompt_ru: str
    prompt_en: str | None
    negative_prompt: str
    negative_prompt_en: str | None
    style: str
    size: str
    width: int
    height: int
    variants: int
    quality: str
    seed: int | None
    seeds: list[int]
    cost: int
    inscription: InscriptionPublic | None
    terms: list[Term]
    prompt_truncated: bool
    init_generation_id: str | None
    init_index: int | None
    init_upload_id: str | None
    strength: float | None
    images: list[ImagePublic]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class GenerationsPublic(BaseModel):
    items: list[GenerationPublic]
    total: int


class DemoGenerationPublic(GenerationPublic):
    claim_token: str | None = None


class AdminGenerationPublic(GenerationPublic):
    user_id: int | None


class AdminGenerationsPublic(BaseModel):
    items: list[AdminGenerationPublic]
    total: int


class ShareLinkPublic(BaseModel):
    token: str
    url: str


class StylePublic(BaseModel):
    id: str
    title: str
    description: str


class ClaimRequest(BaseModel):
    # An absent or unknown token is answered 404 by the service, as the contract says.
    claim_token: Annotated[str | None, Field(max_length=128), _text("claim_token", 128)] = None
