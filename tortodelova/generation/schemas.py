from __future__ import annotations

from pydantic import BaseModel


class GenerationCreate(BaseModel):
    """What a client may ask for. Fields are typed loosely and validated by the service, which answers in Russian."""

    prompt: object = None
    style: object = None
    size: object = "square"
    variants: object = 1
    quality: object = "standard"
    seed: object = None
    negative_prompt: object = None
    prompt_en: object = None
    init_generation_id: object = None
    init_index: object = None
    strength: object = None


class TranslateRequest(BaseModel):
    prompt: object = None


class DemoCreate(BaseModel):
    prompt: object = None
    style: object = None


class ClaimRequest(BaseModel):
    claim_token: object = None
